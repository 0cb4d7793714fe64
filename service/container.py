"""What every use case needs, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.config import Settings
from service.engine.runtime import ProcessEngine
from service.store.db import Database


@dataclass
class Container:
    settings: Settings
    db: Database
    engine: ProcessEngine
    scheduler: Any = field(default=None)  # service.scheduler.TimerScheduler when running

    def timer_created(self, due_at: datetime) -> None:
        if self.scheduler is not None:
            self.scheduler.notify(due_at)

    @classmethod
    def build(cls, settings: Settings) -> Container:
        return cls(
            settings=settings,
            db=Database(settings.database_url, echo=settings.sql_echo),
            engine=ProcessEngine(helpers=script_helpers(), time_limit=settings.script_time_limit_seconds),
        )


def script_helpers() -> dict[str, object]:
    """Functions diagrams may call from scripts and expressions (extended by later features)."""
    return {}
