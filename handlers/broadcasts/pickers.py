"""Audience pickers: roles, schools, districts, grades, site types, everyone, urgent, and a
programme's or a session's participants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from telegram import Update

from bot.context import JinroContext
from handlers.broadcasts.common import ROLE_NAMES
from handlers.broadcasts.panel import (
    _audience,
    _change,
    _draft_view,
    _gone,
    _toggle,
    show_panel,
)
from handlers.common import (
    answer_query,
    keyboard,
    page_count,
    paging_row,
    reply,
    set_flow,
    stale_button,
    text_step,
)
from messages import label
from messages.labels import N_
from storage import broadcasts as store
from storage import users as users_store
from storage.broadcasts import Audience
from storage.catalogue import DISTRICTS
from storage.models import Role

SCHOOL_PAGE = 8
KIND_NAMES = {
    "public": N_("Public bodies"),
    "company": N_("Companies"),
    "small_business": N_("Small businesses"),
    "university": N_("Universities"),
    "nonprofit": N_("Non-profits"),
    "other": N_("Other sites"),
}


async def _picker(update, context, broadcast_id: int, what: str, options, extra=()) -> None:
    """A list of choices to switch on and off (☑ chosen), with the count and a way back.
    `options`: (label, data, chosen) each."""
    view = await _draft_view(context, broadcast_id)
    if view is None:
        await stale_button(update, context)
        return
    _, audience, counted, _ = view
    rows = [[(("☑ " if chosen else "⬜ ") + text, data)] for text, data, chosen in options]
    rows += [list(row) for row in extra]
    rows.append([(label(context.lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")])
    await reply(
        update, context, "broadcasts/pick", keyboard(rows), edit=True, what=what, count=counted
    )


@dataclass(frozen=True)
class Choices:
    """A fixed list the audience is narrowed by: the Audience field it fills, its toggle
    button's action, the values in order and each one's button label. A button carries the
    value's place in the list, or with `by_value` the value itself (a grade)."""

    key: str
    toggle: str
    values: tuple
    name: Callable[[str, object], str]
    by_value: bool = False

    def number(self, place: int, value) -> int:
        return value if self.by_value else place

    def value(self, number: int):
        """The value a button's number stands for; None when forged or out of range."""
        if self.by_value:
            return number if number in self.values else None
        return self.values[number] if number < len(self.values) else None


CHOICES = {
    "roles": Choices("roles", "rt", store.ROLES, lambda lang, v: label(lang, ROLE_NAMES[v])),
    "districts": Choices("districts", "dt", DISTRICTS, lambda lang, v: v),
    "grades": Choices(
        "grades",
        "gt",
        store.GRADES,
        lambda lang, v: label(lang, "Grade %(grade)s", grade=v),
        by_value=True,
    ),
    "site_kinds": Choices(
        "site_kinds", "kt", store.SITE_KINDS, lambda lang, v: label(lang, KIND_NAMES[v])
    ),
}


async def pick_choice(update, context, broadcast_id: int, *, choices: Choices) -> None:
    audience = await _audience(context, broadcast_id) or Audience()
    chosen = getattr(audience, choices.key)
    options = [
        (
            choices.name(context.lang, value),
            f"bc:{choices.toggle}:{broadcast_id}:{choices.number(place, value)}",
            value in chosen,
        )
        for place, value in enumerate(choices.values)
    ]
    await answer_query(update)
    await _picker(update, context, broadcast_id, choices.key, options)


async def toggle_choice(update, context, broadcast_id: int, number: int, *, choices) -> None:
    value = choices.value(number)
    if value is None:
        await stale_button(update, context)
        return
    await _toggle(
        update,
        context,
        broadcast_id,
        choices.key,
        value,
        lambda: pick_choice(update, context, broadcast_id, choices=choices),
    )


async def pick_schools(update, context, broadcast_id: int, page: int) -> None:
    audience = await _audience(context, broadcast_id) or Audience()
    async with context.db.read() as conn:
        found, total = await store.schools_page(conn, page * SCHOOL_PAGE, SCHOOL_PAGE)
    pages = page_count(total, SCHOOL_PAGE)
    options = [
        (
            f"{s.name} · {s.district}",
            f"bc:st:{broadcast_id}:{s.id}:{page}",
            s.id in audience.schools,
        )
        for s in found
    ]
    extra = [paging_row(context.lang, f"bc:s:{broadcast_id}", page, pages)]
    await answer_query(update)
    await _picker(update, context, broadcast_id, "schools", options, extra)


