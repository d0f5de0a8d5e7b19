"""The phone identity check (본인확인) a city can switch on for guardian consent, end to end on
both databases: the bot polling the sandbox, its identity pages on a port of their own, the
fake provider's page in a browser's place. A guardian consents through the check; a tampered
or stale result, another phone, a minor and a result sent again are refused with nothing
written; the guardian's contact stays the default."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from sqlalchemy import func, select

from storage.identity import FakeIdentityCheck
from storage.models import AuditEntry, Base, ConsentRequest, utcnow
from tests.conftest import DEMO_TOKEN as TEST_TOKEN
from tests.conftest import join_as_student, make_settings
from tests.test_consent_e2e import E164, consent_link, refusals
from tests.test_onboarding_e2e import user_row
from tests.world_helpers import add_teacher

# A student hears of consent only 08:00-21:00 (the outbox): the stories run on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")

SECRET = "identity-check-secret-for-tests-only-0123456789"
GUARDIAN_NAME = "이보호"  # what the guardian types at the provider: never kept
ADULT_BIRTH = date(1984, 5, 17)


def identity_settings(db_url: str, api_url: str, port: int, **overrides):
    return make_settings(
        db_url,
        api_url,
        consent_check="identity",
        identity_provider="fake",
        identity_secret=SECRET,
        identity_url=f"http://127.0.0.1:{port}",
        identity_port=port,
        **overrides,
    )


@pytest.fixture
async def identity_bot(sandbox, db_url, demo, unused_tcp_port):
    """The real bot with CONSENT_CHECK=identity and the fake provider, polling the sandbox;
    `.identity_url` is where its identity pages answer (their own server: polling mode)."""
    from bot.runner import running_bot
    from sandbox.client import HandledUpdates

    settings = identity_settings(db_url, sandbox.api_base, unused_tcp_port)
    url = settings.identity_url
    async with running_bot(settings) as application:
        sandbox.handled = HandledUpdates()
        application.update_processor.on_handled = sandbox.handled.mark
        application.identity_url = url
        yield application
        sandbox.handled = None


# ----- a browser, for the provider's page and the return page ----------------------------------


def check_button(person) -> str:
    """The URL of the identity check button on the newest message that has one."""
    for message in reversed(person.bot_messages):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if "본인확인" in button["text"] and "url" in button:
                    return button["url"]
    raise AssertionError(f"{person.first_name}: no identity check button")


def hidden_fields(html: str) -> dict[str, str]:
    pairs = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', html)
    return {unescape(name): unescape(value) for name, value in pairs}


async def verify_at_provider(
    person, *, phone: str, birth: date = ADULT_BIRTH
) -> tuple[str, dict[str, str]]:
    """The guardian opens the check's button and verifies on the fake provider's page; the
    return page's address and the signed result the provider's page would post there."""
    from sandbox.client import SAID

    SAID.update({GUARDIAN_NAME, phone, birth.isoformat()})  # never in a log line
    url = check_button(person)
    async with aiohttp.ClientSession() as browser:
        async with browser.get(url) as page:
            assert page.status == 200
            form = hidden_fields(await page.text())
        typed = form | {
            "name": GUARDIAN_NAME,
            "birth": birth.isoformat(),
            "phone": phone,
            "carrier": "SKT",
        }
        async with browser.post(url.split("?")[0], data=typed) as back:
            assert back.status == 200
            html = await back.text()
    action = unescape(re.search(r'<form method="post" action="([^"]*)"', html).group(1))
    return action, hidden_fields(html)


async def post_result(action: str, result: dict[str, str]) -> tuple[int, str]:
    """The browser posts the provider's result to the bot's return page."""
    async with aiohttp.ClientSession() as browser:
        async with browser.post(action, data=result) as page:
            return page.status, await page.text()


def back_to_the_chat(page: str, application) -> None:
    """The return page: Korean, made for a phone, with a way back to the bot's chat."""
    assert '<html lang="ko">' in page and 'name="viewport"' in page
    assert "<title>보호자 동의 휴대전화 본인확인</title>" in page
    assert "Jinro" not in page
    link = f'href="https://t.me/{application.bot.username}"'
    assert link in page and ">텔레그램으로 돌아가기</a>" in page
    assert "min-height:48px" in page and "font:17px" in page


def request_of(person) -> str:
    return parse_qs(urlparse(check_button(person)).query)["request"][0]


# ----- what the database holds -----------------------------------------------------------------


