"""Saving an instance after the engine moved it: state, status, and the task rows the inbox reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.container import Container
from service.domain.plain_data import size_problem
from service.domain.status import InstanceStatus, TaskStatus, TimerStatus
from service.engine.errors import ExecutionError
from service.engine.runtime import UserTaskView, WorkflowRun
from service.services import audit, outbox, own_records
from service.services.accounts import check_named_users
from service.services.errors import DataTooLarge
from service.services.message_waits import sync_message_waits
from service.services.organisations import RoleResolver
from service.store.db import after_commit
from service.store.models import Instance, OutboxEvent, Task, TaskGrant, Timer
from service.timeutil import utcnow


def new_instance_id() -> str:
    return str(uuid4())


def save_progress(
    app: Container,
    session: Session,
    instance: Instance,
    run: WorkflowRun,
    fired: Iterable[str] = (),
    actor: str = "engine",
) -> list[Task]:
    """Write the run back: the state and case data, the READY user tasks as inbox rows, the
    thrown messages to the outbox and the waiting timers as timer rows, recording what each step
    changed in the data (scores computed, verdicts, draws with their seed). `actor`: who
    completed the person's step in this run. Returns the open task rows."""
    now = utcnow()
    messages = run.thrown_messages()  # before dump(): taking them is what removes them from the state
    _store_state(app, session, instance, run, actor, now)
    open_tasks = _sync_tasks(app, session, instance, run, now)
    _publish_messages(session, instance, messages, now)
    _schedule_timers(app, session, instance, run, fired)
    sync_message_waits(session, instance, run)
    return open_tasks


def open_task_rows(session: Session, instance_id: str) -> list[Task]:
    """The instance's open inbox rows in the order they opened; flushed first, since the caller
    may just have changed some."""
    session.flush()
    return list(
        session.scalars(
            select(Task)
            .where(Task.instance_id == instance_id, Task.status == TaskStatus.OPEN)
            .order_by(Task.created_at, Task.id)
        )
    )


def _store_state(
    app: Container, session: Session, instance: Instance, run: WorkflowRun, actor: str, now: datetime
) -> None:
    state = run.dump()  # refuses what a script left that cannot be stored
    previous_data = instance.data
    for change in run.step_changes(previous_data or {}):
        audit.record(
            session,
            actor if change.manual else "engine",
            "data.changed",
            instance.id,
            change.step_id,
            step=change.title,
            element_id=change.element_id,
            kind=change.kind,
            added=change.added,
            changed=change.changed,
            removed=change.removed,
        )
    data = run.case_data(previous_data or {})
    exceeded = size_problem(data, app.settings.max_instance_data_bytes, app.settings.max_instance_data_keys)
    if exceeded is not None:
        raise DataTooLarge(exceeded)
    instance.state = state
    instance.data = data
    instance.updated_at = now
    if run.completed:
        instance.status = InstanceStatus.COMPLETED
        instance.completed_at = now
    own_records.refresh(session, instance, previous_data, now)


def _sync_tasks(
    app: Container, session: Session, instance: Instance, run: WorkflowRun, now: datetime
) -> list[Task]:
    """Inbox rows for the READY user tasks; rows the engine withdrew are cancelled."""
    ready = {view.id: view for view in run.ready_user_tasks()}
    open_rows = list(
        session.scalars(select(Task).where(Task.instance_id == instance.id, Task.status == TaskStatus.OPEN))
    )
    still_open = []
    for row in open_rows:
        if row.status != TaskStatus.OPEN:  # completed by the caller in this same transaction
            continue
        if row.id in ready:
            view = ready.pop(row.id)
            # Due dates are evaluated on the current calendar; a calendar change may move them.
            row.due_at, row.due_provisional = view.due_at, view.due_provisional
            row.due_period_start = view.due_period_start
            still_open.append(row)
        else:
            # Withdrawn by the engine (interrupting event, cancelled branch, ended instance).
            row.status = TaskStatus.CANCELLED
            row.completed_at = now
            reason = run.cancel_reasons.get(row.id)
            if reason:  # a return, a decided sign-off: the trail says why the work went
                audit.record(
                    session, "engine", "task.cancelled", instance.id, row.id, title=row.title, reason=reason
                )
    _check_assignees(session, list(ready.values()))
    _check_no_work_for_observers(list(ready.values()), app.settings.observer_roles)
    resolver = RoleResolver(session)
    for view in ready.values():
        row = _task_row(instance, view, now, resolver)
        session.add(row)
        still_open.append(row)
        audit.record(
            session,
            "engine",
            "task.opened",
            instance.id,
            row.id,
            title=row.title,
            role=row.role,
            due_at=_iso(row.due_at),
            due_provisional=row.due_provisional,
        )
    return still_open


