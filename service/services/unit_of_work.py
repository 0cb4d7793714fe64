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
                instance = session.scalar(
                    select(Instance).where(Instance.id == instance_id).with_for_update()
                )
                if instance is None:
                    raise NotFound(f"流程实例 {instance_id} 不存在")
                # Gone with the work's own commit; after a rollback the `finally` removes it.
                session.execute(delete(WorkInFlight).where(WorkInFlight.id == marker))
                if instance.status not in statuses:
                    if on_status is None:
                        word = _STATUS_WORDS.get(instance.status, instance.status)
                        raise Conflict(f"流程实例{word}，不能{doing}")
                    result = on_status(instance)
                else:
                    definition = session.get(ProcessDefinition, instance.definition_id)
                    assert definition is not None
                    with metrics.engine_step(), logs.working_on(instance_id, actor):
                        run = app.engine.load(definition.id, lambda: definition.spec, instance.state)
                        unit = Advancing(app, session, instance, definition, run, actor)
                        if on_failure is None:
                            result = work(unit)
                        else:
                            result = _with_failure_handler(unit, work, on_failure)
            committed = True
        return result
    finally:
        if not committed:
            _clear_in_flight(app, marker)


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
