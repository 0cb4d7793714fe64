"""Time helpers: store UTC, show Asia/Shanghai."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Rehearsals and the multi-process tests run a real server on a clock they set: the file holds
# the ISO time the server should take as now. Never set in production.
REHEARSAL_CLOCK_FILE = os.environ.get("XUANPIN_TEST_CLOCK_FILE") or None


# Process test cases (services/process_tests.py) run on a clock of their own, in this context
# only: a case run from a web request must not move the time of the requests beside it.
_simulated_now: ContextVar[datetime | None] = ContextVar("xuanpin_simulated_now", default=None)


def utcnow() -> datetime:
    simulated = _simulated_now.get()
    if simulated is not None:
        return simulated
    if REHEARSAL_CLOCK_FILE:
        return _rehearsal_now(Path(REHEARSAL_CLOCK_FILE))
    return datetime.now(UTC)


def _rehearsal_now(path: Path) -> datetime:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        text = ""
    return datetime.fromisoformat(text).astimezone(UTC) if text else datetime.now(UTC)


class SimulatedClock:
    """The time a process test case is at; it only moves when the case says so."""

    def __init__(self, start: datetime) -> None:
        self._token = _simulated_now.set(start.astimezone(UTC))

    @property
    def now(self) -> datetime:
        now = _simulated_now.get()
        assert now is not None
        return now

    def move_to(self, moment: datetime) -> None:
        _simulated_now.set(moment.astimezone(UTC))


@contextmanager
def simulated_clock(start: datetime) -> Iterator[SimulatedClock]:
    clock = SimulatedClock(start)
    try:
        yield clock
    finally:
        _simulated_now.reset(clock._token)


def to_shanghai(value: datetime | None) -> datetime | None:
    return value.astimezone(SHANGHAI) if value is not None else None
