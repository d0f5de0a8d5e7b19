"""In-memory records of the sandbox: users, chats, messages, updates, events, a bot's state."""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from sandbox.htmltext import render_html

if TYPE_CHECKING:
    from sandbox.webhook import WebhookDelivery


class Signal:
    """Wakes every current waiter at once; each waiter re-checks its own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Return on the next notify() or after `timeout` seconds, whichever is first."""
        event = self._event
        try:
            async with asyncio.timeout(max(timeout, 0)):
                await event.wait()
        except TimeoutError:
            pass


@dataclass
class UserInfo:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone_number: str | None = None  # what sharing one's own contact sends; never in to_api

    def to_api(self) -> dict:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user

    def chat_api(self) -> dict:
        chat = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self, key):
                chat[key] = getattr(self, key)
        return chat


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[dict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict] = field(default_factory=list)
    reply_markup: dict | None = None
    document: dict | None = None
    photo: list[dict] | None = None
    sticker: dict | None = None
    contact: dict | None = None
    reply_to: StoredMessage | None = None
    link_preview_options: dict | None = None
    silent: bool = False
    update_id: int | None = None  # for a user's message: the update that carried it
    edit_count: int = 0
    edit_date: int | None = None
    deleted: bool = False
    _html: str | None = None

    def edited(self) -> None:
        self.edit_count += 1
        self.edit_date = int(time.time())
        self._html = None

    @property
    def html(self) -> str:
        if self._html is None:
            if self.text is not None:
                self._html = render_html(self.text, self.entities)
            else:
                self._html = render_html(self.caption or "", self.caption_entities)
        return self._html

    def to_api(
        self, chat: Chat, sender: dict, *, nested: bool = False, reply_sender: dict | None = None
    ) -> dict:
        """The Message object as Telegram returns it; `reply_sender` is the `from` of the
        message it answers (the bot's own, for a user answering a bot message)."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat.user.chat_api(),
            "from": sender,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.caption is not None:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        for key in ("document", "photo", "sticker", "contact", "link_preview_options"):
            if getattr(self, key) is not None:
                message[key] = getattr(self, key)
        # Telegram echoes only inline keyboards; reply keyboards live on the client.
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        if self.reply_to is not None and not nested:
            message["reply_to_message"] = self.reply_to.to_api(
                chat, reply_sender or sender, nested=True
            )
        return message

    def to_view(self) -> dict:
        """Everything a test or the chat page wants to see about this message."""
        document = None
        if self.document:
            document = {
                "file_name": self.document.get("file_name"),
                "file_id": self.document["file_id"],
                "size": self.document.get("file_size"),
                "mime_type": self.document.get("mime_type"),
            }
        photo = None
        if self.photo:
            largest = self.photo[-1]
            photo = {
                "file_id": largest["file_id"],
                "width": largest["width"],
                "height": largest["height"],
                "size": largest.get("file_size"),
            }
        return {
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "html": self.html,
            "reply_markup": self.reply_markup,
            "date": self.date,
            "edit_count": self.edit_count,
            "deleted": self.deleted,
            "document": document,
            "photo": photo,
            "sticker": self.sticker is not None,
            "contact": self.contact,
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
            "silent": self.silent,
            "update_id": self.update_id,
        }


@dataclass
class Chat:
    """A user's private chat with one bot."""

    user: UserInfo
    messages: dict[int, StoredMessage] = field(default_factory=dict)  # in order of sending
    callback_answers: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)  # this chat's slice of the bot's events
    # Delivered updates still waiting for the bot's first answer, oldest first.
    unanswered: deque[int] = field(default_factory=deque)
    reply_keyboard: dict | None = None  # the keyboard the user's client currently shows
    menu_button: dict | None = None


