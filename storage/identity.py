"""The phone identity check (휴대폰 본인확인, through PASS, NICE or KCB) that a city can switch
on instead of the guardian's shared contact (CONSENT_CHECK=identity): PIPA Enforcement Decree
Art. 17-2 (1) 3's way of confirming a legal representative.

The bot asks the provider for a check of its own request id and sends the guardian to the
provider's page (`start`); the guardian verifies with their carrier there; the provider sends
a signed or encrypted result back to the bot's return page, and `verify` opens it. Of all it
carries (name, birth date, gender, mobile number, carrier, CI/DI) only the mobile number and
whether the person is an adult leave this module (`Verified`): the consent needs nothing else,
so nothing else is kept or logged.

A city's real adapter (the provider's SDK and contract are the city's; none is shipped here)
implements `IdentityCheck` and must:

- in `start`, register the request id and the return URL with the provider (encrypted with the
  service's key, or by a server call for a session token, as the provider asks) and return the
  provider's https page for the guardian's browser;
- in `verify`, decrypt the result with the service's key or check its signature (anything that
  fails: `Unverified("tampered")`), refuse one older than a few minutes (`Unverified("stale")`),
  return the provider's copy of the request id so the caller can match it to its own open
  request, and the mobile number in E.164 and adulthood counted from the birth date at `now`;
- never log or keep the name, birth date, CI or DI (the result may be decrypted into locals
  only), and give its settings (site code, keys) a place next to IDENTITY_SECRET.

`FakeIdentityCheck` stands in for tests and the sandbox: its page (served by the bot beside
the return page, sandbox/identity_provider.py) takes whatever is typed and signs the result
with HMAC-SHA256 under IDENTITY_SECRET, so a tampered, stale or foreign result is refused like
a real one. Settings allow it only against the sandbox, never against Telegram.

The guardian waiting for their result is found by the request id kept in their flow
(`waiting`); once the result is used or refused the flow is gone, so a request is used once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import consent
from storage.errors import NotFound
from storage.tables import users

# The guardian's flow step while their check is open (handlers/consent/identity.py); its data
# holds the consent link's token, the relationship and the check's request id.
FLOW = "gc.identity"
RETURN_PATH = "/identity/return"  # the bot's page the provider sends the guardian back to
ADULT_AGE = 19  # 민법 제4조: a legal representative of a child is an adult
MAX_AGE = timedelta(minutes=10)  # a result older than this is refused (providers use 5-30)
SKEW = timedelta(minutes=2)  # a result "from the future" this much is a clock apart, not forged
# Birth dates from Korean carriers are Korean days: a birthday begins at midnight in Seoul.
KOREA = ZoneInfo("Asia/Seoul")
MAX_PAYLOAD = 4096  # characters of a result field: far above a real one, far below harm


@dataclass(frozen=True)
class Verified:
    """What a check vouches for, and all that leaves this module."""

    request: str  # the request id the result is for, as the provider returned it
    phone: str  # the verified mobile number, E.164
    adult: bool  # the person is ADULT_AGE or older at `now`


class Unverified(Exception):
    """A result that is not to be trusted; args[0] a code: tampered (the signature does not
    hold, or it cannot be read) or stale (older than MAX_AGE)."""


class NotAnAdult(NotFound):
    """The identity check found a minor: a legal representative is an adult."""


class IdentityCheck(Protocol):
    async def start(self, request: str, return_url: str) -> str:
        """The provider's page for a check of `request` that returns to `return_url`."""
        ...

    async def verify(self, payload: Mapping[str, str], *, now: datetime) -> Verified:
        """The result the provider sent back (the return page's form fields), opened and
        checked; Unverified if it is not to be trusted."""
        ...


def new_request() -> str:
    """A request id for one check: unguessable, single use (it lives in the guardian's flow)."""
    return secrets.token_urlsafe(18)


def adult(birth: date, now: datetime) -> bool:
    today = now.astimezone(KOREA).date()
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return age >= ADULT_AGE


# ----- the guardian who waits, and their consent ---------------------------------------------


