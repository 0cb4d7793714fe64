"""The working-day calendar as every replica reads it: the tables read into a WorkCalendar, and
a per-process cache reread only when the tables changed (any replica's write moves the marker).
Depends on the store and the domain only, so the container can hold one."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.workdays import WorkCalendar
from service.store.db import Database
from service.store.models import CalendarDay, CalendarYear

HOLIDAY, WORKDAY = "holiday", "workday"  # the kinds of calendar_days rows


def _read_calendar(session: Session) -> WorkCalendar:
    overrides = {
        day: kind == WORKDAY for day, kind in session.execute(select(CalendarDay.day, CalendarDay.kind))
    }
    return WorkCalendar(
        overrides=overrides, official_years=frozenset(session.scalars(select(CalendarYear.year)))
    )


def _change_marker(session: Session) -> tuple[Any, ...]:
    """Changes whenever any replica writes: newest update time and row count of both tables."""
    return tuple(
        session.execute(
            select(
                select(func.max(CalendarDay.updated_at)).scalar_subquery(),
                select(func.count()).select_from(CalendarDay).scalar_subquery(),
                select(func.max(CalendarYear.updated_at)).scalar_subquery(),
                select(func.count()).select_from(CalendarYear).scalar_subquery(),
            )
        ).one()
    )


_CACHES: weakref.WeakSet[CalendarCache] = weakref.WeakSet()


class CalendarCache:
    """One per process: the calendar is reread only when the change marker moved."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._cached: tuple[tuple[Any, ...], WorkCalendar] | None = None
        _CACHES.add(self)

    def get(self) -> WorkCalendar:
        with self._db.transaction() as session:
            # Marker before data: a write in between only causes one extra reload later.
            marker = _change_marker(session)
            cached = self._cached
            if cached is not None and cached[0] == marker:
                return cached[1]
            with self._lock:
                cached = self._cached
                if cached is not None and cached[0] == marker:
                    return cached[1]
                calendar = _read_calendar(session)
                self._cached = (marker, calendar)
                return calendar

    def invalidate(self) -> None:
        self._cached = None


def invalidate_all() -> None:
    """After a calendar change committed here: this process's caches reread at once."""
    for calendar_cache in list(_CACHES):
        calendar_cache.invalidate()