@dataclass(slots=True)
class UpdateRecord:
    update_id: int
    chat_id: int
    kind: str
    payload: dict
    queued_at: float
    delivered_at: float | None = None
    answered_at: float | None = None

    def stats(self) -> dict:
        return {
            "update_id": self.update_id,
            "chat_id": self.chat_id,
            "kind": self.kind,
            "queued_at": self.queued_at,
            "delivered_at": self.delivered_at,
            "answered_at": self.answered_at,
        }


@dataclass
class Fault:
    """An injected failure: the next `count` matching Bot API calls get this answer."""

    method: str | None  # lower-case method name; None matches every method
    error_code: int
    description: str
    retry_after: int | None
    count: int
    chat_id: int | None

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is not None and self.method != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass
class CallbackRecord:
    update_id: int
    chat_id: int
    message_id: int
    answered: bool = False


@dataclass
class InlineQueryRecord:
    update_id: int
    user_id: int
    query: str
    answer: dict | None = None


class BotState:
    """Everything the sandbox keeps for one bot token."""

    def __init__(self, token: str, username: str, first_name: str) -> None:
        self.token = token
        self.id = int(token.split(":", 1)[0])
        self.username = username
        self.first_name = first_name
        self.chats: dict[int, Chat] = {}
        self.updates: dict[int, UpdateRecord] = {}
        self.pending: deque[UpdateRecord] = deque()  # polling: unconfirmed, in update_id order
        self.redeliveries: deque[UpdateRecord] = deque()  # handed out once, ahead of pending
        self.updates_signal = Signal()
        self.events_signal = Signal()
        self.poll_generation = 0  # a newer getUpdates call ends an older one with 409
        self.allowed_updates: frozenset[str] | None = None
        self.webhook: WebhookDelivery | None = None
        self.callbacks: dict[str, CallbackRecord] = {}
        self.inline_queries: dict[str, InlineQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}  # (scope key, language) -> menu
        self.default_menu_button: dict | None = None
        self.faults: list[Fault] = []
        self.events: list[dict] = []
        self.calls: list[dict] = []
        self.calls_by_method: dict[str, list[dict]] = {}
        # Counters survive reset(): a running bot's getUpdates offset and any message ids
        # it remembers must never meet a reused number.
        self.last_update_id = 0
        self.last_seq = 0
        self.message_counters: dict[int, int] = {}

    def reset(self) -> None:
        """Forget chats, updates and logs; keep identity, webhook and bot-wide settings.
        (The webhook's undelivered updates are dropped by the caller: that needs to await.)"""
        self.chats.clear()
        self.updates.clear()
        self.pending.clear()
        self.redeliveries.clear()
        self.callbacks.clear()
        self.inline_queries.clear()
        self.faults.clear()
        self.events.clear()
        self.calls.clear()
        self.calls_by_method.clear()
        # Chat-scoped menus name a chat ("chat:42"); bot-wide ones ("default") stay.
        self.commands = {key: menu for key, menu in self.commands.items() if ":" not in key[0]}
        self.events_signal.notify()

    def user_api(self) -> dict:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def chat(self, user: UserInfo) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = Chat(user=user)
        return chat

    def add_message(self, chat: Chat, *, from_bot: bool, **fields: Any) -> StoredMessage:
        message_id = self.message_counters.get(chat.user.id, 0) + 1
        self.message_counters[chat.user.id] = message_id
        message = StoredMessage(
            message_id=message_id,
            chat_id=chat.user.id,
            from_bot=from_bot,
            date=int(time.time()),
            **fields,
        )
        chat.messages[message_id] = message
        return message

    def sender(self, message: StoredMessage, chat: Chat) -> dict:
        return self.user_api() if message.from_bot else chat.user.to_api()

    def message_api(self, chat: Chat, message: StoredMessage) -> dict:
        answered = message.reply_to
        reply_sender = self.sender(answered, chat) if answered is not None else None
        return message.to_api(chat, self.sender(message, chat), reply_sender=reply_sender)

    # Updates -----------------------------------------------------------------------------

    def enqueue(self, kind: str, chat_id: int, body: dict) -> UpdateRecord | None:
        """Create an update; None when the bot's allowed_updates exclude this kind."""
        if self.allowed_updates is not None and kind not in self.allowed_updates:
            return None
        self.last_update_id += 1
        record = UpdateRecord(
            update_id=self.last_update_id,
            chat_id=chat_id,
            kind=kind,
            payload={"update_id": self.last_update_id, kind: body},
            queued_at=time.monotonic(),
        )
        self.updates[record.update_id] = record
        self.deliver(record)
        return record

    def deliver(self, record: UpdateRecord, *, again: bool = False) -> None:
        """Queue for the bot: to the webhook if one is set, otherwise for getUpdates."""
        if self.webhook is not None:
            self.webhook.push(record)
        elif again:
            self.redeliveries.append(record)
        else:
            self.pending.append(record)
        self.updates_signal.notify()

    def confirm(self, offset: int) -> None:
        """getUpdates' offset: updates before it were processed and are forgotten."""
        if offset < 0:
            while len(self.pending) > -offset:
                self.pending.popleft()
            return
        while self.pending and self.pending[0].update_id < offset:
            self.pending.popleft()

    def take(self, limit: int) -> list[UpdateRecord]:
        batch = []
        # Redeliveries first: PTB sets its next offset from the last update of a batch.
        while self.redeliveries and len(batch) < limit:
            batch.append(self.redeliveries.popleft())
        batch.extend(islice(self.pending, limit - len(batch)))
        now = time.monotonic()
        for record in batch:
            self.mark_delivered(record, now)
        return batch

    def mark_delivered(self, record: UpdateRecord, now: float) -> None:
        if record.delivered_at is not None:
            return
        record.delivered_at = now
        # Inline queries are answered only by answerInlineQuery, never by a chat message.
        chat = self.chats.get(record.chat_id)
        if record.kind != "inline_query" and chat is not None:
            chat.unanswered.append(record.update_id)

    def attribute(self, chat: Chat | None, exact_update_id: int | None = None) -> int | None:
        """Mark the update this bot call answers and return its id (see the README of stats):
        the given update if any, else the oldest delivered unanswered update of the chat."""
        now = time.monotonic()
        if exact_update_id is not None:
            record = self.updates.get(exact_update_id)
            if record is not None and record.answered_at is None:
                record.answered_at = now
                return record.update_id
            return None
        if chat is None:
            return None
        while chat.unanswered:
            record = self.updates.get(chat.unanswered.popleft())
            if record is not None and record.answered_at is None:
                record.answered_at = now
                return record.update_id
        return None

    def pending_count(self) -> int:
        if self.webhook is not None:
            return self.webhook.pending_count
        return len(self.pending) + len(self.redeliveries)

    # Events and calls ---------------------------------------------------------------------

    def add_event(self, chat_id: int | None, **fields: Any) -> dict:
        self.last_seq += 1
        event = {"seq": self.last_seq, "t": time.monotonic(), "chat_id": chat_id, **fields}
        self.events.append(event)
        chat = self.chats.get(chat_id) if chat_id is not None else None
        if chat is not None:
            chat.events.append(event)
        self.events_signal.notify()
        return event

    def events_after(self, after: int, chat_id: int | None) -> list[dict]:
        if chat_id is None:
            events = self.events
        else:
            chat = self.chats.get(chat_id)
            events = chat.events if chat is not None else []
        start = bisect.bisect_right(events, after, key=lambda event: event["seq"])
        return events[start:]

    def log_call(self, method: str, params: dict, answer: dict) -> None:
        call = {"t": time.monotonic(), "method": method, "params": params, "ok": answer["ok"]}
        if not answer["ok"]:
            call["error_code"] = answer["error_code"]
            call["description"] = answer["description"]
        self.calls.append(call)
        self.calls_by_method.setdefault(method, []).append(call)
