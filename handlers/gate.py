"""Runs first for every update (group -1): drops floods and duplicates, loads the user and
role, and makes the update's writes record its id (bot/effects.py)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy.engine import Row
from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.context import JinroContext
from bot.effects import FRESH, HOLD
from handlers.common import mark_guardian, reply, speaks_formally
from messages import normalize_lang, render
from storage import audit, effects, guardians
from storage import users as users_store
from storage.models import Role
from storage.names import person_name

log = logging.getLogger(__name__)
GROUP = -1
# Telegram re-delivers an unacknowledged update for at most a day; keep ids a bit longer.
KEEP_UPDATE_IDS = timedelta(days=3)


class FloodGuard:
    """A token bucket per person: `burst` updates at once, then `rate` a second. Past it the
    person is told once and everything they send is dropped, before it costs a database
    write, until they pause long enough for the bucket to fill again (burst / rate seconds):
    a dropped update costs a token too, so a flood that goes on stays dropped instead of
    being let through at `rate` a second. In memory: one person's updates are handled by one
    process at a time (the per-user processor; in webhook mode the inbox's holds)."""

    FORGET_AFTER = 10_000  # people remembered before the full buckets are dropped

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.buckets: dict[int, tuple[float, float, bool]] = {}  # tokens, when, told
        self.forgot_at = float("-inf")

    def check(self, person: int, at: float) -> str:
        """ "ok" to handle the update; "tell" (the first one dropped), or "drop"."""
        if len(self.buckets) > self.FORGET_AFTER and at - self.forgot_at >= 1:
            self._forget_full(at)  # at most once a second: a scan of every bucket
        tokens, told = self._now(person, at)
        if not told and tokens >= 1:
            self.buckets[person] = (tokens - 1, at, False)
            return "ok"
        self.buckets[person] = (max(tokens - 1, 0.0), at, True)
        return "drop" if told else "tell"

    def silenced(self, person: int, at: float) -> bool:
        """Told already and not yet rested: the webhook drops such an update at the door,
        before it is stored (the gate would drop it anyway); it costs a token all the same."""
        tokens, told = self._now(person, at)
        if told:
            self.buckets[person] = (max(tokens - 1, 0.0), at, True)
        return told

    def _now(self, person: int, at: float) -> tuple[float, bool]:
        """The person's tokens at `at`, and whether they are still told: the word is said
        again only after a full bucket (a pause long enough to count as a new start)."""
        tokens, when, told = self.buckets.get(person, (self.burst, at, False))
        tokens = min(self.burst, tokens + (at - when) * self.rate)
        return tokens, told and tokens < self.burst

    def _forget_full(self, at: float) -> None:
        self.forgot_at = at
        full = [
            p for p, (t, w, _) in self.buckets.items() if t + (at - w) * self.rate >= self.burst
        ]
        for person in full:
            del self.buckets[person]


async def slow_down(update: Update, context: JinroContext, person: int) -> None:
    """Tell a flooding person once, in their language and register; drop the update."""
    async with context.db.read() as conn:
        user = await guardians.person(conn, person)
    mark_guardian(user.id if user is not None and user.guardian else None)
    lang = user.lang if user is not None else normalize_lang(update.effective_user.language_code)
    text = render("common/slow_down", lang, formal=speaks_formally(user))
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_chat is not None and update.inline_query is None:
        await update.effective_chat.send_message(text)
    log.info("a flood from one person: dropping updates for a while")


async def load_user(update: Update, context: JinroContext) -> None:
    tg_user = update.effective_user
    mark_guardian(None)  # nobody is a guardian until this update's person is found one
    if tg_user is None or tg_user.is_bot:
        # Channel posts and the like: nobody to answer.
        raise ApplicationHandlerStop
    verdict = context.bot_data["flood"].check(tg_user.id, time.monotonic())
    if verdict != "ok":
        if verdict == "tell":
            await slow_down(update, context, tg_user.id)
        raise ApplicationHandlerStop
    # Polling: marks on their way, and whether the update is newer than any seen before.
    finishing = context.application.update_processor.finishing
    async with context.db.read() as conn:
        seen = None if FRESH.get() else await effects.seen(conn, update.update_id)
        user = await guardians.person(conn, tg_user.id)
    mark_guardian(user.id if user is not None and user.guardian else None)
    if (seen is not None and seen.finished) or (
        finishing is not None and update.update_id in finishing
    ):
        raise ApplicationHandlerStop  # delivered twice: handled the first time
    context.record_effects(
        update.update_id, applied=seen.applied if seen is not None else None, hold=HOLD.get()
    )
    if update.inline_query is not None:
        # Anyone may type @bot in any chat; that alone creates no account.
        context.user = user
        return
    context.first_visit = user is None
    if needs_writing(user, tg_user.id in context.settings.admin_ids, context.today):
        user = await settle_user(context, tg_user)
    context.user = user
    if update.edited_message is not None:
        # An edit of an earlier message is never acted on again; say so once.
        await reply(update, context, "common/edited")
        raise ApplicationHandlerStop


async def note_guardian(conn, user: Row | None) -> None:
    """A guest who answered a student's consent request is a guardian, an adult spoken to in
    합니다체 (handlers.common speaks_formally reads the note). For a row settle_user has just
    written; the gate's own read (guardians.person) tells it in the same statement. One
    look-up, for guests only: an account with a role costs nothing more."""
    guardian = user is not None and user.role is None and await guardians.is_guardian(conn, user.id)
    mark_guardian(user.id if guardian else None)


async def forget_tick(application) -> None:
    """Hourly: update ids older than Telegram redelivers are forgotten."""
    context = JinroContext(application)
    async with context.db.write() as conn:
        await effects.forget_before(conn, context.now - KEEP_UPDATE_IDS)


def needs_writing(user, admin: bool, today) -> bool:
    """Most updates only read here: a write is for a newcomer, an ADMIN_IDS bootstrap,
    someone back after blocking the bot, and a person's first update of the city's day (the
    day they were last seen, which the retention sweep counts from)."""
    return (
        user is None
        or (admin and user.role != Role.STAFF)
        or not user.active
        or user.seen_on != today
    )


async def settle_user(context: JinroContext, tg_user) -> Row:
    async with context.db.write() as conn:
        user = await users_store.load_or_create(
            conn,
            tg_user.id,
            normalize_lang(tg_user.language_code),
            now=context.now,
            today=context.today,
        )
        if tg_user.id in context.settings.admin_ids and user.role != Role.STAFF:
            # ADMIN_IDS bootstraps staff; it is the only way in without an invite.
            name = user.name or person_name(tg_user.first_name, tg_user.last_name)
            user = await users_store.change(
                conn,
                user.id,
                role=Role.STAFF,
                name=name,
                flow=None,
                flow_data={},
                school_id=None,
                grade=None,
            )
            await audit.record(conn, user.id, "staff.bootstrap", "user", user.id, now=context.now)
        if not user.active or user.seen_on != context.today:
            # Back after blocking the bot, or here for the first time today.
            user = await users_store.change(conn, user.id, active=True, seen_on=context.today)
        # A newcomer may have answered a consent request before: noted again on this row.
        await note_guardian(conn, user)
    return user


def handlers() -> list[BaseHandler]:
    return [TypeHandler(Update, load_user)]