async def consent_request(db, token: str):
    async with db.read() as conn:
        return (
            await conn.execute(
                select(ConsentRequest.__table__).where(ConsentRequest.token == token)
            )
        ).one()


async def count(db, action: str) -> int:
    async with db.read() as conn:
        return await conn.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )


async def nothing_written(db, token: str, student_id: int) -> None:
    """The request is still open, the student has no consent, none was recorded."""
    request = await consent_request(db, token)
    assert (request.status, request.answered_by, request.method) == ("pending", None, None)
    assert (await user_row(db, student_id)).consent_at is None
    assert await count(db, "consent.given") == 0


async def anywhere_in_the_database(db, *texts: str) -> list[str]:
    """Tables whose rows hold any of `texts`."""
    found = []
    async with db.read() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            if any(text in repr(row) for row in rows for text in texts):
                found.append(table.name)
    return found


# ----- the tests -------------------------------------------------------------------------------


async def test_a_guardian_consents_through_the_identity_check(identity_bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 1101, grades="1")
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    mother = sandbox.user(1004, "서준 엄마")
    await mother.send(f"/start {token}")
    assert "휴대전화 본인확인으로 확인되는" in mother.last_text  # what is kept, said for this way
    await mother.press("부모이며, 동의합니다")
    assert "휴대전화 본인확인을 해 주십시오" in mother.last_text
    assert "이름, 생년월일 등" in mother.last_text
    assert not mother.reply_keyboard  # no contact to share: the check instead
    await mother.send("했어요")  # typed instead of checking: the button again
    assert "열리는 화면에서 본인확인을 해 주십시오" in mother.last_text
    assert "입력하신 번호" not in mother.last_text and check_button(mother)

    await mother.send("010-2345-6789")  # a typed number proves nothing: told so
    assert "입력하신 번호로는 보호자님 본인인지 확인할 수 없습니다" in mother.last_text
    assert "통신사를 거치는 휴대전화 본인확인" in mother.last_text
    assert "“📱 휴대전화 본인확인" in mother.last_text and check_button(mother)

    action, result = await verify_at_provider(mother, phone="010-2345-6789")
    assert action == identity_bot.identity_url + "/identity/return"
    status, page = await post_result(action, result)
    assert status == 200 and "동의가 기록되었습니다" in page
    back_to_the_chat(page, identity_bot)
    await mother.expect("동의가 기록되었고")
    await seojun.expect("보호자가 동의해 주셨어요")
    request = await consent_request(db, token)
    assert (request.status, request.method, request.relationship) == ("given", "identity", "parent")
    assert (request.answered_by, request.guardian_phone) == (1004, E164)
    student = await user_row(db, 1002)
    assert student.consent_method == "guardian" and student.consent_at is not None
    assert (await user_row(db, 1004)).flow is None
    # Only the number and the answer are kept: nothing else the check returned.
    assert await anywhere_in_the_database(db, GUARDIAN_NAME, "19840517", "1984, 5, 17", "SKT") == []

    status, page = await post_result(action, result)  # the same result again
    assert status == 410 and "이미 처리되었거나" in page
    back_to_the_chat(page, identity_bot)
    assert await count(db, "consent.given") == 1
    await mother.send(f"/start {token}")  # the link works once: she has answered it
    assert "이미 동의하셨습니다" in mother.last_text
    await teacher.send("/consents")
    assert "동의: 보호자 휴대전화 본인확인" in teacher.last_text


