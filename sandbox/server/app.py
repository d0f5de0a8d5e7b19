"""The sandbox's aiohttp application: its routes in order, the chat page, and start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from sandbox.server.bot_routes import routes as bot_api_routes
from sandbox.server.core import SANDBOX, Sandbox
from sandbox.server.sandbox_routes import _test_api_errors
from sandbox.server.sandbox_routes import routes as test_api_routes

STATIC = Path(__file__).parent.parent / "static"
routes = web.RouteTableDef()


@routes.get("/")
async def chat_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "chat.html")


def create_app(sandbox: Sandbox) -> web.Application:
    # Telegram accepts uploads of up to 50 MB from bots.
    app = web.Application(middlewares=[_test_api_errors], client_max_size=50 * 1024 * 1024)
    app[SANDBOX] = sandbox
    # In this order: the Bot API, the chat page, the test API under /sandbox/.
    app.add_routes(bot_api_routes)
    app.add_routes(routes)
    app.add_routes(test_api_routes)

    async def close_sandbox(app: web.Application) -> None:
        await sandbox.close()

    app.on_shutdown.append(close_sandbox)
    return app


@dataclass
class RunningSandbox:
    sandbox: Sandbox
    runner: web.AppRunner
    url: str  # e.g. "http://127.0.0.1:54321"

    @property
    def api_base(self) -> str:
        """The Bot API base URL, the token is appended: ApplicationBuilder().base_url(...)."""
        return self.url + "/bot"

    @property
    def file_base(self) -> str:
        """For ApplicationBuilder().base_file_url(...), so File.download_*() works."""
        return self.url + "/file/bot"

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    delay_ms: int = 0,
    personas: list[dict] | None = None,
    token: str | None = None,
) -> RunningSandbox:
    """Serve a new sandbox; port 0 picks a free port (see .url)."""
    sandbox = Sandbox(delay_ms=delay_ms, personas=personas, token=token)
    # Long polls end at once on shutdown (Sandbox.close), so a short grace period is plenty.
    runner = web.AppRunner(create_app(sandbox), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    return RunningSandbox(sandbox, runner, f"http://{host}:{bound_port}")
