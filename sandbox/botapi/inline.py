"""Bot API inline mode: answerInlineQuery."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.botapi.common import QUERY_TOO_OLD, Params, api_method, bad_request
from sandbox.botapi.params import _acted, _bool, _object
from sandbox.state import BotState

if TYPE_CHECKING:
    from sandbox.server.core import Sandbox


@api_method("answerInlineQuery")
async def answer_inline_query(sb: Sandbox, bot: BotState, p: Params) -> bool:
    query_id = str(p.get("inline_query_id") or "")
    record = bot.inline_queries.get(query_id)
    if record is None or record.answer is not None:
        raise bad_request(QUERY_TOO_OLD)
    results = _object(p, "results", list, "can't parse inline query results JSON object")
    results = results or []
    if len(results) > 50:
        raise bad_request("RESULTS_TOO_MUCH")
    seen = set()
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("id"), str):
            raise bad_request("can't parse inline query result")
        if result["id"] in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result["id"])
    record.answer = {
        "results": results,
        "cache_time": p.get("cache_time"),
        "is_personal": _bool(p, "is_personal"),
        "next_offset": p.get("next_offset"),
        "button": p.get("button"),
    }
    _acted(
        bot,
        "answerInlineQuery",
        bot.chats[record.user_id],
        exact_update_id=record.update_id,
        inline_query_id=query_id,
        results=len(results),
    )
    return True
