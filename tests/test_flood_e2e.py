"""One person flooding the bot is told once, kindly, and the excess is dropped before it
costs a database write; everyone else is answered as usual (handlers/gate.py FloodGuard)."""

from __future__ import annotations

import asyncio

from bot.runner import running_bot
from handlers.gate import FloodGuard
from sandbox.client import HandledUpdates
from tests.conftest import make_settings, wait_until

SLOW_DOWN = "한꺼번에 너무 많이 왔어요"


async def bot_texts(sandbox, chat_id: int) -> list[str]:
    chat = await sandbox.chat(chat_id)
    return [m.get("text", "") for m in chat["messages"] if m["from_bot"]]


async def test_a_flooder_is_told_once_and_others_are_answered(sandbox, db_url, demo):
    settings = make_settings(db_url, sandbox.api_base, flood_rate=1, flood_burst=5)
    async with running_bot(settings) as application:
        seen: list[int] = []
        sandbox.handled = HandledUpdates()

        def mark(update_id: int) -> None:
            seen.append(update_id)
            sandbox.handled.mark(update_id)

        application.update_processor.on_handled = mark
        flooder = {"id": 9101, "first_name": "봇", "language_code": "ko"}
        for _ in range(20):  # as fast as a script sends: no waiting for answers
            await sandbox.request("POST", "/sandbox/message", {"user": flooder, "text": "/help"})
        other = sandbox.user(9102, "서준")
        await other.send("/help")  # answered while the flood is dropped
        assert other.bot_messages  # the guest's help
        await wait_until(lambda: len(seen) >= 21, timeout=10)
        texts = await bot_texts(sandbox, 9101)
        told = [t for t in texts if SLOW_DOWN in t]
        assert len(told) == 1
        assert 5 <= len(texts) - 1 <= 7  # the burst, and what a second refilled meanwhile
        await asyncio.sleep(1.5)  # the bucket refills: the flooder is a person again
        await sandbox.request("POST", "/sandbox/message", {"user": flooder, "text": "/help"})
        await wait_until(lambda: len(seen) >= 22)
        assert len(await bot_texts(sandbox, 9101)) == len(texts) + 1
        sandbox.handled = None


def test_a_long_flood_is_told_once_and_a_pause_starts_afresh():
    """Twice the rate for a minute: told once, not each time a token comes back; after a
    pause that fills the bucket, a new flood is told again."""
    guard = FloodGuard(rate=3, burst=20)
    verdicts = [guard.check(7, n / 6) for n in range(360)]  # 6 a second for 60 s
    assert verdicts.count("tell") == 1
    assert 20 + 3 * 60 - 2 <= verdicts.count("ok") <= 20 + 3 * 60 + 1
    later = 60 + 20 / 3 + 1  # quiet long enough to fill the bucket
    again = [guard.check(7, later + n / 100) for n in range(30)]
    assert again.count("tell") == 1
