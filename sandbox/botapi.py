"""The Bot API methods the sandbox implements, with Telegram's validation and error wording."""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp.web import FileField

from sandbox.files import StoredFile, image_size
from sandbox.htmltext import EntityParseError, parse_html, utf16_len
from sandbox.state import BotState, Chat, StoredMessage, UpdateRecord
from sandbox.webhook import WebhookDelivery

if TYPE_CHECKING:
    from sandbox.server import Sandbox

Params = dict[str, Any]
Handler = Callable[["Sandbox", BotState, Params], Awaitable[Any]]

# Lower-case method name -> (name as documented, implementation). Telegram ignores case.
METHODS: dict[str, tuple[str, Handler]] = {}

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200

# Form bodies carry every value as a string; these are decoded before a method sees them.
_JSON_FIELDS = {
    "allowed_updates",
    "button",
    "caption_entities",
    "commands",
    "entities",
    "link_preview_options",
    "menu_button",
    "reply_markup",
    "reply_parameters",
    "results",
    "scope",
}
_INT_FIELDS = {
    "cache_time",
    "chat_id",
    "limit",
    "max_connections",
    "message_id",
    "offset",
    "reply_to_message_id",
    "timeout",
}
_BOOL_FIELDS = {
    "allow_sending_without_reply",
    "disable_notification",
    "drop_pending_updates",
    "is_personal",
    "protect_content",
    "show_alert",
}
_INTEGER = re.compile(r"-?\d+")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE = re.compile(r"(?:[a-z]{2})?")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BUTTON_URL = re.compile(r"^(?:https?|tg)://", re.IGNORECASE)
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_SCOPES_WITHOUT_CHAT = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
}


