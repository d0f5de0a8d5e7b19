"""Audience pickers: roles, schools, districts, grades, site types, everyone, urgent, and a
programme's or a session's participants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from telegram import Update

from bot.context import JinroContext
from handlers.broadcasts.buttons import (
    DISTRICT,
    DISTRICTS,
    EVERYONE,
    GRADE,
    GRADES,
    KIND,
    KINDS,
    NO_PROGRAMME,
    ONE_SESSION,
    PROGRAMME,
    PROGRAMME_SESSIONS,
    ROLE,
    ROLES,
    SCHOOL,
    SCHOOLS,
    URGENT,
    WHOLE_PROGRAMME,
)
from handlers.broadcasts.common import ROLE_NAMES
from handlers.broadcasts.panel import (
    _audience,
    _change,
    _draft_in_flow,
    _draft_view,
    _reshape,
    _toggle,
    back_to_panel,
    show_panel,
)
from handlers.common import (
    answer_query,
    keyboard,
    page_count,
    pages_row,
    reply,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.buttons import Button
from handlers.common.days import short
from messages import label, nlabel
from messages.labels import N_
from messages.vocabulary import district_name
from storage import broadcasts as store
from storage import catalogue
from storage import users as users_store
from storage.broadcasts import Audience
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
    rows.append([back_to_panel(context.lang, broadcast_id)])
    await reply(
        update, context, "broadcasts/pick", keyboard(rows), edit=True, what=what, count=counted
    )


@dataclass(frozen=True)
class Choices:
    """A fixed list the audience is narrowed by: the Audience field it fills, its toggle
    button, the values in order and each one's button label. A button carries the value's
    place in the list, or with `by_value` the value itself (a grade)."""

    key: str
    toggle: Button
    values: tuple
    name: Callable[[str, object], str]
    by_value: bool = False

    def number(self, place: int, value) -> int:
        return value if self.by_value else place

    def value(self, number: int):
        """The value a button's number stands for; None out of range (the toggle button's
        field has the list's bounds, so a press never is)."""
        if self.by_value:
            return number if number in self.values else None
        return self.values[number] if number < len(self.values) else None


CHOICES = {
    "roles": Choices("roles", ROLE, store.ROLES, lambda lang, v: label(lang, ROLE_NAMES[v])),
    "districts": Choices("districts", DISTRICT, catalogue.DISTRICTS, district_name),
    "grades": Choices(
        "grades",
        GRADE,
        store.GRADES,
        lambda lang, v: label(lang, "Grade %(grade)s", grade=v),
        by_value=True,
    ),
    "site_kinds": Choices(
        "site_kinds", KIND, store.SITE_KINDS, lambda lang, v: label(lang, KIND_NAMES[v])
    ),
}


