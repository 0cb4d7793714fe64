"""Cases whose work killed its worker: found from the work-in-flight rows the dead left behind.

A step that holds the interpreter in one C call cannot be stopped by the script time limit;
gunicorn kills the worker after its timeout and the transaction rolls back, so the case is at its
last good state. Every thread of that worker dies with it, so the first interruption may be a
bystander's: the case is told of it and runs on. Interrupted again with nothing done in between,
the work itself is the cause: the case is put in error, so that neither the person retrying nor
the timer firing again kills more workers, until an administrator mends it and retries.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.container import Container
from service.domain.status import InstanceStatus
from service.services import audit
from service.services.unit_of_work import HOST
from service.store.models import AuditEvent, Instance, WorkInFlight
from service.timeutil import to_shanghai, utcnow

log = logging.getLogger(__name__)

INTERRUPTED = "work.interrupted"
# A live worker cannot still be at it beyond its timeout (gunicorn would have killed it) plus
# the two lock waits before the work starts (the in-flight mark, the instance lock).
_GRACE_SECONDS = 30


@dataclass(frozen=True)
class Interruption:
    instance_id: str
    doing: str
    started_at: datetime
    put_in_error: bool


def recover_interrupted(app: Container, now: datetime | None = None) -> list[Interruption]:
    """Settle the work-in-flight rows of dead workers: on this host those whose process is gone,
    anywhere those older than the worker timeout allows."""
    now = now or utcnow()
    settings = app.settings
    longest = settings.worker_timeout_seconds + 2 * settings.db_busy_timeout_seconds + _GRACE_SECONDS
    stale_before = now - timedelta(seconds=longest)
    with app.db.transaction() as session:
        rows = list(session.scalars(select(WorkInFlight).order_by(WorkInFlight.id)))
    dead = [
        row for row in rows if row.started_at < stale_before or (row.host == HOST and not _alive(row.pid))
    ]
    # One death is one interruption of a case, however many of its requests that worker held.
    by_case: dict[tuple[str, str, int], list[WorkInFlight]] = {}
    for row in dead:
        by_case.setdefault((row.instance_id, row.host, row.pid), []).append(row)
    settled = []
    for rows_of_case in by_case.values():
        interruption = _settle(app, rows_of_case)
        if interruption is not None:
            settled.append(interruption)
    return settled


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _settle(app: Container, rows: list[WorkInFlight]) -> Interruption | None:
    first = rows[0]
    with app.db.transaction(write=True) as session:
        instance = session.scalar(select(Instance).where(Instance.id == first.instance_id).with_for_update())
        ids = [row.id for row in rows]
        # Another replica's sweep may have settled them while this one waited for the lock.
        left = session.scalars(select(WorkInFlight.id).where(WorkInFlight.id.in_(ids))).all()
        if not left:
            return None
        session.execute(delete(WorkInFlight).where(WorkInFlight.id.in_(ids)))
        if instance is None or instance.status != InstanceStatus.RUNNING:
            return None
        again = _last_action(session, instance.id) == INTERRUPTED
        started = to_shanghai(first.started_at).strftime("%Y-%m-%d %H:%M:%S")
        message = (
            f"{first.doing}时工作进程超时被终止（{started} 开始，执行者 {first.actor}），"
            "流程已保留在上一次成功保存的状态"
        )
        if again:
            instance.status = InstanceStatus.ERROR
            instance.error = f"{message}；连续两次如此，已暂停，请管理员修正流程定义后重试"
        audit.record(
            session,
            "system",
            INTERRUPTED,
            instance.id,
            doing=first.doing,
            by=first.actor,
            started_at=first.started_at.isoformat(),
            worker=f"{first.host}:{first.pid}",
            put_in_error=again,
        )
        log.warning("instance %s: %s (worker %s:%s killed)", instance.id, first.doing, first.host, first.pid)
        return Interruption(instance.id, first.doing, first.started_at, again)


def _last_action(session: Session, instance_id: str) -> str | None:
    return session.scalar(
        select(AuditEvent.action)
        .where(AuditEvent.instance_id == instance_id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