class ApiError(Exception):
    """A Bot API error answer; the HTTP status equals error_code, as with Telegram."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def answer(self) -> dict:
        answer: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            answer["parameters"] = {"retry_after": self.retry_after}
        return answer


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def api_method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


def normalize(params: Mapping[str, Any]) -> Params:
    """Decode form-encoded values (JSON objects, integers, booleans) the way Telegram reads them;
    a value that does not decode stays a string, and the method reports it."""
    result: Params = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            elif key in _INT_FIELDS and _INTEGER.fullmatch(value):
                value = int(value)
            elif key in _BOOL_FIELDS and value.lower() in ("true", "false"):
                value = value.lower() == "true"
        result[key] = value
    return result


def loggable(params: Params) -> Params:
    """Params for the call log: uploads are described, not copied."""
    return {
        key: {"file_name": value.filename, "content_type": value.content_type}
        if isinstance(value, FileField)
        else value
        for key, value in params.items()
    }


# Parameter helpers ------------------------------------------------------------------------


def _present(p: Params, name: str) -> Any:
    value = p.get(name)
    return None if value is None or value == "" else value


def _int(p: Params, name: str, missing: str) -> int:
    value = _present(p, name)
    if value is None:
        raise bad_request(missing)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"invalid {name} specified")
    return value


def _optional_int(p: Params, name: str) -> int | None:
    return None if _present(p, name) is None else _int(p, name, "")


def _number(p: Params, name: str, default: float) -> float:
    value = _present(p, name)
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def _bool(p: Params, name: str) -> bool:
    return p.get(name) is True


def _object(p: Params, name: str, kind: type, error: str) -> Any:
    value = _present(p, name)
    if value is not None and not isinstance(value, kind):
        raise bad_request(error)
    return value


def _formatted(
    p: Params, name: str, entities_name: str, *, limit: int, too_long: str, empty: str | None
) -> tuple[str | None, list[dict]]:
    """Text or caption with its parse_mode or explicit entities; empty is an error only when
    `empty` names the error (a caption may be left out)."""
    raw = _present(p, name)
    if raw is None:
        if empty is not None:
            raise bad_request(empty)
        return None, []
    raw = str(raw)
    parse_mode = str(p.get("parse_mode") or "").lower()
    if parse_mode == "html":
        try:
            text, entities = parse_html(raw)
        except EntityParseError as error:
            raise bad_request(str(error)) from None
    elif parse_mode:
        raise bad_request("unsupported parse_mode")
    else:
        text = raw
        entities = _object(p, entities_name, list, f"can't parse {entities_name} JSON object")
        entities = entities or []
    if not text.strip():
        if empty is not None:
            raise bad_request(empty)
        return None, []
    if utf16_len(text) > limit:
        raise bad_request(too_long)
    return text, entities


def _reply_markup(p: Params, *, inline_only: bool = False) -> dict | None:
    markup = _object(p, "reply_markup", dict, "can't parse reply keyboard markup JSON object")
    if markup is None:
        return None
    if "inline_keyboard" in markup:
        return _inline_keyboard(markup["inline_keyboard"])
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        for row in rows:
            for button in row:
                label = button.get("text") if isinstance(button, dict) else button
                if not isinstance(label, str) or not label:
                    raise bad_request("keyboard button text must be a non-empty String")
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_keyboard(rows: Any) -> dict | None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    count = 0
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be a String'
                )
            count += 1
            if not any(action in button for action in _INLINE_ACTIONS):
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not _BUTTON_URL.match(str(button["url"])):
                raise bad_request("BUTTON_URL_INVALID")
    if count > 100:
        raise bad_request("reply markup is too long")
    # An empty keyboard is no keyboard: that is how Telegram removes one in an edit.
    return {"inline_keyboard": rows} if count else None


def _inline_markup(message: StoredMessage) -> dict | None:
    markup = message.reply_markup
    return markup if markup and "inline_keyboard" in markup else None


def _chat(sb: Sandbox, bot: BotState, p: Params) -> Chat:
    """The private chat named by chat_id: one the user opened, or a known sandbox user's."""
    chat_id = _present(p, "chat_id")
    if chat_id is None:
        raise bad_request("chat_id is empty")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        raise bad_request("chat not found")  # e.g. "@channel": the sandbox has private chats only
    chat = bot.chats.get(chat_id)
    if chat is None:
        user = sb.users.get(chat_id)
        if user is None:
            raise bad_request("chat not found")
        chat = bot.chat(user)
    if chat_id in sb.blocked:
        raise ApiError(403, BLOCKED)
    return chat


def _message_id(p: Params) -> int:
    return _int(p, "message_id", "message identifier is not specified")


def _editable(sb: Sandbox, bot: BotState, p: Params) -> tuple[Chat, StoredMessage]:
    if _present(p, "inline_message_id") is not None:
        # Users of the sandbox never send inline results into chats, so no id can be valid.
        raise bad_request("MESSAGE_ID_INVALID")
    chat = _chat(sb, bot, p)
    message = chat.messages.get(_message_id(p))
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _reply_to(chat: Chat, p: Params) -> StoredMessage | None:
    parameters = _object(p, "reply_parameters", dict, "can't parse reply parameters JSON object")
    if parameters is not None:
        message_id = parameters.get("message_id")
        allow_missing = parameters.get("allow_sending_without_reply") is True
    else:
        message_id = _optional_int(p, "reply_to_message_id")
        allow_missing = _bool(p, "allow_sending_without_reply")
    if message_id is None:
        return None
    target = chat.messages.get(message_id) if isinstance(message_id, int) else None
    if target is None or target.deleted:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return target


def _track_reply_keyboard(chat: Chat, markup: dict | None) -> None:
    """The user's client shows the last reply keyboard sent until one removes it."""
    if markup is None:
        return
    if "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup.get("remove_keyboard"):
        chat.reply_keyboard = None


def _acted(
    bot: BotState,
    method: str,
    chat: Chat,
    *,
    message_id: int | None = None,
    answers: bool = True,
    exact_update_id: int | None = None,
    **fields: Any,
) -> None:
    """Record a bot action as an event, marking the update it answers (if `answers`)."""
    update_id = bot.attribute(chat, exact_update_id) if answers else None
    bot.add_event(
        chat.user.id,
        actor="bot",
        method=method,
        message_id=message_id,
        update_id=update_id,
        **fields,
    )


