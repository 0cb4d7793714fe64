"""Timers: keeping a row per waiting timer, and firing due ones exactly once from any replica."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from service.container import Container
from service.engine.errors import ExecutionError
from service.engine.runtime import WorkflowRun
from service.services import audit
from service.store.models import Instance, ProcessDefinition, Timer
from service.timeutil import utcnow

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def sync_timers(
    session: Session, instance: Instance, run: WorkflowRun, fired: Iterable[str] = ()
) -> list[Timer]:
    """Make the timer rows of an instance match what the engine waits for. Returns new rows."""
    fired = set(fired)
    now = utcnow()
    waiting = {view.task_id: view for view in ([] if run.completed else run.waiting_timers())}
    rows = session.scalars(select(Timer).where(Timer.instance_id == instance.id, Timer.status == "waiting"))
    added = []
    for row in rows:
        view = waiting.pop(row.task_id, None)
        if view is None:
            row.status = "fired" if row.task_id in fired else "cancelled"
            row.fired_at = now if row.task_id in fired else None
            row.claimed_by = row.claimed_until = None
            continue
        if view.due_at != row.due_at:  # a cycle moved on, or the expression was evaluated again
            row.due_at = view.due_at
            row.provisional = view.provisional
            row.period_start = view.period_start
        row.claimed_by = row.claimed_until = None
    for view in waiting.values():
        row = Timer(
            instance_id=instance.id,
            task_id=view.task_id,
            element_id=view.element_id,
            title=view.title,
            kind=view.kind,
            due_at=view.due_at,
            provisional=view.provisional,
            period_start=view.period_start,
            status="waiting",
            created_at=now,
        )
        session.add(row)
        added.append(row)
    return added


@dataclass(frozen=True)
class Claimed:
    timer_id: int
    instance_id: str
    task_id: str


def claim_due(
    app: Container, worker: str, now: datetime, limit: int, exclude: Iterable[int] = ()
) -> list[Claimed]:
    """Take up to `limit` due timers for this worker. Rows locked by another replica are skipped
    (PostgreSQL SKIP LOCKED); on SQLite the write transaction is exclusive."""
    until = now + timedelta(seconds=CLAIM_SECONDS)
    with app.db.transaction(write=True) as session:
        query = (
            select(Timer.id, Timer.instance_id, Timer.task_id)
            .where(
                Timer.status == "waiting",
                Timer.due_at <= now,
                (Timer.claimed_until.is_(None)) | (Timer.claimed_until < now),
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
    return [Claimed(r.id, r.instance_id, r.task_id) for r in rows]


def fire(app: Container, claimed: Claimed, worker: str) -> bool:
    """Advance the instance of one claimed timer, in one transaction with the instance lock."""
    from service.services.progress import save_progress

    try:
        with app.db.transaction(write=True) as session:
            instance = session.scalar(
                select(Instance).where(Instance.id == claimed.instance_id).with_for_update()
            )
            timer = session.get(Timer, claimed.timer_id)
            if instance is None or timer is None or timer.status != "waiting" or timer.claimed_by != worker:
                return False  # a user action or another replica got there first
            if instance.status != "running":
                timer.status = "cancelled"
                return False
            definition = session.get(ProcessDefinition, instance.definition_id)
            assert definition is not None
            previous_state = instance.state
            run = app.engine.load(definition.id, lambda: definition.spec, instance.state)
            recorded = audit.mark(session)
            try:
                run.advance()
                fired_now = claimed.task_id not in {t.task_id for t in run.waiting_timers()} or _moved(
                    run, timer
                )
                if fired_now:  # first the firing, then what the steps after it did
                    audit.record(
                        session,
                        "scheduler",
                        "timer.fired",
                        instance.id,
                        timer.task_id,
                        title=timer.title,
                        due_at=timer.due_at.isoformat(),
                    )
                save_progress(app, session, instance, run, fired=[claimed.task_id] if fired_now else [])
            except ExecutionError as error:
                # Keep the last good state: an administrator can fix the diagram and retry. The
                # trail keeps the failure, not the steps that were undone.
                audit.discard_since(session, recorded)
                instance.state = previous_state
                instance.status = "error"
                instance.error = error.message
                timer.status = "failed"
                timer.last_error = error.message
                audit.record(
                    session, "scheduler", "timer.failed", instance.id, timer.task_id, error=error.message
                )
                return False
            if fired_now:
                timer.attempts += 1
            return fired_now
    except StaleDataError:
        return False


def _moved(run: WorkflowRun, timer: Timer) -> bool:
    """A cycle timer stays waiting on the same task, with a later due time, after it fires."""
    return any(v.task_id == timer.task_id and v.due_at > timer.due_at for v in run.waiting_timers())


def fire_due(app: Container, worker: str, now: datetime | None = None, batch: int = 200) -> int:
    """Fire every timer due by now; returns how many fired."""
    fired = 0
    not_fired: set[int] = set()  # still waiting after a try: left for the next wake-up
    while True:
        claimed = claim_due(app, worker, now or utcnow(), batch, exclude=not_fired)
        if not claimed:
            return fired
        for item in claimed:
            try:
                done = fire(app, item, worker)
            except Exception:  # one broken instance must not stop the others
                log.exception("timer %s of instance %s failed", item.timer_id, item.instance_id)
                done = False
            fired += done
            if not done:
                not_fired.add(item.timer_id)


def next_due(app: Container) -> datetime | None:
    """The next time a timer can be fired here: rows another replica holds are left to it."""
    now = utcnow()
    with app.db.transaction() as session:
        return session.scalar(
            select(func.min(Timer.due_at)).where(
                Timer.status == "waiting", Timer.claimed_until.is_(None) | (Timer.claimed_until < now)
            )
        )
