"""The guardian's phone identity check (본인확인), when the city switched it on
(CONSENT_CHECK=identity; storage/identity.py): instead of sharing their contact, the guardian
presses a button to the provider's page, verifies their phone with their carrier there, and
is sent back to the bot's return page (`returned`), which records the consent as the contact
path does (given.py) and answers in the browser; the chat says the rest.

Flow (users.flow): gc.identity {"token", "rel", "answer", "check"}: `check` is the request id, known
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
from handlers.common.told import student_hears_at
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


async def start_check(
    update: Update, context: JinroContext, token: str, relationship: str, answer: str = "given"
) -> None:
    """The guardian answered (`answer`: agreed as `relationship`, or "declined"): a new
    check, and the button to it."""
    check = identity_store.new_request()
    data = {"token": token, "rel": relationship, "answer": answer, "check": check}
    await set_flow(context, identity_store.FLOW, data)
    await ask_check(update, context)


async def ask_check(update: Update, context: JinroContext, *, typed: str | None = None) -> None:
    """The button to the provider's page for the check in the guardian's step; `typed`: they
    typed instead ("number" or "words", as consent/guardian_typed answers it)."""
    url = await check_of(context).start(context.user.flow_data["check"], return_url(context))
    text = label(context.lang, "📱 Verify my phone (본인확인)")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(text, url=url)]])
    if typed is None:
        answer = context.user.flow_data.get("answer", "given")
        await reply(update, context, "consent/guardian_identity", markup, answer=answer)
        return
    await reply(
        update,
        context,
        "consent/guardian_typed",
        markup,
        kind=typed,
        method="identity",
        button=text,
    )


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
        return page(application, DEFAULT_LANGUAGE, reason, status=400)
    async with context.db.read() as conn:
        guardian = await identity_store.waiting(conn, verified.request)
    if guardian is None:  # used or refused already, replaced by a newer check, or not ours
        return page(application, DEFAULT_LANGUAGE, "used", status=410)
    context.user = guardian
    data = guardian.flow_data
    answer = data.get("answer", "given")
    recorded = await given.record(
        context,
        lambda conn: identity_store.give(
            conn,
            data.get("token", ""),
            guardian,
            relationship=data.get("rel", ""),
            verified=verified,
            now=context.now,
            answer=answer,
        ),
        answer=answer,
    )
    when = student_hears_at(context.now, context.tz) if recorded else None
    reason = "done" if recorded else "refused"
    return page(application, context.lang, reason, when=when, answer=answer)


def page(
    application: Application,
    lang: str,
    reason: str,
    *,
    status: int = 200,
    when=None,
    answer: str = "given",
) -> web.Response:
    """The browser's answer: a short text, and a button back to the bot's chat in Telegram
    (the guardian's phone opens it in the app), kept by nobody (no-store). Made for a
    phone's screen: the provider's page sent them here in the phone's browser."""
    tz = JinroContext(application).tz
    text = render("consent/identity_page", lang, reason=reason, when=when, tz=tz, answer=answer)
    text = text.strip().replace("\n", "<br>\n")
    chat = f"https://t.me/{application.bot.username}"
    body = _PAGE.format(
        lang=escape(lang),
        title=escape(label(lang, "Guardian consent: phone identity check")),
        text=text,
        chat=escape(chat),
        back=escape(label(lang, "Back to Telegram")),
    )
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return web.Response(status=status, text=body, content_type="text/html", headers=headers)


# One column a phone's width, text at 17px, a button 48px high the whole column wide.
_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
*{{box-sizing:border-box}}
body{{margin:0;background:#eef2f6;color:#1c2733;font:17px/1.6 system-ui,-apple-system,
"Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic",sans-serif;word-break:keep-all}}
main{{max-width:28rem;margin:0 auto;padding:2rem 1.25rem}}
.card{{background:#fff;border-radius:14px;padding:1.5rem 1.25rem;
box-shadow:0 1px 3px rgba(0,0,0,.08)}}
h1{{font-size:1.25rem;margin:0 0 1rem}}p{{margin:0 0 1.5rem}}
a.button{{display:flex;align-items:center;justify-content:center;min-height:48px;
padding:.75rem 1rem;border-radius:10px;background:#2481cc;color:#fff;font-weight:600;
text-decoration:none;text-align:center}}
a.button:focus-visible{{outline:3px solid #1c2733;outline-offset:2px}}
</style></head>
<body><main><div class="card">
<h1>{title}</h1>
<p>{text}</p>
<a class="button" href="{chat}">{back}</a>
</div></main></body></html>"""


# The bot's web pages of this area: (method, path, handler(application, request)).
WEB_PAGES = [("POST", identity_store.RETURN_PATH, returned)]
