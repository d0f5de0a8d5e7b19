"""Sharing a phone number in the sandbox: one's own by a reply keyboard's request_contact
button (Telegram sends it with the account's id), or anyone's card from the address book."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from telegram import Bot, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove

from sandbox.client import SandboxClient, SandboxError
from sandbox.server import RunningSandbox
from tests import sandbox_helpers
from tests.sandbox_helpers import MINJI, write

# The sandbox's own fixtures, bound here so that pytest finds them (see test_sandbox_botapi).
sandbox = sandbox_helpers.sandbox
bot = sandbox_helpers.bot
client = sandbox_helpers.client

PHONE = "+821012345678"


def ask_for_contact(*, one_time: bool = False) -> ReplyKeyboardMarkup:
    button = KeyboardButton("전화번호 보내기", request_contact=True)
    return ReplyKeyboardMarkup([[button], ["나중에"]], one_time_keyboard=one_time)


async def share(client: SandboxClient, contact: object, user: dict = MINJI) -> dict:
    return await client.request("POST", "/sandbox/message", {"user": user, "contact": contact})


async def test_own_contact_reaches_the_bot_with_the_users_id(
    bot: Bot, client: SandboxClient
) -> None:
    await write(client, "안녕")
    (hello,) = await bot.get_updates()
    await bot.send_message(5, "연락처를 알려 주세요", reply_markup=ask_for_contact())
    answer = await share(client, {"own": True, "phone_number": PHONE})
    (update,) = await bot.get_updates(offset=hello.update_id + 1)
    message = update.message
    assert update.update_id == answer["update_id"] and message.text is None
    assert message.contact.to_dict() == {
        "phone_number": PHONE,
        "first_name": "민지",
        "last_name": "김",
        "user_id": 5,
    }
    chat = await client.chat(5)
    assert chat["messages"][-1]["contact"]["user_id"] == 5
    (event,) = [e for e in (await client.events(chat_id=5))["events"] if e["seq"] == answer["seq"]]
    assert event["text"] == "📱 " + PHONE


async def test_the_client_shares_the_number_the_user_was_made_with(
    bot: Bot, client: SandboxClient
) -> None:
    await write(client, "안녕")
    (hello,) = await bot.get_updates()
    await bot.send_message(5, "연락처를 알려 주세요", reply_markup=ask_for_contact())
    minji = client.user(5, "민지", "김", phone_number="+82 10-2222-3333")
    sharing = asyncio.create_task(minji.share_contact())
    (update,) = await bot.get_updates(offset=hello.update_id + 1, timeout=5)
    await bot.send_message(5, "고마워요", reply_markup=ReplyKeyboardRemove())
    await sharing
    assert update.message.contact.phone_number == "+82 10-2222-3333"
    assert minji.reply_keyboard == [] and minji.last_text == "고마워요"


async def test_own_contact_needs_a_request_contact_button(bot: Bot, client: SandboxClient) -> None:
    await write(client, "안녕")
    own = {"own": True, "phone_number": PHONE}
    with pytest.raises(SandboxError, match="request_contact"):
        await share(client, own)
    await bot.send_message(5, "고르세요", reply_markup=ReplyKeyboardMarkup([["예", "아니요"]]))
    with pytest.raises(SandboxError, match="request_contact"):
        await share(client, own)
    await bot.send_message(5, "연락처", reply_markup=ask_for_contact())
    await bot.send_message(5, "취소했어요", reply_markup=ReplyKeyboardRemove())
    with pytest.raises(SandboxError, match="request_contact"):
        await share(client, own)
    mine = [m["text"] for m in (await client.chat(5))["messages"] if not m["from_bot"]]
    assert mine == ["안녕"]


async def test_own_contact_without_a_number_needs_a_registered_one(
    bot: Bot, client: SandboxClient
) -> None:
    await write(client, "안녕")
    await bot.send_message(5, "연락처를 알려 주세요", reply_markup=ask_for_contact())
    with pytest.raises(SandboxError, match="phone_number"):
        await share(client, {"own": True})
    await write(client, "번호를 등록해요", {**MINJI, "phone_number": PHONE})
    await share(client, {"own": True})  # a later profile without the number keeps it
    assert (await client.chat(5))["messages"][-1]["contact"]["phone_number"] == PHONE


async def test_someone_elses_card_carries_exactly_what_was_given(
    bot: Bot, client: SandboxClient
) -> None:
    await share(client, {"phone_number": "010-9876-5432", "first_name": "지훈"})
    await share(
        client, {"own": False, "phone_number": "+8210", "first_name": "서연", "user_id": 77}
    )
    first, second = await bot.get_updates()
    assert first.message.contact.to_dict() == {
        "phone_number": "010-9876-5432",
        "first_name": "지훈",
    }
    assert second.message.contact.to_dict() == {
        "phone_number": "+8210",
        "first_name": "서연",
        "user_id": 77,
    }


@pytest.mark.parametrize(
    "contact",
    [
        "+821012345678",
        ["+821012345678"],
        {"own": "yes", "phone_number": PHONE},
        {"own": True, "phone_number": 821012345678},
        {"own": True, "phone_number": ""},
        {"own": True, "phone_number": "+"},
        {"own": True, "phone_number": "010.1234.5678"},
        {"own": True, "phone_number": "1" * 21},
        {"own": True, "phone_number": PHONE, "first_name": "남의 이름"},
        {"first_name": "지훈"},
        {"phone_number": PHONE},
        {"phone_number": PHONE, "first_name": " "},
        {"phone_number": PHONE, "first_name": "지훈", "user_id": "77"},
        {"phone_number": PHONE, "first_name": "지훈", "user_id": True},
        {"phone_number": PHONE, "first_name": "지훈", "phone": PHONE},
    ],
)
async def test_bad_contacts_are_refused(
    sandbox: RunningSandbox, bot: Bot, client: SandboxClient, contact: object
) -> None:
    await write(client, "안녕")
    await bot.send_message(5, "연락처를 알려 주세요", reply_markup=ask_for_contact())
    body = {"user": MINJI, "contact": contact}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{sandbox.url}/sandbox/message", json=body) as response:
            assert response.status == 400, await response.text()
            assert (await response.json())["error"]
    assert (await client.chat(5))["reply_keyboard"] is not None


async def test_a_one_time_keyboard_goes_once_the_contact_is_sent(
    bot: Bot, client: SandboxClient
) -> None:
    await write(client, "안녕")
    await bot.send_message(5, "연락처", reply_markup=ask_for_contact())
    await share(client, {"own": True, "phone_number": PHONE})
    assert (await client.chat(5))["reply_keyboard"]["keyboard"][0][0]["request_contact"]
    await bot.send_message(5, "한 번만", reply_markup=ask_for_contact(one_time=True))
    await share(client, {"own": True, "phone_number": PHONE})
    assert (await client.chat(5))["reply_keyboard"] is None
    with pytest.raises(SandboxError, match="request_contact"):
        await share(client, {"own": True, "phone_number": PHONE})
