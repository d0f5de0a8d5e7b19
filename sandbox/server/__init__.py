"""The sandbox server: a Telegram Bot API stand-in, a test API under /sandbox/, the chat page."""

from sandbox.server.app import STATIC, RunningSandbox, create_app, start_sandbox
from sandbox.server.core import (
    DEFAULT_BOT_FIRST_NAME,
    DEFAULT_BOT_USERNAME,
    SANDBOX,
    Sandbox,
    TestApiError,
)
from sandbox.server.sandbox_routes import MAX_LONG_POLL

__all__ = [
    "DEFAULT_BOT_FIRST_NAME",
    "DEFAULT_BOT_USERNAME",
    "MAX_LONG_POLL",
    "SANDBOX",
    "STATIC",
    "RunningSandbox",
    "Sandbox",
    "TestApiError",
    "create_app",
    "start_sandbox",
]
