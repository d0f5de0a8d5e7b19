"""The fake phone identity check's page (가짜 본인확인), standing in for PASS or NICE in the
sandbox, the demo and tests: it asks what a carrier's check would find (name, birth date,
mobile number, carrier), believes every word, and posts the signed result back to the
bot's return page the way a real provider's page does (a form that submits itself).

Served by the bot's web server when IDENTITY_PROVIDER=fake (bot/identity_web.py), which the
settings allow only against the sandbox. Nothing of what is typed is kept or logged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import escape
from typing import Protocol
from urllib.parse import urlparse

from aiohttp import web

CARRIERS = ("SKT", "KT", "LG U+", "SKT 알뜰폰", "KT 알뜰폰", "LG U+ 알뜰폰")

# Made for a phone (the guardian opens it from Telegram): one column, 17px text, every field
# and the button 48px high and the column's full width (border-box, so none sticks out).
_STYLE = """<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
*{{box-sizing:border-box}}
body{{margin:0;background:#eef2f6;color:#1c2733;font:17px/1.5 system-ui,-apple-system,
"Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic",sans-serif;word-break:keep-all}}
main{{max-width:28rem;margin:0 auto;padding:1.5rem 1.25rem 2rem}}
h1{{font-size:1.4rem;margin:0 0 .75rem}}
p.note{{margin:0 0 1.25rem;padding:.75rem 1rem;border-radius:10px;background:#fff4e5;
color:#7a4100;font-size:.95rem}}
form{{background:#fff;border-radius:14px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}}
label{{display:block;margin:1rem 0 .35rem;font-weight:600}}label:first-of-type{{margin-top:0}}
input,select,button{{display:block;width:100%;min-height:48px;margin:0;font:inherit;
border-radius:10px}}
input,select{{padding:.6rem .8rem;border:1px solid #9aa8b6;background:#fff;color:inherit}}
input:focus,select:focus,button:focus-visible{{outline:3px solid #2481cc;outline-offset:1px}}
button{{margin-top:1.5rem;padding:.75rem 1rem;border:0;background:#2481cc;color:#fff;
font-weight:600;cursor:pointer}}
</style>"""

_FORM = (
    """<!doctype html><html lang="ko"><head><meta charset="utf-8">
<title>휴대폰 본인확인 (샌드박스의 가짜)</title>"""
    + _STYLE
    + """</head><body><main>
<h1>휴대폰 본인확인</h1>
<p class="note">샌드박스의 가짜 본인확인입니다. 입력한 내용을 그대로 믿고 서명해서 돌려보냅니다.
실제 서비스에서는 PASS·NICE 같은 본인확인기관의 화면이 이 자리에 옵니다.</p>
<form method="post">
<input type="hidden" name="request" value="{request}">
<input type="hidden" name="return" value="{back}">
<label for="name">이름</label><input id="name" name="name" autocomplete="name" required>
<label for="birth">생년월일</label><input id="birth" name="birth" type="date" required>
<label for="phone">휴대폰 번호</label>
<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel"
placeholder="010-1234-5678" required>
<label for="carrier">통신사</label><select id="carrier" name="carrier">{carriers}</select>
<button type="submit">인증하기</button>
</form></main></body></html>"""
)

_BACK = (
    """<!doctype html><html lang="ko"><head><meta charset="utf-8">
<title>본인확인 결과 보내는 중</title>"""
    + _STYLE
    + """</head><body onload="document.forms[0].submit()"><main>
<h1>본인확인 결과를 보내고 있습니다</h1>
<form method="post" action="{back}">{fields}
<noscript><button type="submit">계속</button></noscript></form></main></body></html>"""
)

_PROBLEM = (
    """<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>본인확인</title>"""
    + _STYLE
    + """</head><body><main><h1>휴대폰 본인확인</h1><p class="note">{text}</p>
</main></body></html>"""
)


class Signer(Protocol):
    PAGE_PATH: str

    def sign(
        self, request: str, *, name: str, birth: date, phone: str, carrier: str, now: datetime
    ) -> dict[str, str]: ...


def fake_provider_routes(check: Signer) -> list[web.RouteDef]:
    async def form(request: web.Request) -> web.Response:
        request_id, back = _asked(request.query)
        carriers = "".join(f"<option>{escape(c)}</option>" for c in CARRIERS)
        return _html(_FORM.format(request=escape(request_id), back=escape(back), carriers=carriers))

    async def verified(request: web.Request) -> web.Response:
        typed = await request.post()
        request_id, back = _asked(typed)
        try:
            birth = date.fromisoformat(str(typed.get("birth", "")).strip())
        except ValueError:
            raise _problem("생년월일을 YYYY-MM-DD 형식으로 입력해 주세요.") from None
        result = check.sign(
            request_id,
            name=str(typed.get("name", "")).strip(),
            birth=birth,
            phone="".join(ch for ch in str(typed.get("phone", "")) if ch.isdigit()),
            carrier=str(typed.get("carrier", "")),
            now=datetime.now(UTC),
        )
        fields = "".join(
            f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">'
            for key, value in result.items()
        )
        return _html(_BACK.format(back=escape(back), fields=fields))

    return [web.get(check.PAGE_PATH, form), web.post(check.PAGE_PATH, verified)]


def _asked(values) -> tuple[str, str]:
    """The request id and the return URL the bot started the check with."""
    request_id, back = str(values.get("request", "")), str(values.get("return", ""))
    parsed = urlparse(back)
    if not request_id or len(request_id) > 200 or parsed.scheme not in ("http", "https"):
        raise _problem("잘못된 본인확인 요청입니다.")
    return request_id, back


def _problem(text: str) -> web.HTTPBadRequest:
    """A 400 with a short page saying what was wrong (the same look as the form)."""
    return web.HTTPBadRequest(
        text=_PROBLEM.format(text=escape(text)),
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def _html(body: str) -> web.Response:
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return web.Response(text=body, content_type="text/html", headers=headers)
