"""The sandbox's state and behaviour: bots by token, users and what they do, faults, views."""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.botapi import METHODS, ApiError, loggable, menu_for, normalize
from sandbox.files import TINY_PNG, FileStore, image_size
from sandbox.htmltext import parse_html, utf16_len
from sandbox.server.contacts import TestApiError, contact_of, phone_number
from sandbox.state import (
    BotState,
    CallbackRecord,
    Chat,
    Fault,
    InlineQueryRecord,
    StoredMessage,
    UpdateRecord,
    UserInfo,
)

DEFAULT_BOT_USERNAME = "jinro_demo_bot"
DEFAULT_BOT_FIRST_NAME = "Jinro"
_TOKEN = re.compile(r"\d{1,20}:[A-Za-z0-9_-]+")
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_FAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: injected fault",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class Sandbox:
    """All state of the sandbox, in memory: bots by token, users, files, personas, config."""

    def __init__(
        self,
        *,
        delay_ms: int = 0,
        personas: list[dict] | None = None,
        token: str | None = None,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = DEFAULT_BOT_FIRST_NAME,
    ) -> None:
        self.delay_ms = delay_ms
        self.default_token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bots: dict[str, BotState] = {}
        self.active_token: str | None = None  # the bot that called getMe/getUpdates last
        self.users: dict[int, UserInfo] = {}
        self.blocked: set[int] = set()
        self.files = FileStore()
        self.personas: list[dict] = []
        self.closing = False
        self._session: aiohttp.ClientSession | None = None
        self._query_count = 0  # callback and inline query ids; never reused
        self.set_personas(personas or [])

    # Bots -------------------------------------------------------------------------------

    def bot(self, token: str) -> BotState:
        bot = self.bots.get(token)
        if bot is None:
            bot = self.bots[token] = BotState(token, self.bot_username, self.bot_first_name)
        return bot

    def resolve_bot(self, token: str | None) -> BotState:
        """The bot a test API request means: the one named, else the most recently active."""
        token = token or self.active_token or self.default_token
        if token is None:
            raise TestApiError(409, 'no bot has connected yet (or pass "token")')
        if not _TOKEN.fullmatch(token):
            raise TestApiError(400, f"not a bot token: {token!r}")
        return self.bot(token)

    def http_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def call(self, token: str, method: str, params: dict[str, Any]) -> dict:
        """Answer one Bot API request, as Telegram would: the delay, then faults, then the work."""
        bot = self.bot(token)
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        entry = METHODS.get(method.lower())
        if entry is None:
            answer = {"ok": False, "error_code": 404, "description": "Not Found"}
            bot.log_call(method, loggable(params), answer)
            return answer
        name, handler = entry
        if name in ("getMe", "getUpdates"):
            self.active_token = token
        params = normalize(params)
        try:
            self._inject_fault(bot, name, params)
            answer = {"ok": True, "result": await handler(self, bot, params)}
        except ApiError as error:
            answer = error.answer()
            chat_id = params.get("chat_id")
            if isinstance(chat_id, int) and chat_id in bot.chats:
                # Shown on the chat page, and counted by benchmarks (429s, 403s).
                bot.add_event(
                    chat_id,
                    actor="bot",
                    method=name,
                    error_code=error.error_code,
                    description=error.description,
                )
        bot.log_call(name, loggable(params), answer)
        return answer

    def _inject_fault(self, bot: BotState, method: str, params: dict[str, Any]) -> None:
        chat_id = params.get("chat_id")
        chat_id = chat_id if isinstance(chat_id, int) else None
        for fault in bot.faults:
            if fault.matches(method, chat_id):
                fault.count -= 1
                if fault.count <= 0:
                    bot.faults.remove(fault)
                raise ApiError(fault.error_code, fault.description, retry_after=fault.retry_after)

    def add_fault(self, bot: BotState, spec: dict) -> Fault:
        error_code = int(spec.get("error_code", 429))
        retry_after = spec.get("retry_after")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        description = spec.get("description")
        if not description:
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _FAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
        method = spec.get("method")
        fault = Fault(
            method=None if method in (None, "", "*") else str(method).lower(),
            error_code=error_code,
            description=description,
            retry_after=None if retry_after is None else int(retry_after),
            count=int(spec.get("count", 1)),
            chat_id=None if spec.get("chat_id") is None else int(spec["chat_id"]),
        )
        bot.faults.append(fault)
        return fault

    # Users and what they do ---------------------------------------------------------------

    def register_user(self, data: Any) -> UserInfo:
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise TestApiError(400, '"user" must be an object with an integer "id"')
        user = self.users.get(data["id"])
        if user is None:
            user = self.users[data["id"]] = UserInfo(id=data["id"], first_name="")
        for key in ("first_name", "last_name", "username", "language_code"):
            if key in data:
                setattr(user, key, data[key])
        if data.get("phone_number") is not None:  # kept: what sharing one's own contact sends
            user.phone_number = phone_number(data["phone_number"])
        if not user.first_name:
            user.first_name = f"User {user.id}"
        return user

    def set_personas(self, personas: list[dict]) -> None:
        for persona in personas:
            if not isinstance(persona, dict) or not isinstance(persona.get("id"), int):
                raise TestApiError(400, 'each persona needs an integer "id"')
            self.register_user({"language_code": "ko", **persona})
        self.personas = personas

    def user_message(self, bot: BotState, body: dict) -> dict:
        user = self.register_user(body.get("user"))
        # Writing to a bot one blocked unblocks it, as in Telegram.
        self.blocked.discard(user.id)
        chat = bot.chat(user)
        fields: dict[str, Any] = {}
        answered = body.get("reply_to_message_id")
        if answered is not None:  # the user answers one of the chat's messages (Telegram's reply)
            target = chat.messages.get(answered) if isinstance(answered, int) else None
            if target is None or target.deleted:
                raise TestApiError(404, "no message with that reply_to_message_id in this chat")
            fields["reply_to"] = target
        kind = "text"
        if body.get("sticker"):
            kind = "sticker"
            stored = self.files.add(TINY_PNG, "stickers", None, "image/png")
            fields["sticker"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        elif body.get("photo"):
            kind = "photo"
            spec = body["photo"] if isinstance(body["photo"], dict) else {}
            data = _decode_content(spec) or TINY_PNG
            size = image_size(data)
            if size is None:
                raise TestApiError(400, "photo content is not a PNG, GIF or JPEG image")
            stored = self.files.add(data, "photos", spec.get("file_name"), spec.get("mime_type"))
            fields["photo"] = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": size[0],
                    "height": size[1],
                    "file_size": len(data),
                }
            ]
        elif body.get("document"):
            kind = "document"
            spec = body["document"]
            if not isinstance(spec, dict) or not spec.get("file_name"):
                raise TestApiError(400, '"document" needs "file_name" and "text" or "base64"')
            data = _decode_content(spec)
            stored = self.files.add(data, "documents", spec["file_name"], spec.get("mime_type"))
            fields["document"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.file_name,
                "mime_type": stored.mime_type,
                "file_size": len(data),
            }
        elif body.get("contact") is not None:
            kind = "contact"
            fields["contact"] = contact_of(body["contact"], user, chat)
        if kind == "text":
            text = body.get("text")
            if not isinstance(text, str) or not text:
                raise TestApiError(400, 'give "text", "sticker", "photo", "document" or "contact"')
            fields.update(text=text, entities=_command_entities(text))
            if body.get("formatted"):  # formatted in the app (bold, links): given as HTML
                try:
                    fields["text"], fields["entities"] = parse_html(text)
                except ValueError as error:
                    raise TestApiError(400, f"formatted text: {error}") from None
        elif kind != "contact" and body.get("caption"):  # Telegram's contacts have no caption
            fields["caption"] = str(body["caption"])
            if body.get("formatted"):  # a caption formatted in the app, given as HTML
                try:
                    fields["caption"], fields["caption_entities"] = parse_html(fields["caption"])
                except ValueError as error:
                    raise TestApiError(400, f"formatted caption: {error}") from None
        message = bot.add_message(chat, from_bot=False, **fields)
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        ids = {"message_id": message.message_id}
        shown = ids | {"text": _shown_text(message)}
        record, answer = _queue(bot, user, "message", bot.message_api(chat, message), shown, **ids)
        message.update_id = record.update_id if record else None
        return answer

    def user_edit(self, bot: BotState, body: dict) -> dict:
        user, chat, message = self._message_in_chat(bot, body)
        if message is None or message.deleted or message.from_bot or message.text is None:
            raise TestApiError(404, "no text message of this user with that message_id")
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise TestApiError(400, '"text" must be a non-empty string')
        message.text, message.entities = text, _command_entities(text)
        message.edited()
        ids = {"message_id": message.message_id}
        update, shown = bot.message_api(chat, message), ids | {"text": text}
        return _queue(bot, user, "edited_message", update, shown, **ids)[1]

    def user_callback(self, bot: BotState, body: dict) -> dict:
        user, chat, message = self._message_in_chat(bot, body)
        if message is None or message.deleted or not message.from_bot:
            raise TestApiError(404, "no bot message with that message_id in this user's chat")
        data = body.get("data")
        if not isinstance(data, str):
            raise TestApiError(400, '"data" must be a string')
        # Forged presses are allowed (the bot must cope with them) but marked as such.
        forged = not _has_callback(message.reply_markup, data)
        query_id = self._next_query_id()
        callback = {
            "id": query_id,
            "from": user.to_api(),
            "message": bot.message_api(chat, message),
            "chat_instance": f"{bot.id}{user.id}",
            "data": data,
        }
        ids = {"callback_query_id": query_id, "forged": forged}
        shown = {"message_id": message.message_id, "callback_query_id": query_id, "data": data}
        record, answer = _queue(bot, user, "callback_query", callback, shown | ids, **ids)
        if record is not None:
            bot.callbacks[query_id] = CallbackRecord(record.update_id, user.id, message.message_id)
        return answer

    def user_inline(self, bot: BotState, body: dict) -> dict:
        user = self.register_user(body.get("user"))
        bot.chat(user)  # inline answers are recorded with the user's chat
        query = str(body.get("query", ""))
        query_id = self._next_query_id()
        inline_query = {
            "id": query_id,
            "from": user.to_api(),
            "query": query,
            "offset": str(body.get("offset", "")),
            "chat_type": "sender",
        }
        shown = {"inline_query_id": query_id, "text": query}
        record, answer = _queue(
            bot, user, "inline_query", inline_query, shown, inline_query_id=query_id
        )
        if record is not None:
            bot.inline_queries[query_id] = InlineQueryRecord(record.update_id, user.id, query)
        return answer

    def _message_in_chat(
        self, bot: BotState, body: dict
    ) -> tuple[UserInfo, Chat | None, StoredMessage | None]:
        """The user acting, their chat with the bot, and the message of it `message_id` names."""
        user = self.register_user(body.get("user"))
        chat = bot.chats.get(user.id)
        return user, chat, chat.messages.get(body.get("message_id")) if chat else None

    def _next_query_id(self) -> str:
        self._query_count += 1
        return str(4_000_000_000_000_000 + self._query_count)

    def redeliver(self, bot: BotState, update_id: Any) -> dict:
        record = bot.updates.get(update_id) if isinstance(update_id, int) else None
        if record is None:
            raise TestApiError(404, f"no update {update_id!r}")
        bot.deliver(record, again=True)
        return {"update_id": record.update_id, "seq": bot.last_seq}

    # Views ------------------------------------------------------------------------------

    def chat_view(self, bot: BotState, chat_id: int) -> dict:
        chat = bot.chats.get(chat_id)
        user = chat.user if chat else self.users.get(chat_id)
        language = user.language_code if user else None
        return {
            "chat_id": chat_id,
            "user": user.to_api() if user else None,
            "blocked": chat_id in self.blocked,
            "messages": [message.to_view() for message in chat.messages.values()] if chat else [],
            "callback_answers": chat.callback_answers if chat else [],
            "reply_keyboard": chat.reply_keyboard if chat else None,
            "commands": menu_for(bot, chat_id, language),
            "last_seq": bot.last_seq,
        }

    async def reset(self) -> None:
        """Forget everything but config, personas and the bots' own settings (see BotState)."""
        for bot in self.bots.values():
            bot.reset()
            if bot.webhook is not None:
                await bot.webhook.drop_pending()
        persona_ids = {persona["id"] for persona in self.personas}
        self.users = {uid: user for uid, user in self.users.items() if uid in persona_ids}
        self.blocked.clear()
        self.files.clear()

    async def close(self) -> None:
        """Wake every long poll so the server can stop at once; stop webhook deliveries."""
        self.closing = True
        for bot in self.bots.values():
            bot.updates_signal.notify()
            bot.events_signal.notify()
            if bot.webhook is not None:
                await bot.webhook.stop()
        if self._session is not None:
            await self._session.close()


