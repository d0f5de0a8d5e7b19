"""The mediator's steps (handing a case to staff, closing it with an outcome and a note)
and staff's (assigning a monitor); a monitor taking a case nobody mediates."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.cases.buttons import (
    ASSIGN,
    CLOSE,
    CLOSE_NOW,
    ESCALATE,
    ESCALATE_NOW,
    MONITOR_CHOICES,
    MONITORS,
    OUTCOME_CHOSEN,
    TAKE,
)
from handlers.cases.common import (
    MEDIATORS,
    OUTCOME_BUTTONS,
    REFUSALS,
    _alert,
    _end_flow_in,
    _open_case_keyboard,
    _question_keyboard,
    _student_hears_at,
)
from handlers.cases.viewing import show_case
from handlers.cases.writing import _asked, _step_failed, _writable
from handlers.common import answer_query, reply, set_flow
from handlers.common.handled import asked
from handlers.common.shorten import ask_to_shorten
from messages import label
from messages.labels import N_
from messages.vocabulary import district_name
from storage import cases as store
from storage.errors import AlreadyHandled, NotFound

# ----- the mediator: escalating, closing; staff: assigning ------------------------------------


@ESCALATE.handles
async def escalate_pressed(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _asked(update, context, case_id, ("mediator",))
    if found is None:
        return
    yes = ESCALATE_NOW(label(context.lang, "⬆️ Yes, hand it to staff"), case_id)
    markup = _question_keyboard(context.lang, case_id, [[yes]])
    await reply(
        update, context, "cases/ask_escalate", markup, edit=True, case=found[0], tz=context.tz
    )


async def _staff_step(update: Update, context: JinroContext, step, already: str) -> bool:
    """Run `step(conn)` (escalating, assigning, taking a case) in one transaction; False, the
    press answered with an alert, when the case is closed or it was `already` done."""
    try:
        async with context.db.write() as conn:
            await step(conn)
    except store.Refused:
        await _alert(update, context, REFUSALS["closed"])
        return False
    except AlreadyHandled:
        await _alert(update, context, already)
        return False
    return True


@ESCALATE_NOW.handles
async def escalate_now(update: Update, context: JinroContext, case_id: int) -> None:
    async def escalate(conn):
        await store.escalate(conn, case_id, context.user, now=context.now)

    already = N_("This case is already with staff.")
    if not await _staff_step(update, context, escalate, already):
        return
    await answer_query(update)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/escalated",
        _open_case_keyboard(context.lang, case_id),
        edit=True,
        case_id=case_id,
    )


@CLOSE.handles
async def ask_outcome(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _asked(update, context, case_id, MEDIATORS)
    if found is None:
        return
    rows = [
        [OUTCOME_CHOSEN(label(context.lang, name), case_id, index)]
        for index, name in enumerate(OUTCOME_BUTTONS.values())
    ]
    markup = _question_keyboard(context.lang, case_id, rows)
    await reply(
        update, context, "cases/ask_outcome", markup, edit=True, case=found[0], tz=context.tz
    )


@OUTCOME_CHOSEN.handles
async def outcome_chosen(update: Update, context: JinroContext, case_id: int, index: int) -> None:
    found = await _asked(update, context, case_id, MEDIATORS)
    if found is None:
        return
    outcome = store.OUTCOMES[index]
    await set_flow(context, "case.note", {"c": case_id, "o": outcome})
    without = CLOSE_NOW(label(context.lang, "✅ Close without a note"), case_id, index)
    shown = await reply(
        update,
        context,
        "cases/ask_note",
        _question_keyboard(context.lang, case_id, [[without]]),
        edit=True,
        case=found[0],
        tz=context.tz,
        outcome=outcome,
        limit=store.NOTE_MAX,
    )
    await asked(context, shown)  # a note typed settles it: no "close without" after


@CLOSE_NOW.handles
async def close_without_note(update: Update, context: JinroContext, case_id: int, index: int):
    await _close(update, context, case_id, store.OUTCOMES[index], None)


async def note_typed(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data
    text = " ".join((update.message.text or "").split()) if update.message.text else None
    if not text:
        await reply(update, context, "cases/text_or_photo", photos=False)
        return
    if len(text) > store.NOTE_MAX:
        await ask_to_shorten(update, context, len(text), store.NOTE_MAX)
        return
    case_id, outcome = data.get("c"), data.get("o")
    if not isinstance(case_id, int) or outcome not in store.OUTCOMES:
        await set_flow(context, None)
        await reply(update, context, "common/cancelled")
        return
    await _close(update, context, case_id, outcome, text)


async def _close(update: Update, context: JinroContext, case_id: int, outcome: str, note):
    try:
        async with context.db.write() as conn:
            await store.close(conn, case_id, context.user, outcome, note, now=context.now)
            await _end_flow_in(conn, context)
    except NotFound:
        await _step_failed(update, context, None)
        return
    except store.Refused:
        await _step_failed(update, context, "closed")
        return
    await answer_query(update)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/closed",
        _open_case_keyboard(context.lang, case_id),
        edit=True,
        case_id=case_id,
        outcome=outcome,
        when=await _student_hears_at(context, case_id),
        tz=context.tz,
    )


async def _monitor_choices(conn, case, every: int) -> tuple[int, list]:
    """(every, the monitors staff choose from): the district's free ones, or all (also when
    the district has none)."""
    choices = await store.monitor_choices(conn, None if every else case.district)
    if not choices and not every:
        return 1, await store.monitor_choices(conn, None)
    return every, choices[:MONITOR_CHOICES]


@MONITORS.handles
async def pick_monitor(update: Update, context: JinroContext, case_id: int, every: int) -> None:
    found = await _writable(update, context, case_id)
    if found is None:
        return
    case = found[0]
    async with context.db.read() as conn:
        every, choices = await _monitor_choices(conn, case, every)
    await answer_query(update)
    lang = context.lang
    rows = []
    for n, monitor in enumerate(choices):
        mark = "⏸ " if getattr(monitor, "paused", False) else ""
        current = "✔ " if monitor.id == case.monitor_id else ""
        text = f"{current}{mark}{monitor.name} ({district_name(lang, monitor.district)})"[:60]
        # The monitor's place in this list and a check number, not their user id.
        tag = store.party_tag(case_id, monitor.id)
        rows.append([ASSIGN(text, case_id, every, n, tag)])
    if not every:
        rows.append([MONITORS(label(lang, "All parent monitors"), case_id, 1)])
    await reply(
        update,
        context,
        "cases/pick_monitor",
        _question_keyboard(lang, case_id, rows),
        edit=True,
        case=case,
        tz=context.tz,
        every=bool(every),
        count=len(choices),
    )


@ASSIGN.handles
async def monitor_chosen(
    update: Update, context: JinroContext, case_id: int, every: int, n: int, tag: int
):
    async def assign(conn):
        case = await store.get(conn, case_id)
        if case is None:
            raise NotFound
        _, choices = await _monitor_choices(conn, case, every)
        if store.at_place(choices, n, tag, case_id) is None:
            raise NotFound  # the list changed since it was shown
        wait = context.settings.case_mediator
        await store.assign(
            conn, case_id, context.user, choices[n].id, now=context.now, mediator_wait=wait
        )

    already = N_("This monitor already mediates the case.")
    if not await _staff_step(update, context, assign, already):
        return
    await answer_query(update)
    async with context.db.read() as conn:
        found = await store.get(conn, case_id)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/assigned",
        _open_case_keyboard(context.lang, case_id),
        edit=True,
        case=found,
        name=found.monitor_name,
    )


@TAKE.handles
async def take_pressed(update: Update, context: JinroContext, case_id: int) -> None:
    async def take(conn):
        wait = context.settings.case_mediator
        await store.take(conn, case_id, context.user, now=context.now, mediator_wait=wait)

    already = N_("Another monitor has already taken this case.")
    if not await _staff_step(update, context, take, already):
        return
    outbox.kick(context)
    await show_case(update, context, case_id, 0, edit=True)
