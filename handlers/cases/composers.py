"""What the outbox says about cases (REMINDERS, declared to handlers/outbox as OUTGOING), and
the clock's step that keeps the service levels (clock_tick)."""

from __future__ import annotations

from telegram.constants import MessageLimit

from bot.context import JinroContext
from handlers import outbox
from handlers.cases.buttons import MONITORS, OPEN, OUTCOME_CHOSEN, TAKE
from handlers.cases.common import MEDIATORS, _case_buttons, line_view, log
from handlers.cases.viewing import _answer_buttons
from handlers.common import keyboard, send, speaks_formally
from handlers.outbox import Kind
from messages import label, render
from storage import cases as store
from storage import monitors as monitors_store
from storage.models import Role

# ----- what the outbox says (handlers/outbox composes each row by its kind) --------------------
# Each is composed when sent, from the case as it is then, and only for someone who may
# still see it: a monitor replaced meanwhile, or a proposal replaced, hears nothing.


async def _about(conn, row, user, seen_as: tuple[str, ...] = ()):
    """(case, how the user sees it, the line the notice is about), or None: also when the
    user may not see the case, or sees it other than as one of `seen_as` when given."""
    found = await store.get(conn, row.case_id) if row.case_id else None
    if found is None:
        return None
    line = await store.message(conn, int(row.detail)) if (row.detail or "").isdigit() else None
    if line is None or line.case_id != found.id:
        return None
    seen = await store.access(conn, found, user)
    if seen is None or (seen_as and seen not in seen_as):
        return None
    return found, seen, line


def _values(context: JinroContext, about, **more) -> dict:
    """What every notice about a case shows: its head, the line, how the reader sees it."""
    found, seen, line = about
    return {"case": found, "line": line_view(line), "seen": seen, "tz": context.tz, **more}


def _copy(row, user, values: dict, rows: list, *, photo: str | None = None, urgent=False):
    """The notice as the bot composes it: the text (split when long), or the photo with the
    text as its caption (the text after it when too long for a caption)."""
    lang = user.lang
    values.setdefault("formal", speaks_formally(user))
    text = render("cases/news", lang, news=row.kind, short=False, **values)
    short = render("cases/news", lang, news=row.kind, short=True, **values)
    markup = keyboard(rows)

    async def deliver(context: JinroContext, chat_id: int):
        if photo is None:
            return await send(context, chat_id, text, markup, paced=True)
        paced = {"rate_limit_args": {"paced": True}}
        if len(text) <= MessageLimit.CAPTION_LENGTH:
            return await context.bot.send_photo(
                chat_id, photo, caption=text, reply_markup=markup, **paced
            )
        await context.bot.send_photo(chat_id, photo, caption=short[:1024], **paced)
        return await send(context, chat_id, text, markup)

    return outbox.Copy(deliver, urgent=urgent)


async def _relay(conn, context, row, user):
    """A message written in the case (case_message, case_opened): to a party, the mediator
    or staff following the case, while they may still see it."""
    about = await _about(conn, row, user)
    if about is None:
        return None
    found, seen, line = about
    if line.kind == "private" and line.to_user_id != user.id and seen not in MEDIATORS:
        return None
    rows = [_case_buttons(user.lang, found.id)] if seen != "reader" else []
    if found.status == "closed" or seen == "reader":
        rows = [[OPEN(label(user.lang, "📂 Open case"), found.id)]]
    values = _values(context, about)
    return _copy(row, user, values, rows, photo=line.photo, urgent=found.kind == "safety")


async def _proposal(conn, context, row, user):
    """A proposal to a party, while it is still the case's current one."""
    about = await _about(conn, row, user, ("party",))
    if about is None:
        return None
    found, _, line = about
    if found.status == "closed" or found.proposal_id != line.id:
        return None
    rows = [_answer_buttons(user.lang, found.id, line.id), _case_buttons(user.lang, found.id)]
    return _copy(row, user, _values(context, about), rows, urgent=found.kind == "safety")


async def _answer(conn, context, row, user):
    """A party's answer to the proposer (and monitor), with the tally; everyone accepted:
    closing as resolved is one press away."""
    about = await _about(conn, row, user, MEDIATORS)
    if about is None:
        return None
    found = about[0]
    tally = await store.tally(conn, found.id)
    rows = [_case_buttons(user.lang, found.id)]
    if tally.everyone and found.status != "closed":
        resolved = store.OUTCOMES.index("resolved")
        close = label(user.lang, "✅ Close as resolved")
        rows.insert(0, [OUTCOME_CHOSEN(close, found.id, resolved)])
    return _copy(row, user, _values(context, about, tally=tally), rows)


