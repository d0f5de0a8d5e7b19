"""Choosing what to ask: the fields (with mentors free, typed as words), the times, and
what to suggest when nobody can take a request now."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import NamedTuple

from sqlalchemy import and_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.catalogue import related_fields
from storage.mentors.common import (
    CITY_TZ,
    HAS_ROOM,
    MENTOR_USER,
    STUDENT_MODES,
    TEACHER_MODES,
    TIMES,
    all_fields,
    openings,
    split_codes,
)
from storage.mentors.matching import Wish, rank
from storage.mentors.slots import _busy, _slots_by_mentor
from storage.mentors.views import open_groups
from storage.search import _one_edit, normalize
from storage.tables import mentor_fields, mentors, programs, users


async def available_fields(
    conn: AsyncConnection, *, now: datetime, tz: tzinfo = CITY_TZ
) -> dict[str, int]:
    """field -> mentors on Jinro who could take a request in it now (any mode)."""
    rows = await conn.execute(
        select(mentors.c.id, mentors.c.field)
        .join(users, and_(users.c.mentor_id == mentors.c.id, MENTOR_USER))
        .where(HAS_ROOM)
        .distinct()
    )
    rows = list(rows.all())
    if not rows:
        return {}
    ids = [r.id for r in rows]
    slot_rows = await _slots_by_mentor(conn, ids)
    busy = await _busy(conn, ids, now)
    free = {
        r.id for r in rows if openings(slot_rows.get(r.id, []), busy.get(r.id, []), now=now, tz=tz)
    }
    counts: dict[str, set[int]] = {}
    for row in rows:
        if row.id in free:
            counts.setdefault(row.field, set()).add(row.id)
    extra = await conn.execute(
        select(mentor_fields.c.mentor_id, mentor_fields.c.field).where(
            mentor_fields.c.mentor_id.in_(list(free))
        )
    )
    for mentor_id, name in extra.all():
        counts.setdefault(name, set()).add(mentor_id)
    return {name: len(ids_) for name, ids_ in counts.items()}


async def vocabulary(conn: AsyncConnection) -> list[str]:
    """Every field a request may name: the catalogue's, programmes' and mentors'."""
    names = set(all_fields())
    names |= set((await conn.execute(select(programs.c.field).distinct())).scalars())
    names |= set((await conn.execute(select(mentors.c.field).distinct())).scalars())
    names |= set((await conn.execute(select(mentor_fields.c.field).distinct())).scalars())
    return sorted(n for n in names if n)


async def find_fields(
    conn: AsyncConnection,
    text: str,
    *,
    limit: int = 6,
    also_named: Callable[[str], str] | None = None,
) -> list[str]:
    """Fields for typed words, matched like programme search (storage.search): normalised
    (full-width letters, case), inside words from one syllable up, a Latin word one typo
    away. Each word must be in the field's name or in what its mentors wrote of themselves
    (job title, organisation, introduction). Fields named by the words come first.
    `also_named`: a field's name in the reader's language ("Fire and safety"), read as a
    name too."""
    terms = normalize(text).split()
    if not terms:
        return []
    docs: dict[str, list[str]] = {
        name: [normalize(f"{name} {also_named(name)}" if also_named else name)]
        for name in await vocabulary(conn)
    }
    about = await conn.execute(
        select(
            mentors.c.id, mentors.c.field, mentors.c.title, mentors.c.organization, mentors.c.bio
        )
    )
    extra: dict[int, list[str]] = {}
    for mentor_id, name in await conn.execute(
        select(mentor_fields.c.mentor_id, mentor_fields.c.field)
    ):
        extra.setdefault(mentor_id, []).append(name)
    for row in about.all():
        said = normalize(" ".join(p for p in (row.title, row.organization, row.bio) if p))
        for name in (row.field, *extra.get(row.id, [])):
            docs.setdefault(name, [normalize(name)]).append(said)

    def has(doc: str, term: str) -> bool:
        if term in doc:
            return True
        if re.fullmatch("[a-z]+", term) and len(term) > 2:
            return any(_one_edit(term, word) for word in re.findall(r"\w+", doc))
        return False

    found = []
    for name, parts in docs.items():
        whole = " ".join(parts)
        if all(has(whole, term) for term in terms):
            in_name = sum(has(parts[0], term) for term in terms)
            found.append((-in_name, -len(parts), name))
    return [name for *_, name in sorted(found)][:limit]


async def time_choices(
    conn: AsyncConnection,
    field: str,
    mode: str,
    school_id: int,
    *,
    now: datetime,
    tz: tzinfo = CITY_TZ,
) -> dict[str, int]:
    """Of TIMES, those where a mentor who could take the request has a free slot, with how
    many such mentors."""
    counts = {}
    for code in TIMES:
        found = await rank(conn, Wish(field, mode, school_id, (code,)), now=now, tz=tz)
        if found:
            counts[code] = len(found)
    return counts


class FieldCount(NamedTuple):
    name: str
    count: int


@dataclass
class Alternatives:
    """What to suggest when nobody can take a request now."""

    fields: list[FieldCount] = field(default_factory=list)  # related fields with mentors free
    modes: list[str] = field(default_factory=list)  # other modes with a mentor free
    any_time: bool = False  # a mentor is free at other times than those chosen
    groups: list[Row] = field(default_factory=list)  # group sessions to join (teachers)
    programs: list[Row] = field(default_factory=list)  # programmes in the field


async def alternatives(
    conn: AsyncConnection,
    request: Row,
    *,
    now: datetime,
    tz: tzinfo = CITY_TZ,
    role: str = "student",
) -> Alternatives:
    """What one change of the request would get matched now, each a change the requester
    makes in one tap (requester.change_request): any time instead of the times chosen,
    another way of meeting, a related field (counting its own mentors). Each is ranked as
    the request with that change alone, its other wishes kept and the mentors it was offered
    to already left out, as offer_next would rank it; then what else there is: group
    sessions to join (teachers) and programmes in the field."""
    found = Alternatives()
    times = tuple(split_codes(request.times, TIMES))
    wish = Wish(request.field, request.mode, request.school_id, times, request.id)
    if times and await rank(conn, replace(wish, times=()), now=now, tz=tz):
        found.any_time = True
    modes = STUDENT_MODES if role == "student" else TEACHER_MODES
    for mode in modes:
        if mode != request.mode and await rank(conn, replace(wish, mode=mode), now=now, tz=tz):
            found.modes.append(mode)
    for name in related_fields(request.field):
        free = await rank(conn, replace(wish, field=name), now=now, tz=tz)
        free = [c for c in free if c.field_rank == 0]
        if free:
            found.fields.append(FieldCount(name, len(free)))
    if role == "teacher":
        groups = await open_groups(conn, request.school_id, now=now)
        near = {request.field, *related_fields(request.field)}
        found.groups = [
            g for g in groups if g.field in near and not g.ours and g.joined < g.capacity
        ][:3]
    found.programs = list(
        (
            await conn.execute(
                select(programs.c.id, programs.c.title, programs.c.next_start)
                .where(programs.c.field == request.field, programs.c.next_start > now)
                .order_by(programs.c.next_start, programs.c.id)
                .limit(3)
            )
        ).all()
    )
    return found
