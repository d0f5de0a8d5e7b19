"""What anyone may send to the webhook: any header bytes, any body, any update_id. Nothing
but a signed update with a sound update_id is stored, and nothing gets a 500."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from aiohttp import web

from bot.webhook import MAX_BODY, SECRET_HEADER, WebhookServer
from storage.models import InboxUpdate

SECRET = "s3cret"


@contextlib.asynccontextmanager
async def receiving(server: WebhookServer):
    """The webhook's receiving end alone (no dispatcher): (host, port)."""
    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/hook", server.receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][:2]
    finally:
        await runner.cleanup()


@pytest.fixture
async def hook(db):
    async with receiving(WebhookServer(None, db, SECRET)) as address:
        yield address


async def post(address, body: bytes, secret: bytes = SECRET.encode(), extra: bytes = b"") -> int:
    """A raw HTTP/1.1 POST: the bytes exactly as given, as an attacker would send them."""
    reader, writer = await asyncio.open_connection(*address)
    head = (
        b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + SECRET_HEADER.encode()
        + b": "
        + secret
        + b"\r\n"
        + extra
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
    )
    writer.write(head + body)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def stored(db) -> list[int]:
    from sqlalchemy import select

    async with db.read() as conn:
        return list((await conn.execute(select(InboxUpdate.update_id))).scalars())


def update(update_id) -> bytes:
    return json.dumps({"update_id": update_id, "message": {"text": "hi"}}).encode()


async def test_a_sound_update_is_stored_once(hook, db):
    assert await post(hook, update(1)) == 200
    assert await post(hook, update(1)) == 200  # Telegram's retry: stored once
    assert await post(hook, update(2**63 - 1)) == 200
    assert sorted(await stored(db)) == [1, 2**63 - 1]


@pytest.mark.parametrize(
    "secret",
    [b"nope", b"", b"s3cret\xff", b"\xff\xfe", "비밀".encode(), b"s3cre"],
    ids=["wrong", "empty", "latin1-tail", "not-utf8", "korean", "prefix"],
)
async def test_a_wrong_secret_in_any_bytes_is_refused(hook, db, secret):
    assert await post(hook, update(5), secret=secret) == 403
    assert await stored(db) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[1, 2]",
        b"null",
        b'"update"',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"message": {"text": "hi"}}',
        b'{"update_id": "5"}',
        b'{"update_id": 1.5}',
        b'{"update_id": true}',
        b'{"update_id": -1}',
        b'{"update_id": 1e400}',
        b'{"update_id": 9223372036854775808}',
        b'{"update_id": NaN}',
        b'{"update_id": ' + b"9" * 5000 + b"}",
    ],
    ids=lambda body: body[:24].decode("latin-1"),
)
async def test_a_body_that_is_not_a_sound_update_gets_400(hook, db, body):
    assert await post(hook, body) == 400
    assert await stored(db) == []


async def test_a_body_over_the_limit_is_refused_unread(hook, db):
    big = json.dumps({"update_id": 9, "message": {"text": "x" * MAX_BODY}}).encode()
    assert await post(hook, big) == 413
    assert await stored(db) == []


async def test_a_flooder_already_told_is_dropped_at_the_door(db):
    """Past the limit and told once, a flooder's updates are acknowledged and dropped before
    they are stored (three writes each saved); a person within the limit is stored."""
    from time import monotonic
    from types import SimpleNamespace

    from handlers.gate import FloodGuard

    guard = FloodGuard(rate=1, burst=1)
    server = WebhookServer(None, db, SECRET)
    server.application = SimpleNamespace(bot_data={"flood": guard})
    assert guard.check(7, monotonic()) == "ok"
    assert guard.check(7, monotonic()) == "tell"  # the gate told them once
    async with receiving(server) as address:
        for update_id, person in ((1, 7), (2, 8)):
            message = {"message_id": 1, "date": 0, "chat": {"id": person, "type": "private"}}
            message["from"] = {"id": person, "is_bot": False, "first_name": "x"}
            body = json.dumps({"update_id": update_id, "message": message}).encode()
            assert await post(address, body) == 200
    assert await stored(db) == [2]