def _publish_messages(
    session: Session, instance: Instance, messages: list[tuple[str, Any]], now: datetime
) -> None:
    """Thrown messages go to the outbox, read by integrations through the events feed."""
    for name, payload in messages:
        session.add(
            OutboxEvent(
                instance_id=instance.id,
                definition_key=instance.definition_key,
                business_key=instance.business_key,
                name=name,
                payload=payload,
                created_at=now,
            )
        )
        audit.record(session, "engine", "message.thrown", instance.id, name=name)
        # The webhook event carries the payload too (the audit trail keeps only the name).
        outbox.queue(session, "message.thrown", instance.id, None, name=name, payload=payload)


def _schedule_timers(
    app: Container, session: Session, instance: Instance, run: WorkflowRun, fired: Iterable[str]
) -> None:
    for timer in sync_timers(session, instance, run, fired):
        after_commit(session, partial(app.timer_created, timer.due_at))
        audit.record(
            session,
            "engine",
            "timer.scheduled",
            instance.id,
            timer.task_id,
            title=timer.title,
            due_at=_iso(timer.due_at),
            provisional=timer.provisional,
        )


def sync_timers(
    session: Session, instance: Instance, run: WorkflowRun, fired: Iterable[str] = ()
) -> list[Timer]:
    """Make the timer rows of an instance match what the engine waits for. Returns new rows."""
    fired = set(fired)
    now = utcnow()
    waiting = {view.task_id: view for view in ([] if run.completed else run.waiting_timers())}
    rows = session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.status == TimerStatus.WAITING)
    )
    added = []
    for row in rows:
        view = waiting.pop(row.task_id, None)
        if view is None:
            row.status = TimerStatus.FIRED if row.task_id in fired else TimerStatus.CANCELLED
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
            status=TimerStatus.WAITING,
            created_at=now,
        )
        session.add(row)
        added.append(row)
    return added


def _check_assignees(session: Session, views: list[UserTaskView]) -> None:
    """A task the diagram assigns to a person (a judge from the panel the committee chose) must go
    to an active user, or it would sit in nobody's inbox. An assignee may come from another lane
    (a reviewer named for the case), but where the task names its groups explicitly — a judge's
    sheet — the person must hold one of them. Raised as an execution error: a person's step is
    refused, a timer's instance is marked in error."""
    named = [(view.title, view.assignee, tuple(view.candidate_groups)) for view in views if view.assignee]
    problems = check_named_users(session, named)
    if problems:
        message = "；".join(f"「{title}」指派的{'、'.join(m)}" for title, m in problems.items())
        raise ExecutionError(f"任务指派无效：{message}")


def _check_no_work_for_observers(views: list[UserTaskView], observer_roles: tuple[str, ...]) -> None:
    """X-01 for roles a diagram computes (`${gongshi_hecha_juese}`); literal ones are refused at
    deployment."""
    given = [
        (view.title, role)
        for view in views
        for role in (view.candidate_groups or ([view.lane] if view.lane else []))
        if role in observer_roles
    ]
    if given:
        listed = "、".join(f"「{title}」交给了 {role}" for title, role in given)
        raise ExecutionError(f"任务{listed}：监督角色只查看、不办理（X-01），请由流程管理员改派办理角色")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _task_row(instance: Instance, view: UserTaskView, now: datetime, resolver: RoleResolver) -> Task:
    roles = view.candidate_groups or ([view.lane] if view.lane else [])
    if view.assignee:
        # Assigned by the diagram to one person (a judge's score sheet): the role's other members
        # neither work on it nor read it, so no judge sees another's scores.
        grants = [TaskGrant(kind="user", value=view.assignee)]
    else:
        # Each role goes to its nearest holders from the case's organisation upwards (issue 12).
        grants = [
            TaskGrant(
                kind="role", value=role, organisation_id=resolver.resolve(role, instance.organisation_id)
            )
            for role in dict.fromkeys(roles)
        ]
        grants += [TaskGrant(kind="user", value=user) for user in dict.fromkeys(view.candidate_users)]
    return Task(
        id=view.id,
        instance_id=instance.id,
        definition_key=instance.definition_key,
        business_key=instance.business_key,
        organisation_id=instance.organisation_id,
        name=view.name,
        title=view.title,
        role=roles[0] if roles else None,
        assignee=view.assignee,
        form_key=view.form_key,
        documentation=view.documentation,
        status=TaskStatus.OPEN,
        created_at=now,
        due_at=view.due_at,
        due_provisional=view.due_provisional,
        due_period_start=view.due_period_start,
        grants=grants,
    )