def _queue(
    bot: BotState, user: UserInfo, kind: str, update: dict, shown: dict, **fields: Any
) -> tuple[UpdateRecord | None, dict]:
    """A user action: its update of `kind` queued for the bot (None when the bot's
    allowed_updates exclude the kind) and its event for the chat page, showing `shown`.
    Returns the update and the answer to the action: the update it made (or why none), the
    event seq to wait after for the bot's answer, and `fields`."""
    record = bot.enqueue(kind, user.id, update)
    update_id = record.update_id if record else None
    # The event names the message it is about (if any), then the update, then the rest.
    event_fields = {key: shown[key] for key in ("message_id",) if key in shown}
    event_fields |= {"update_id": update_id} | shown
    event = bot.add_event(user.id, actor="user", method=kind, **event_fields)
    answer = {"update_id": update_id, "seq": event["seq"], **fields}
    if record is None:
        answer["dropped"] = f"the bot's allowed_updates exclude {kind}"
    return record, answer


def _command_entities(text: str) -> list[dict]:
    match = _COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def _shown_text(message: StoredMessage) -> str | None:
    """What a user message's event shows on the chat page: its text, caption or contact."""
    if message.contact is not None:
        return "📱 " + message.contact["phone_number"]
    return message.text if message.text is not None else message.caption


def _decode_content(spec: dict) -> bytes:
    if "base64" in spec:
        try:
            return base64.b64decode(spec["base64"], validate=True)
        except (binascii.Error, TypeError):
            raise TestApiError(400, '"base64" is not valid base64') from None
    return str(spec.get("text", "")).encode()


def _has_callback(markup: dict | None, data: str) -> bool:
    rows = (markup or {}).get("inline_keyboard", [])
    return any(button.get("callback_data") == data for row in rows for button in row)


# The Sandbox an application serves, for the route handlers.
SANDBOX = web.AppKey("sandbox", Sandbox)
