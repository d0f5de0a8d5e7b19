"""The bot's web pages, for the phone identity check (본인확인, storage/identity.py): where the
provider sends the guardian back (the areas' WEB_PAGES, listed in bot/app.py) and, with the
fake provider, the fake's own page (sandbox/identity_provider.py).

Only when CONSENT_CHECK=identity. Webhook mode serves them on the webhook's server
(bot/webhook.py); polling mode, which has no server, on a small one of its own at
IDENTITY_LISTEN:IDENTITY_PORT. Either stands behind the city's https proxy at IDENTITY_URL.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from telegram.ext import Application

from bot.logs import failure
from bot.settings import FAKE_WITH_TELEGRAM, TELEGRAM_API_URL, Settings, SettingsError
from storage.identity import FakeIdentityCheck, IdentityCheck, check_for

log = logging.getLogger(__name__)
MAX_FORM = 64 * 1024  # a provider's result is a few kilobytes


def identity_check(settings: Settings) -> IdentityCheck | None:
    """The check the settings name; None when the guardian's contact is asked instead."""
    if settings.consent_check != "identity":
        return None
    # Settings read from the environment were checked; these may have been built in code.
    if settings.identity_provider == "fake" and settings.bot_api_url == TELEGRAM_API_URL:
        raise SettingsError(FAKE_WITH_TELEGRAM)
    return check_for(
        settings.identity_provider, secret=settings.identity_secret, base_url=settings.identity_url
    )


def add_pages(app: web.Application, application: Application) -> None:
    """Serve the web pages on `app`, if the identity check is on."""
    check = application.bot_data.get("identity")
    if check is None:
        return
    for method, path, handler in application.bot_data["web_pages"]:
        app.router.add_route(method, path, _page(application, handler))
    if isinstance(check, FakeIdentityCheck):
        from sandbox.identity_provider import fake_provider_routes

        app.router.add_routes(fake_provider_routes(check))


def _page(application: Application, handler):
    async def serve(request: web.Request) -> web.Response:
        try:
            return await handler(application, request)
        except web.HTTPException:
            raise
        except Exception as error:  # noqa: BLE001 (told without what the person sent)
            log.error("a web page failed: %s", failure(error))
            return web.Response(status=500, text="500", headers={"Cache-Control": "no-store"})

    return serve


@contextlib.asynccontextmanager
async def serving_pages(settings: Settings, application: Application) -> AsyncIterator[None]:
    """Polling mode: serve the web pages on IDENTITY_LISTEN:IDENTITY_PORT while the block
    runs (nothing when the identity check is off)."""
    if application.bot_data.get("identity") is None:
        yield
        return
    app = web.Application(client_max_size=MAX_FORM)
    add_pages(app, application)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.identity_listen, settings.identity_port)
        await site.start()
        log.info("identity check pages on %s:%s", settings.identity_listen, settings.identity_port)
        yield
    finally:
        await runner.cleanup()
