"""The test API under /sandbox/: user actions, faults, views, events, calls and config."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox.botapi import METHODS
from sandbox.server.core import SANDBOX, Sandbox, TestApiError
from sandbox.state import BotState

MAX_LONG_POLL = 60.0

routes = web.RouteTableDef()


@web.middleware
async def _test_api_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except TestApiError as error:
        return web.json_response({"error": str(error)}, status=error.status)


async def _body(request: web.Request) -> Any:
    if not request.can_read_body:
        return {}
    try:
        return await request.json()
    except json.JSONDecodeError:
        raise TestApiError(400, "the body must be JSON") from None


async def _object_body(request: web.Request) -> dict:
    body = await _body(request)
    if not isinstance(body, dict):
        raise TestApiError(400, "the body must be a JSON object")
    return body


def _bot_for(request: web.Request, body: dict | None = None) -> BotState:
    token = (body or {}).get("token") or request.query.get("token")
    return request.app[SANDBOX].resolve_bot(token)


def _query_number(request: web.Request, name: str, default: float) -> float:
    try:
        return float(request.query.get(name, default))
    except ValueError:
        raise TestApiError(400, f"{name} must be a number") from None


@routes.get("/sandbox/config")
async def get_config(request: web.Request) -> web.Response:
    return web.json_response(_config(request.app[SANDBOX]))


@routes.post("/sandbox/config")
async def set_config(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    body = await _object_body(request)
    if "delay_ms" in body:
        sb.delay_ms = max(int(body["delay_ms"]), 0)
    if "default_token" in body:
        sb.default_token = body["default_token"] or None
    for key in ("bot_username", "bot_first_name"):
        if body.get(key):
            setattr(sb, key, str(body[key]))
    for bot in sb.bots.values():
        bot.username, bot.first_name = sb.bot_username, sb.bot_first_name
    return web.json_response(_config(sb))


def _config(sb: Sandbox) -> dict:
    return {
        "delay_ms": sb.delay_ms,
        "default_token": sb.default_token,
        "active_token": sb.active_token,
        "bot_username": sb.bot_username,
        "bot_first_name": sb.bot_first_name,
    }


@routes.post("/sandbox/faults")
async def add_fault(request: web.Request) -> web.Response:
    body = await _object_body(request)
    bot = _bot_for(request, body)
    try:
        request.app[SANDBOX].add_fault(bot, body)
    except (TypeError, ValueError) as error:
        raise TestApiError(400, f"bad fault: {error}") from None
    return web.json_response({"faults": len(bot.faults)})


@routes.delete("/sandbox/faults")
async def clear_faults(request: web.Request) -> web.Response:
    bot = _bot_for(request, await _object_body(request))
    bot.faults.clear()
    return web.json_response({"faults": 0})


@routes.post("/sandbox/block")
async def block(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    body = await _object_body(request)
    if not isinstance(body.get("user_id"), int):
        raise TestApiError(400, '"user_id" must be an integer')
    if body.get("blocked", True):
        sb.blocked.add(body["user_id"])
    else:
        sb.blocked.discard(body["user_id"])
    return web.json_response({"blocked": sorted(sb.blocked)})


def _user_action(
    act: Callable[[Sandbox, BotState, dict], dict],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A route for what a user does in a chat (`act`, a Sandbox method): the body names the
    user and what they do; the answer is the update it queued."""

    async def route(request: web.Request) -> web.Response:
        body = await _object_body(request)
        return web.json_response(act(request.app[SANDBOX], _bot_for(request, body), body))

    return route


for _path, _act in (
    ("/sandbox/message", Sandbox.user_message),
    ("/sandbox/edit", Sandbox.user_edit),
    ("/sandbox/callback", Sandbox.user_callback),
    ("/sandbox/inline", Sandbox.user_inline),
):
    routes.post(_path)(_user_action(_act))


@routes.get("/sandbox/inline/{query_id}")
async def inline_answer(request: web.Request) -> web.Response:
    record = _bot_for(request).inline_queries.get(request.match_info["query_id"])
    if record is None:
        raise TestApiError(404, "no such inline query")
    return web.json_response({"query": record.query, "answer": record.answer})


@routes.post("/sandbox/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    body = await _object_body(request)
    sb = request.app[SANDBOX]
    return web.json_response(sb.redeliver(_bot_for(request, body), body.get("update_id")))


@routes.get(r"/sandbox/chats/{chat_id:-?\d+}")
async def chat_view(request: web.Request) -> web.Response:
    sb = request.app[SANDBOX]
    return web.json_response(sb.chat_view(_bot_for(request), int(request.match_info["chat_id"])))


@routes.get("/sandbox/events")
async def events(request: web.Request) -> web.Response:
    """Long poll for events after `after`; answers as soon as there is at least one."""
    sb = request.app[SANDBOX]
    bot = _bot_for(request)
    after = int(_query_number(request, "after", 0))
    timeout = min(max(_query_number(request, "timeout", 0), 0), MAX_LONG_POLL)
    chat_id = request.query.get("chat_id")
    chat_filter = int(chat_id) if chat_id and chat_id.lstrip("-").isdigit() else None
    deadline = time.monotonic() + timeout
    while True:
        found = bot.events_after(after, chat_filter)
        remaining = deadline - time.monotonic()
        if found or remaining <= 0 or sb.closing:
            return web.json_response({"events": found, "last_seq": bot.last_seq})
        await bot.events_signal.wait(remaining)


@routes.get("/sandbox/calls")
async def calls(request: web.Request) -> web.Response:
    bot = _bot_for(request)
    method = request.query.get("method")
    if method is None:
        return web.json_response({"calls": bot.calls})
    canonical = METHODS.get(method.lower(), (method, None))[0]
    return web.json_response({"calls": bot.calls_by_method.get(canonical, [])})


@routes.get("/sandbox/updates/stats")
async def update_stats(request: web.Request) -> web.Response:
    bot = _bot_for(request)
    return web.json_response(
        {"updates": [record.stats() for record in bot.updates.values()], "now": time.monotonic()}
    )


@routes.post("/sandbox/reset")
async def reset(request: web.Request) -> web.Response:
    await request.app[SANDBOX].reset()
    return web.json_response({"ok": True})


@routes.get("/sandbox/personas")
async def get_personas(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX].personas)


@routes.post("/sandbox/personas")
async def set_personas(request: web.Request) -> web.Response:
    body = await _body(request)
    personas = body.get("personas") if isinstance(body, dict) else body
    if not isinstance(personas, list):
        raise TestApiError(400, 'send a list of personas (or {"personas": [...]})')
    request.app[SANDBOX].set_personas(personas)
    return web.json_response(personas)


@routes.get("/sandbox/files/{file_id}")
async def file_bytes(request: web.Request) -> web.Response:
    stored = request.app[SANDBOX].files.get(request.match_info["file_id"])
    if stored is None:
        raise TestApiError(404, "no such file")
    headers = {}
    if stored.file_name:
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(stored.file_name)}"
    return web.Response(body=stored.data, content_type=stored.mime_type, headers=headers)
