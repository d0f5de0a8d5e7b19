"""The Korean school year: it begins on 1 March, and a middle school has three grades, so a
student who joins in grade g leaves (graduates) on the 1 March that ends their third year."""

from __future__ import annotations

from datetime import date

LAST_GRADE = 3


def year_start(today: date) -> date:
    """1 March of the school year `today` is in (January and February end the last one)."""
    return date(today.year if today.month >= 3 else today.year - 1, 3, 1)


def leaves_on(today: date, grade: int) -> date:
    """The day a student in `grade` on `today` leaves middle school: 1 March after their
    third year (a third-grader joining in January leaves that March)."""
    return year_start(today).replace(year=year_start(today).year + LAST_GRADE + 1 - grade)
