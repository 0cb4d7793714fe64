"""Whole-year and whole-month differences between dates (KF-03, FH-02 ages; JB-04 years of
experience; KF-03 months to retirement).

Dates may be `date`/`datetime` objects or ISO strings (`YYYY-MM-DD` or an ISO datetime);
an aware datetime is taken in Beijing time.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time
from typing import Any

from service.domain.refusal import refuse
from service.timeutil import SHANGHAI


def as_date(value: Any, what: str = "日期") -> date:
    if isinstance(value, datetime):
        return (value.astimezone(SHANGHAI) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return as_date(datetime.fromisoformat(text), what)
        except ValueError:
            pass
    raise ValueError(f"无法识别的{what}：{value!r}（应为 YYYY-MM-DD 或 ISO-8601 日期时间）")


def _whole_years(start: Any, end: Any, start_label: str, end_label: str) -> int:
    first = as_date(start, start_label)
    last = as_date(end, end_label)
    if last < first:
        raise ValueError(f"{end_label} {last.isoformat()} 早于{start_label} {first.isoformat()}")
    # Someone born on 29 February turns a year older on 1 March in common years.
    return last.year - first.year - ((last.month, last.day) < (first.month, first.day))


def age_on(birth_date: Any, on_date: Any) -> int:
    """KF-03, FH-02: age in whole years (周岁) on `on_date`."""
    return _whole_years(birth_date, on_date, "出生日期", "计算日期")


def years_between(start: Any, end: Any) -> int:
    """JB-04: whole years from `start` to `end` (e.g. years of work experience)."""
    return _whole_years(start, end, "起始日期", "截止日期")


def months_between(start: Any, end: Any) -> int:
    """KF-03: whole months from `start` to `end` (the last month counts once its day is reached;
    a 31st counts as reached on a shorter month's last day); negative when `end` is earlier."""
    first = as_date(start, "起始日期")
    last = as_date(end, "截止日期")
    months = (last.year - first.year) * 12 + (last.month - first.month)
    if shift_months(first, months) > last:
        months -= 1
    return months


def shift_months(day: date, months: int) -> date:
    """The same day `months` later (earlier when negative); the month's last day when it is
    shorter (31 January + 1 month = 28 or 29 February)."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def past_deadline(deadline: Any, moment: Any) -> bool:
    """FH-08, FH-09: whether `moment` is after `deadline` (an ISO date-time such as a period's
    end "2026-12-31T23:59:59+08:00", or a date meaning its end). A date as `moment` means that
    day in Beijing time: done on the deadline's day is on time."""
    end = _moment(deadline, "期限", end_of_day=True)
    when = _moment(moment, "办结时间", end_of_day=False)
    return when > end


def check_window_open(start: Any, deadline: Any, moment: Any, window: str, field: str) -> None:
    """A date a person enters that would close its window at once is refused, saying so: a
    揭榜 call published so long ago that its 5 working days are over would end as 无人揭榜 the
    moment it is sent (JB-02, JB-03). `window` names the period, `field` the date's form field."""
    if past_deadline(deadline, moment):
        end = _moment(deadline, "期限", end_of_day=True).strftime("%Y-%m-%d %H:%M")
        refuse(
            f"按{as_date(start).isoformat()}起算，{window}已于 {end} 届满，提交后将立即结束；"
            "请填写实际发布日期，或如确已逾期，请重新组织发布",
            field,
        )


def _moment(value: Any, what: str, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and "T" in text:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    day = as_date(value, what)
    clock = time(23, 59, 59) if end_of_day else time(0, 0)
    return datetime.combine(day, clock, SHANGHAI)
