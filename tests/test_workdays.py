"""The working-day arithmetic as pure functions: no database, calendars built by hand."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from service.domain.workdays import (
    MAX_WORKDAYS,
    WorkCalendar,
    add_days,
    add_months,
    add_workdays,
    workdays_between,
)
from service.services.calendar import seed_days, seed_years
from service.timeutil import SHANGHAI

D = date.fromisoformat


def _chinese_2026() -> WorkCalendar:
    """2026 as the chinesecalendar package has it (the State Council notice of 2025-11)."""
    overrides = {}
    day = D("2026-01-01")
    while day.year == 2026:
        works = chinese_calendar.is_workday(day)
        if works != (day.weekday() < 5):
            overrides[day] = works
        day += timedelta(days=1)
    return WorkCalendar(overrides, frozenset({2026}))


CN2026 = _chinese_2026()


def test_plain_weekdays_without_overrides():
    cal = WorkCalendar()
    assert cal.is_workday(D("2026-03-06")) and not cal.is_workday(D("2026-03-07"))
    # Friday + 1 working day = Monday; the start day is never counted (Civil Code art. 201).
    assert add_workdays(cal, D("2026-03-06"), 1).end_date == D("2026-03-09")
    assert add_workdays(cal, D("2026-03-07"), 1).end_date == D("2026-03-09")
    assert add_workdays(cal, D("2026-03-02"), 5).end_date == D("2026-03-09")


def test_overrides_win_over_the_weekday_rule():
    cal = WorkCalendar({D("2026-03-09"): False, D("2026-03-07"): True}, frozenset({2026}))
    assert cal.is_workday(D("2026-03-07")) and not cal.is_workday(D("2026-03-09"))
    assert add_workdays(cal, D("2026-03-06"), 1).end_date == D("2026-03-07")
    assert add_workdays(cal, D("2026-03-06"), 2).end_date == D("2026-03-10")


def test_zero_days_ends_on_the_start_day_and_is_certain():
    deadline = add_workdays(WorkCalendar(), D("2026-10-03"), 0)
    assert deadline.end_date == D("2026-10-03") and deadline.provisional is False


def test_deadline_ends_at_235959_beijing_time():
    deadline = add_workdays(CN2026, D("2026-09-28"), 5)
    assert deadline.end == datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)
    assert deadline.end.utcoffset() == timedelta(hours=8)
    assert deadline.end.isoformat() == "2026-10-10T23:59:59+08:00"


@pytest.mark.parametrize("n", [-1, MAX_WORKDAYS + 1, 100000, True, 1.5, "5"])
def test_day_count_out_of_range_is_refused_in_chinese(n):
    with pytest.raises(ValueError, match="工作日天数"):
        add_workdays(WorkCalendar(), D("2026-01-05"), n)


def test_the_largest_count_is_accepted():
    deadline = add_workdays(WorkCalendar(), D("2026-01-05"), MAX_WORKDAYS)
    assert workdays_between(WorkCalendar(), D("2026-01-05"), deadline.end_date)[0] == MAX_WORKDAYS


def test_provisional_when_a_counted_day_is_in_a_year_without_official_data():
    cal = WorkCalendar(official_years=frozenset({2026}))
    late = add_workdays(cal, D("2026-12-28"), 5)
    assert late.end_date == D("2027-01-04") and late.provisional is True
    assert add_workdays(cal, D("2026-12-21"), 5).provisional is False
    # The start day is not counted, so its year does not matter.
    next_year = WorkCalendar(official_years=frozenset({2027}))
    assert add_workdays(next_year, D("2026-12-31"), 1).provisional is False
    # A year in the middle of a long period counts too.
    gap = WorkCalendar(official_years=frozenset({2026, 2028}))
    assert add_workdays(gap, D("2026-06-01"), 400).provisional is True


def test_2026_statutory_calendar_from_chinesecalendar():
    """RULES.md header: 2026 make-up days 1/4, 2/14, 2/28, 5/9, 9/20, 10/10;
    春节 2/15–2/23; 国庆 10/1–10/7."""
    for makeup in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"):
        assert D(makeup).weekday() >= 5 and CN2026.is_workday(D(makeup)), makeup
    for offset in range(9):
        assert not CN2026.is_workday(D("2026-02-15") + timedelta(days=offset))
    for offset in range(7):
        assert not CN2026.is_workday(D("2026-10-01") + timedelta(days=offset))
    assert CN2026.is_workday(D("2026-02-24")) and CN2026.is_workday(D("2026-10-08"))
    # 261 weekdays (52 weeks + Thursday 1/1) − 19 weekday holidays + 6 make-up days.
    # 2025 is not official here, but 12/31 is the excluded start day, so the count is certain.
    assert workdays_between(CN2026, D("2025-12-31"), D("2026-12-31")) == (248, False)


def test_periods_across_spring_festival_and_national_day_2026():
    # JB-03: 9/29, 9/30, [10/1–10/7 off], 10/8, 10/9, 10/10 (make-up Saturday) → 10/10.
    assert add_workdays(CN2026, D("2026-09-28"), 5).end_date == D("2026-10-10")
    # 2/13 Fri, 2/14 make-up Sat, [2/15–2/23 off], 2/24, 2/25, 2/26.
    assert add_workdays(CN2026, D("2026-02-12"), 5).end_date == D("2026-02-26")
    # Starting on a holiday or on a make-up Saturday: the start day is not counted either way.
    assert add_workdays(CN2026, D("2026-10-01"), 1).end_date == D("2026-10-08")
    assert add_workdays(CN2026, D("2026-02-14"), 1).end_date == D("2026-02-24")


def test_workdays_between_agrees_with_counting_day_by_day():
    rng = random.Random(20261001)
    overrides = {D("2026-01-01") + timedelta(days=rng.randrange(730)): rng.random() < 0.5 for _ in range(80)}
    cal = WorkCalendar(overrides, frozenset({2026, 2027}))
    for _ in range(300):
        start = D("2025-12-01") + timedelta(days=rng.randrange(800))
        end = start + timedelta(days=rng.randrange(-10, 120))
        expected = sum(cal.is_workday(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))
        assert workdays_between(cal, start, end)[0] == expected, (start, end)


def test_workdays_between_is_the_inverse_of_add_workdays():
    for n in (1, 5, 15, 30):
        deadline = add_workdays(CN2026, D("2026-01-20"), n)
        assert workdays_between(CN2026, D("2026-01-20"), deadline.end_date) == (n, False)


def test_workdays_between_empty_and_provisional():
    assert workdays_between(CN2026, D("2026-05-01"), D("2026-05-01")) == (0, False)
    assert workdays_between(CN2026, D("2026-05-08"), D("2026-05-01")) == (0, False)
    assert workdays_between(CN2026, D("2026-12-30"), D("2027-01-04")) == (3, True)


def test_calendar_is_immutable_and_shareable():
    source = {D("2026-03-09"): False}
    cal = WorkCalendar(source, frozenset({2026}))
    source[D("2026-03-10")] = False  # later changes to the input do not leak in
    assert cal.is_workday(D("2026-03-10"))
    with pytest.raises(TypeError):
        cal.overrides[D("2026-03-11")] = False  # type: ignore[index]


def test_add_days_and_months():
    assert add_days(D("2026-09-28"), 5) == D("2026-10-03")
    assert add_days(D("2026-03-01"), -1) == D("2026-02-28")
    assert add_months(D("2026-01-31"), 1) == D("2026-02-28")
    assert add_months(D("2024-01-31"), 1) == D("2024-02-29")
    assert add_months(D("2026-11-30"), 3) == D("2027-02-28")
    assert add_months(D("2026-03-31"), -1) == D("2026-02-28")
    assert add_months(D("2026-01-15"), -1) == D("2025-12-15")
    assert add_months(D("2026-07-01"), 24) == D("2028-07-01")  # KF-13: a 2-year contract term


def test_seed_agrees_with_the_package_on_every_supported_day():
    """The rows seeded into calendar_days reproduce chinese_calendar.is_workday exactly."""
    years = seed_years()
    assert years.start == 2004 and years.stop - 1 >= 2026
    cal = WorkCalendar({day: kind == "workday" for day, (kind, _) in seed_days().items()}, frozenset(years))
    day = date(years.start, 1, 1)
    while day.year < years.stop:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert seed_days()[D("2026-02-16")] == ("holiday", "春节")
    assert seed_days()[D("2026-10-10")] == ("workday", "国庆节")
