"""`make demo`: every demo persona can join by clicking, and the chat page is served."""

from __future__ import annotations

import aiohttp

from bot.demo import PERSONAS, STAFF_ID, prepare_database
from bot.runner import running_bot
from tests.conftest import make_settings


async def test_every_persona_completes_joining(sandbox, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}"
    starts = await prepare_database(url)
    settings = make_settings(url, sandbox.api_base, admin_ids=frozenset({STAFF_ID}))
    async with running_bot(settings):
        for persona in PERSONAS:
            user = sandbox.user(persona.id, persona.first_name, persona.last_name)
            code = starts.get(persona.id)
            await user.send(f"/start {code}" if code else "/start")
            if persona.id == STAFF_ID:
                # ADMIN_IDS made them staff on this very first visit: welcome, not back.
                assert "오신 것을 환영합니다. 담당자로 등록되어 있습니다" in user.last_text
                assert "다시" not in user.last_text
            elif code:
                await user.press("로 하기")  # “김민지”로, “박선영”으로
                if "선생님" in persona.role_label:
                    await user.press("완료")
                if "학부모 지원단" in persona.role_label:
                    await user.press("일산동구")  # the district they cover
                assert "가입을 마쳤습니다" in user.last_text, persona
            elif persona.id == 1003:
                continue  # the guardian opens a student's link; covered by the consent tests
            else:
                await user.press("학생이에요")
                await user.send("정발")
                await user.press("정발중학교")
                await user.press("1학년")
                await user.press("로 하기")  # “김민지”로, “박선영”으로
                await user.press("아니요")
                assert "가입 완료" in user.last_text, persona


async def test_the_chat_page_is_served(sandbox):
    async with aiohttp.ClientSession() as http, http.get(sandbox.url + "/") as page:
        assert page.status == 200
        html = await page.text()
    assert "<html" in html and "/sandbox/events" in html
