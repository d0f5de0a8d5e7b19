"""Parameter helpers shared by the Bot API methods: reading, validating, recording."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sandbox.botapi.common import (
    BLOCKED,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_TEXT,
    ApiError,
    Params,
    bad_request,
)
from sandbox.htmltext import EntityParseError, parse_html, utf16_len
from sandbox.state import BotState, Chat, StoredMessage

if TYPE_CHECKING:
    from sandbox.server.core import Sandbox

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
# A formatted field: its entities' field, its limit, and the errors when it is too long and
# when it is empty (None: it may be left out).
_FORMATTED = {
    "text": ("entities", MAX_TEXT, "message is too long", "message text is empty"),
    "caption": ("caption_entities", MAX_CAPTION, "message caption is too long", None),
}


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


def _formatted(p: Params, name: str) -> tuple[str | None, list[dict]]:
    """The text or the caption (`name`) with its parse_mode or explicit entities; empty, it is
    an error for a text (a caption may be left out)."""
    entities_name, limit, too_long, empty = _FORMATTED[name]
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


def _send(bot: BotState, method: str, chat: Chat, p: Params, markup: dict | None, **fields) -> dict:
    """The bot's message in the chat, sent by `method` with `fields` (its content, what it
    replies to) and `markup`: recorded as an event, answered as the Message."""
    silent = _bool(p, "disable_notification")
    message = bot.add_message(chat, from_bot=True, reply_markup=markup, silent=silent, **fields)
    _track_reply_keyboard(chat, markup)
    _message_event(bot, method, chat, message)
    return bot.message_api(chat, message)


def _message_event(bot: BotState, method: str, chat: Chat, message: StoredMessage) -> None:
    _acted(
        bot,
        method,
        chat,
        message_id=message.message_id,
        text=message.text if message.text is not None else message.caption,
    )
