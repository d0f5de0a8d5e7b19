"""Settings from the environment (and a .env file); a bad value names its variable."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# Where .env and data/ live: the checkout (it holds pyproject.toml), or, for an installed
# wheel (`jinro run` from site-packages), the folder it is started in.
_CHECKOUT = Path(__file__).resolve().parent.parent
PROJECT_ROOT = _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else Path.cwd()
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'data' / 'jinro.sqlite3'}"
TELEGRAM_API_URL = "https://api.telegram.org/bot"

_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
# Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SettingsError(ValueError):
    """A setting is missing or malformed; str() is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None
    bot_api_url: str = TELEGRAM_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Seoul"))
    # How long a requested seat waits for a teacher, and an offered seat for the student.
    hold_hours: int = 48
    offer_hours: int = 12
    # How long a mentor has to answer a request offered to them before it passes on.
    mentor_answer_hours: int = 24
    # Messages a second the bot sends on its own (reminders): Telegram's bulk limit is 30.
    send_rate: int = 30
    # Messages of the outbox on their way at once. More keeps 30/s despite Telegram's round
    # trip; but a crash between sending and marking repeats each of them (1: at most one).
    send_in_flight: int = 8
    # Cases (storage/cases/): how long a case waits for its mediator's first word, and a
    # mediator's message for a party's answer, before a reminder (then staff).
    case_mediator_hours: int = 4
    case_answer_hours: int = 48
    # How long a site's safety check (storage/inspections/) holds before it expires.
    safety_valid_days: int = 365
    # Whether a site never inspected yet takes bookings (its card says which). Off by default:
    # children go only where a parent monitor has been (storage/bookings/common.py).
    unchecked_sites_bookable: bool = False
    # One person's updates handled a second (sustained) and at once (a burst) before the
    # rest are dropped with one kind word (handlers/gate.py): above what a person types or
    # presses (a burst of taps, then a few a second), far below what a script sends.
    flood_rate: int = 3
    flood_burst: int = 20
    # Webhook mode with several processes: how long a dead process's people wait before
    # another process takes them over (storage/inbox.py); a living one renews every third.
    inbox_lease_seconds: int = 15
    # Retention (storage/retention.py, README "Personal data"): a student's data is forgotten
    # this many days after they leave (1 March after third grade, or a year without a word);
    # case and mentor-request texts this many months after closing; audit entries after this
    # many months (the safety-measures standard asks for at least a year of access records).
    retention_left_days: int = 30
    retention_case_months: int = 12
    retention_audit_months: int = 24

    # ----- Guardian consent: the phone identity check (본인확인), storage/identity.py -----
    # How a guardian shows they are the one the student named: "contact" (their own number,
    # shared in Telegram) or "identity" (a phone identity check through IDENTITY_PROVIDER:
    # "fake" for tests and the sandbox, or a city's own PASS/NICE adapter). IDENTITY_SECRET
    # signs and checks the provider's results; IDENTITY_URL is the public address of the
    # bot's web pages (the provider sends the guardian back to IDENTITY_URL/identity/return);
    # in polling mode they are served on IDENTITY_LISTEN:IDENTITY_PORT, in webhook mode by
    # the webhook's server (bot/identity_web.py).
    consent_check: str = "contact"
    identity_provider: str | None = None
    identity_secret: str | None = None
    identity_url: str | None = None
    identity_listen: str = "127.0.0.1"
    identity_port: int = 8444

    @property
    def hold(self) -> timedelta:
        return timedelta(hours=self.hold_hours)

    @property
    def offer(self) -> timedelta:
        return timedelta(hours=self.offer_hours)

    @property
    def mentor_answer(self) -> timedelta:
        return timedelta(hours=self.mentor_answer_hours)

    @property
    def case_mediator(self) -> timedelta:
        return timedelta(hours=self.case_mediator_hours)

    @property
    def case_answer(self) -> timedelta:
        return timedelta(hours=self.case_answer_hours)

    def require_token(self) -> str:
        if not self.bot_token:
            raise SettingsError(
                "BOT_TOKEN is not set: put the token from @BotFather in the environment or .env"
            )
        return self.bot_token


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise SettingsError(f"{name} must be a {' or '.join(schemes)} URL, got {value!r}")
    return value


