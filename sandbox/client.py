"""Async test client of the sandbox: act as chat users and wait, event-driven, for the bot."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import aiohttp

# After the bot's first answer to an update, the chat counts as settled once it has been quiet
# this long (plus twice the configured delay, which every further bot call also pays).
QUIET_SECONDS = 0.05
# After a press answered silently, how long to wait for what the bot does next.
SILENT_ANSWER_SECONDS = 2.0
LONG_POLL_SECONDS = 25.0


class HandledUpdates:
    """The update ids a bot in this process has finished handling, to wait on."""

    def __init__(self) -> None:
        self._done: set[int] = set()
        self._changed = asyncio.Condition()

    def mark(self, update_id: int) -> None:
        self._done.add(update_id)
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait(self, update_id: int, timeout: float) -> bool:
        """True once `update_id` is handled, False if `timeout` seconds passed first."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: update_id in self._done), timeout
                )
            except TimeoutError:
                return False
        return True


class SandboxError(RuntimeError):
    """The sandbox refused a test API request (bad arguments, unknown message, ...)."""


class SandboxClient:
    """`async with SandboxClient(url, token=None) as sb:`; token None means the bot that last
    called getMe/getUpdates (or the sandbox's default token)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.delay_ms = 0
        self._session: aiohttp.ClientSession | None = None
        # Set when the bot runs in this process (tests): update ids the bot finished handling,
        # fed by its update processor (bot/processor.py, on_handled). Without it, an action
        # counts as answered once the chat has gone quiet.
        self.handled: HandledUpdates | None = None

    async def __aenter__(self) -> SandboxClient:
        # Long polls last up to LONG_POLL_SECONDS; no overall timeout on the session.
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        self.delay_ms = (await self.request("GET", "/sandbox/config"))["delay_ms"]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self, method: str, path: str, body: Any = None, params: dict | None = None
    ) -> Any:
        if self._session is None:
            raise RuntimeError("use SandboxClient as `async with SandboxClient(url) as sb:`")
        params = {key: str(value) for key, value in (params or {}).items() if value is not None}
        if self.token:
            params["token"] = self.token
        async with self._session.request(
            method, self.url + path, json=body, params=params
        ) as response:
            try:
                data = await response.json()
            except (aiohttp.ContentTypeError, ValueError):
                data = {"error": f"{response.status} {await response.text()}"}
            if response.status >= 400:
                raise SandboxError(f"{method} {path}: {data.get('error', data)}")
            return data

    @property
    def quiet_seconds(self) -> float:
        return QUIET_SECONDS + 2 * self.delay_ms / 1000

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        language_code: str = "ko",
        username: str | None = None,
        phone_number: str | None = None,
    ) -> SandboxUser:
        """`phone_number`: the account's own, which share_contact() sends unless given one."""
        user = SandboxUser(self, user_id, first_name, last_name, language_code, username)
        if phone_number:
            user.profile["phone_number"] = phone_number
            SAID.add(phone_number)
        return user

    async def reset(self) -> None:
        await self.request("POST", "/sandbox/reset")

    async def set_delay(self, ms: int) -> None:
        await self.request("POST", "/sandbox/config", {"delay_ms": ms})
        self.delay_ms = ms

    async def add_fault(
        self,
        method: str | None,
        error_code: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        count: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next `count` calls of `method` (None: any method), optionally only to `chat_id`,
        fail with this error; a 429 gets retry_after 1 unless given."""
        fault = {"method": method, "error_code": error_code, "count": count}
        for key, value in (
            ("retry_after", retry_after),
            ("description", description),
            ("chat_id", chat_id),
        ):
            if value is not None:
                fault[key] = value
        await self.request("POST", "/sandbox/faults", fault)

    async def clear_faults(self) -> None:
        await self.request("DELETE", "/sandbox/faults")

    async def block(self, user_id: int, blocked: bool = True) -> None:
        await self.request("POST", "/sandbox/block", {"user_id": user_id, "blocked": blocked})

    async def calls(self, method: str | None = None) -> list[dict]:
        return (await self.request("GET", "/sandbox/calls", params={"method": method}))["calls"]

    async def update_stats(self) -> list[dict]:
        return (await self.request("GET", "/sandbox/updates/stats"))["updates"]

    async def redeliver(self, update_id: int) -> dict:
        return await self.request("POST", "/sandbox/redeliver", {"update_id": update_id})

    async def chat(self, chat_id: int) -> dict:
        return await self.request("GET", f"/sandbox/chats/{chat_id}")

    async def events(self, after: int = 0, timeout: float = 0, chat_id: int | None = None) -> dict:
        """{"events": [...], "last_seq": N}; waits up to `timeout` s for the first new event."""
        params = {"after": after, "timeout": timeout, "chat_id": chat_id}
        return await self.request("GET", "/sandbox/events", params=params)

    async def personas(self) -> list[dict]:
        return await self.request("GET", "/sandbox/personas")

    async def set_personas(self, personas: list[dict]) -> None:
        await self.request("POST", "/sandbox/personas", personas)


# Everything the simulated people said about themselves or wrote: their names and texts.
# tests/conftest.py looks for each in the bot's logs, where none may ever appear.
SAID: set[str] = set()


class SandboxUser:
    """One user's private chat with the bot, seen the way a test wants to assert on it."""

    def __init__(
        self,
        client: SandboxClient,
        user_id: int,
        first_name: str,
        last_name: str | None,
        language_code: str,
        username: str | None,
    ) -> None:
        self.client = client
        self.id = user_id
        self.first_name = first_name
        SAID.update(name for name in (first_name, last_name, username) if name)
        self.profile: dict[str, Any] = {
            "id": user_id,
            "first_name": first_name,
            "language_code": language_code,
        }
        if last_name:
            self.profile["last_name"] = last_name
        if username:
            self.profile["username"] = username
        self.messages: list[dict] = []
        self.callback_answers: list[dict] = []
        self.reply_keyboard: list[str] = []  # labels of the reply keyboard on screen
        self._seq = 0  # the last event seq this user's view reflects

    def __repr__(self) -> str:
        return f"<SandboxUser {self.id} {self.first_name}>"

    # What the user sees ---------------------------------------------------------------------

    @property
    def bot_messages(self) -> list[dict]:
        return [m for m in self.messages if m["from_bot"] and not m["deleted"]]

    @property
    def last_message(self) -> dict | None:
        bot_messages = self.bot_messages
        return bot_messages[-1] if bot_messages else None

    @property
    def last_text(self) -> str:
        """The text (or caption) of the newest bot message; "" if there is none."""
        message = self.last_message
        return _text_of(message) if message else ""

    @property
    def buttons(self) -> list[str]:
        """Labels of the inline keyboard of the newest bot message that has one."""
        for message in reversed(self.bot_messages):
            rows = _inline_rows(message)
            if rows:
                return [button["text"] for row in rows for button in row]
        return []

    async def refresh(self) -> None:
        chat = await self.client.chat(self.id)
        self.messages = chat["messages"]
        self.callback_answers = chat["callback_answers"]
        keyboard = (chat["reply_keyboard"] or {}).get("keyboard", [])
        self.reply_keyboard = [
            button["text"] if isinstance(button, dict) else button
            for row in keyboard
            for button in row
        ]
        self._seq = max(self._seq, chat["last_seq"])

    # What the user does -----------------------------------------------------------------

    async def send(
        self,
        text: str,
        timeout: float = 10.0,
        *,
        formatted: bool = False,
        reply_to: int | None = None,
    ) -> None:
        """Write `text`, then wait for the bot's answer and for the chat to go quiet.
        `formatted`: the text is HTML, as if bold, italic or links were set in the app.
        `reply_to`: a message id of the chat this one answers (Telegram's reply)."""
        SAID.add(text)
        body = {
            "text": text,
            "formatted": True if formatted else None,
            "reply_to_message_id": reply_to,
        }
        await self._act("/sandbox/message", body, timeout, f"message {text!r}")

    async def send_sticker(self, timeout: float = 10.0) -> None:
        await self._act("/sandbox/message", {"sticker": True}, timeout, "a sticker")

    async def send_photo(
        self,
        content: bytes | None = None,
        caption: str | None = None,
        timeout: float = 10.0,
        *,
        reply_to: int | None = None,
        formatted: bool = False,
    ) -> None:
        """Send a photo (a 1x1 PNG unless `content` is given: PNG, GIF or JPEG bytes);
        `reply_to` and `formatted` (the caption is HTML) as for send()."""
        photo: Any = {"base64": base64.b64encode(content).decode()} if content else True
        SAID.update([caption] if caption else [])
        body = {
            "photo": photo,
            "caption": caption,
            "formatted": True if formatted else None,
            "reply_to_message_id": reply_to,
        }
        await self._act("/sandbox/message", body, timeout, "a photo")

    async def send_document(
        self,
        file_name: str,
        content: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        document = {"file_name": file_name, "base64": base64.b64encode(content).decode()}
        if mime_type:
            document["mime_type"] = mime_type
        SAID.update([caption] if caption else [])
        body = {"document": document, "caption": caption}
        await self._act("/sandbox/message", body, timeout, f"the file {file_name!r}")

    async def share_contact(self, phone_number: str | None = None, timeout: float = 10.0) -> None:
        """Press the reply keyboard's request_contact button: share one's own phone number
        (`phone_number`, else the one given to SandboxClient.user), then wait like send().
        The sandbox refuses it unless the bot's reply keyboard on screen has such a button."""
        contact: dict[str, Any] = {"own": True}
        if phone_number is not None:
            SAID.add(phone_number)
            contact["phone_number"] = phone_number
        await self._act("/sandbox/message", {"contact": contact}, timeout, "a shared contact")

    async def edit(self, message_id: int, text: str, timeout: float = 10.0) -> None:
        body = {"message_id": message_id, "text": text}
        await self._act("/sandbox/edit", body, timeout, f"an edit to {text!r}")

    async def inline(self, query: str, timeout: float = 10.0, *, offset: str = "") -> list[dict]:
        """Type `@bot query` (`offset`: what the client sends back to see more); returns the
        results of the bot's answerInlineQuery."""
        body = {"query": query, "offset": offset}
        answer = await self._act("/sandbox/inline", body, timeout, f"@bot {query}")
        inline = await self.client.request("GET", f"/sandbox/inline/{answer['inline_query_id']}")
        return inline["answer"]["results"]

    async def press(self, label_or_fragment: str, timeout: float = 10.0) -> None:
        """Press the first button containing the fragment, on the newest bot message that has
        one; then wait like send()."""
        await self.refresh()
        for message in reversed(self.bot_messages):
            for row in _inline_rows(message):
                for button in row:
                    if label_or_fragment in button["text"]:
                        if "callback_data" not in button:
                            raise AssertionError(
                                f"{self.first_name}: button {button['text']!r} is not a "
                                f"callback button: {button}"
                            )
                        await self.press_data(
                            message["message_id"], button["callback_data"], timeout
                        )
                        return
        visible = [
            [button["text"] for row in _inline_rows(message) for button in row]
            for message in reversed(self.bot_messages)
            if _inline_rows(message)
        ]
        raise AssertionError(
            f"{self.first_name}: no button containing {label_or_fragment!r}; "
            f"visible buttons, newest message first: {visible}"
        )

    async def press_data(self, message_id: int, data: str, timeout: float = 10.0) -> None:
        """Press a button with raw callback data, which need not be on the message."""
        body = {"message_id": message_id, "data": data}
        await self._act("/sandbox/callback", body, timeout, f"a press of {data!r}")

    async def expect(self, fragment: str, timeout: float = 5.0) -> dict:
        """Wait until a bot message (its current text or caption) contains `fragment`."""
        return (await self.expect_many(fragment, 1, timeout))[-1]

    async def expect_many(self, fragment: str, count: int, timeout: float = 5.0) -> list[dict]:
        """Wait until `count` bot messages contain `fragment`; the latest `count`, oldest
        first. (Messages the bot sends on its own come paced: one a second to a chat.)"""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.refresh()
        while True:
            found = [m for m in self.bot_messages if fragment in _text_of(m)]
            if len(found) >= count:
                return found[-count:]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.first_name}: no bot message contains {fragment!r} after "
                    f"{timeout}s (wanted {count}, found {len(found)}); the last ones: "
                    f"{self._recent_texts()}"
                )
            batch = await self.client.events(self._seq, min(remaining, LONG_POLL_SECONDS), self.id)
            if batch["events"]:
                await self.refresh()
            else:
                self._seq = batch["last_seq"]

    # Waiting ------------------------------------------------------------------------------

    async def _act(self, path: str, body: dict, timeout: float, what: str) -> dict:
        body = {key: value for key, value in body.items() if value is not None}
        answer = await self.client.request("POST", path, {"user": self.profile, **body})
        if answer.get("dropped"):
            raise AssertionError(f"{self.first_name}: {what} made no update: {answer['dropped']}")
        await self._wait_for_answer(answer["update_id"], answer["seq"], timeout, what)
        return answer

    async def _wait_for_answer(self, update_id: int, after: int, timeout: float, what: str) -> None:
        """Follow this chat's events until the bot's first answer to the update, then until
        the bot has finished handling it (or, for a bot elsewhere, until the chat is quiet),
        then reload the chat."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        answered = False
        while not answered:
            remaining = deadline - loop.time()
            if remaining <= 0:
                await self.refresh()
                raise AssertionError(
                    f"{self.first_name}: the bot did not answer {what} (update {update_id}) "
                    f"within {timeout}s; the last bot messages: {self._recent_texts()}"
                )
            batch = await self.client.events(after, min(remaining, LONG_POLL_SECONDS), self.id)
            after = batch["last_seq"]
            answers = [
                event
                for event in batch["events"]
                if event["actor"] == "bot" and event.get("update_id") == update_id
            ]
            answered = bool(answers)
        if self.client.handled is not None:
            # The bot runs here and says when it is done: everything it said is in the chat.
            remaining = max(deadline - loop.time(), 0.0)
            if not await self.client.handled.wait(update_id, remaining):
                raise AssertionError(
                    f"{self.first_name}: the bot was still handling {what} (update "
                    f"{update_id}) after {timeout}s"
                )
            await self.refresh()
            return
        if all(_silent_press_answer(event) for event in answers):
            # A press answered without a word is the bot's "got it" before it works: what
            # it says comes next, maybe only after a busy moment. Wait for it a while.
            batch = await self.client.events(after, SILENT_ANSWER_SECONDS, self.id)
            after = batch["last_seq"]
        while True:
            batch = await self.client.events(after, self.client.quiet_seconds, self.id)
            after = batch["last_seq"]
            if not any(event["actor"] == "bot" for event in batch["events"]):
                break
        await self.refresh()

    def _recent_texts(self) -> list[str]:
        return [_text_of(message) for message in self.bot_messages[-3:]]


def _silent_press_answer(event: dict) -> bool:
    return event.get("method") == "answerCallbackQuery" and not event.get("text")


def _text_of(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


def _inline_rows(message: dict) -> list[list[dict]]:
    return (message.get("reply_markup") or {}).get("inline_keyboard", [])
