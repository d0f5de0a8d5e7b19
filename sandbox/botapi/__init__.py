"""The Bot API methods the sandbox implements, with Telegram's validation and error wording."""

# Importing the method modules registers their methods in METHODS, where the server looks
# them up by name.
from sandbox.botapi import commands, files, inline, messages, updates  # noqa: F401
from sandbox.botapi.commands import menu_for
from sandbox.botapi.common import (
    BLOCKED,
    MAX_CALLBACK_ANSWER,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_TEXT,
    METHODS,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    WEBHOOK_ACTIVE,
    ApiError,
    Handler,
    Params,
    api_method,
    bad_request,
    loggable,
    normalize,
)

__all__ = [
    "BLOCKED",
    "MAX_CALLBACK_ANSWER",
    "MAX_CALLBACK_DATA",
    "MAX_CAPTION",
    "MAX_TEXT",
    "METHODS",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "WEBHOOK_ACTIVE",
    "ApiError",
    "Handler",
    "Params",
    "api_method",
    "bad_request",
    "loggable",
    "menu_for",
    "normalize",
]
