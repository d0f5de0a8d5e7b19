"""The Bot API routes: /bot<token>/<method> and the file downloads under /file/bot<token>/."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.server.core import _TOKEN, SANDBOX

routes = web.RouteTableDef()


@routes.route("*", "/bot{token}/{method}")
async def bot_api(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    if not _TOKEN.fullmatch(token):
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError:
                body = None
            if not isinstance(body, dict):
                answer = {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: invalid JSON",
                }
                return web.json_response(answer, status=400)
            params.update(body)
        else:  # x-www-form-urlencoded or multipart/form-data, as PTB sends
            params.update(await request.post())
    answer = await request.app[SANDBOX].call(token, request.match_info["method"], params)
    return web.json_response(answer, status=answer.get("error_code", 200))


@routes.get("/file/bot{token}/{path:.+}")
async def bot_file(request: web.Request) -> web.Response:
    stored = request.app[SANDBOX].files.by_path.get(request.match_info["path"])
    if stored is None:
        raise web.HTTPNotFound()
    return web.Response(body=stored.data, content_type=stored.mime_type)
