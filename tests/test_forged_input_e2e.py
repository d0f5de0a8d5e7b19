"""Whatever a Telegram client can send, forged: random callback data (shaped like every
declared button, or not at all), deep links and inline offsets, from a guest, a student and
staff. No handler fails (the autouse no_handler_errors fixture) and nothing of the
programme changes (every table but the people's own rows and the logs is the same after).

Hypothesis draws the inputs; its examples run on the bot's event loop from a worker thread,
one at a time, against one running bot (building a bot per example would take minutes)."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.runner import running_bot
from handlers.common import buttons
from sandbox.client import HandledUpdates
from storage.models import Base
from tests.conftest import ADMIN_ID, join_as_student, make_settings

# What a press or a link may rightly change without being a change of the programme: the
# presser's own row (language, step), reminder choices, the fields a student looked at (a
# shared link may name a real programme: opening its card notes the interest, for /foryou),
# the logs of what happened, and the count of replies sent (the shared pace).
UNCHANGED_EXCEPT = {
    "users",
    "reminder_opt_outs",
    "field_interests",
    "processed_updates",
    "audit_log",
    "send_pace",
}
EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no example files written into the checkout
    derandomize=True,  # the same examples on every run: CI fails for a reason, not a seed
    suppress_health_check=list(HealthCheck),
)


def _not_a_real_id(text: str) -> bool:
    """Not the id of a row the test world has (a real one could rightly book a seat)."""
    return not (text.isascii() and text.isdigit() and 0 < int(text) < 10**6)


# A field as a forger writes it: digits of every script, signs, huge numbers, words, and
# ids beyond any row of the test (a real id could rightly book a seat).
FIELD = st.one_of(
    st.integers(10**6, 2**31 - 1).map(str),
    st.integers(-(2**70), 2**70).map(str).filter(_not_a_real_id),
    st.text(alphabet="0123456789²٣３-+.e_xa가", min_size=0, max_size=24).filter(_not_a_real_id),
    st.sampled_from(["", "0", "00", "1e9", "NaN", "-", "all", "pass", "ko", "student"]),
)


@st.composite
def forged_data(draw) -> str:
    """Callback data shaped like a declared button (its prefix and action, fields drawn
    anyhow), or any text that fits Telegram's 64 bytes."""
    if draw(st.booleans()):
        data = draw(st.text(max_size=64))
    else:
        family = draw(st.sampled_from(sorted(buttons.FAMILIES)))
        button = draw(st.sampled_from(list(buttons.FAMILIES[family].buttons.values())))
        count = len(button.fields) + draw(st.integers(-1, 1))
        fields = [draw(FIELD) for _ in range(max(count, 0))]
        data = ":".join([button.name, *fields])
    data = data.encode()[:64].decode(errors="ignore")
    return data or "x"


@pytest.fixture
async def bot(sandbox, db_url, demo):
    """The bot, with the flood guard opened wide: Hypothesis presses far faster than a
    person, and a dropped update would only say that the guard works (tests/test_flood_e2e)."""
    settings = make_settings(db_url, sandbox.api_base)
    async with running_bot(settings) as application:
        sandbox.handled = HandledUpdates()
        application.update_processor.on_handled = sandbox.handled.mark
        yield application
        sandbox.handled = None


async def programme_state(db) -> dict[str, str]:
    """A digest of each table that presses and links must not change, by table."""
    digests = {}
    async with db.read() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in UNCHANGED_EXCEPT or table.name.startswith("inbox"):
                continue
            rows = (await conn.execute(select(table))).all()
            digests[table.name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return digests


async def people(sandbox):
    student = await join_as_student(sandbox, 7701, "김민지")
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/start")
    guest = sandbox.user(7702, "손님")
    await guest.send("/help")
    return [student, staff, guest]


def on_the_loop(loop):
    def run(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

    return run


async def test_forged_presses_fail_nothing_and_change_nothing(bot, sandbox, db):
    who = await people(sandbox)
    before = await programme_state(db)
    run = on_the_loop(asyncio.get_running_loop())

    @EXAMPLES
    @given(data=forged_data(), person=st.sampled_from(who))
    def press(data, person):
        message_id = person.bot_messages[-1]["message_id"]
        run(person.press_data(message_id, data))

    await asyncio.to_thread(press)
    assert await programme_state(db) == before


async def test_forged_links_and_inline_offsets_fail_nothing_and_change_nothing(bot, sandbox, db):
    who = await people(sandbox)
    before = await programme_state(db)
    run = on_the_loop(asyncio.get_running_loop())
    parameter = st.one_of(
        st.text(max_size=64),
        st.tuples(st.sampled_from(["p_", "c", "i"]), FIELD).map("".join),
    )

    @EXAMPLES
    @given(
        link=parameter, offset=st.one_of(FIELD, st.text(max_size=64)), person=st.sampled_from(who)
    )
    def open_link(link, offset, person):
        run(person.send(f"/start {link}".strip()))
        run(person.inline("꽃", offset=offset))

    await asyncio.to_thread(open_link)
    assert await programme_state(db) == before