def _number(name: str, value: str, low: int, high: int, what: str) -> int:
    """A whole number in ASCII digits from `low` to `high` ("²".isdigit() is true, and int()
    reads "８０" as 80: neither is a number anyone meant to set)."""
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise SettingsError(f"{name} must be {what} {low}-{high}, got {value!r}")
    return int(value)


def _port(name: str, value: str) -> int:
    return _number(name, value, 1, 65535, "a port number")


def _rate(name: str, value: str) -> int:
    return _number(name, value, 1, 1000, "messages a second")


def _in_flight(value: str) -> int:
    return _number("SEND_IN_FLIGHT", value, 1, 64, "a number of messages")


def _hours(name: str, value: str) -> int:
    return _number(name, value, 1, 720, "a number of hours")


def _yes_no(name: str, value: str) -> bool:
    if value.lower() in ("yes", "true", "on", "1"):
        return True
    if value.lower() in ("no", "false", "off", "0"):
        return False
    raise SettingsError(f"{name} must be yes or no, got {value!r}")


def _valid_days(value: str) -> int:
    return _number("SAFETY_VALID_DAYS", value, 30, 1095, "a number of days")


# ----- Guardian consent: the phone identity check (본인확인), storage/identity.py ---------------
CONSENT_CHECKS = ("contact", "identity")
IDENTITY_PROVIDERS = ("fake",)  # a city's real PASS/NICE adapter adds its name here
_IDENTITY_SECRET = re.compile(r"^[A-Za-z0-9_-]{32,256}$")


# The fake identity check signs whatever is typed: never with Telegram, where real guardians are.
FAKE_WITH_TELEGRAM = (
    "IDENTITY_PROVIDER=fake believes whatever is typed, so it runs only against the sandbox: "
    "`make demo` starts one; to run the bot yourself set BOT_API_URL to a sandbox's Bot API "
    "(http://127.0.0.1:8080/bot); with Telegram set CONSENT_CHECK=contact or a real "
    "IDENTITY_PROVIDER"
)


def _identity(get, api_url: str, *, sandbox: bool = False) -> dict:
    """CONSENT_CHECK, and what the identity check needs (each required when it is on);
    `get` reads one variable as load_settings does; `sandbox`: as load_settings'."""
    check = get("CONSENT_CHECK") or "contact"
    if check not in CONSENT_CHECKS:
        raise SettingsError(f"CONSENT_CHECK must be contact or identity, got {check!r}")
    provider = get("IDENTITY_PROVIDER")
    if check == "identity":
        for name in ("IDENTITY_PROVIDER", "IDENTITY_SECRET", "IDENTITY_URL"):
            if get(name) is None:
                raise SettingsError(f"{name} must be set when CONSENT_CHECK is identity")
    if provider is not None and provider not in IDENTITY_PROVIDERS:
        known = ", ".join(IDENTITY_PROVIDERS)
        raise SettingsError(f"IDENTITY_PROVIDER must be one of: {known}; got {provider!r}")
    secret = get("IDENTITY_SECRET")
    if secret is not None and not _IDENTITY_SECRET.match(secret):
        raise SettingsError("IDENTITY_SECRET must be 32-256 characters of A-Z, a-z, 0-9, _ and -")
    url = get("IDENTITY_URL")
    if url is not None:
        # The guardian's verified result comes back there: https, but for the sandbox's fake.
        schemes = ("https", "http") if provider == "fake" else ("https",)
        url = _url("IDENTITY_URL", url, schemes).rstrip("/")
    if check == "identity" and provider == "fake" and api_url == TELEGRAM_API_URL and not sandbox:
        raise SettingsError(FAKE_WITH_TELEGRAM)
    return dict(
        consent_check=check,
        identity_provider=provider,
        identity_secret=secret,
        identity_url=url,
        identity_listen=get("IDENTITY_LISTEN") or "127.0.0.1",
        identity_port=_port("IDENTITY_PORT", get("IDENTITY_PORT") or "8444"),
    )


