"""What each `python -m bot` command does."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.runner import configure_logging, run
from bot.settings import Settings
from storage import invites
from storage import users as users_store
from storage.db import Database
from storage.migrate import migrate
from storage.models import utcnow

log = logging.getLogger(__name__)


class CommandError(Exception):
    """A command cannot do what was asked; the message is shown as one line."""


async def run_command(settings: Settings, args: argparse.Namespace) -> int:
    configure_logging()
    await run(settings)
    return 0


async def migrate_command(settings: Settings, args: argparse.Namespace) -> int:
    await migrate(settings.database_url)
    print("database is up to date")
    return 0


async def demo_data_command(settings: Settings, args: argparse.Namespace) -> int:
    from storage.demo_data import load_demo_data

    await migrate(settings.database_url)
    db = Database(settings.database_url)
    try:
        counts = await load_demo_data(db, now=utcnow())
    finally:
        await db.dispose()
    print(
        f"demo data: {counts.total} rows added ({counts.schools} schools, {counts.sites} sites, "
        f"{counts.programs} programmes, {counts.sessions} sessions, {counts.mentors} mentors)"
    )
    return 0


async def invite_command(settings: Settings, args: argparse.Namespace) -> int:
    await migrate(settings.database_url)
    db = Database(settings.database_url)
    try:
        async with db.write() as conn:
            school_id = site_id = None
            if args.role == "teacher":
                school_id = await _one(conn, users_store.find_schools, args.school, "--school")
            if args.role == "site":
                site_id = await _one(conn, users_store.find_sites, args.site, "--site")
            try:
                invite = await invites.create(
                    conn,
                    role=args.role,
                    created_by=None,
                    school_id=school_id,
                    site_id=site_id,
                    max_uses=args.uses,
                    days=args.days,
                    now=utcnow(),
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
    finally:
        await db.dispose()
    print(
        f"invite code: {invite.code}  (role {invite.role}, {invite.max_uses} use(s), "
        f"expires {invite.expires_at.astimezone(settings.tz):%Y-%m-%d %H:%M})"
    )
    username = await _bot_username(settings)
    if username:
        print(f"link: https://t.me/{username}?start={invite.code}")
    else:
        print(f"send the bot: /start {invite.code}")
    return 0


async def _one(conn, finder, text: str | None, option: str) -> int:
    if not text:
        raise CommandError(f"{option} is required for this role")
    found = await finder(conn, text)
    exact = [row for row in found if row.name == text]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0].id
    if not found:
        raise CommandError(f"nothing matches {option} {text!r}")
    names = ", ".join(row.name for row in found)
    raise CommandError(f"{option} {text!r} matches several: {names}")


async def _bot_username(settings: Settings) -> str | None:
    """Ask Telegram for the bot's username to print a full link; optional."""
    if not settings.bot_token:
        return None
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        async with Bot(settings.bot_token, base_url=settings.bot_api_url) as bot:
            return bot.username
    except (TelegramError, OSError) as error:
        log.warning("could not ask Telegram for the bot's name: %s", error)
        return None


async def import_command(settings: Settings, args: argparse.Namespace) -> int:
    from messages.imports import problem_text
    from storage import importer

    try:
        data = await asyncio.to_thread(Path(args.file).read_bytes)
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror}") from None
    await migrate(settings.database_url)
    db = Database(settings.database_url)
    try:
        now = utcnow()  # read once: the day a year-less date counts from, and the past
        sheet = importer.read(data, today=now.astimezone(settings.tz).date(), tz=settings.tz)
        if args.dry_run:
            async with db.read() as conn:
                summary = await importer.preview(conn, sheet, now=now)
        else:
            async with db.write() as conn:
                summary = await importer.apply(conn, sheet, now=now)
    except importer.ImportRejected as rejected:
        for problem in rejected.problems:
            print(problem_text("en", problem), file=sys.stderr)
        raise CommandError(f"nothing imported: {len(rejected.problems)} problem(s)") from None
    finally:
        await db.dispose()
    print(f"{'would import' if args.dry_run else 'imported'}: {summary.line()}")
    return 0


async def demo_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    configure_logging()
    await run_demo(settings, host=args.host, port=args.port)
    return 0


COMMANDS = {
    "run": run_command,
    "migrate": migrate_command,
    "demo": demo_command,
    "demo-data": demo_data_command,
    "invite": invite_command,
    "import": import_command,
}
