"""The command line a newcomer uses: demo-data and invite, on a fresh SQLite file."""

from __future__ import annotations

import re
import subprocess
import sys

from sqlalchemy import select

from storage.db import Database
from storage.models import Invite


def bot_command(*args: str, database: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DATABASE_URL": database, "BOT_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=120
    )


async def test_invite_from_the_command_line(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    loaded = bot_command("demo-data", database=url)
    assert loaded.returncode == 0, loaded.stderr
    assert "19 schools" in loaded.stdout
    again = bot_command("demo-data", database=url)  # idempotent
    assert again.returncode == 0 and "0 rows added" in again.stdout

    made = bot_command(
        "invite", "--role", "teacher", "--school", "정발", "--uses", "5", database=url
    )
    assert made.returncode == 0, made.stderr
    code = re.search(r"invite code: (\S+)", made.stdout).group(1)
    assert f"/start {code}" in made.stdout  # no BOT_TOKEN: no t.me link to print

    vague = bot_command("invite", "--role", "teacher", "--school", "중학교", database=url)
    assert vague.returncode == 2 and "matches several" in vague.stderr
    missing = bot_command("invite", "--role", "site", database=url)
    assert missing.returncode == 2 and "--site is required" in missing.stderr

    db = Database(url)
    async with db.read() as conn:
        invite = (await conn.execute(select(Invite.__table__))).one()
    await db.dispose()
    assert (invite.code, invite.role, invite.max_uses) == (code, "teacher", 5)
