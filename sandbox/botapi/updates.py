"""Bot API methods: identity and lifecycle, getUpdates and webhooks."""

from __future__ import annotations

import re
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from sandbox.botapi.common import WEBHOOK_ACTIVE, ApiError, Params, api_method, bad_request
from sandbox.botapi.params import _bool, _number, _object, _optional_int, _present
from sandbox.state import BotState, UpdateRecord
from sandbox.webhook import WebhookDelivery

if TYPE_CHECKING:
    from sandbox.server.core import Sandbox

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


# Identity and lifecycle ---------------------------------------------------------------------


@api_method("getMe")
async def get_me(sb: Sandbox, bot: BotState, p: Params) -> dict:
    return {
        **bot.user_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("logOut")
async def log_out(sb: Sandbox, bot: BotState, p: Params) -> bool:
    return True


@api_method("close")
async def close(sb: Sandbox, bot: BotState, p: Params) -> bool:
    return True


# Getting updates ----------------------------------------------------------------------------


def _apply_allowed_updates(bot: BotState, p: Params) -> None:
    """allowed_updates, when given, holds for updates created from now on; [] means all."""
    allowed = _object(p, "allowed_updates", list, "can't parse allowed_updates JSON object")
    if allowed is not None:
        bot.allowed_updates = frozenset(map(str, allowed)) or None


@api_method("getUpdates")
async def get_updates(sb: Sandbox, bot: BotState, p: Params) -> list[dict]:
    if bot.webhook is not None:
        raise ApiError(409, WEBHOOK_ACTIVE)
    offset = _optional_int(p, "offset")
    limit = min(max(_optional_int(p, "limit") or 100, 1), 100)
    timeout = max(_number(p, "timeout", 0), 0)
    _apply_allowed_updates(bot, p)
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.updates_signal.notify()  # an older long poll wakes, sees the new generation, ends
    if offset is not None:
        bot.confirm(offset)
    deadline = time.monotonic() + timeout
    while True:
        batch = bot.take(limit)
        remaining = deadline - time.monotonic()
        if batch or remaining <= 0 or sb.closing:
            return [record.payload for record in batch]
        await bot.updates_signal.wait(remaining)
        if sb.closing:
            return []
        if bot.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        if bot.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)


async def _stop_webhook(bot: BotState) -> list[UpdateRecord]:
    if bot.webhook is None:
        return []
    left = await bot.webhook.stop()
    bot.webhook = None
    return left


@api_method("setWebhook")
async def set_webhook(sb: Sandbox, bot: BotState, p: Params) -> bool:
    url = str(p.get("url") or "")
    if not url:
        return await delete_webhook(sb, bot, p)
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTP(S) URL must be provided for webhook")
    secret_token = _present(p, "secret_token")
    if secret_token is not None and not _SECRET_TOKEN.fullmatch(str(secret_token)):
        raise bad_request("secret token contains unallowed characters")
    max_connections = _optional_int(p, "max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("invalid max_connections specified")
    _apply_allowed_updates(bot, p)
    left = await _stop_webhook(bot)
    if _bool(p, "drop_pending_updates"):
        waiting: list[UpdateRecord] = []
    else:
        waiting = sorted([*left, *bot.pending], key=lambda record: record.update_id)
        waiting.extend(bot.redeliveries)
    bot.pending.clear()
    bot.redeliveries.clear()
    bot.webhook = WebhookDelivery(
        bot,
        sb.http_session(),
        url,
        secret_token=secret_token,
        max_connections=max_connections,
        allowed_updates=sorted(bot.allowed_updates) if bot.allowed_updates else None,
    )
    for record in waiting:
        bot.webhook.push(record)
    bot.updates_signal.notify()  # a waiting getUpdates now ends with 409
    return True


@api_method("deleteWebhook")
async def delete_webhook(sb: Sandbox, bot: BotState, p: Params) -> bool:
    left = await _stop_webhook(bot)
    if _bool(p, "drop_pending_updates"):
        bot.pending.clear()
        bot.redeliveries.clear()
    else:
        bot.pending = deque(sorted([*left, *bot.pending], key=lambda record: record.update_id))
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(sb: Sandbox, bot: BotState, p: Params) -> dict:
    info: dict[str, Any] = {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": bot.pending_count(),
    }
    webhook = bot.webhook
    if webhook is not None:
        info.update(url=webhook.url, max_connections=webhook.max_connections)
        info["ip_address"] = "127.0.0.1"
        if webhook.allowed_updates:
            info["allowed_updates"] = webhook.allowed_updates
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
    return info
