"""Settings: defaults, and one clear line naming the variable when a value is bad."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest

from bot.settings import (
    DEFAULT_DATABASE_URL,
    PROJECT_ROOT,
    Settings,
    SettingsError,
    load_settings,
)

TOKEN = "123456:ABCdefGhIJKlmnOPQrstUVwxyz_-0123"


def test_defaults():
    settings = load_settings({})
    assert settings.bot_token is None
    assert settings.bot_api_url == "https://api.telegram.org/bot"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.tz.key == "Asia/Seoul"
    assert settings.admin_ids == frozenset()
    assert (settings.case_mediator_hours, settings.case_answer_hours) == (4, 48)


def test_values_are_read():
    settings = load_settings(
        {
            "BOT_TOKEN": TOKEN,
            "ADMIN_IDS": "1, 22,333",
            "TZ": "Europe/Berlin",
            "DATABASE_URL": "postgresql://u@h/db",
            "BOT_API_URL": "http://127.0.0.1:8080/bot",
            "WEBHOOK_URL": "https://bot.example.org/hook",
            "WEBHOOK_SECRET": "s3cret_-X",
        }
    )
    assert settings.admin_ids == {1, 22, 333}
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.require_token() == TOKEN


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BOT_TOKEN": "nope"}, "BOT_TOKEN"),
        ({"ADMIN_IDS": "12,abc"}, "ADMIN_IDS"),
        ({"TZ": "Mars/Olympus"}, "TZ"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "::::"}, "DATABASE_URL"),
        ({"BOT_API_URL": "ftp://x"}, "BOT_API_URL"),
        ({"WEBHOOK_URL": "https://x.org/h"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "https://x.org/h", "WEBHOOK_SECRET": "bad secret!"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "not a url", "WEBHOOK_SECRET": "ok"}, "WEBHOOK_URL"),
        ({"WEBHOOK_PORT": "99999"}, "WEBHOOK_PORT"),
        ({"CASE_MEDIATOR_HOURS": "0"}, "CASE_MEDIATOR_HOURS"),
        ({"CASE_ANSWER_HOURS": "two days"}, "CASE_ANSWER_HOURS"),
        ({"SEND_RATE": "３０"}, "SEND_RATE"),  # full-width digits
        ({"HOLD_HOURS": "²"}, "HOLD_HOURS"),  # a digit to Python, not a number
        ({"ADMIN_IDS": "12,１２"}, "ADMIN_IDS"),
        ({"FLOOD_BURST": "0"}, "FLOOD_BURST"),
        ({"FLOOD_RATE": "1000"}, "FLOOD_RATE"),
    ],
)
def test_a_bad_value_names_its_variable(env, variable):
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    assert str(error.value).startswith(variable)
    assert "\n" not in str(error.value)


def run_bot(*args, **env):
    clean = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
        cwd="/tmp",
    )


def test_run_without_token_is_one_line_and_exit_code_2():
    # An empty value also keeps a developer's .env from supplying a token.
    result = run_bot("run", BOT_TOKEN="")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "BOT_TOKEN" in result.stderr


def test_a_bad_setting_stops_start_up_with_one_line():
    result = run_bot("run", BOT_TOKEN=TOKEN, ADMIN_IDS="x")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: ADMIN_IDS")


def test_retention_settings_have_defaults_and_limits():
    settings = load_settings({})
    assert (
        settings.retention_left_days,
        settings.retention_case_months,
        settings.retention_audit_months,
    ) == (30, 12, 24)
    assert load_settings({"RETENTION_LEFT_DAYS": "0"}).retention_left_days == 0
    # Access records are kept a year at least (the safety-measures standard).
    for env in ({"RETENTION_AUDIT_MONTHS": "6"}, {"RETENTION_CASE_MONTHS": "0"}):
        with pytest.raises(SettingsError) as error:
            load_settings(env)
        assert str(error.value).startswith(next(iter(env)))


# ----- Guardian consent: the phone identity check (본인확인) -----------------------------------

IDENTITY = {
    "CONSENT_CHECK": "identity",
    "IDENTITY_PROVIDER": "fake",
    "IDENTITY_SECRET": "s" * 40,
    "IDENTITY_URL": "http://127.0.0.1:8444/",
    "BOT_API_URL": "http://127.0.0.1:8080/bot",  # the fake runs only against the sandbox
}


def without(env: dict, name: str) -> dict:
    return {key: value for key, value in env.items() if key != name}


def test_the_guardians_contact_is_the_default_check():
    settings = load_settings({})
    assert settings.consent_check == "contact"
    assert (settings.identity_provider, settings.identity_secret) == (None, None)


def test_a_city_switches_the_identity_check_on():
    settings = load_settings(IDENTITY | {"IDENTITY_PORT": "9000"})
    assert (settings.consent_check, settings.identity_provider) == ("identity", "fake")
    assert settings.identity_url == "http://127.0.0.1:8444"
    assert (settings.identity_listen, settings.identity_port) == ("127.0.0.1", 9000)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CONSENT_CHECK": "sms"}, "CONSENT_CHECK"),
        (IDENTITY | {"IDENTITY_PROVIDER": "pass"}, "IDENTITY_PROVIDER"),  # no such adapter
        (without(IDENTITY, "IDENTITY_PROVIDER"), "IDENTITY_PROVIDER"),
        (without(IDENTITY, "BOT_API_URL"), "IDENTITY_PROVIDER"),  # the fake with Telegram
        (IDENTITY | {"IDENTITY_SECRET": "short"}, "IDENTITY_SECRET"),
        (IDENTITY | {"IDENTITY_SECRET": "s" * 39 + "!"}, "IDENTITY_SECRET"),
        (without(IDENTITY, "IDENTITY_SECRET"), "IDENTITY_SECRET"),
        (without(IDENTITY, "IDENTITY_URL"), "IDENTITY_URL"),
        (IDENTITY | {"IDENTITY_URL": "ftp://bot.example.org"}, "IDENTITY_URL"),
        # A real provider sends the result back over https only.
        ({"IDENTITY_URL": "http://bot.example.org"}, "IDENTITY_URL"),
        (IDENTITY | {"IDENTITY_PORT": "0"}, "IDENTITY_PORT"),
    ],
)
def test_a_bad_identity_setting_names_its_variable(env, variable):
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    assert str(error.value).startswith(variable)
    assert "\n" not in str(error.value)


def test_env_example_lists_every_setting_with_its_default():
    """.env.example is what an operator copies: every setting appears, and each default it
    states (a commented `NAME=value`) is the default the bot uses."""
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    lines = dict(re.findall(r"^#? ?([A-Z][A-Z_]+)=(.*)$", example, flags=re.MULTILINE))
    names = {field.name.upper() for field in dataclasses.fields(Settings)}
    assert names <= lines.keys(), sorted(names - lines.keys())
    stated = {name: value for name, value in lines.items() if value}
    with_them = load_settings({"BOT_TOKEN": "123:" + "a" * 30, **stated}, dotenv=False)
    assert with_them == load_settings({"BOT_TOKEN": "123:" + "a" * 30}, dotenv=False)
