"""Working days on the mainland China calendar, with 调休 make-up days.

The ``chinese_calendar`` package carries each year's State Council arrangement. For a year
it does not cover yet, we fall back to Monday–Friday and say so (``covered()``), and an
admin can enter that year's holidays and make-up days as overrides.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Mapping

import chinese_calendar


def covered(year: int) -> bool:
    """Whether the calendar package knows ``year``'s holidays."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: date, overrides: Mapping[date, bool] | None = None) -> bool:
    if overrides and day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: date, n: int, overrides: Mapping[date, bool] | None = None) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    step = 1 if n >= 0 else -1
    left = abs(n)
    while left:
        day += timedelta(days=step)
        if is_workday(day, overrides):
            left -= 1
    return day


def workdays_between(start: date, end: date, overrides: Mapping[date, bool] | None = None) -> int:
    """Working days in (start, end]: how many working days have passed since ``start``."""
    if end <= start:
        return 0
    return sum(1 for i in range(1, (end - start).days + 1) if is_workday(start + timedelta(days=i), overrides))
