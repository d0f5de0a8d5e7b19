"""`make demo`: a fresh demo database, the Telegram sandbox and the bot polling it.

Everything runs on this machine; the bot talks to the sandbox over real HTTP
exactly as it would to Telegram. Each start begins from a fresh database, so
every persona can go through joining again.
"""

from __future__ import annotations

import dataclasses
from datetime import time
from pathlib import Path

from bot.runner import running_bot, wait_for_signal
from bot.settings import PROJECT_ROOT, Settings
from sandbox.server import start_sandbox
from storage import invites, mentors
from storage import users as users_store
from storage.db import Database
from storage.demo_data import PERSONA_MENTOR, PERSONA_SCHOOL, PERSONA_SITE, load_demo_data
from storage.migrate import migrate
from storage.models import Mentor, Role, utcnow

DEMO_DB = PROJECT_ROOT / "data" / "demo.sqlite3"
# Any well-formed token: the sandbox accepts every token and never reaches Telegram.
DEMO_TOKEN = "777000111:JINRO-DEMO-token-for-the-local-sandbox"
STAFF_ID = 1501


@dataclasses.dataclass(frozen=True)
class Persona:
    id: int
    first_name: str
    role_label: str
    description: str
    invite_role: Role | None = None
    last_name: str | None = None
    phone_number: str | None = None  # what the sandbox shares as this person's own contact


PERSONAS = [
    Persona(
        1001,
        "민지",
        "학생",
        f"{PERSONA_SCHOOL} 2학년, 만 14세 이상으로 가입해 보세요.",
        last_name="김",
    ),
    Persona(
        1002,
        "서준",
        "학생 (만 14세 미만)",
        "1학년으로 가입하고 보호자 번호 010-2345-6789를 알려 주면 동의 링크를 받아요.",
        last_name="이",
    ),
    Persona(
        1003,
        "서준 보호자",
        "보호자",
        "서준 학생이 받은 동의 링크를 열고, 관계를 고른 뒤 내 번호를 보내 동의해요.",
        phone_number="+821023456789",
    ),
    Persona(
        1101,
        "선영",
        "선생님",
        f"{PERSONA_SCHOOL} 진로 선생님 초대 링크로 가입해요.",
        Role.TEACHER,
        last_name="박",
    ),
    Persona(
        1201,
        "담당자",
        "체험처",
        f"{PERSONA_SITE} 체험처 초대 링크로 가입해요.",
        Role.SITE,
        last_name="김",
    ),
    Persona(1301, PERSONA_MENTOR, "멘토", "직업인 멘토 초대 링크로 가입해요.", Role.MENTOR),
    Persona(
        1401,
        "은정",
        "학부모 지원단",
        "학부모 지원단 초대 링크로 가입하고 맡을 구를 골라요. 그 구의 중재와 안전 점검을 맡아요.",
        Role.MONITOR,
        last_name="최",
    ),
    Persona(
        STAFF_ID,
        "시청 담당자",
        "담당자 (시청·진로센터)",
        "ADMIN_IDS에 들어 있는 담당자예요. /invite 로 초대 링크를 만들어 보세요.",
    ),
]


async def prepare_database(url: str) -> dict[int, str]:
    """Migrate, load the demo data and make one invite per invited persona."""
    await migrate(url)
    db = Database(url)
    starts: dict[int, str] = {}
    try:
        await load_demo_data(db, now=utcnow())
        async with db.write() as conn:
            school = (await users_store.find_schools(conn, PERSONA_SCHOOL))[0]
            site = (await users_store.find_sites(conn, PERSONA_SITE))[0]
            mentor_id = (
                (
                    await conn.execute(
                        Mentor.__table__.select().where(Mentor.__table__.c.name == PERSONA_MENTOR)
                    )
                )
                .first()
                .id
            )
            # Free times of the demo mentor, so that a student's /mentor finds her once she
            # has joined through her invite: Tuesdays and Thursdays 16:00, and Saturdays 10:00.
            for weekday, at in ((1, time(16)), (3, time(16)), (5, time(10))):
                await mentors.add_slot(conn, mentor_id, starts=at, minutes=90, weekday=weekday)
            for persona in PERSONAS:
                if persona.invite_role is None:
                    continue
                invite = await invites.create(
                    conn,
                    role=persona.invite_role,
                    created_by=STAFF_ID,
                    days=30,
                    school_id=school.id if persona.invite_role == Role.TEACHER else None,
                    site_id=site.id if persona.invite_role == Role.SITE else None,
                    mentor_id=mentor_id if persona.invite_role == Role.MENTOR else None,
                    now=utcnow(),
                )
                starts[persona.id] = invite.code
    finally:
        await db.dispose()
    return starts


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def demo_settings(settings: Settings, api_base: str, database_url: str) -> Settings:
    """The settings the demo's bot runs with: always the sandbox's Bot API at `api_base`,
    whatever BOT_API_URL says (so `python -m bot demo` reads the settings with
    load_settings(sandbox=True): the fake identity check needs no BOT_API_URL here)."""
    return dataclasses.replace(
        settings,
        bot_token=DEMO_TOKEN,
        bot_api_url=api_base,
        database_url=database_url,
        webhook_url=None,
        admin_ids=settings.admin_ids | {STAFF_ID},
    )


async def run_demo(settings: Settings, *, host: str, port: int) -> None:
    remove_database(DEMO_DB)
    url = f"sqlite+aiosqlite:///{DEMO_DB}"
    starts = await prepare_database(url)
    personas = [
        {
            "id": p.id,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "role_label": p.role_label,
            "description": p.description,
            "start": starts.get(p.id, ""),
        }
        | ({"phone_number": p.phone_number} if p.phone_number else {})
        for p in PERSONAS
    ]
    sandbox = await start_sandbox(host, port, personas=personas)
    try:
        async with running_bot(demo_settings(settings, sandbox.api_base, url)):
            print(
                f"\n  Jinro demo is running: open {sandbox.url} in your browser  (Ctrl+C stops)\n",
                flush=True,
            )
            await wait_for_signal()
    finally:
        await sandbox.stop()
