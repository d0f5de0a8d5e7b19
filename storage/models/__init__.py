"""Database tables of Jinro, as SQLAlchemy 2 declarative models (Alembic migrates them).

Importing the package imports every module below, so Base.metadata holds every table
(storage/migrations/env.py compares it with the database). Foreign keys name their tables
by string, so no module here needs another's classes.
"""

from storage.models.base import INVITED_ROLES, NAMING, Base, Role, UTCDateTime, utcnow
from storage.models.bookings import ACTIVE_STATUSES, SEAT_STATUSES, Booking, SurveyAnswer
from storage.models.cases import (
    Case,
    CaseMessage,
    CaseParty,
    ChecklistItem,
    Inspection,
    InspectionItem,
    Monitor,
)
from storage.models.inbox import InboxHolder, InboxUpdate, ProcessedUpdate
from storage.models.mentors import (
    Mentor,
    MentorField,
    MentorMeeting,
    MentorMessage,
    MentorOffer,
    MentorRequest,
    MentorSlot,
)
from storage.models.outbox import Broadcast, Reminder, ReminderOptOut, SendPace
from storage.models.people import (
    AuditEntry,
    ConsentRequest,
    Invite,
    School,
    Site,
    User,
)
from storage.models.programs import (
    FieldInterest,
    Program,
    ProgramGram,
    ProgramSearch,
    SearchWord,
    Session,
)

__all__ = [
    "ACTIVE_STATUSES",
    "INVITED_ROLES",
    "NAMING",
    "SEAT_STATUSES",
    "AuditEntry",
    "Base",
    "Booking",
    "Broadcast",
    "Case",
    "CaseMessage",
    "CaseParty",
    "ChecklistItem",
    "ConsentRequest",
    "FieldInterest",
    "InboxHolder",
    "InboxUpdate",
    "Inspection",
    "InspectionItem",
    "Invite",
    "Mentor",
    "MentorField",
    "MentorMeeting",
    "MentorMessage",
    "MentorOffer",
    "MentorRequest",
    "MentorSlot",
    "Monitor",
    "ProcessedUpdate",
    "Program",
    "ProgramGram",
    "ProgramSearch",
    "Reminder",
    "ReminderOptOut",
    "SendPace",
    "Role",
    "School",
    "SearchWord",
    "Session",
    "Site",
    "SurveyAnswer",
    "UTCDateTime",
    "User",
    "utcnow",
]
