"""What every use case needs, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.config import Settings
from service.domain.helpers import SCRIPT_FUNCTIONS
from service.domain.workdays import add_workdays
from service.engine.runtime import ProcessEngine
from service.engine.script_limits import ScriptLimits, platform_read
from service.engine.timers import calendar_helpers
from service.services import outbox as _outbox  # noqa: F401 (registers the outbox's listeners)
from service.services.calendar_cache import CalendarCache
from service.store.db import Database
from service.timeutil import utcnow


@dataclass
class Container:
    settings: Settings
    db: Database
    engine: ProcessEngine
    calendar: CalendarCache
    scheduler: Any = field(default=None)  # service.scheduler.TimerScheduler when running

    def timer_created(self, due_at: datetime) -> None:
        if self.scheduler is not None:
            self.scheduler.notify(due_at)

    @classmethod
    def build(cls, settings: Settings) -> Container:
        db = Database(
            settings.database_url, echo=settings.sql_echo, busy_timeout=settings.db_busy_timeout_seconds
        )
        calendar = CalendarCache(db)
        limits = ScriptLimits(
            time_limit=settings.script_time_limit_seconds,
            max_items=settings.script_max_items,
            max_string=settings.script_max_string,
            max_instances=settings.max_instances_per_activity,
        )
        engine = ProcessEngine(helpers=script_helpers(calendar), limits=limits)
        return cls(settings=settings, db=db, engine=engine, calendar=calendar)


def script_helpers(calendar: CalendarCache) -> dict[str, object]:
    """Functions diagrams may call from scripts and expressions."""

    def workdays(start, n):  # type: ignore[no-untyped-def]
        with platform_read():
            work_calendar = calendar.get()
        deadline = add_workdays(work_calendar, start, n)
        return deadline.end_date, deadline.provisional

    return {**SCRIPT_FUNCTIONS, **calendar_helpers(workdays, utcnow)}
