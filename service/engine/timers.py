"""Deadlines inside diagrams: the calendar helpers scripts may call, reading the due time of
every waiting timer, and evaluating `camunda:dueDate` of user tasks."""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from service.domain.dates import as_date
from service.timeutil import SHANGHAI, utcnow


class Deadline(str):
    """An ISO-8601 string that remembers how it was computed.

    Diagrams only ever see a string (what SpiffWorkflow expects from a timer expression);
    the service reads the extra attributes when it stores the timer, to flag provisional
    deadlines and to know which calendar changes must move them.
    """

    provisional: bool
    period_start: date | None

    def __new__(cls, value: str, provisional: bool = False, period_start: date | None = None) -> Deadline:
        instance = super().__new__(cls, value)
        instance.provisional = provisional
        instance.period_start = period_start
        return instance


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), SHANGHAI)


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


WorkdayAdder = Callable[[date, int], tuple[date, bool]]


def calendar_helpers(add_workdays: WorkdayAdder, now: Callable[[], datetime]) -> dict[str, Any]:
    """The functions diagrams may call. Periods follow the Civil Code: the start day is not
    counted and the period ends at 23:59:59 (Beijing time) of its last day."""

    def _count(n: Any) -> int:
        if isinstance(n, bool) or not isinstance(n, int | float) or int(n) != n:
            raise ValueError(f"天数必须是整数，收到 {n!r}")
        return int(n)

    def add_workdays_(start: Any, n: Any) -> Deadline:
        first = as_date(start)
        end, provisional = add_workdays(first, _count(n))
        return Deadline(end_of_day(end).isoformat(), provisional, first)

    def add_days_(start: Any, n: Any) -> Deadline:
        return Deadline(end_of_day(as_date(start) + timedelta(days=_count(n))).isoformat())

    def add_months_(start: Any, n: Any) -> Deadline:
        return Deadline(end_of_day(_add_months(as_date(start), _count(n))).isoformat())

    def today_() -> str:
        return now().astimezone(SHANGHAI).date().isoformat()

    def now_() -> str:
        return now().astimezone(SHANGHAI).isoformat()

    return {
        "add_workdays": add_workdays_,
        "add_days": add_days_,
        "add_months": add_months_,
        "today": today_,
        "now": now_,
    }


@dataclass(frozen=True)
class TimerView:
    task_id: str
    element_id: str
    title: str
    kind: str  # date | duration | cycle
    due_at: datetime
    provisional: bool
    period_start: date | None


_KINDS = {
    TimeDateEventDefinition: "date",
    DurationTimerEventDefinition: "duration",
    CycleTimerEventDefinition: "cycle",
}


def waiting_timers(workflow: Any) -> list[TimerView]:
    """Every timer the instance waits for (in subprocesses too) with its due time in UTC."""
    views = []
    for task in list(workflow.top_workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = task._get_internal_data("event_value")
        if value is None:
            continue
        if isinstance(value, dict):  # a cycle: {"cycles", "next", "duration"}
            if value.get("cycles") == 0:
                continue
            value = value["next"]
        due = parse_due(value)
        spec = task.task_spec
        views.append(
            TimerView(
                task_id=str(task.id),
                element_id=spec.bpmn_id or spec.name,
                title=spec.bpmn_name or definition.name or spec.bpmn_id or spec.name,
                kind=_KINDS.get(type(definition), "date"),
                due_at=due,
                provisional=bool(getattr(value, "provisional", False)),
                period_start=getattr(value, "period_start", None),
            )
        )
    return views


def forget_timer_value(workflow: Any, task_id: str) -> None:
    """Make the engine evaluate a timer's expression again (after a calendar change)."""
    for task in workflow.top_workflow.event_manager.tasks.values():
        if str(task.id) == task_id:
            task.internal_data.pop("event_value", None)


def parse_due(value: Any, now: datetime | None = None) -> datetime:
    """A due time from what an expression returned: an aware or naive (Beijing) ISO date-time,
    a date (end of that day), or an ISO duration counted from now. Returned in UTC."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
        return moment.astimezone(UTC)
    if isinstance(value, date):
        return end_of_day(value).astimezone(UTC)
    text = str(value).strip()
    if text.upper().startswith("P"):
        duration = TimerEventDefinition.parse_iso_duration(text)
        start = now or utcnow()
        return start + TimerEventDefinition.get_timedelta_from_start(duration, start)
    try:
        return end_of_day(date.fromisoformat(text)).astimezone(UTC)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).astimezone(UTC)