async def toggle_school(update, context, broadcast_id: int, school_id: int, page: int) -> None:
    async with context.db.read() as conn:
        exists = await users_store.school(conn, school_id)
    if exists is None:
        await stale_button(update, context)
        return
    await _toggle(
        update,
        context,
        broadcast_id,
        "schools",
        school_id,
        lambda: pick_schools(update, context, broadcast_id, page),
    )


async def toggle_everyone(update, context, broadcast_id: int) -> None:
    """Everyone on means nothing else is chosen: the panel never shows two meanings."""
    audience = await _audience(context, broadcast_id)
    if audience is None:
        await stale_button(update, context)
        return
    chosen = Audience() if audience.everyone else Audience(everyone=True)
    if await _change(update, context, broadcast_id, audience=chosen.to_json()):
        await answer_query(update)
        await show_panel(update, context, broadcast_id)


async def toggle_urgent(update, context, broadcast_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.draft(conn, broadcast_id, context.user)
    if found is None:
        await stale_button(update, context)
        return
    if not await _change(update, context, broadcast_id, urgent=not found.urgent):
        return
    await answer_query(update)
    await show_panel(update, context, broadcast_id)


async def pick_program(update, context, broadcast_id: int) -> None:
    """Staff type part of a title (there are thousands); a site picks one of its own."""
    await answer_query(update)
    back = [(label(context.lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")]
    clear = [(label(context.lang, "✕ No programme filter"), f"bc:fx:{broadcast_id}")]
    if context.user.role == Role.STAFF:
        await set_flow(context, "bc.find", {"b": broadcast_id})
        await reply(update, context, "broadcasts/ask_program", keyboard([clear, back]), edit=True)
        return
    async with context.db.read() as conn:
        found = await store.find_programs(conn, context.user, limit=30)
    rows = [[(p.title[:60], f"bc:fp:{broadcast_id}:{p.id}")] for p in found]
    await reply(
        update,
        context,
        "broadcasts/programs",
        keyboard([*rows, clear, back]),
        edit=True,
        programs=found,
        typed=None,
    )


@text_step("bc.find")
async def program_typed(update: Update, context: JinroContext) -> None:
    broadcast_id = context.user.flow_data.get("b")
    if await _audience(context, broadcast_id) is None:
        await _gone(update, context)
        return
    typed = " ".join(update.message.text.split())[:40]
    async with context.db.read() as conn:
        found = await store.find_programs(conn, context.user, typed)
    rows = [[(p.title[:60], f"bc:fp:{broadcast_id}:{p.id}")] for p in found]
    rows.append([(label(context.lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")])
    await reply(update, context, "broadcasts/programs", keyboard(rows), programs=found, typed=typed)


async def program_picked(update, context, broadcast_id: int, program_id: int) -> None:
    """The programme's sessions: one of them, or all of the programme."""
    async with context.db.read() as conn:
        program = await store.program_for(conn, program_id, context.user)
        found = await store.program_sessions(conn, program_id, now=context.now) if program else []
    if program is None or await _audience(context, broadcast_id) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    if context.user.flow != "bc.panel":
        await set_flow(context, "bc.panel", {"b": broadcast_id})
    lang, tz = context.lang, context.tz
    rows = [[(label(lang, "📚 Everyone on this programme"), f"bc:fa:{broadcast_id}:{program_id}")]]
    for s in found:
        when = s.starts_at.astimezone(tz).strftime("%m/%d %H:%M")
        text = f"📅 {when} · " + label(lang, "%(count)s students", count=s.students)
        rows.append([(text, f"bc:fs:{broadcast_id}:{s.id}")])
    rows.append([(label(lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")])
    await reply(
        update,
        context,
        "broadcasts/sessions",
        keyboard(rows),
        edit=True,
        program=program,
        sessions=found,
    )


async def program_chosen(update, context, broadcast_id: int, program_id: int) -> None:
    await _set_programme(update, context, broadcast_id, program=program_id, session=None)


async def session_chosen(update, context, broadcast_id: int, session_id: int) -> None:
    async with context.db.read() as conn:
        session = await store.session_for(conn, session_id, context.user)
    if session is None:
        await stale_button(update, context)
        return
    await _set_programme(
        update, context, broadcast_id, program=session.program_id, session=session_id
    )


async def programme_cleared(update, context, broadcast_id: int) -> None:
    await _set_programme(update, context, broadcast_id, program=None, session=None)


async def _set_programme(update, context, broadcast_id: int, **values) -> None:
    audience = await _audience(context, broadcast_id)
    if audience is None:
        await stale_button(update, context)
        return
    chosen = audience.but(everyone=False, **values)
    if await _change(update, context, broadcast_id, audience=chosen.to_json()):
        await answer_query(update)
        await show_panel(update, context, broadcast_id)
