"""The tables as SQLAlchemy Core sees them, each under its SQL name, for storage's queries:
one place instead of an `X.__table__` line in every module. A module with a shorter word for
a table imports it under that word (`mentor_requests as requests`)."""

from __future__ import annotations

from storage import models

bookings = models.Booking.__table__
broadcasts = models.Broadcast.__table__
case_messages = models.CaseMessage.__table__
case_parties = models.CaseParty.__table__
cases = models.Case.__table__
checklist_items = models.ChecklistItem.__table__
consent_requests = models.ConsentRequest.__table__
field_interests = models.FieldInterest.__table__
inspection_items = models.InspectionItem.__table__
inspections = models.Inspection.__table__
invites = models.Invite.__table__
mentor_fields = models.MentorField.__table__
mentor_meetings = models.MentorMeeting.__table__
mentor_messages = models.MentorMessage.__table__
mentor_offers = models.MentorOffer.__table__
mentor_requests = models.MentorRequest.__table__
mentor_slots = models.MentorSlot.__table__
mentors = models.Mentor.__table__
monitors = models.Monitor.__table__
processed_updates = models.ProcessedUpdate.__table__
program_grams = models.ProgramGram.__table__
program_search = models.ProgramSearch.__table__
programs = models.Program.__table__
reminder_optouts = models.ReminderOptOut.__table__
reminders = models.Reminder.__table__
schools = models.School.__table__
search_words = models.SearchWord.__table__
send_pace = models.SendPace.__table__
sessions = models.Session.__table__
sites = models.Site.__table__
survey_answers = models.SurveyAnswer.__table__
users = models.User.__table__