async def pick_choice(update, context, broadcast_id: int, *, choices: Choices) -> None:
    audience = await _audience(context, broadcast_id) or Audience()
    chosen = getattr(audience, choices.key)
    options = [
        (
            choices.name(context.lang, value),
            choices.toggle.pack(broadcast_id, choices.number(place, value)),
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


# Each list's picker and its toggle: the same two handlers, told which list.
ROLES.handles(partial(pick_choice, choices=CHOICES["roles"]))
ROLE.handles(partial(toggle_choice, choices=CHOICES["roles"]))
DISTRICTS.handles(partial(pick_choice, choices=CHOICES["districts"]))
DISTRICT.handles(partial(toggle_choice, choices=CHOICES["districts"]))
GRADES.handles(partial(pick_choice, choices=CHOICES["grades"]))
GRADE.handles(partial(toggle_choice, choices=CHOICES["grades"]))
KINDS.handles(partial(pick_choice, choices=CHOICES["site_kinds"]))
KIND.handles(partial(toggle_choice, choices=CHOICES["site_kinds"]))


@SCHOOLS.handles
async def pick_schools(update, context, broadcast_id: int, page: int) -> None:
    audience = await _audience(context, broadcast_id) or Audience()
    async with context.db.read() as conn:
        found, total = await store.schools_page(conn, page * SCHOOL_PAGE, SCHOOL_PAGE)
    pages = page_count(total, SCHOOL_PAGE)
    options = [
        (
            f"{s.name} · {district_name(context.lang, s.district)}",
            SCHOOL.pack(broadcast_id, s.id, page),
            s.id in audience.schools,
        )
        for s in found
    ]
    extra = [pages_row(context.lang, SCHOOLS, page, pages, broadcast_id)]
    await answer_query(update)
    await _picker(update, context, broadcast_id, "schools", options, extra)


@SCHOOL.handles
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


@EVERYONE.handles
async def toggle_everyone(update, context, broadcast_id: int) -> None:
    """Everyone on means nothing else is chosen: the panel never shows two meanings."""

    def switched(audience: Audience) -> Audience:
        return Audience() if audience.everyone else Audience(everyone=True)

    await _reshape(update, context, broadcast_id, switched)


@URGENT.handles
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


@PROGRAMME.handles
async def pick_program(update, context, broadcast_id: int) -> None:
    """Staff type part of a title (there are thousands); a site picks one of its own."""
    await answer_query(update)
    back = [back_to_panel(context.lang, broadcast_id)]
    clear = [NO_PROGRAMME(label(context.lang, "✕ No programme filter"), broadcast_id)]
    if context.user.role == Role.STAFF:
        await set_flow(context, "bc.find", {"b": broadcast_id})
        await reply(update, context, "broadcasts/ask_program", keyboard([clear, back]), edit=True)
        return
    async with context.db.read() as conn:
        found = await store.find_programs(conn, context.user, limit=30)
    rows = [[PROGRAMME_SESSIONS(p.title[:60], broadcast_id, p.id)] for p in found]
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
    broadcast_id = await _draft_in_flow(update, context)
    if broadcast_id is None:
        return
    typed = " ".join(update.message.text.split())[:40]
    async with context.db.read() as conn:
        found = await store.find_programs(conn, context.user, typed)
    rows = [[PROGRAMME_SESSIONS(p.title[:60], broadcast_id, p.id)] for p in found]
    rows.append([back_to_panel(context.lang, broadcast_id)])
    await reply(update, context, "broadcasts/programs", keyboard(rows), programs=found, typed=typed)


@PROGRAMME_SESSIONS.handles
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
    everyone = label(lang, "📚 Everyone on this programme")
    rows = [[WHOLE_PROGRAMME(everyone, broadcast_id, program_id)]]
    for s in found:
        when = short(lang, s.starts_at, tz, clock=True)
        text = f"📅 {when} · " + nlabel(lang, "%(count)s student", "%(count)s students", s.students)
        rows.append([ONE_SESSION(text, broadcast_id, s.id)])
    rows.append([back_to_panel(lang, broadcast_id)])
    await reply(
        update,
        context,
        "broadcasts/sessions",
        keyboard(rows),
        edit=True,
        program=program,
        sessions=found,
    )


@WHOLE_PROGRAMME.handles
async def program_chosen(update, context, broadcast_id: int, program_id: int) -> None:
    await _set_programme(update, context, broadcast_id, program=program_id, session=None)


@ONE_SESSION.handles
async def session_chosen(update, context, broadcast_id: int, session_id: int) -> None:
    async with context.db.read() as conn:
        session = await store.session_for(conn, session_id, context.user)
    if session is None:
        await stale_button(update, context)
        return
    await _set_programme(
        update, context, broadcast_id, program=session.program_id, session=session_id
    )


@NO_PROGRAMME.handles
async def programme_cleared(update, context, broadcast_id: int) -> None:
    await _set_programme(update, context, broadcast_id, program=None, session=None)


async def _set_programme(update, context, broadcast_id: int, **values) -> None:
    await _reshape(update, context, broadcast_id, lambda a: a.but(everyone=False, **values))
