"""/profile: the mentor's fields, job title and introduction, modes, districts, how many
requests at a time, and pause."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import (
    answer_query,
    keyboard,
    pages_row,
    reply,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.shorten import ask_to_shorten
from handlers.mentors.buttons import (
    BIO,
    FIELD,
    FIELDS,
    LIMIT,
    LIMIT_SET,
    MODE,
    PAUSE,
    PROFILE,
    SLOTS,
    TITLE,
    VISITS,
)
from handlers.mentors.common import (
    BIO_MAX,
    TITLE_MAX,
    _leave_flow,
    _mentor_id,
    _now_and_window,
    field_tag,
)
from handlers.mentors.desk import mentor_command
from messages import label
from messages.labels import N_
from messages.vocabulary import district_name, field_name
from storage import mentors as store
from storage import users as users_store
from storage.catalogue import DISTRICTS

FIELD_PAGE = 10
MODE_NAMES = {
    "online": N_("💻 Online, one to one"),
    "group": N_("👥 Online group sessions"),
    "visit": N_("🏫 School visits"),
}


async def show_profile(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        mentor = await store.profile(conn, _mentor_id(context))
        fields = await store.fields_of(conn, mentor.id)
        slots = await store.mentor_slots(conn, mentor.id)
    lang = context.lang
    rows = [
        [FIELDS(label(lang, "🗂 Fields"), 0)],
        [TITLE(label(lang, "✏️ Job title or major")), BIO(label(lang, "✏️ Introduction"))],
    ]
    for mode, name in MODE_NAMES.items():
        mark = "✅" if getattr(mentor, store.MODE_COLUMNS[mode]) else "⬜"
        rows.append([MODE(f"{mark} {label(lang, name)}", mode)])
    visits = store.split_codes(mentor.districts, DISTRICTS)
    rows.append(
        [
            VISITS(("✅ " if d in visits else "⬜ ") + district_name(lang, d), n)
            for n, d in enumerate(DISTRICTS)
        ]
    )
    rows.append(
        [
            LIMIT(label(lang, "🔢 Requests at a time: %(count)s", count=mentor.max_open)),
            SLOTS(label(lang, "🗓 Free times")),
        ]
    )
    rows.append(
        [PAUSE(label(lang, "▶ Resume requests"), 0)]
        if mentor.paused
        else [PAUSE(label(lang, "⏸ Pause requests"), 1)]
    )
    await reply(
        update,
        context,
        "mentors/profile",
        keyboard(rows),
        edit=edit,
        mentor=mentor,
        fields=fields,
        modes=store.mentor_modes(mentor),
        districts=visits,
        slots=len(slots),
    )


profile_command = mentor_command(show_profile)  # /profile


@FIELDS.handles
async def fields_page(update: Update, context: JinroContext, page: int, *, edit=True) -> None:
    async with context.db.read() as conn:
        names = await store.vocabulary(conn)
        chosen = await store.fields_of(conn, _mentor_id(context))
    pages = max(1, -(-len(names) // FIELD_PAGE))
    page = min(page, pages - 1)
    await answer_query(update)
    lang = context.lang
    shown = list(enumerate(names))[page * FIELD_PAGE : (page + 1) * FIELD_PAGE]
    rows = [
        [
            FIELD(
                ("✅ " if name in chosen else "⬜ ") + field_name(lang, name)[:50],
                index,
                page,
                field_tag(name),
            )
        ]
        for index, name in shown
    ]
    rows.append(pages_row(lang, FIELDS, page, pages))
    rows.append([PROFILE(label(lang, "✅ Done"))])
    await reply(
        update,
        context,
        "mentors/fields",
        keyboard(rows),
        edit=edit,
        fields=chosen,
        page=page + 1,
        pages=pages,
    )


@FIELD.handles
async def toggle_field(
    update: Update, context: JinroContext, index: int, page: int, tag: int
) -> None:
    async with context.db.read() as conn:
        names = await store.vocabulary(conn)
        chosen = await store.fields_of(conn, _mentor_id(context))
    if index >= len(names) or field_tag(names[index]) != tag:
        await stale_button(update, context)
        return
    name = names[index]
    if name in chosen:
        if len(chosen) == 1:
            await answer_query(update, label(context.lang, "Keep at least one field."), alert=True)
            return
        chosen.remove(name)
    else:
        chosen.append(name)
    async with context.db.write() as conn:
        await store.set_fields(conn, _mentor_id(context), chosen)
    await fields_page(update, context, page)


@TITLE.handles
async def ask_title(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await set_flow(context, "mn.title")
    await reply(update, context, "mentors/ask_text", what="title", limit=TITLE_MAX)


@BIO.handles
async def ask_bio(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await set_flow(context, "mn.bio")
    await reply(update, context, "mentors/ask_text", what="bio", limit=BIO_MAX)


@text_step("mn.title", "mn.bio")
async def profile_text(update: Update, context: JinroContext) -> None:
    what = "title" if context.user.flow == "mn.title" else "bio"
    text = " ".join(update.message.text.split())
    limit = TITLE_MAX if what == "title" else BIO_MAX
    if len(text) > limit:
        await ask_to_shorten(update, context, len(text), limit)
        return
    if len(text) < 2:
        await reply(update, context, "mentors/ask_text", what=what, limit=limit, length=len(text))
        return
    async with context.db.write() as conn:
        await store.update_profile(
            conn, _mentor_id(context), context.user.id, now=context.now, **{what: text}
        )
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await show_profile(update, context)


@MODE.handles
async def toggle_mode(update: Update, context: JinroContext, mode: str) -> None:
    async with context.db.write() as conn:
        mentor = await store.profile(conn, _mentor_id(context))
        column = store.MODE_COLUMNS[mode]
        await store.update_profile(
            conn,
            mentor.id,
            context.user.id,
            now=context.now,
            **{column: not getattr(mentor, column)},
        )
    await answer_query(update)
    await show_profile(update, context, edit=True)


@VISITS.handles
async def toggle_district(update: Update, context: JinroContext, index: int) -> None:
    async with context.db.write() as conn:
        mentor = await store.profile(conn, _mentor_id(context))
        visits = set(store.split_codes(mentor.districts, DISTRICTS)) ^ {DISTRICTS[index]}
        await store.update_profile(
            conn, mentor.id, context.user.id, now=context.now, districts=sorted(visits)
        )
    await answer_query(update)
    await show_profile(update, context, edit=True)


@LIMIT.handles
async def ask_limit(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    rows = [[LIMIT_SET(str(n), n) for n in store.MAX_OPEN_CHOICES]]
    rows.append([PROFILE(label(context.lang, "◀ Back to the profile"))])
    await reply(update, context, "mentors/ask_limit", keyboard(rows), edit=True)


@LIMIT_SET.handles
async def limit_chosen(update: Update, context: JinroContext, count: int) -> None:
    if count not in store.MAX_OPEN_CHOICES:
        await stale_button(update, context)
        return
    async with context.db.write() as conn:
        await store.update_profile(
            conn, _mentor_id(context), context.user.id, now=context.now, max_open=count
        )
    await answer_query(update)
    await show_profile(update, context, edit=True)


@PAUSE.handles
async def pause(update: Update, context: JinroContext, on: int) -> None:
    async with context.db.write() as conn:
        passed = await store.set_paused(
            conn, _mentor_id(context), context.user.id, bool(on), **_now_and_window(context)
        )
    text = (
        N_("Paused: no new request will reach you.")
        if on
        else N_("Welcome back: requests reach you again.")
    )
    await answer_query(update, label(context.lang, text), alert=True)
    await show_profile(update, context, edit=True)
    if passed:
        outbox.kick(context)  # the next mentors' offers


@PROFILE.handles
async def back_to_profile(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_profile(update, context, edit=True)