async def _for_mediator(conn, context, row, user):
    """News for the case's mediator or staff (assigned, escalated, no mediator yet)."""
    about = await _about(conn, row, user, MEDIATORS)
    if about is None:
        return None
    found, seen, _ = about
    if row.kind == "case_assigned" and found.monitor_id != user.id:
        return None  # assigned to someone else since
    if row.kind == "case_unassigned" and (found.monitor_id is not None or found.status == "closed"):
        return None
    if row.kind == "case_escalated" and found.status == "closed":
        return None
    rows = [[OPEN(label(user.lang, "📂 Open case"), found.id)]]
    if row.kind == "case_unassigned" or (row.kind == "case_escalated" and seen == "staff"):
        rows.append([MONITORS(label(user.lang, "👤 Assign a mediator"), found.id, 0)])
    return _copy(row, user, _values(context, about), rows)


async def _new_mediator(conn, context, row, user):
    """To the parties: who mediates the case from now (while they still do)."""
    about = await _about(conn, row, user, ("party",))
    if about is None:
        return None
    found, _, line = about
    if found.status == "closed" or found.monitor_id != line.sender_id:
        return None
    rows = [_case_buttons(user.lang, found.id)]
    return _copy(row, user, _values(context, about), rows, urgent=found.kind == "safety")


async def _joined(conn, context, row, user):
    """To a person the mediator brought into the case: they can read and write in it now
    (while they are still in it and it is not closed)."""
    about = await _about(conn, row, user, ("party",))
    if about is None or about[0].status == "closed":
        return None
    found = about[0]
    rows = [_case_buttons(user.lang, found.id)]
    return _copy(row, user, _values(context, about), rows, urgent=found.kind == "safety")


async def _closed(conn, context, row, user):
    about = await _about(conn, row, user)
    if about is None:
        return None
    found = about[0]
    rows = [[OPEN(label(user.lang, "📂 Open case"), found.id)]]
    return _copy(row, user, _values(context, about), rows, urgent=found.kind == "safety")


async def _sla_mediator(conn, context, row, user):
    """A case waits for its mediator's first word: to its monitor; with none, to the
    district's monitors, who may take it."""
    found = await store.get(conn, row.case_id) if row.case_id else None
    if found is None or found.status != "open" or found.mediator_at is not None:
        return None
    line = await store.message(conn, int(row.detail)) if (row.detail or "").isdigit() else None
    if line is None:
        return None
    hours = context.settings.case_mediator_hours
    if found.monitor_id == user.id:
        rows = [_case_buttons(user.lang, found.id)]
        return _copy(row, user, _values(context, (found, "mediator", line), hours=hours), rows)
    if found.monitor_id is not None or user.role != Role.MONITOR:
        return None  # taken meanwhile
    profile = await monitors_store.get(conn, user.id)
    if profile is None or profile.district != found.district:
        return None
    rows = [[TAKE(label(user.lang, "🙋 Take this case"), found.id)]]
    return _copy(row, user, _values(context, (found, None, line), hours=hours), rows)


async def _sla_answer(conn, context, row, user):
    """A mediator's message waits for an answer: to the parties it waits for, and the
    mediator."""
    about = await _about(conn, row, user)
    if about is None:
        return None
    found = about[0]
    if found.status != "open" or found.due_what != "answer":
        return None  # answered, escalated or closed meanwhile
    rows = [_case_buttons(user.lang, found.id)]
    values = _values(context, about, hours=context.settings.case_answer_hours)
    return _copy(row, user, values, rows, urgent=found.kind == "safety")


REMINDERS = {
    "case_opened": _relay,
    "case_message": _relay,
    "case_proposal": _proposal,
    "case_answer": _answer,
    "case_assigned": _for_mediator,
    "case_mediator": _new_mediator,
    "case_escalated": _for_mediator,
    "case_unassigned": _for_mediator,
    "case_joined": _joined,
    "case_closed": _closed,
    "case_sla_mediator": _sla_mediator,
    "case_sla_answer": _sla_answer,
}


# ----- the clock ------------------------------------------------------------------------------


async def clock_tick(application) -> None:
    """Every minute: cases whose service level fell due are reminded, or escalated to staff
    (storage.cases.check_service_levels; safe with several bot processes)."""
    context = JinroContext(application)
    settings = context.settings
    try:
        async with context.db.write() as conn:
            acted = await store.check_service_levels(
                conn,
                now=context.now,
                mediator_wait=settings.case_mediator,
                answer_wait=settings.case_answer,
            )
        if acted:
            outbox.kick(context)
    except Exception:  # the next tick tries again; never let the clock die
        log.exception("case clock tick failed")


# The kinds this area sends, registered in bot/app.py.
OUTGOING = [Kind(name, compose, None) for name, compose in REMINDERS.items()]