def _message_event(bot: BotState, method: str, chat: Chat, message: StoredMessage) -> None:
    _acted(
        bot,
        method,
        chat,
        message_id=message.message_id,
        text=message.text if message.text is not None else message.caption,
    )


# Identity and lifecycle ---------------------------------------------------------------------


@api_method("getMe")
async def get_me(sb: Sandbox, bot: BotState, p: Params) -> dict:
    return {
        **bot.user_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("logOut")
async def log_out(sb: Sandbox, bot: BotState, p: Params) -> bool:
    return True


@api_method("close")
async def close(sb: Sandbox, bot: BotState, p: Params) -> bool:
    return True


# Getting updates ----------------------------------------------------------------------------


def _apply_allowed_updates(bot: BotState, p: Params) -> None:
    """allowed_updates, when given, holds for updates created from now on; [] means all."""
    allowed = _object(p, "allowed_updates", list, "can't parse allowed_updates JSON object")
    if allowed is not None:
        bot.allowed_updates = frozenset(map(str, allowed)) or None


@api_method("getUpdates")
async def get_updates(sb: Sandbox, bot: BotState, p: Params) -> list[dict]:
    if bot.webhook is not None:
        raise ApiError(409, WEBHOOK_ACTIVE)
    offset = _optional_int(p, "offset")
    limit = min(max(_optional_int(p, "limit") or 100, 1), 100)
    timeout = max(_number(p, "timeout", 0), 0)
    _apply_allowed_updates(bot, p)
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.updates_signal.notify()  # an older long poll wakes, sees the new generation, ends
    if offset is not None:
        bot.confirm(offset)
    deadline = time.monotonic() + timeout
    while True:
        batch = bot.take(limit)
        remaining = deadline - time.monotonic()
        if batch or remaining <= 0 or sb.closing:
            return [record.payload for record in batch]
        await bot.updates_signal.wait(remaining)
        if sb.closing:
            return []
        if bot.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        if bot.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)


async def _stop_webhook(bot: BotState) -> list[UpdateRecord]:
    if bot.webhook is None:
        return []
    left = await bot.webhook.stop()
    bot.webhook = None
    return left


