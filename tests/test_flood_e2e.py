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
    # Five at once, refilled in a second: a flood's rest is short enough for a test.
    settings = make_settings(db_url, sandbox.api_base, flood_rate=5, flood_burst=5)
    async with running_bot(settings) as application:
        seen: list[int] = []
        sandbox.handled = HandledUpdates()

        def mark(update_id: int) -> None:
            seen.append(update_id)
            sandbox.handled.mark(update_id)

        application.update_processor.on_handled = mark
        # When the gate weighed each of the flooder's updates: on a loaded machine the bot
        # may take a while over twenty, and the bucket refills meanwhile (5 a second).
        guard, weighed = application.bot_data["flood"], []
        check = guard.check

        def timed_check(person: int, at: float) -> str:
            if person == 9101:
                weighed.append(at)
            return check(person, at)

        guard.check = timed_check
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
        # The burst, and what refilled while the gate was at it (one token at least).
        refilled = max(1, int((weighed[-1] - weighed[0]) * 5) + 1)
        assert 5 <= len(texts) - 1 <= 5 + refilled, (len(texts), weighed[-1] - weighed[0])
        await asyncio.sleep(1.5)  # a pause fills the bucket: the flooder is a person again
        await sandbox.request("POST", "/sandbox/message", {"user": flooder, "text": "/help"})
        await wait_until(lambda: len(seen) >= 22)
        assert len(await bot_texts(sandbox, 9101)) == len(texts) + 1
        sandbox.handled = None


def test_a_long_flood_is_told_once_and_dropped_until_a_pause():
    """Twice the rate for a minute: past the burst, told once and nothing more let through
    while the flood goes on (not each time a token comes back); after a pause that fills the
    bucket, a new flood is told again."""
    guard = FloodGuard(rate=3, burst=20)
    verdicts = [guard.check(7, n / 6) for n in range(360)]  # 6 a second for 60 s
    assert verdicts.count("tell") == 1
    # Let through while the bucket lasts: 20 tokens drained at 6 - 3 a second, 6.7 s of six
    # a second; then nothing for the other 53 s.
    assert 38 <= verdicts.count("ok") <= 41
    assert "ok" not in verdicts[45:]
    later = 60 + 20 / 3 + 1  # quiet long enough to fill the bucket
    again = [guard.check(7, later + n / 100) for n in range(30)]
    assert again.count("tell") == 1


def test_a_flood_goes_on_dropped_at_the_door_until_a_pause():
    """The webhook's door check costs a token like the gate's drop: a flood that goes on
    past the gate's word never gets through, and a pause of burst / rate lets them back."""
    guard = FloodGuard(rate=3, burst=20)
    assert [guard.check(7, 0) for _ in range(21)][-1] == "tell"
    assert all(guard.silenced(7, n / 10) for n in range(1, 600))  # ten a second for a minute
    assert not guard.silenced(7, 60 + 20 / 3 + 0.1) and guard.check(7, 67) == "ok"