def load_settings(
    env: dict[str, str] | None = None, *, dotenv: bool = True, sandbox: bool = False
) -> Settings:
    """Read settings; `env` defaults to os.environ after loading .env (real variables win).
    `sandbox`: the caller runs the bot against a sandbox of its own (`make demo` sets the
    Bot API's address itself), so BOT_API_URL does not say where the bot runs."""
    if env is None:
        if dotenv:
            load_dotenv(PROJECT_ROOT / ".env", override=False)
        env = dict(os.environ)

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    token = get("BOT_TOKEN")
    if token is not None and not _TOKEN.match(token):
        raise SettingsError(
            "BOT_TOKEN looks wrong: expected the form 123456:ABC-DEF... from @BotFather"
        )

    api_url = _url("BOT_API_URL", get("BOT_API_URL") or TELEGRAM_API_URL, ("http", "https"))

    database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        backend = make_url(database_url).get_backend_name()
    except ArgumentError:
        raise SettingsError(f"DATABASE_URL is not a database URL: {database_url!r}") from None
    if backend not in ("sqlite", "postgresql"):
        raise SettingsError(
            "DATABASE_URL must be sqlite+aiosqlite:///... or postgresql+asyncpg://..."
        )
    if "+" not in make_url(database_url).drivername:
        database_url = database_url.replace(
            backend, "sqlite+aiosqlite" if backend == "sqlite" else "postgresql+asyncpg", 1
        )

    webhook_url = get("WEBHOOK_URL")
    if webhook_url is not None:
        webhook_url = _url("WEBHOOK_URL", webhook_url, ("https", "http"))
    secret = get("WEBHOOK_SECRET")
    if secret is not None and not _SECRET.match(secret):
        raise SettingsError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    if webhook_url and not secret:
        raise SettingsError("WEBHOOK_SECRET must be set when WEBHOOK_URL is set")

    admin_ids: set[int] = set()
    for part in (get("ADMIN_IDS") or "").replace(" ", "").split(","):
        if not part:
            continue
        if not (part.isascii() and part.isdigit()):
            raise SettingsError(
                f"ADMIN_IDS must be Telegram user ids separated by commas, got {part!r}"
            )
        admin_ids.add(int(part))

    try:
        tz = ZoneInfo(get("TZ") or "Asia/Seoul")
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"TZ is not a known time zone: {get('TZ')!r}") from None

    return Settings(
        bot_token=token,
        bot_api_url=api_url,
        database_url=database_url,
        webhook_url=webhook_url,
        webhook_secret=secret,
        webhook_listen=get("WEBHOOK_LISTEN") or "127.0.0.1",
        webhook_port=_port("WEBHOOK_PORT", get("WEBHOOK_PORT") or "8443"),
        admin_ids=frozenset(admin_ids),
        tz=tz,
        hold_hours=_hours("HOLD_HOURS", get("HOLD_HOURS") or "48"),
        offer_hours=_hours("OFFER_HOURS", get("OFFER_HOURS") or "12"),
        mentor_answer_hours=_hours("MENTOR_ANSWER_HOURS", get("MENTOR_ANSWER_HOURS") or "24"),
        send_rate=_rate("SEND_RATE", get("SEND_RATE") or "30"),
        send_in_flight=_in_flight(get("SEND_IN_FLIGHT") or "8"),
        case_mediator_hours=_hours("CASE_MEDIATOR_HOURS", get("CASE_MEDIATOR_HOURS") or "4"),
        case_answer_hours=_hours("CASE_ANSWER_HOURS", get("CASE_ANSWER_HOURS") or "48"),
        safety_valid_days=_valid_days(get("SAFETY_VALID_DAYS") or "365"),
        unchecked_sites_bookable=_yes_no(
            "UNCHECKED_SITES_BOOKABLE", get("UNCHECKED_SITES_BOOKABLE") or "no"
        ),
        flood_rate=_number("FLOOD_RATE", get("FLOOD_RATE") or "3", 1, 100, "updates a second"),
        flood_burst=_number("FLOOD_BURST", get("FLOOD_BURST") or "20", 1, 1000, "updates"),
        inbox_lease_seconds=_number(
            "INBOX_LEASE_SECONDS", get("INBOX_LEASE_SECONDS") or "15", 3, 300, "seconds"
        ),
        retention_left_days=_number(
            "RETENTION_LEFT_DAYS", get("RETENTION_LEFT_DAYS") or "30", 0, 365, "days"
        ),
        retention_case_months=_number(
            "RETENTION_CASE_MONTHS", get("RETENTION_CASE_MONTHS") or "12", 1, 60, "months"
        ),
        retention_audit_months=_number(
            "RETENTION_AUDIT_MONTHS", get("RETENTION_AUDIT_MONTHS") or "24", 12, 120, "months"
        ),
        # Guardian consent: the phone identity check (본인확인).
        **_identity(get, api_url, sandbox=sandbox),
    )
