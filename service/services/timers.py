"""Timers: firing due ones exactly once from any replica (the rows are kept by services.progress)."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, object_session

from service import metrics
from service.container import Container
from service.domain.status import InstanceStatus, TimerStatus
from service.engine.errors import ExecutionError
from service.engine.runtime import WorkflowRun
from service.services import audit
from service.services.errors import Conflict, NotFound
from service.services.unit_of_work import Advancing, Job, advance, advance_together, mark_error
from service.store.models import Instance, Timer
from service.timeutil import utcnow

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120
# A suspended case's timers wait, unclaimed, until it is resumed; then the overdue ones fire.
_SUSPENDED = select(Instance.id).where(Instance.status == InstanceStatus.SUSPENDED)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Claimed:
    timer_id: int
    instance_id: str
    task_id: str
    due_at: datetime


def claim_due(
    app: Container, worker: str, now: datetime, limit: int, exclude: Iterable[int] = ()
) -> list[Claimed]:
    """Take up to `limit` due timers for this worker. Rows locked by another replica are skipped
    (PostgreSQL SKIP LOCKED); on SQLite the write transaction is exclusive."""
    until = now + timedelta(seconds=CLAIM_SECONDS)
    with app.db.transaction(write=True) as session:
        query = (
            select(Timer.id, Timer.instance_id, Timer.task_id, Timer.due_at)
            .where(
                Timer.status == "waiting",
                Timer.due_at <= now,
                (Timer.claimed_until.is_(None)) | (Timer.claimed_until < now),
                Timer.instance_id.notin_(_SUSPENDED),
            )
            .order_by(Timer.due_at)
            .limit(limit)
        )
        exclude = list(exclude)
        if exclude:  # tried already in this round; leave them for the next wake-up
            query = query.where(Timer.id.notin_(exclude))
        if not app.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = session.execute(query).all()
        if rows:
            session.execute(
                update(Timer)
                .where(Timer.id.in_([r.id for r in rows]))
                .values(claimed_by=worker, claimed_until=until)
                .execution_options(synchronize_session=False)
            )
    return [Claimed(r.id, r.instance_id, r.task_id, r.due_at) for r in rows]


def fire(app: Container, claimed: Claimed, worker: str) -> bool:
    """Advance the instance of one claimed timer, in one transaction with the instance lock."""
    job = _job(claimed, worker)
    try:
        return bool(
            advance(
                app,
                claimed.instance_id,
                job.work,
                actor="scheduler",
                doing=DOING,
                on_failure=job.on_failure,
                on_status=job.on_status,
            )
        )
    except (NotFound, Conflict):  # the instance is gone, or changed meanwhile: nothing fired
        return False


def fire_together(app: Container, claimed: list[Claimed], worker: str) -> list[bool]:
    """Fire claimed timers of different instances in one transaction (unit_of_work.advance_together);
    if that transaction fails as a whole, one by one. Whether each fired, in order."""
    if len(claimed) == 1:
        return [fire(app, claimed[0], worker)]
    results = advance_together(app, [_job(item, worker) for item in claimed], actor="scheduler", doing=DOING)
    if results is None:
        return [fire(app, item, worker) for item in claimed]
    return [bool(results.get(index, False)) for index in range(len(claimed))]


DOING = "触发定时事件"


def _job(claimed: Claimed, worker: str) -> Job:
    def ours(session: Session) -> Timer | None:
        timer = session.get(Timer, claimed.timer_id)
        if timer is None or timer.status != TimerStatus.WAITING or timer.claimed_by != worker:
            return None  # a user action or another replica got there first
        return timer

    def not_running(instance: Instance) -> bool:
        session = object_session(instance)
        assert session is not None
        timer = ours(session)
        if timer is not None and instance.status == InstanceStatus.SUSPENDED:
            timer.claimed_by = timer.claimed_until = None  # suspended meanwhile: fires on resume
        elif timer is not None:
            timer.status = TimerStatus.CANCELLED
        return False

    def work(unit: Advancing) -> bool:
        timer = ours(unit.session)
        if timer is None:
            return False
        run, instance = unit.run, unit.instance
        run.advance()
        fired_now = claimed.task_id not in {t.task_id for t in run.waiting_timers()} or _moved(run, timer)
        if fired_now:  # first the firing, then what the steps after it did
            audit.record(
                unit.session,
                "scheduler",
                "timer.fired",
                instance.id,
                timer.task_id,
                title=timer.title,
                due_at=timer.due_at.isoformat(),
            )
            timer.attempts += 1
        unit.save(fired=[claimed.task_id] if fired_now else [])
        return fired_now

    def failed(unit: Advancing, error: ExecutionError) -> bool:
        # Kept at the last good state for an administrator to mend the diagram and retry; the
        # trail keeps the failure, not the steps that were undone.
        timer = ours(unit.session)
        if timer is not None:
            timer.status = TimerStatus.FAILED
            timer.last_error = error.message
        mark_error(unit, error, "timer.failed", task_id=claimed.task_id)
        return False

    return Job(claimed.instance_id, work, failed, not_running)


def _moved(run: WorkflowRun, timer: Timer) -> bool:
    """A cycle timer stays waiting on the same task, with a later due time, after it fires."""
    return any(v.task_id == timer.task_id and v.due_at > timer.due_at for v in run.waiting_timers())


def fire_due(app: Container, worker: str, now: datetime | None = None, batch: int | None = None) -> int:
    """Fire every timer due by now; returns how many fired. Claims `batch` (XUANPIN_TIMER_BATCH)
    at a time and fires them in one transaction each, a timer per instance: a second timer of an
    instance already in the group waits for the next group, which sees what the first did."""
    size = batch or app.settings.timer_batch
    fired = 0
    not_fired: set[int] = set()  # still waiting after a try: left for the next wake-up
    while True:
        claimed = claim_due(app, worker, now or utcnow(), size, exclude=not_fired)
        if not claimed:
            return fired
        for group in _one_per_instance(claimed):
            try:
                results = fire_together(app, group, worker)
            except Exception:  # one broken instance must not stop the others
                log.exception("timers of instances %s failed", [item.instance_id for item in group])
                results = [False] * len(group)
            for item, done in zip(group, results, strict=True):
                fired += done
                if done:  # committed: the lag from due to fired, for GET /metrics
                    metrics.timer_fired((utcnow() - item.due_at).total_seconds())
                else:
                    not_fired.add(item.timer_id)


def _one_per_instance(claimed: list[Claimed]) -> list[list[Claimed]]:
    groups: list[list[Claimed]] = []
    for item in claimed:
        for group in groups:
            if all(other.instance_id != item.instance_id for other in group):
                group.append(item)
                break
        else:
            groups.append([item])
    return groups


def next_due(app: Container) -> datetime | None:
    """The next time a timer can be fired here: rows another replica holds are left to it."""
    now = utcnow()
    with app.db.transaction() as session:
        return session.scalar(
            select(func.min(Timer.due_at)).where(
                Timer.status == "waiting",
                Timer.claimed_until.is_(None) | (Timer.claimed_until < now),
                Timer.instance_id.notin_(_SUSPENDED),
            )
        )