async def test_refused_results_write_nothing_and_the_link_still_works(identity_bot, sandbox, db):
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    mother = sandbox.user(1004, "서준 엄마")
    await mother.send(f"/start {token}")
    await mother.press("부모이며, 동의합니다")

    # Tampered: someone verifies their own phone, then writes the student's number in.
    action, result = await verify_at_provider(mother, phone="010-9999-8888")
    data = json.loads(base64.urlsafe_b64decode(result["result"]))
    forged = base64.urlsafe_b64encode(json.dumps(data | {"phone": "01023456789"}).encode())
    status, page = await post_result(action, result | {"result": forged.decode()})
    assert status == 400 and "검증할 수 없어서" in page
    back_to_the_chat(page, identity_bot)
    status, _ = await post_result(action, result | {"mac": "0" * 64})
    assert status == 400
    status, _ = await post_result(action, {})  # nothing at all
    assert status == 400
    await nothing_written(db, token, 1002)
    assert len(await refusals(db, "tampered")) == 3

    # Stale: a well-signed result from half an hour ago.
    check = FakeIdentityCheck(SECRET, identity_bot.identity_url)
    old = check.sign(
        request_of(mother),
        name=GUARDIAN_NAME,
        birth=ADULT_BIRTH,
        phone="01023456789",
        carrier="KT",
        now=utcnow() - timedelta(minutes=30),
    )
    status, page = await post_result(action, old)
    assert status == 400 and "유효 시간이 지나서" in page
    assert len(await refusals(db, "stale")) == 1
    await nothing_written(db, token, 1002)

    # Another phone: refused and told in the chat; the check is used up.
    other = await verify_at_provider(mother, phone="010-9999-8888")
    status, page = await post_result(*other)
    assert status == 200 and "동의가 기록되지 않았습니다" in page
    await mother.expect("학생이 알려 준 번호와 달라서")
    assert len(await refusals(db, "phone")) == 1
    assert (await user_row(db, 1004)).flow is None
    await nothing_written(db, token, 1002)
    status, _ = await post_result(*other)  # sent again: nobody waits for it
    assert status == 410
    assert len(await refusals(db, "phone")) == 1

    # A minor with the right number (the student's own phone, say): refused.
    await mother.send(f"/start {token}")
    await mother.press("부모이며, 동의합니다")
    seventeen = utcnow().date().replace(month=1, day=1) - timedelta(days=17 * 365)
    minor = await verify_at_provider(mother, phone="010-2345-6789", birth=seventeen)
    status, page = await post_result(*minor)
    assert status == 200 and "동의가 기록되지 않았습니다" in page
    await mother.expect("성인이 아니어서")
    assert len(await refusals(db, "minor")) == 1
    await nothing_written(db, token, 1002)

    # The link still works, once: the guardian checks with the right phone.
    await mother.send(f"/start {token}")
    await mother.press("법정대리인")
    status, page = await post_result(*await verify_at_provider(mother, phone="01023456789"))
    assert status == 200 and "동의가 기록되었습니다" in page
    await seojun.expect("보호자가 동의해 주셨어요")
    request = await consent_request(db, token)
    assert (request.status, request.method, request.relationship) == (
        "given",
        "identity",
        "guardian",
    )
    status, _ = await post_result(*minor)  # an old refused result changes nothing now
    assert status == 410


async def test_a_check_started_before_the_guardian_declined_changes_nothing(
    identity_bot, sandbox, db
):
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    father = sandbox.user(1007, "서준 아빠")
    await father.send(f"/start {token}")
    await father.press("부모이며, 동의합니다")
    started = await verify_at_provider(father, phone="010-2345-6789")
    await father.send(f"/start {token}")  # the question again, and this time: no
    await father.press("동의하지 않습니다")  # checked as a yes is, with a check of its own
    assert "보호자님 본인의 이름으로 기록되므로" in father.last_text and check_button(father)
    status, _ = await post_result(*started)  # the check begun for a yes: nobody waits for it
    assert status == 410
    assert (await consent_request(db, token)).status == "pending"
    status, page = await post_result(*await verify_at_provider(father, phone="01023456789"))
    assert status == 200 and "동의하지 않는다는 답이 기록되었습니다" in page
    await seojun.expect("보호자가 이번에는 동의하지 않으셨어요")
    request = await consent_request(db, token)
    assert (request.status, request.method, request.answered_by) == ("declined", "identity", 1007)
    assert (await user_row(db, 1002)).consent_at is None


async def test_a_no_from_another_phone_writes_nothing(identity_bot, sandbox, db):
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    stranger = sandbox.user(1003, "다른 어른")
    await stranger.send(f"/start {token}")
    await stranger.press("동의하지 않습니다")
    status, page = await post_result(*await verify_at_provider(stranger, phone="010-9999-8888"))
    assert status == 200 and "답이 기록되지 않았습니다" in page
    await stranger.expect("답을 기록하지 않았습니다")
    assert len(await refusals(db, "phone")) == 1
    await nothing_written(db, token, 1002)
    assert await count(db, "consent.declined") == 0


