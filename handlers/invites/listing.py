"""/invites: the invite links that still sign people up, newest first, 8 to a page, each with
a button that makes it stop working (a letter sent to the wrong school, a person who left)."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, fetch_page, reply, requires
from handlers.invites.buttons import LIST_PAGE, REVOKE
from messages import label
from storage import invites
from storage.models import Role

PAGE = 8


@requires(Role.STAFF)
async def invites_command(update: Update, context: JinroContext) -> None:
    await show_page(update, context, 0)


@LIST_PAGE.handles
async def on_page(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await show_page(update, context, page, edit=True)


@REVOKE.handles
async def on_revoke(update: Update, context: JinroContext, code: str, page: int) -> None:
    async with context.db.write() as conn:
        stopped = await invites.revoke(conn, code, by=context.user.id, now=context.now)
    await answer_query(update)
    await show_page(update, context, page, edit=True, revoked=stopped)


async def show_page(
    update: Update,
    context: JinroContext,
    page: int,
    *,
    edit: bool = False,
    revoked: bool | None = None,
) -> None:
    """One page of working invites; `revoked` says what the last press did (None: nothing,
    False: that invite had already stopped)."""
    async with context.db.read() as conn:
        shown = await fetch_page(invites.working, conn, now=context.now, index=page, size=PAGE)
    if shown.beyond:  # the page's last invite was just revoked
        await show_page(update, context, shown.pages - 1, edit=edit, revoked=revoked)
        return
    rows = [
        [REVOKE(label(context.lang, "🚫 Stop %(number)s", number=number), row.code, page)]
        for number, row in shown.numbered()
    ]
    markup = shown.markup(context.lang, rows, LIST_PAGE)
    await reply(
        update,
        context,
        "invites/list",
        markup,
        edit=edit,
        page=shown,
        revoked=revoked,
        tz=context.tz,
    )
