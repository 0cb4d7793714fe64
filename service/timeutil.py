"""Time helpers: store UTC, show Asia/Shanghai."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Rehearsals and the multi-process tests run a real server on a clock they set: the file holds
# the ISO time the server should take as now. Never set in production.
REHEARSAL_CLOCK_FILE = os.environ.get("XUANPIN_TEST_CLOCK_FILE") or None


def utcnow() -> datetime:
    if REHEARSAL_CLOCK_FILE:
        return _rehearsal_now(Path(REHEARSAL_CLOCK_FILE))
    return datetime.now(UTC)


def _rehearsal_now(path: Path) -> datetime:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        text = ""
    return datetime.fromisoformat(text).astimezone(UTC) if text else datetime.now(UTC)


def to_shanghai(value: datetime | None) -> datetime | None:
    return value.astimezone(SHANGHAI) if value is not None else None
