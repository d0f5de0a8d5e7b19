"""Domain errors that storage operations raise and handlers turn into messages."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """Base of every refusal a user should be told about."""


class NotFound(DomainError):
    """The object does not exist, or this user may not see it (same answer for both)."""


class NotAllowed(DomainError):
    """The user's role or ownership does not allow this action."""


class AlreadyHandled(DomainError):
    """Someone else (or an earlier press) already changed this object."""


class Refused(DomainError):
    """The action cannot be done now. `reason` names why: a key the area's answer knows (each
    area lists its reasons where it raises them). Bookings say more: `when` (applications open
    at that moment) and `booking_id` (the booking the student already holds)."""

    def __init__(
        self, reason: str, when: datetime | None = None, booking_id: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.when = when
        self.booking_id = booking_id


class InviteInvalid(DomainError):
    """An invite code cannot be used; `reason` is unknown, used_up or expired."""

    def __init__(self, reason: str, expires_at=None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expires_at = expires_at


class AlreadyRegistered(DomainError):
    """The user already has a different role; an invite does not silently change it."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role