@api_method("setWebhook")
async def set_webhook(sb: Sandbox, bot: BotState, p: Params) -> bool:
    url = str(p.get("url") or "")
    if not url:
        return await delete_webhook(sb, bot, p)
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTP(S) URL must be provided for webhook")
    secret_token = _present(p, "secret_token")
    if secret_token is not None and not _SECRET_TOKEN.fullmatch(str(secret_token)):
        raise bad_request("secret token contains unallowed characters")
    max_connections = _optional_int(p, "max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("invalid max_connections specified")
    _apply_allowed_updates(bot, p)
    left = await _stop_webhook(bot)
    if _bool(p, "drop_pending_updates"):
        waiting: list[UpdateRecord] = []
    else:
        waiting = sorted([*left, *bot.pending], key=lambda record: record.update_id)
        waiting.extend(bot.redeliveries)
    bot.pending.clear()
    bot.redeliveries.clear()
    bot.webhook = WebhookDelivery(
        bot,
        sb.http_session(),
        url,
        secret_token=secret_token,
        max_connections=max_connections,
        allowed_updates=sorted(bot.allowed_updates) if bot.allowed_updates else None,
    )
    for record in waiting:
        bot.webhook.push(record)
    bot.updates_signal.notify()  # a waiting getUpdates now ends with 409
    return True


@api_method("deleteWebhook")
async def delete_webhook(sb: Sandbox, bot: BotState, p: Params) -> bool:
    left = await _stop_webhook(bot)
    if _bool(p, "drop_pending_updates"):
        bot.pending.clear()
        bot.redeliveries.clear()
    else:
        bot.pending = deque(sorted([*left, *bot.pending], key=lambda record: record.update_id))
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(sb: Sandbox, bot: BotState, p: Params) -> dict:
    info: dict[str, Any] = {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": bot.pending_count(),
    }
    webhook = bot.webhook
    if webhook is not None:
        info.update(url=webhook.url, max_connections=webhook.max_connections)
        info["ip_address"] = "127.0.0.1"
        if webhook.allowed_updates:
            info["allowed_updates"] = webhook.allowed_updates
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
    return info


# Messages -----------------------------------------------------------------------------------


@api_method("sendMessage")
async def send_message(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat = _chat(sb, bot, p)
    text, entities = _formatted(
        p,
        "text",
        "entities",
        limit=MAX_TEXT,
        too_long="message is too long",
        empty="message text is empty",
    )
    markup = _reply_markup(p)
    link_preview = _object(
        p, "link_preview_options", dict, "can't parse link preview options JSON object"
    )
    message = bot.add_message(
        chat,
        from_bot=True,
        text=text,
        entities=entities,
        reply_markup=markup,
        reply_to=_reply_to(chat, p),
        link_preview_options=link_preview,
        silent=_bool(p, "disable_notification"),
    )
    _track_reply_keyboard(chat, markup)
    _message_event(bot, "sendMessage", chat, message)
    return bot.message_api(chat, message)


def _check_modified(message: StoredMessage, content: tuple, markup: dict | None) -> None:
    current = (message.text, message.entities, message.caption, message.caption_entities)
    if content == current and markup == _inline_markup(message):
        raise bad_request(NOT_MODIFIED)


def _set_inline_markup(message: StoredMessage, markup: dict | None) -> None:
    # An edit without reply_markup removes the inline keyboard (as in Telegram); a reply
    # keyboard the message was sent with is the client's business and stays.
    if markup is not None or _inline_markup(message) is not None:
        message.reply_markup = markup


@api_method("editMessageText")
async def edit_message_text(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat, message = _editable(sb, bot, p)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = _formatted(
        p,
        "text",
        "entities",
        limit=MAX_TEXT,
        too_long="message is too long",
        empty="message text is empty",
    )
    markup = _reply_markup(p, inline_only=True)
    _check_modified(message, (text, entities, None, []), markup)
    message.text, message.entities = text, entities
    _set_inline_markup(message, markup)
    message.edited()
    _message_event(bot, "editMessageText", chat, message)
    return bot.message_api(chat, message)


@api_method("editMessageCaption")
async def edit_message_caption(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat, message = _editable(sb, bot, p)
    if message.document is None and message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    caption, caption_entities = _formatted(
        p,
        "caption",
        "caption_entities",
        limit=MAX_CAPTION,
        too_long="message caption is too long",
        empty=None,
    )
    markup = _reply_markup(p, inline_only=True)
    _check_modified(message, (None, [], caption, caption_entities), markup)
    message.caption, message.caption_entities = caption, caption_entities
    _set_inline_markup(message, markup)
    message.edited()
    _message_event(bot, "editMessageCaption", chat, message)
    return bot.message_api(chat, message)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat, message = _editable(sb, bot, p)
    markup = _reply_markup(p, inline_only=True)
    if markup == _inline_markup(message):
        raise bad_request(NOT_MODIFIED)
    _set_inline_markup(message, markup)
    message.edited()
    _message_event(bot, "editMessageReplyMarkup", chat, message)
    return bot.message_api(chat, message)


@api_method("deleteMessage")
async def delete_message(sb: Sandbox, bot: BotState, p: Params) -> bool:
    chat = _chat(sb, bot, p)
    message = chat.messages.get(_message_id(p))
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    _acted(bot, "deleteMessage", chat, message_id=message.message_id)
    return True


@api_method("answerCallbackQuery")
async def answer_callback_query(sb: Sandbox, bot: BotState, p: Params) -> bool:
    query_id = str(p.get("callback_query_id") or "")
    record = bot.callbacks.get(query_id)
    if record is None or record.answered:
        raise bad_request(QUERY_TOO_OLD)
    text = _present(p, "text")
    if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    answer = {
        "callback_query_id": query_id,
        "update_id": record.update_id,
        "message_id": record.message_id,
        "text": text,
        "show_alert": _bool(p, "show_alert"),
        "url": _present(p, "url"),
    }
    chat = bot.chats[record.chat_id]
    chat.callback_answers.append(answer)
    _acted(
        bot,
        "answerCallbackQuery",
        chat,
        exact_update_id=record.update_id,
        message_id=record.message_id,
        callback_query_id=query_id,
        text=text,
        show_alert=answer["show_alert"],
    )
    return True


@api_method("sendChatAction")
async def send_chat_action(sb: Sandbox, bot: BotState, p: Params) -> bool:
    chat = _chat(sb, bot, p)
    action = p.get("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    _acted(bot, "sendChatAction", chat, answers=False, action=action)
    return True


@api_method("getChat")
async def get_chat(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat = _chat(sb, bot, p)
    return {**chat.user.chat_api(), "accent_color_id": 0, "max_reaction_count": 11}


# Files --------------------------------------------------------------------------------------


def _upload(sb: Sandbox, p: Params, field: str, kind: str) -> StoredFile:
    value = _present(p, field)
    if value is None:
        raise bad_request(f"there is no {field} in the request")
    if isinstance(value, FileField):
        data = value.file.read()
        if not data:
            raise bad_request("file must be non-empty")
        return sb.files.add(data, kind, value.filename, value.content_type)
    stored = sb.files.get(str(value))
    if stored is None:
        # Also for URLs: the sandbox never fetches from the internet.
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


async def _send_file(sb: Sandbox, bot: BotState, p: Params, method: str, field: str) -> dict:
    chat = _chat(sb, bot, p)
    caption, caption_entities = _formatted(
        p,
        "caption",
        "caption_entities",
        limit=MAX_CAPTION,
        too_long="message caption is too long",
        empty=None,
    )
    markup = _reply_markup(p)
    reply_to = _reply_to(chat, p)
    if field == "photo":
        stored = _upload(sb, p, field, "photos")
        size = image_size(stored.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        media = {"photo": [_photo_size(stored, size)]}
    else:
        stored = _upload(sb, p, field, "documents")
        media = {"document": _document(stored)}
    message = bot.add_message(
        chat,
        from_bot=True,
        caption=caption,
        caption_entities=caption_entities,
        reply_markup=markup,
        reply_to=reply_to,
        silent=_bool(p, "disable_notification"),
        **media,
    )
    _track_reply_keyboard(chat, markup)
    _message_event(bot, method, chat, message)
    return bot.message_api(chat, message)


def _document(stored: StoredFile) -> dict:
    document = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "mime_type": stored.mime_type,
        "file_size": len(stored.data),
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    return document


def _photo_size(stored: StoredFile, size: tuple[int, int]) -> dict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": size[0],
        "height": size[1],
        "file_size": len(stored.data),
    }


@api_method("sendDocument")
async def send_document(sb: Sandbox, bot: BotState, p: Params) -> dict:
    return await _send_file(sb, bot, p, "sendDocument", "document")


@api_method("sendPhoto")
async def send_photo(sb: Sandbox, bot: BotState, p: Params) -> dict:
    return await _send_file(sb, bot, p, "sendPhoto", "photo")


@api_method("getFile")
async def get_file(sb: Sandbox, bot: BotState, p: Params) -> dict:
    stored = sb.files.get(str(p.get("file_id") or ""))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.api()


# Commands and menu --------------------------------------------------------------------------


def _scope_key(sb: Sandbox, bot: BotState, p: Params) -> str:
    """A BotCommandScope as a dictionary key: "default", "chat:42", "chat_member:42:7"."""
    scope = _object(p, "scope", dict, "can't parse BotCommandScope JSON object")
    if scope is None:
        return "default"
    kind = scope.get("type")
    if kind in _SCOPES_WITHOUT_CHAT:
        return kind
    if kind not in ("chat", "chat_administrators", "chat_member"):
        raise bad_request("can't parse BotCommandScope JSON object")
    chat_id = scope.get("chat_id")
    if not isinstance(chat_id, int) or (chat_id not in bot.chats and chat_id not in sb.users):
        raise bad_request("chat not found")
    if kind != "chat_member":
        return f"{kind}:{chat_id}"
    user_id = scope.get("user_id")
    if not isinstance(user_id, int):
        raise bad_request("user not found")
    return f"chat_member:{chat_id}:{user_id}"


def _language(p: Params) -> str:
    language = str(p.get("language_code") or "")
    if not _LANGUAGE_CODE.fullmatch(language):
        raise bad_request("invalid language code specified")
    return language


def menu_for(bot: BotState, chat_id: int, language: str | None) -> list[dict]:
    """The command menu a private chat's user sees, resolved as Telegram documents it."""
    candidates = [f"chat:{chat_id}", "all_private_chats", "default"]
    for scope in candidates:
        for key in ((scope, language or ""), (scope, "")):
            if key in bot.commands:
                return bot.commands[key]
    return []


@api_method("setMyCommands")
async def set_my_commands(sb: Sandbox, bot: BotState, p: Params) -> bool:
    commands = _object(p, "commands", list, "can't parse commands JSON object") or []
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    menu = []
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        menu.append({"command": command["command"], "description": description})
    key = (_scope_key(sb, bot, p), _language(p))
    if menu:
        bot.commands[key] = menu
    else:
        bot.commands.pop(key, None)
    return True


@api_method("getMyCommands")
async def get_my_commands(sb: Sandbox, bot: BotState, p: Params) -> list[dict]:
    return bot.commands.get((_scope_key(sb, bot, p), _language(p)), [])


@api_method("deleteMyCommands")
async def delete_my_commands(sb: Sandbox, bot: BotState, p: Params) -> bool:
    bot.commands.pop((_scope_key(sb, bot, p), _language(p)), None)
    return True


@api_method("setChatMenuButton")
async def set_chat_menu_button(sb: Sandbox, bot: BotState, p: Params) -> bool:
    button = _object(p, "menu_button", dict, "can't parse menu button JSON object")
    if button is not None and button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    if _present(p, "chat_id") is None:
        bot.default_menu_button = button
    else:
        _chat(sb, bot, p).menu_button = button
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(sb: Sandbox, bot: BotState, p: Params) -> dict:
    button = _chat(sb, bot, p).menu_button if _present(p, "chat_id") is not None else None
    return button or bot.default_menu_button or {"type": "commands"}


# Inline mode --------------------------------------------------------------------------------


@api_method("answerInlineQuery")
async def answer_inline_query(sb: Sandbox, bot: BotState, p: Params) -> bool:
    query_id = str(p.get("inline_query_id") or "")
    record = bot.inline_queries.get(query_id)
    if record is None or record.answer is not None:
        raise bad_request(QUERY_TOO_OLD)
    results = _object(p, "results", list, "can't parse inline query results JSON object")
    results = results or []
    if len(results) > 50:
        raise bad_request("RESULTS_TOO_MUCH")
    seen = set()
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("id"), str):
            raise bad_request("can't parse inline query result")
        if result["id"] in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result["id"])
    record.answer = {
        "results": results,
        "cache_time": p.get("cache_time"),
        "is_personal": _bool(p, "is_personal"),
        "next_offset": p.get("next_offset"),
        "button": p.get("button"),
    }
    _acted(
        bot,
        "answerInlineQuery",
        bot.chats[record.user_id],
        exact_update_id=record.update_id,
        inline_query_id=query_id,
        results=len(results),
    )
    return True
