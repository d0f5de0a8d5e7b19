"""Contacts a sandbox user shares: their own number (only from a request_contact button, as
in Telegram) or a card from their address book; and the error the sandbox's own test API
answers with."""

from __future__ import annotations

import re
from typing import Any

from sandbox.state import Chat, UserInfo

# Digits, "+", "-" and spaces, at least one digit: "+82 10-1234-5678", never "+" alone.
_PHONE_NUMBER = re.compile(r"(?=[^0-9]*[0-9])[0-9+\- ]{1,20}")


class TestApiError(Exception):
    """A test API request that cannot be served; answered as {"error": message}."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def contact_of(spec: Any, user: UserInfo, chat: Chat) -> dict:
    """Message.contact of a shared phone number: the user's own (`"own": true`), which
    Telegram sends only from a reply keyboard's request_contact button, or any card from the
    address book."""
    if not isinstance(spec, dict):
        raise TestApiError(400, '"contact" must be an object')
    own = spec.get("own", False)
    if not isinstance(own, bool):
        raise TestApiError(400, '"own" of "contact" must be true or false')
    return _own_contact(spec, user, chat) if own else _contact_card(spec)


def _own_contact(spec: dict, user: UserInfo, chat: Chat) -> dict:
    # The app fills in the account's own name and id; the tester gives only the number.
    _only_fields(spec, {"own", "phone_number"})
    phone = spec.get("phone_number")
    phone = user.phone_number if phone is None else phone_number(phone)
    if not _asks_for_contact(chat.reply_keyboard):
        raise TestApiError(
            400,
            "one's own contact is sent only by a reply keyboard button with "
            '"request_contact": true, and the chat shows none',
        )
    if phone is None:
        raise TestApiError(400, 'give "phone_number": this user was registered without one')
    contact = {"phone_number": phone, "first_name": user.first_name}
    if user.last_name:
        contact["last_name"] = user.last_name
    return contact | {"user_id": user.id}


def _contact_card(spec: dict) -> dict:
    """Someone's card, exactly as given: `user_id` only when the card names an account."""
    _only_fields(spec, {"own", "phone_number", "first_name", "last_name", "user_id"})
    contact = {
        "phone_number": phone_number(spec.get("phone_number")),
        "first_name": _card_name(spec, "first_name"),
    }
    if spec.get("last_name") is not None:
        contact["last_name"] = _card_name(spec, "last_name")
    if "user_id" in spec:
        user_id = spec["user_id"]
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise TestApiError(400, '"user_id" of a contact card must be an integer')
        contact["user_id"] = user_id
    return contact


def _card_name(spec: dict, key: str) -> str:
    name = spec.get(key)
    if not isinstance(name, str) or not name.strip():
        raise TestApiError(400, f'"{key}" of a contact card must be a non-empty string')
    return name


def _only_fields(spec: dict, allowed: set[str]) -> None:
    """A misspelt field is an error, not a contact silently without it."""
    extra = set(spec) - allowed
    if extra:
        raise TestApiError(
            400, f'"contact" cannot have {sorted(extra)} here; it takes {sorted(allowed)}'
        )


def phone_number(value: Any) -> str:
    if not isinstance(value, str) or not _PHONE_NUMBER.fullmatch(value):
        raise TestApiError(
            400, '"phone_number" must be up to 20 digits, "+", "-" and spaces, with a digit'
        )
    return value


def _asks_for_contact(markup: dict | None) -> bool:
    rows = (markup or {}).get("keyboard", [])
    return any(
        isinstance(button, dict) and button.get("request_contact") is True
        for row in rows
        for button in row
    )
