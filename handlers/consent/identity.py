"""The guardian's phone identity check (본인확인), when the city switched it on
(CONSENT_CHECK=identity; storage/identity.py): instead of sharing their contact, the guardian
presses a button to the provider's page, verifies their phone with their carrier there, and
is sent back to the bot's return page (`returned`), which records the consent as the contact
path does (given.py) and answers in the browser; the chat says the rest.

Flow (users.flow): gc.identity {"token", "rel", "check"}: `check` is the request id, known
only to this chat and the provider. The first result for it, used or refused, ends the step:
a result sent again finds no one waiting and changes nothing.

The return page is served by the bot's web server (bot/identity_web.py: the webhook's in
webhook mode, a small one of its own in polling mode), listed in bot/app.py WEB_PAGES.
"""

from __future__ import annotations

from html import escape

from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot.context import JinroContext
from handlers.common import reply, set_flow
from handlers.consent import given
from messages import DEFAULT_LANGUAGE, label, render
from storage import audit
from storage import identity as identity_store
from storage.identity import IdentityCheck, Unverified


def check_of(context: JinroContext) -> IdentityCheck | None:
    """The city's identity check (bot_data, from the settings); None: the contact is asked."""
    return context.application.bot_data.get("identity")


def return_url(context: JinroContext) -> str:
    return context.settings.identity_url + identity_store.RETURN_PATH


async def start_check(update: Update, context: JinroContext, token: str, relationship: str) -> None:
    """The guardian agreed as `relationship`: a new check, and the button to it."""
    check = identity_store.new_request()
    await set_flow(
        context, identity_store.FLOW, {"token": token, "rel": relationship, "check": check}
    )
    await ask_check(update, context)


async def ask_check(update: Update, context: JinroContext) -> None:
    """The button to the provider's page for the check in the guardian's step."""
    url = await check_of(context).start(context.user.flow_data["check"], return_url(context))
    button = InlineKeyboardButton(label(context.lang, "📱 Verify my phone (본인확인)"), url=url)
    await reply(update, context, "consent/guardian_identity", InlineKeyboardMarkup([[button]]))


# ----- the provider sends the guardian back -------------------------------------------------


async def returned(application: Application, request: web.Request) -> web.Response:
    """The result of a check, posted by the guardian's browser from the provider's page."""
    if application.bot_data.get("identity") is None:
        raise web.HTTPNotFound()
    context = JinroContext(application)
    form = await request.post()
    payload = {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        verified = await check_of(context).verify(payload, now=context.now)
    except Unverified as error:
        # Whose it was cannot be trusted (no actor, no student): the page answers, and the
        # guardian may check again.
        reason = error.args[0]
        async with context.db.write() as conn:
            await audit.record(conn, None, "consent.refused", reason=reason, now=context.now)
        return page(DEFAULT_LANGUAGE, reason, status=400)
    async with context.db.read() as conn:
        guardian = await identity_store.waiting(conn, verified.request)
    if guardian is None:  # used or refused already, replaced by a newer check, or not ours
        return page(DEFAULT_LANGUAGE, "used", status=410)
    context.user = guardian
    data = guardian.flow_data
    recorded = await given.record(
        context,
        lambda conn: identity_store.give(
            conn,
            data.get("token", ""),
            guardian,
            relationship=data.get("rel", ""),
            verified=verified,
            now=context.now,
        ),
    )
    return page(context.lang, "done" if recorded else "refused")


def page(lang: str, reason: str, *, status: int = 200) -> web.Response:
    """The browser's answer: a short text in a bare page, kept by nobody (no-store)."""
    text = render("consent/identity_page", lang, reason=reason).strip().replace("\n", "<br>\n")
    body = (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Jinro</title></head><body><p>{text}</p></body></html>"
    )
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return web.Response(status=status, text=body, content_type="text/html", headers=headers)


# The bot's web pages of this area: (method, path, handler(application, request)).
WEB_PAGES = [("POST", identity_store.RETURN_PATH, returned)]
