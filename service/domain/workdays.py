"""The PRC statutory working-day calendar as pure functions (no database, no clock).

A period of "N working days from D" does not count D itself (Civil Code art. 201) and
ends at 23:59:59 Beijing time of the N-th working day after D.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType

from service.timeutil import SHANGHAI

MAX_WORKDAYS = 3650
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class WorkCalendar:
    """Weekdays work, weekends rest, except where `overrides` says otherwise.

    `official_years` are years whose schedule has been published; a result that
    depends on any other year is provisional.
    """

    overrides: Mapping[date, bool] = field(default_factory=dict)  # True = working day
    official_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        # A read-only copy, so one instance can be shared between threads and cached.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "official_years", frozenset(self.official_years))

    def is_workday(self, day: date) -> bool:
        override = self.overrides.get(day)
        return override if override is not None else day.weekday() < 5

    def is_official(self, year: int) -> bool:
        return year in self.official_years

    def provisional(self, first: date, last: date) -> bool:
        """Whether any year from first to last (inclusive) lacks an official schedule."""
        return any(not self.is_official(year) for year in range(first.year, last.year + 1))


@dataclass(frozen=True)
class Deadline:
    start: date
    days: int
    end_date: date
    provisional: bool

    @property
    def end(self) -> datetime:
        """The last moment of the period: 23:59:59 Asia/Shanghai on end_date."""
        return datetime.combine(self.end_date, END_OF_DAY, tzinfo=SHANGHAI)


def add_workdays(cal: WorkCalendar, start: date, n: int) -> Deadline:
    """The end of a period of n working days from start (start itself not counted).

    Provisional when a day the count had to look at lies in a non-official year; with
    n == 0 no day is looked at, so the result is certain.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_WORKDAYS:
        raise ValueError(f"工作日天数应为 0 到 {MAX_WORKDAYS} 之间的整数，收到 {n!r}")
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if cal.is_workday(day):
            counted += 1
    provisional = n > 0 and cal.provisional(start + timedelta(days=1), day)
    return Deadline(start=start, days=n, end_date=day, provisional=provisional)


def workdays_between(cal: WorkCalendar, start: date, end: date) -> tuple[int, bool]:
    """Working days in (start, end] and whether that count is provisional."""
    if end <= start:
        return 0, False
    # Weekdays by arithmetic, then correct for the overrides inside the range, so long
    # ranges cost no more than the number of overrides.
    count = _weekdays_through(end) - _weekdays_through(start)
    for day, works in cal.overrides.items():
        if start < day <= end and works != (day.weekday() < 5):
            count += 1 if works else -1
    return count, cal.provisional(start + timedelta(days=1), end)


def _weekdays_through(day: date) -> int:
    """Monday–Friday dates from 0001-01-01 (a Monday) through day."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def add_days(start: date, n: int) -> date:
    """Plain calendar days."""
    return start + timedelta(days=n)


def add_months(start: date, n: int) -> date:
    """Calendar months; a day missing in the target month clamps to its last day."""
    year, month0 = divmod(start.year * 12 + start.month - 1 + n, 12)
    month = month0 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