async def waiting(conn: AsyncConnection, request: str) -> Row | None:
    """The account whose open check `request` is (their flow is FLOW with this request id)."""
    return (
        await conn.execute(
            select(users).where(
                users.c.flow == FLOW, users.c.flow_data["check"].as_string() == request
            )
        )
    ).first()


async def give(
    conn: AsyncConnection,
    token: str,
    guardian: Row,
    *,
    relationship: str,
    verified: Verified,
    now: datetime,
    answer: str = "given",
) -> Row:
    """The guardian's answer (`answer`: "given", or "declined", checked alike), identified by
    the check: an adult, whose verified number is the one the student gave
    (storage.consent.answer, method "identity"). The student's row."""
    if not verified.adult:
        request = await consent.for_guardian(conn, token, guardian, guardian.id, now=now)
        raise NotAnAdult(request.student_id)
    return await consent.answer(
        conn,
        token,
        guardian,
        guardian.id,
        answer=answer,
        relationship=relationship,
        shared_phone=verified.phone,
        method="identity",
        now=now,
    )


# ----- the fake provider, for tests and the sandbox ------------------------------------------


class FakeIdentityCheck:
    """Signs whatever its page is told (`sign`) and verifies like a real adapter."""

    PAGE_PATH = "/identity/fake"

    def __init__(self, secret: str, base_url: str) -> None:
        self._key = hashlib.sha256(b"jinro fake identity check\0" + secret.encode()).digest()
        self.page_url = base_url.rstrip("/") + self.PAGE_PATH

    async def start(self, request: str, return_url: str) -> str:
        return f"{self.page_url}?{urlencode({'request': request, 'return': return_url})}"

    def sign(
        self,
        request: str,
        *,
        name: str,
        birth: date,
        phone: str,
        carrier: str,
        now: datetime,
        gender: str = "",
    ) -> dict[str, str]:
        """The provider's result, as its page posts it to the return page: every field a
        real one has (the fake's CI/DI are made up), signed."""
        result = {
            "request": request,
            "name": name,
            "birth": birth.strftime("%Y%m%d"),
            "gender": gender,
            "phone": phone,
            "carrier": carrier,
            "ci": secrets.token_urlsafe(64),
            "di": secrets.token_urlsafe(48),
            "at": int(now.timestamp()),
        }
        data = base64.urlsafe_b64encode(json.dumps(result).encode()).decode()
        return {"result": data, "mac": self._mac(data)}

    async def verify(self, payload: Mapping[str, str], *, now: datetime) -> Verified:
        data, mac = payload.get("result"), payload.get("mac")
        if not isinstance(data, str) or not isinstance(mac, str) or len(data) > MAX_PAYLOAD:
            raise Unverified("tampered")
        if not hmac.compare_digest(self._mac(data).encode(), mac.encode("utf-8", "replace")):
            raise Unverified("tampered")
        try:
            result = json.loads(base64.urlsafe_b64decode(data.encode()))
            at = datetime.fromtimestamp(int(result["at"]), UTC)
            birth = datetime.strptime(str(result["birth"]), "%Y%m%d").date()
            request, phone = str(result["request"]), consent.mobile_number(str(result["phone"]))
        except (ValueError, KeyError, TypeError, OverflowError, binascii.Error):
            raise Unverified("tampered") from None  # signed by us, yet unreadable: never trust
        if phone is None:
            raise Unverified("tampered")
        if not now - MAX_AGE <= at <= now + SKEW:
            raise Unverified("stale")
        return Verified(request=request, phone=phone, adult=adult(birth, now))

    def _mac(self, data: str) -> str:
        return hmac.new(self._key, data.encode(), hashlib.sha256).hexdigest()


def check_for(provider: str, *, secret: str, base_url: str) -> IdentityCheck:
    """The check IDENTITY_PROVIDER names (bot/settings.py has validated it)."""
    if provider == "fake":
        return FakeIdentityCheck(secret, base_url)
    raise ValueError(f"no identity check adapter named {provider!r}")
