"""Command line: python -m bot [run | migrate | demo | demo-data | invite ... | import FILE],
or `jinro …` once installed (pyproject.toml's script)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.settings import SettingsError, load_settings


def parse(argv: list[str]) -> argparse.Namespace:
    # Named as it was called: `jinro` installed, `python -m bot` from a checkout.
    prog = "jinro" if Path(sys.argv[0]).name == "jinro" else "python -m bot"
    parser = argparse.ArgumentParser(prog=prog, description="Jinro Telegram bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="migrate the database, then run the bot (default)")
    sub.add_parser("migrate", help="migrate the database to the newest schema")
    demo = sub.add_parser("demo", help="fresh demo database + sandbox + bot, for a browser")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)
    sub.add_parser("demo-data", help="load the demo data into DATABASE_URL (idempotent)")
    invite = sub.add_parser("invite", help="create an invite link")
    invite.add_argument(
        "--role", required=True, choices=["teacher", "site", "mentor", "monitor", "staff"]
    )
    invite.add_argument("--school", help="part of the school's name (teachers)")
    invite.add_argument("--site", help="part of the site's name (sites)")
    invite.add_argument("--uses", type=int, default=1, help="how many people may join (1-500)")
    invite.add_argument("--days", type=int, default=7, help="days until it expires (1-90)")
    imports = sub.add_parser("import", help="import sites, programmes and sessions (CSV/XLSX)")
    imports.add_argument("file", help="the spreadsheet, in the template of the README")
    imports.add_argument(
        "--dry-run", action="store_true", help="check the file and print what would change"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    command = args.command or "run"
    try:
        # The demo runs on its own sandbox, whatever BOT_API_URL says (bot/demo.py).
        settings = load_settings(sandbox=command == "demo")
        if command == "run":
            settings.require_token()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    from bot import cli

    try:
        return asyncio.run(cli.COMMANDS[command](settings, args))
    except KeyboardInterrupt:
        return 0
    except cli.CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
