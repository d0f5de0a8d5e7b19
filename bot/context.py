"""The per-update context: the database, settings and the user loaded by the gate."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from sqlalchemy.engine import Row
from telegram.ext import Application, CallbackContext, ExtBot

from bot.effects import CURRENT, Hold, UpdateDatabase
from bot.settings import Settings
from messages import DEFAULT_LANGUAGE
from storage.db import Database


class JinroContext(CallbackContext[ExtBot, dict, dict, dict]):
    """PTB builds one context per update and reuses it across handler groups, so the
    user the gate (group -1) loads is what every feature handler sees."""

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.user: Row | None = None
        # The person had no account before this update (the gate made it): a greeting
        # says welcome, not welcome back, even to staff whose role ADMIN_IDS gave at once.
        self.first_visit = False
        self._now: datetime | None = None
        self._update_db: UpdateDatabase | None = None

    @property
    def db(self) -> Database:
        """The database; once the gate has run, seen from this update (bot/effects.py)."""
        return self._update_db or self.application.bot_data["db"]

    def record_effects(
        self, update_id: int, *, applied: list[str] | None, hold: Hold | None
    ) -> None:
        """From now on every write of this update is recorded with its id; those `applied`
        were committed before a crash and are not applied again."""
        self._update_db = UpdateDatabase(
            self.application.bot_data["db"],
            update_id,
            applied=applied,
            hold=hold,
            now=self.now,
        )
        CURRENT.set(self._update_db)

    @property
    def settings(self) -> Settings:
        return self.application.bot_data["settings"]

    @property
    def lang(self) -> str:
        return self.user.lang if self.user is not None else DEFAULT_LANGUAGE

    @property
    def now(self) -> datetime:
        """The moment this update (or clock tick) is handled, read from the wall clock once
        so every step of it agrees. Storage never reads the clock: it is handed this."""
        if self._now is None:
            self._now = datetime.now(UTC)
        return self._now

    @property
    def tz(self) -> tzinfo:
        """The city's time zone (the TZ setting): dates are shown and days counted in it."""
        return self.settings.tz

    @property
    def today(self) -> date:
        """The city's day at `now`."""
        return self.now.astimezone(self.tz).date()
