"""The audit trail (X-01, JB-18): every use case records who did what, when; the events are
hash-chained (service/domain/audit_chain.py) and the database refuses to change them.

`record` only collects an event in the session; the events are chained and inserted just
before the transaction commits, after everything else of it is flushed. The chain head is then
the last lock a transaction takes (FOR UPDATE on PostgreSQL; SQLite has one writer anyway), so
concurrent writers append in commit order and never wait for each other while holding it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.domain.audit_chain import GENESIS, event_hash, normalised_detail
from service.store.models import AuditChainHead, AuditEvent
from service.timeutil import utcnow

if TYPE_CHECKING:
    pass

_PENDING = "audit_pending"
HEAD_ID = 1

# Recording ---------------------------------------------------------------------------------


@dataclass
class _Pending:
    at: datetime
    actor: str
    action: str
    instance_id: str | None
    task_id: str | None
    detail: dict[str, Any]


def record(
    session: Session,
    actor: str,
    action: str,
    instance_id: str | None = None,
    task_id: str | None = None,
    **detail: Any,
) -> None:
    """Adds an event to the transaction: written, chained, when (and only if) it commits."""
    session.info.setdefault(_PENDING, []).append(
        _Pending(utcnow(), actor, action, instance_id, task_id, normalised_detail(detail))
    )


def pending(session: Session) -> list[_Pending]:
    """The events recorded in the transaction so far (services/outbox.py derives from them)."""
    return list(session.info.get(_PENDING, []))


def mark(session: Session) -> int:
    """Where the transaction's events stand now, for `discard_since`."""
    return len(session.info.get(_PENDING, []))


def discard_since(session: Session, position: int) -> None:
    """Forget the events recorded after `mark` (a step that failed and was undone in memory)."""
    del session.info.get(_PENDING, [])[position:]


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: written at the outer commit, so the chain head is locked last
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return
    session.flush()  # every other row lock first: the chain head is the last one taken
    seq, previous = _lock_head(session)
    last_of_case: dict[str, str] = {}
    rows = []
    for item in pending:
        seq += 1
        instance_previous = None
        if item.instance_id is not None:
            if item.instance_id not in last_of_case:
                last_of_case[item.instance_id] = (
                    session.scalar(
                        select(AuditEvent.hash)
                        .where(AuditEvent.instance_id == item.instance_id)
                        .order_by(AuditEvent.seq.desc())
                        .limit(1)
                    )
                    or GENESIS
                )
            instance_previous = last_of_case[item.instance_id]
        digest = event_hash(
            seq=seq,
            at=item.at,
            actor=item.actor,
            action=item.action,
            instance_id=item.instance_id,
            task_id=item.task_id,
            detail=item.detail,
            prev_hash=previous,
            instance_prev_hash=instance_previous,
        )
        rows.append(
            {
                "seq": seq,
                "at": item.at,
                "actor": item.actor,
                "action": item.action,
                "instance_id": item.instance_id,
                "task_id": item.task_id,
                "detail": item.detail,
                "prev_hash": previous,
                "instance_prev_hash": instance_previous,
                "hash": digest,
            }
        )
        previous = digest
        if item.instance_id is not None:
            last_of_case[item.instance_id] = digest
    session.execute(insert(AuditEvent), rows)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(seq=seq, hash=previous))


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous: Any) -> None:
    # A savepoint rolled back keeps what was recorded before it (`discard_since` drops the
    # rest): several instances advance in savepoints of one transaction (advance_together).
    if not previous.nested:
        session.info.pop(_PENDING, None)


def _lock_head(session: Session) -> tuple[int, str]:
    query = select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == HEAD_ID)
    head = session.execute(query.with_for_update()).one_or_none()
    if head is None:  # an emptied database (the migration writes the row)
        dialect = session.get_bind().dialect.name
        make = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(make(AuditChainHead).values(id=HEAD_ID, seq=0, hash=GENESIS).on_conflict_do_nothing())
        head = session.execute(query.with_for_update()).one()
    return int(head.seq), str(head.hash)
