from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

# Beyond this many, a list's total is reported as this number with `total_capped`: counting
# 100,000 rows on every request would cost more than the page itself.
TOTAL_CAP = 1000


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    # The total stops counting at TOTAL_CAP; then it is that number and this is true.
    total_capped: bool = False
    # Keyset pagination: pass as `after` for the page that follows (None: no further page).
    next_cursor: str | None = None


def bounded_count(session: Session, query: Select) -> tuple[int, bool]:
    """The number of rows `query` selects, counted up to TOTAL_CAP."""
    limited = query.limit(TOTAL_CAP + 1).subquery()
    rows = session.scalar(select(func.count()).select_from(limited)) or 0
    return (TOTAL_CAP, True) if rows > TOTAL_CAP else (rows, False)
