"""The audience panel: the draft's audience, its count and the buttons to change it."""

from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest

from bot.context import JinroContext
from handlers.broadcasts.buttons import (
    CHANGE_TEXT,
    DISCARD,
    DISTRICTS,
    EVERYONE,
    GRADES,
    KINDS,
    PANEL,
    PREVIEW,
    PROGRAMME,
    ROLES,
    SCHEDULE,
    SCHOOLS,
    SEND_NOW,
    URGENT,
)
from handlers.common import answer_query, keyboard, reply, set_flow, stale_button
from handlers.common.buttons import Button
from handlers.common.handled import asked
from messages import label
from messages.labels import N_
from storage import broadcasts as store
from storage import users as users_store
from storage.broadcasts import Audience
from storage.errors import NotAllowed, NotFound
from storage.models import Role


async def _draft_view(context: JinroContext, broadcast_id: int):
    """(draft, audience, count, names), or None when it is no longer this user's draft. The
    audience is the one the author may reach (a teacher's own school shows as chosen)."""
    user = context.user
    async with context.db.read() as conn:
        found = await store.draft(conn, broadcast_id, user)
        if found is None:
            return None
        audience = store.limited(user, Audience.from_json(found.audience))
        counted = await store.count(conn, user, audience)
        names = await store.names(conn, audience, user)
    return found, audience, counted, names


async def show_panel(update: Update, context: JinroContext, broadcast_id: int, *, edit=True):
    view = await _draft_view(context, broadcast_id)
    if view is None:
        await _gone(update, context)
        return
    markup = keyboard(_panel_rows(context, view[0], view[1]))
    await reply(update, context, "broadcasts/panel", markup, edit=edit, **_summary(context, view))


async def show_confirm(update: Update, context: JinroContext, view, rows: list, *, edit: bool):
    """The last confirm: the draft summed up as on the panel, with `rows` (send it, back)."""
    markup = keyboard(rows)
    shown = await reply(
        update, context, "broadcasts/confirm", markup, edit=edit, **_summary(context, view)
    )
    # Asked again below (a moment typed), the copy above loses its buttons: one live confirm.
    await asked(context, shown)


def _summary(context: JinroContext, view) -> dict:
    """What the panel and the last confirm show of a draft (a _draft_view): the draft, who
    gets it and how many."""
    found, audience, counted, names = view
    return {
        "broadcast": found,
        "audience": audience,
        "names": names,
        "count": counted,
        "role": context.user.role,
        "tz": context.tz,
    }


def back_to_panel(lang: str, broadcast_id: int):
    """The button under a picker, a question or the confirm: back to the audience panel."""
    return PANEL(label(lang, "◀ Back to the audience"), broadcast_id)


def _panel_rows(context: JinroContext, found, audience: Audience) -> list:
    lang, role, b = context.lang, context.user.role, found.id

    def button(msgid: str, pressed: Button, chosen) -> tuple[str, str]:
        mark = f" · {len(chosen)}" if isinstance(chosen, tuple) and chosen else ""
        mark = mark or (" ✓" if chosen and not isinstance(chosen, tuple) else "")
        values = (b, 0) if pressed is SCHOOLS else (b,)  # the schools from page 0
        return pressed(label(lang, msgid) + mark, *values)

    programme = bool(audience.program or audience.session)
    rows = []
    if role == Role.STAFF:
        rows += [
            [
                button(N_("👥 Roles"), ROLES, audience.roles),
                button(N_("🏫 Schools"), SCHOOLS, audience.schools),
            ],
            [
                button(N_("📍 Districts"), DISTRICTS, audience.districts),
                button(N_("🎓 Grades"), GRADES, audience.grades),
            ],
            [
                button(N_("🏢 Site types"), KINDS, audience.site_kinds),
                button(N_("📚 Programme / session"), PROGRAMME, programme),
            ],
            [button(N_("🌐 Everyone"), EVERYONE, audience.everyone)],
            [button(N_("🚨 Urgent"), URGENT, found.urgent)],
        ]
    elif role == Role.TEACHER:
        rows.append([button(N_("🎓 Grades"), GRADES, audience.grades)])
    else:
        rows.append([button(N_("📚 Programme / session"), PROGRAMME, programme)])
    rows += [
        [
            button(N_("👁 Preview"), PREVIEW, False),
            button(N_("✏️ Change the message"), CHANGE_TEXT, False),
        ],
        [button(N_("📤 Send now"), SEND_NOW, False), button(N_("🕘 Schedule"), SCHEDULE, False)],
        [button(N_("🗑 Discard"), DISCARD, False)],
    ]
    return rows


async def _gone(update: Update, context: JinroContext) -> None:
    """The draft went (sent, discarded, or replaced by a newer one)."""
    if (context.user.flow or "").startswith("bc."):
        await set_flow(context, None)
    if update.callback_query is not None:
        try:
            await stale_button(update, context)
            return
        except BadRequest:  # the press was answered already: say it in the chat
            pass
    await reply(update, context, "broadcasts/gone")


async def _change(update, context, broadcast_id: int, **values) -> bool:
    """Change the draft; False (the press answered) when it is gone or not allowed."""
    try:
        async with context.db.write() as conn:
            await store.update_draft(conn, broadcast_id, context.user, **values)
            if context.user.flow != "bc.panel":
                context.user = await users_store.set_flow(
                    conn, context.user.id, "bc.panel", {"b": broadcast_id}
                )
    except (NotFound, NotAllowed):
        await stale_button(update, context)
        return False
    return True


async def _audience(context: JinroContext, broadcast_id: int) -> Audience | None:
    async with context.db.read() as conn:
        found = await store.draft(conn, broadcast_id, context.user)
    return Audience.from_json(found.audience) if found else None


async def _pressed_on_draft(update, context, broadcast_id: int, *, answer: bool = True) -> bool:
    """Whether a press on a draft's button goes on: the draft is still this user's (the
    press answered, unless the next screen answers it); else the press is stale."""
    if await _audience(context, broadcast_id) is None:
        await stale_button(update, context)
        return False
    if answer:
        await answer_query(update)
    return True


async def _draft_in_flow(update: Update, context: JinroContext) -> int | None:
    """The draft the bc.* flow is on, for what was typed there; None once it went (said)."""
    broadcast_id = context.user.flow_data.get("b")
    if await _audience(context, broadcast_id) is None:
        await _gone(update, context)
        return None
    return broadcast_id


async def _reshape(update, context, broadcast_id: int, change, then=None) -> None:
    """Make the draft's audience `change(audience)`, then show `then` again (a picker, which
    answers the press), or else the panel."""
    audience = await _audience(context, broadcast_id)
    if audience is None:
        await stale_button(update, context)
        return
    if not await _change(update, context, broadcast_id, audience=change(audience).to_json()):
        return
    if then is not None:
        await then()
        return
    await answer_query(update)
    await show_panel(update, context, broadcast_id)


async def _toggle(update, context, broadcast_id: int, key: str, value, then) -> None:
    """Add or take out one choice (which turns "everyone" off), then show `then` again."""

    def toggled(audience: Audience) -> Audience:
        return audience.toggled(key, value).but(everyone=False)

    await _reshape(update, context, broadcast_id, toggled, then)
