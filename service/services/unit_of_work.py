"""One path for "advance one instance": mark the work in flight, lock, load, run, save, map errors.

Completing a task, retrying an instance, firing a timer, moving deadlines after a calendar
change and repairs all go through `advance`, so they lock the same way, save the same way,
record and undo audit events the same way and report the same failures the same way.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from service import logs, metrics
from service.container import Container
from service.domain.status import InstanceStatus
from service.engine.errors import ExecutionError, RuleRefused
from service.engine.runtime import WorkflowRun
from service.services import audit
from service.services.errors import Conflict, DataTooLarge, Invalid, NotFound, refused, too_large
from service.services.progress import save_progress
from service.store.models import Instance, ProcessDefinition, Task, WorkInFlight

log = logging.getLogger(__name__)

T = TypeVar("T")

HOST = socket.gethostname()

REFUSAL = "提交后流程无法继续：{message}；数据未保存，请联系流程管理员"
STALE_WRITE = "该流程实例刚被其他操作更新，您的操作未生效，请刷新后重试"


@dataclass
class Advancing:
    """What the work on one locked instance has at hand."""

    app: Container
    session: Session
    instance: Instance
    definition: ProcessDefinition
    run: WorkflowRun
    actor: str
    open_tasks: list[Task] = field(default_factory=list)

    def save(self, fired: Iterable[str] = ()) -> list[Task]:
        """Write what the run did (state, data, tasks, timers, audit of each step's changes)."""
        self.open_tasks = save_progress(
            self.app, self.session, self.instance, self.run, fired=fired, actor=self.actor
        )
        return self.open_tasks


# What to do when the engine cannot carry the work out (a script fails, an assignee is no
# user): None refuses the act (nothing saved, the person is told `refusal`); otherwise the
# callable decides, on the instance as it was before the work, what to keep.
OnFailure = Callable[[Advancing, ExecutionError], T]


@contextmanager
def engine_refusals(refusal: str = REFUSAL) -> Iterator[None]:
    """A person's act the engine refused becomes the problem the API answers with; nothing was
    saved. `refusal` says what happened, with `{message}` the engine's reason."""
    try:
        yield
    except RuleRefused as error:
        raise refused(error) from None
    except DataTooLarge as error:
        raise too_large(error.exceeded) from None
    except ExecutionError as error:
        raise Invalid(refusal.format(message=error.message), element_id=error.element_id) from None
    except StaleDataError:
        raise Conflict(STALE_WRITE) from None


def advance(
    app: Container,
    instance_id: str,
    work: Callable[[Advancing], T],
    *,
    actor: str,
    doing: str,
    on_failure: OnFailure[T] | None = None,
    refusal: str = REFUSAL,
    statuses: tuple[InstanceStatus, ...] = (InstanceStatus.RUNNING,),
    on_status: Callable[[Instance], T] | None = None,
) -> T:
    """Run `work` on the locked instance in one write transaction and return what it returns.

    `doing` names the work for people ("办理「资格审查」") should it kill its worker. An instance
    not in `statuses` is handed to `on_status` (default: 409). With `on_failure`, an engine
    failure is rolled back to before the work and the callable decides what is kept (a timer
    marks the instance in error); without it, the act is refused with `refusal`."""
    marker = _mark_in_flight(app, instance_id, actor, doing)
    committed = False
    try:
        with engine_refusals(refusal):
            with app.db.transaction(write=True) as session:
                result = _advance_locked(
                    app, session, instance_id, marker, work, actor, on_failure, statuses, on_status, doing
                )
            committed = True
        return result
    finally:
        if not committed:
            _clear_in_flight(app, marker)


@dataclass(frozen=True)
class Job:
    """One instance's share of `advance_together`: what `advance` takes for it."""

    instance_id: str
    work: Callable[[Advancing], object]
    on_failure: OnFailure[object]
    on_status: Callable[[Instance], object]


def advance_together(app: Container, jobs: list[Job], *, actor: str, doing: str) -> dict[int, object] | None:
    """Advance several instances in one write transaction, each in its own savepoint: one
    in-flight write and one commit for the lot instead of two each (timers due together).

    Returns the result of each job by its position; a job whose instance is gone, changed
    meanwhile or whose work raised is rolled back to its savepoint and left out. None if the
    transaction as a whole failed (nothing of it was kept): the caller then advances one by one.
    Instances are locked in id order, so two replicas' batches cannot deadlock."""
    order = sorted(range(len(jobs)), key=lambda i: jobs[i].instance_id)
    markers = _mark_in_flight_many(app, [jobs[i].instance_id for i in order], actor, doing)
    results: dict[int, object] = {}
    alive: list[object] = []
    try:
        with app.db.transaction(write=True) as session:
            for index, marker in zip(order, markers, strict=True):
                job = jobs[index]
                recorded = audit.mark(session)
                savepoint = session.begin_nested()
                try:
                    with engine_refusals():
                        result = _advance_locked(
                            app, session, job.instance_id, marker, job.work, actor,
                            job.on_failure, (InstanceStatus.RUNNING,), job.on_status, doing,
                        )  # fmt: skip
                    savepoint.commit()
                    results[index] = result
                    # The session holds rows weakly: the commit's trail and events read them
                    # again, and would load each once more from the database.
                    alive.extend(session.identity_map.values())
                except Exception as error:  # one broken instance must not undo the others
                    savepoint.rollback()
                    audit.discard_since(session, recorded)
                    if not isinstance(error, NotFound | Conflict):
                        log.exception("instance %s: %s failed", job.instance_id, doing)
    except Exception:
        log.exception("advancing %d instances together failed; they are advanced one by one", len(jobs))
        for marker in markers:
            _clear_in_flight(app, marker)
        return None
    for marker, index in zip(markers, order, strict=True):
        if index not in results:  # rolled back to its savepoint, and the mark's delete with it
            _clear_in_flight(app, marker)
    return results


def _advance_locked(
    app: Container,
    session: Session,
    instance_id: str,
    marker: int | None,
    work: Callable[[Advancing], T],
    actor: str,
    on_failure: OnFailure[T] | None,
    statuses: tuple[InstanceStatus, ...],
    on_status: Callable[[Instance], T] | None,
    doing: str,
) -> T:
    instance = session.scalar(select(Instance).where(Instance.id == instance_id).with_for_update())
    if instance is None:
        raise NotFound(f"流程实例 {instance_id} 不存在")
    # Gone with the work's own commit; after a rollback the caller removes it.
    session.execute(delete(WorkInFlight).where(WorkInFlight.id == marker))
    if instance.status not in statuses:
        if on_status is None:
            word = _STATUS_WORDS.get(instance.status, instance.status)
            raise Conflict(f"流程实例{word}，不能{doing}")
        return on_status(instance)
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None
    with metrics.engine_step(), logs.working_on(instance_id, actor):
        run = app.engine.load(definition.id, lambda: definition.spec, instance.state)
        unit = Advancing(app, session, instance, definition, run, actor)
        if on_failure is None:
            return work(unit)
        return _with_failure_handler(unit, work, on_failure)


def _with_failure_handler(unit: Advancing, work: Callable[[Advancing], T], on_failure: OnFailure[T]) -> T:
    recorded = audit.mark(unit.session)
    savepoint = unit.session.begin_nested()
    try:
        result = work(unit)
        savepoint.commit()
        return result
    except ExecutionError as error:
        # Undo everything the work wrote (task rows, timers, state) and the trail of the steps
        # that were undone; the instance is as it was when it was locked.
        savepoint.rollback()
        audit.discard_since(unit.session, recorded)
        log.warning(
            "instance %s (%s): %s failed: %s",
            unit.instance.id,
            unit.instance.definition_key,
            unit.actor,
            error.message,
        )
        return on_failure(unit, error)


def mark_error(unit: Advancing, error: ExecutionError, action: str, **detail: object) -> None:
    """Stop the instance at its last good state, for an administrator to mend and retry."""
    unit.instance.status = InstanceStatus.ERROR
    unit.instance.error = error.message
    audit.record(unit.session, unit.actor, action, unit.instance.id, error=error.message, **detail)


_STATUS_WORDS: dict[str, str] = {
    InstanceStatus.COMPLETED: "已结束",
    InstanceStatus.ERROR: "处于出错状态，等待管理员处理",
    InstanceStatus.RUNNING: "正在运行",
    InstanceStatus.SUSPENDED: "已被管理员挂起，恢复（resume）之前",
    InstanceStatus.CANCELLED: "已撤销",
}


def _mark_in_flight(app: Container, instance_id: str, actor: str, doing: str) -> int | None:
    with app.db.transaction(write=True) as session:
        _not_durable(app, session)
        if session.get(Instance, instance_id) is None:
            return None  # the locking read answers 404
        row = WorkInFlight(
            instance_id=instance_id, host=HOST, pid=os.getpid(), doing=doing[:300], actor=actor[:100]
        )
        session.add(row)
        session.flush()
        return row.id


def _mark_in_flight_many(app: Container, instance_ids: list[str], actor: str, doing: str) -> list[int | None]:
    with app.db.transaction(write=True) as session:
        _not_durable(app, session)
        existing = set(session.scalars(select(Instance.id).where(Instance.id.in_(instance_ids))))
        rows = [
            WorkInFlight(instance_id=i, host=HOST, pid=os.getpid(), doing=doing[:300], actor=actor[:100])
            if i in existing
            else None  # gone: its locking read answers NotFound
            for i in instance_ids
        ]
        session.add_all([row for row in rows if row is not None])
        session.flush()
        return [row.id if row is not None else None for row in rows]


def _clear_in_flight(app: Container, marker: int | None) -> None:
    if marker is None:
        return
    try:
        with app.db.transaction(write=True) as session:
            _not_durable(app, session)
            session.execute(delete(WorkInFlight).where(WorkInFlight.id == marker))
    except Exception:  # the sweep removes a row left behind; the answer must not change for it
        log.exception("could not clear work-in-flight row %s", marker)


def _not_durable(app: Container, session: Session) -> None:
    """The mark only has to outlive a worker, not the database server: if the server crashes the
    work is rolled back too. PostgreSQL then need not wait for the WAL flush of its commit."""
    if not app.db.is_sqlite:
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
