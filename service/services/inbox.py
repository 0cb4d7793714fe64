"""Reading an inbox off `inbox_entries`: each of the principal's holders (their roles, their
name) is one index range in (created_at, task_id) order; the ranges are merged here, so a page
costs the same with 1,000 or 100,000 open tasks. Totals are counted up to `TOTAL_CAP`."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select, tuple_, union
from sqlalchemy.orm import Session

from service.services.errors import Invalid
from service.services.pagination import TOTAL_CAP
from service.services.principal import Principal
from service.store.models import InboxEntry, Task, role_holder


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the next page starts after this task (keyset pagination)."""

    created_at: datetime
    task_id: str

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), self.task_id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            created, task_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            return cls(datetime.fromisoformat(created), str(task_id))
        except (ValueError, TypeError, binascii.Error):
            raise Invalid(
                "分页游标 after 无效：请使用上一页返回的 next_cursor 原样传回", errors={"after": ["游标无效"]}
            ) from None


@dataclass
class InboxPage:
    tasks: list[Task]
    total: int
    total_capped: bool
    next_cursor: str | None


def holders(principal: Principal) -> list[str]:
    """The principal's name and each role in each organisation it is held in."""
    return [
        f"user:{principal.username}",
        *(role_holder(role, org) for role, org in sorted(principal.role_organisations)),
    ]


def read_inbox(
    session: Session, principal: Principal, page: int, per_page: int, after: Cursor | None
) -> InboxPage:
    keys = holders(principal)
    skip = 0 if after is not None else (page - 1) * per_page
    params: dict[str, object] = {f"holder_{i}": key for i, key in enumerate(keys)}
    # The first n of the inbox are each among the first n of some holder, so the union of every
    # holder's first n (UNION drops a task offered to two of them) holds the page; the database
    # merges them and no more than n index entries per holder are read.
    params.update(per_holder=skip + per_page + 1, skip=skip, rows=per_page + 1)  # +1: a next page?
    if after is not None:
        params.update(after_created=after.created_at, after_task=after.task_id)
    chosen = session.execute(_page_statement(len(keys), after is not None), params).all()
    more = len(chosen) > per_page
    chosen = chosen[:per_page]
    ids = [task_id for _, task_id in chosen]
    rows = {task.id: task for task in session.scalars(select(Task).where(Task.id.in_(ids)))} if ids else {}
    tasks = [rows[task_id] for task_id in ids if task_id in rows]
    total, capped = _bounded_total(session, keys)
    cursor = Cursor(*chosen[-1]).encode() if more and chosen else None
    return InboxPage(tasks, total, capped, cursor)


@functools.lru_cache(maxsize=256)
def _page_statement(holder_count: int, with_cursor: bool) -> Select:
    """The page query for so many holders, built once: a group's clerk holds a role in each of
    fifty enterprises, and building fifty subqueries on every request cost more than running
    them. Everything that varies is a bound parameter."""
    ranges = union(*(_entries(i, with_cursor) for i in range(holder_count))).subquery()
    return (
        select(ranges.c.created_at, ranges.c.task_id)
        .order_by(ranges.c.created_at, ranges.c.task_id)
        .offset(bindparam("skip"))
        .limit(bindparam("rows"))
    )


def _entries(index: int, with_cursor: bool) -> Select:
    query = select(InboxEntry.created_at, InboxEntry.task_id).where(
        InboxEntry.holder == bindparam(f"holder_{index}", type_=InboxEntry.holder.type)
    )
    if with_cursor:
        query = query.where(
            tuple_(InboxEntry.created_at, InboxEntry.task_id)
            > tuple_(
                bindparam("after_created", type_=InboxEntry.created_at.type),
                bindparam("after_task", type_=InboxEntry.task_id.type),
            )
        )
    ordered = (
        query.order_by(InboxEntry.created_at, InboxEntry.task_id).limit(bindparam("per_holder")).subquery()
    )
    return select(ordered.c.created_at, ordered.c.task_id)


def _bounded_total(session: Session, keys: list[str]) -> tuple[int, bool]:
    limited = select(InboxEntry.task_id).where(InboxEntry.holder.in_(keys)).limit(TOTAL_CAP + 1).subquery()
    rows = session.scalar(select(func.count()).select_from(limited)) or 0
    if rows > TOTAL_CAP:
        return TOTAL_CAP, True
    distinct = session.scalar(select(func.count(func.distinct(limited.c.task_id)))) or 0
    return distinct, False
