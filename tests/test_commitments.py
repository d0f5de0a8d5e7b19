"""A person's commitments at overlapping times (storage/commitments.py), on both databases:
what counts as a clash (half-open spans: one ending when the other starts is none), which
commitments count (seats held in the student's name, class seats included, and scheduled
mentor meetings; not a place in line, a cancelled booking or a cancelled meeting), and the
new commitment itself left out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, insert

from storage import commitments
from storage.models import MentorMeeting, MentorRequest, User, utcnow
from tests.world_helpers import (
    add_program,
    add_school,
    add_session,
    add_site,
    book_seat,
    student_row,
    teacher_row,
)

HOUR = timedelta(hours=1)


async def _world(conn):
    """A student, her teacher, a mentor; moments relative to now (the day after tomorrow)."""
    school_id = await add_school(conn, "정발중학교")
    await conn.execute(insert(User).values(**student_row(1, "김민지", school_id)))
    await conn.execute(insert(User).values(**teacher_row(2, "박선영", school_id)))
    site_id = await add_site(conn, "MBC")
    program_id = await add_program(conn, site_id, "MBC 방송영상 체험", external_key="mbc")
    other_id = await add_program(conn, site_id, "라디오 PD 체험", external_key="radio")
    base = utcnow().replace(microsecond=0) + timedelta(days=2)
    return school_id, program_id, other_id, base


async def _meeting(conn, requester_id: int, school_id: int, starts, *, status="scheduled"):
    from storage.models import Mentor

    mentor_id = await conn.scalar(
        insert(Mentor)
        .values(kind="professional", name="윤서진", field="방송영상")
        .returning(Mentor.id)
    )
    meeting_id = await conn.scalar(
        insert(MentorMeeting)
        .values(
            mentor_id=mentor_id,
            mode="online",
            field="방송영상",
            starts_at=starts,
            ends_at=starts + HOUR,
            status=status,
        )
        .returning(MentorMeeting.id)
    )
    request_id = await conn.scalar(
        insert(MentorRequest)
        .values(
            requester_id=requester_id,
            school_id=school_id,
            mode="online",
            field="방송영상",
            question="?",
            status="scheduled",
            mentor_id=mentor_id,
            meeting_id=meeting_id,
        )
        .returning(MentorRequest.id)
    )
    return mentor_id, meeting_id, request_id


async def test_overlaps_of_every_kind_and_the_edges(db):
    async with db.write() as conn:
        school_id, program_id, other_id, base = await _world(conn)
        # 14:00-16:30 held; a class seat a teacher named her for, later; a place in line.
        mbc = await add_session(conn, program_id, base, capacity=5, ends_at=base + 2.5 * HOUR)
        await book_seat(conn, mbc, 1, "confirmed")
        radio = await add_session(conn, other_id, base + 5 * HOUR, capacity=5)
        await book_seat(conn, radio, 1, "confirmed", booked_by=2)
        waiting = await add_session(conn, other_id, base - HOUR, capacity=5)
        await book_seat(conn, waiting, 1, "waitlisted")
        mentor_id, meeting_id, request_id = await _meeting(conn, 1, school_id, base + 2 * HOUR)

    async with db.read() as conn:

        async def of_student(start, end, **besides):
            found = await commitments.overlapping(
                conn, student_id=1, starts_at=start, ends_at=end, **besides
            )
            return [(c.kind, c.title) for c in found]

        # The reported case: a meeting at 16:00 and the booking until 16:30.
        assert await of_student(base + 2 * HOUR, base + 3 * HOUR) == [
            ("booking", "MBC 방송영상 체험"),
            ("meeting", "방송영상"),
        ]
        # Ending as the other starts is no clash; a place in line holds no seat.
        assert await of_student(base - HOUR, base) == []
        assert await of_student(base + 3 * HOUR, base + 5 * HOUR) == []
        assert await of_student(base + 6 * HOUR, base + 7 * HOUR) == [("booking", "라디오 PD 체험")]
        # The new commitment itself is left out.
        assert await of_student(base, base + HOUR, besides_session=mbc) == []
        assert await of_student(base + 2 * HOUR, base + 3 * HOUR, besides_meeting=meeting_id) == [
            ("booking", "MBC 방송영상 체험")
        ]
        # For the meeting: the student's side has the booking; the mentor has no other.
        clashes = await commitments.of_meeting(conn, request_id)
        assert [c.title for c in clashes.student] == ["MBC 방송영상 체험"]
        assert clashes.mentor == []
        mine = await commitments.overlapping(
            conn, mentor_id=mentor_id, starts_at=base + 2 * HOUR, ends_at=base + 3 * HOUR
        )
        assert [c.kind for c in mine] == ["meeting"]


async def test_what_is_over_clashes_with_nothing(db):
    async with db.write() as conn:
        school_id, program_id, _, base = await _world(conn)
        cancelled = await add_session(conn, program_id, base, capacity=5)
        await book_seat(conn, cancelled, 1, "cancelled")
        await _meeting(conn, 1, school_id, base, status="cancelled")
        # A teacher's own request's meeting is the teacher's, not a student's.
        await _meeting(conn, 2, school_id, base)
    async with db.read() as conn:
        found = await commitments.overlapping(
            conn, student_id=1, starts_at=base, ends_at=base + HOUR
        )
        assert found == []


async def test_a_list_is_asked_about_in_one_query(db):
    """A /pending page, a digest, a picker: each item's student's other commitments, sorted
    out by the item's key, in one query for the whole list; its own session left out, and
    two commitments of one student at the same time each warn of the other."""
    async with db.write() as conn:
        school_id, program_id, other_id, base = await _world(conn)
        await conn.execute(insert(User).values(**student_row(3, "이서준", school_id)))
        await conn.execute(insert(User).values(**student_row(4, "박지호", school_id)))
        mbc = await add_session(conn, program_id, base, capacity=5, ends_at=base + 2.5 * HOUR)
        await book_seat(conn, mbc, 1, "confirmed")
        radio = await add_session(conn, other_id, base + HOUR, capacity=5, ends_at=base + 3 * HOUR)
        asked = {who: await book_seat(conn, radio, who, "requested") for who in (1, 3, 4)}
        await _meeting(conn, 3, school_id, base + 2 * HOUR)
        later = await add_session(conn, other_id, base + 5 * HOUR, capacity=5)
        asked_later = await book_seat(conn, later, 1, "requested")

    def span(key, who, session, start, end):
        return commitments.Span(key, who, start, end, besides_session=session)

    spans = [
        span(asked[1], 1, radio, base + HOUR, base + 3 * HOUR),
        span(asked[3], 3, radio, base + HOUR, base + 3 * HOUR),
        span(asked[4], 4, radio, base + HOUR, base + 3 * HOUR),
        span(asked_later, 1, later, base + 5 * HOUR, base + 7 * HOUR),
        span(0, 1, mbc, base, base + 2.5 * HOUR),  # her MBC seat, asked about itself
    ]
    statements = []

    def counted(conn, cursor, statement, *args):
        statements.append(statement)

    async with db.read() as conn:
        event.listen(conn.sync_connection, "before_cursor_execute", counted)
        found = await commitments.overlapping_each(conn, spans)
        event.remove(conn.sync_connection, "before_cursor_execute", counted)
        assert await commitments.overlapping_each(conn, []) == {}

    titles = {key: [(c.kind, c.title) for c in clashes] for key, clashes in found.items()}
    assert titles == {
        asked[1]: [("booking", "MBC 방송영상 체험")],
        asked[3]: [("meeting", "방송영상")],  # a mentor's field, never the mentor
        0: [("booking", "라디오 PD 체험")],  # her radio request at the same time
    }
    assert len(statements) == 1, statements