async def test_the_guardians_contact_stays_the_default(bot, sandbox, db):
    assert bot.bot_data["identity"] is None
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    mother = sandbox.user(1004, "서준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    assert "다음 단계에서 보내 주시는" in mother.last_text
    await mother.press("부모이며, 동의합니다")
    assert "본인확인" not in mother.last_text
    await mother.share_contact()
    assert "동의가 기록되었고" in mother.last_text
    assert (await consent_request(db, token)).method == "contact"


async def test_in_webhook_mode_the_webhooks_server_serves_the_check(
    sandbox, db_url, db, demo, unused_tcp_port
):
    from bot.webhook import running_webhook

    port = unused_tcp_port
    settings = identity_settings(
        db_url,
        sandbox.api_base,
        port,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret="s3cret-token",
        webhook_port=port,
    )
    async with running_webhook(settings):
        seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
        token = await consent_link(seojun)
        mother = sandbox.user(1004, "서준 엄마")
        await mother.send(f"/start {token}")
        await mother.press("부모이며, 동의합니다")
        action, result = await verify_at_provider(mother, phone="010-2345-6789")
        assert action == f"http://127.0.0.1:{port}/identity/return"
        status, page = await post_result(action, result)
        assert status == 200 and "동의가 기록되었습니다" in page
        await seojun.expect("보호자가 동의해 주셨어요")
    assert (await consent_request(db, token)).method == "identity"


async def test_the_providers_page_is_made_for_a_phone(identity_bot, sandbox, db):
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    mother = sandbox.user(1004, "서준 엄마")
    await mother.send(f"/start {token}")
    await mother.press("부모이며, 동의합니다")
    async with aiohttp.ClientSession() as browser, browser.get(check_button(mother)) as page:
        html = await page.text()
    assert '<html lang="ko">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    # Every field and the button as wide as the column (border-box: none sticks out), 48px
    # high; text at 17px (a phone zooms into anything under 16px).
    assert "*{box-sizing:border-box}" in html and "font:17px" in html
    assert "input,select,button{display:block;width:100%;min-height:48px" in html
    assert 'type="tel"' in html and re.search(r"<title>[^<]*본인확인[^<]*</title>", html)


# ----- `make demo` runs the identity check without BOT_API_URL ---------------------------------

DEMO_IDENTITY = {
    "CONSENT_CHECK": "identity",
    "IDENTITY_PROVIDER": "fake",
    "IDENTITY_SECRET": SECRET,
}


async def test_the_demo_runs_the_identity_check_without_bot_api_url(
    sandbox, db_url, db, demo, unused_tcp_port
):
    from bot.demo import demo_settings
    from bot.identity_web import identity_check
    from bot.runner import running_bot
    from bot.settings import SettingsError, load_settings
    from sandbox.client import HandledUpdates

    env = DEMO_IDENTITY | {
        "IDENTITY_URL": f"http://127.0.0.1:{unused_tcp_port}",
        "IDENTITY_PORT": str(unused_tcp_port),
    }
    # A bot of one's own with the fake and no BOT_API_URL would run against Telegram: refused,
    # saying what to set.
    with pytest.raises(SettingsError) as refused:
        load_settings(env, dotenv=False)
    assert "BOT_API_URL" in str(refused.value) and "make demo" in str(refused.value)
    assert "CONSENT_CHECK=contact" in str(refused.value)
    # The demo knows it runs on its sandbox; were its settings used against Telegram all the
    # same, building the bot refuses too.
    settings = load_settings(env, dotenv=False, sandbox=True)
    with pytest.raises(SettingsError, match="BOT_API_URL"):
        identity_check(settings)

    # The demo's settings as `make demo` makes them, but for the token of the tests' sandbox.
    ran = dataclasses.replace(
        demo_settings(settings, sandbox.api_base, db_url), bot_token=TEST_TOKEN
    )
    async with running_bot(ran) as application:
        sandbox.handled = HandledUpdates()
        application.update_processor.on_handled = sandbox.handled.mark
        try:
            seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
            token = await consent_link(seojun)
            mother = sandbox.user(1004, "서준 엄마")
            await mother.send(f"/start {token}")
            await mother.press("부모이며, 동의합니다")
            status, page = await post_result(
                *await verify_at_provider(mother, phone="010-2345-6789")
            )
            assert status == 200 and "동의가 기록되었습니다" in page
            await seojun.expect("보호자가 동의해 주셨어요")
        finally:
            sandbox.handled = None
    assert (await consent_request(db, token)).method == "identity"


def test_a_real_run_with_the_fake_and_telegram_stops_with_what_to_set(monkeypatch, capsys):
    from bot.__main__ import main

    for name, value in (DEMO_IDENTITY | {"IDENTITY_URL": "http://127.0.0.1:8444"}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BOT_TOKEN", "123456:" + "A" * 30)
    monkeypatch.setenv("BOT_API_URL", "")  # unset: Telegram's
    assert main(["run"]) == 2
    said = capsys.readouterr().err
    assert said.startswith("error: IDENTITY_PROVIDER=fake") and said.count("\n") == 1
    assert "BOT_API_URL" in said and "make demo" in said
