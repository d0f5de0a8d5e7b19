"""Words for the spreadsheet import's problems (storage/importer/ names them by code).

Plain text (not HTML): the chat's templates escape it, the command line prints it as is.
"""

from __future__ import annotations

from messages import examples, label
from messages.labels import N_

# Problem code -> msgid; the values of the problem fill the placeholders.
PROBLEMS = {
    # The file as a whole
    "too_big": N_("The file is larger than %(limit_mb)s MB. Please split it into smaller files."),
    "old_excel": N_(
        "This is an old Excel file (.xls). Please save it as .xlsx or as CSV and send it again."
    ),
    "not_spreadsheet": N_("I could not read this file. Please send an .xlsx or .csv file."),
    "encoding": N_(
        "I could not read the CSV file's characters. Please save it as “CSV UTF-8” and send it "
        "again."
    ),
    "too_many_rows": N_("The file has more than %(limit)s rows. Please split it."),
    "empty": N_("The file is empty."),
    "missing_columns": N_("These columns are missing: %(columns)s"),
    "repeated_column": N_("The column %(column)s appears twice."),
    "no_rows": N_("The file has column names but no rows below them."),
    # One cell
    "required": N_("must not be empty"),
    "too_long": N_("too long (at most %(limit)s characters)"),
    "unknown_type": N_("unknown type “%(value)s”; write one of: %(allowed)s"),
    "unknown_kind": N_("unknown kind of site “%(value)s”; write one of: %(allowed)s"),
    "unknown_district": N_("“%(value)s” is not a district of Goyang; write one of: %(allowed)s"),
    "unknown_mode": N_("write %(allowed)s, not “%(value)s”"),
    "bad_grades": N_("“%(value)s” is not a set of grades 1–3 (e.g. 1,2,3 or 1~3 or 전학년)"),
    "bad_capacity": N_("“%(value)s” is not a number of people from 1 to %(limit)s"),
    "bad_hours": N_("“%(value)s” is not a whole number of hours from 1 to %(limit)s"),
    "bad_fee": N_("“%(value)s” is not an amount in won (e.g. 무료, 0 or 5,000원)"),
    "bad_url": N_("“%(value)s” is not a web address starting with https://"),
    "bad_when": N_("“%(value)s” is not a date and time like %(example_iso)s 14:00~16:00"),
    "undated_when": N_(
        "the day of “%(value)s” depends on the day the file is imported; write a date instead "
        "of 내일 or 수요일, e.g. %(example_ko)s 14:00~16:00"
    ),
    "bad_date": N_("“%(value)s” has a date or time that does not exist"),
    "wrong_weekday": N_("in “%(value)s” the weekday of the date is (%(weekday)s)"),
    "end_before_start": N_("in “%(value)s” the end is not after the start"),
    "differs": N_("differs from row %(row)s of the same site or programme"),
    "duplicate_session": N_("the same session as row %(row)s"),
    "in_past": N_("this new session starts in the past"),
    "below_booked": N_("%(capacity)s is fewer than the seats already booked (%(booked)s)"),
    "booked_meanwhile": N_(
        "seats were booked while importing, so a capacity is now too small; please try again"
    ),
}


def problem_text(lang: str, problem) -> str:
    """One problem as a line: "Row 5, 체험유형: unknown type ..."."""
    # An example day lies ahead of today (messages/examples.py), never in the past.
    day = examples.example_day()
    ahead = {"example_iso": day.isoformat(), "example_ko": f"{day.month}월 {day.day}일"}
    reason = label(lang, PROBLEMS[problem.code], **ahead, **problem.values)
    if problem.row is not None and problem.column:
        return label(
            lang,
            "Row %(row)s, %(column)s: %(reason)s",
            row=problem.row,
            column=problem.column,
            reason=reason,
        )
    if problem.row is not None:
        return label(lang, "Row %(row)s: %(reason)s", row=problem.row, reason=reason)
    if problem.column:
        return f"{problem.column}: {reason}"
    return reason
