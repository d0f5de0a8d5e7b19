"""The Bot API method registry, request decoding, and Telegram's limits and error answers."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp.web import FileField

from sandbox.state import BotState

if TYPE_CHECKING:
    from sandbox.server.core import Sandbox

Params = dict[str, Any]
Handler = Callable[["Sandbox", BotState, Params], Awaitable[Any]]

# Lower-case method name -> (name as documented, implementation). Telegram ignores case.
METHODS: dict[str, tuple[str, Handler]] = {}

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200

# Form bodies carry every value as a string; these are decoded before a method sees them.
_JSON_FIELDS = {
    "allowed_updates",
    "button",
    "caption_entities",
    "commands",
    "entities",
    "link_preview_options",
    "menu_button",
    "reply_markup",
    "reply_parameters",
    "results",
    "scope",
}
_INT_FIELDS = {
    "cache_time",
    "chat_id",
    "limit",
    "max_connections",
    "message_id",
    "offset",
    "reply_to_message_id",
    "timeout",
}
_BOOL_FIELDS = {
    "allow_sending_without_reply",
    "disable_notification",
    "drop_pending_updates",
    "is_personal",
    "protect_content",
    "show_alert",
}
_INTEGER = re.compile(r"-?\d+")


class ApiError(Exception):
    """A Bot API error answer; the HTTP status equals error_code, as with Telegram."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def answer(self) -> dict:
        answer: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            answer["parameters"] = {"retry_after": self.retry_after}
        return answer


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def api_method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


def normalize(params: Mapping[str, Any]) -> Params:
    """Decode form-encoded values (JSON objects, integers, booleans) the way Telegram reads them;
    a value that does not decode stays a string, and the method reports it."""
    result: Params = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            elif key in _INT_FIELDS and _INTEGER.fullmatch(value):
                value = int(value)
            elif key in _BOOL_FIELDS and value.lower() in ("true", "false"):
                value = value.lower() == "true"
        result[key] = value
    return result


def loggable(params: Params) -> Params:
    """Params for the call log: uploads are described, not copied."""
    return {
        key: {"file_name": value.filename, "content_type": value.content_type}
        if isinstance(value, FileField)
        else value
        for key, value in params.items()
    }
