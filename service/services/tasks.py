"""The inbox: list, read, claim, unclaim and complete user tasks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import event, func, select, tuple_
from sqlalchemy.orm import Session, joinedload

from service import metrics
from service.container import Container
from service.domain.status import InstanceStatus, TaskStatus
from service.engine.errors import TaskNotReady
from service.forms import declared_fields, form_context, named_users, validate_submission
from service.services import accounts, audit, files, signers, task_operations
from service.services.errors import Conflict, Forbidden, Invalid, NotFound
from service.services.inbox import Cursor, read_inbox
from service.services.instances import check_data, check_size, reserved_data_names
from service.services.pagination import Page, bounded_count
from service.services.principal import Principal
from service.services.progress import open_task_rows
from service.services.unit_of_work import Advancing, advance
from service.services.visibility import (
    can_see_task,
    can_work_on,
    offered_to,
    personal_data_view,
    sees_everything,
    task_filter,
)
from service.store.models import Instance, ProcessDefinition, Task
from service.timeutil import SHANGHAI, utcnow

T = TypeVar("T")

_STATUS_WORDS = {"completed": "已办结", "cancelled": "已被流程撤销"}


@dataclass
class TaskDetail:
    task: Task
    form: dict[str, Any] | None
    data: dict[str, Any]
    # What the form shows beside its fields (`x-xuanpin-context`), read-only.
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Completion:
    instance: Instance
    open_tasks: list[Task]


def list_tasks(
    app: Container,
    principal: Principal,
    page: int,
    per_page: int,
    status: str = "open",
    role: str | None = None,
    assignee: str | None = None,
    instance_id: str | None = None,
    overdue: bool | None = None,
    definition_key: str | None = None,
    after: str | None = None,
) -> Page[Task]:
    cursor = Cursor.decode(after) if after else None
    everything = sees_everything(principal, app.settings.observer_roles)
    filtered = any(value is not None for value in (role, assignee, instance_id, overdue, definition_key))
    if status == TaskStatus.OPEN and not everything and not filtered and principal.confined_to is None:
        with app.db.transaction() as session:  # the inbox: one index range per holder
            found = read_inbox(session, principal, page, per_page, cursor)
            return Page(found.tasks, found.total, page, per_page, found.total_capped, found.next_cursor)
    query = select(Task).where(Task.status == status)
    if definition_key:
        query = query.where(Task.definition_key == definition_key)
    if overdue is not None:
        late = Task.due_at < utcnow()
        query = query.where(late if overdue else (Task.due_at.is_(None) | ~late))
    if role:
        query = query.where(Task.role == role)
    if assignee:
        query = query.where(Task.assignee == (principal.username if assignee == "me" else assignee))
    if instance_id:
        query = query.where(Task.instance_id == instance_id)
    # Open: what the principal can act on now. Otherwise: what they could read.
    visible = task_filter(principal, app.settings.observer_roles, open_now=status == TaskStatus.OPEN)
    if visible is not None:
        query = query.where(visible)
    open_order = status == TaskStatus.OPEN
    order = (Task.created_at, Task.id) if open_order else (Task.completed_at.desc(), Task.id)
    if cursor is not None:
        if not open_order:
            raise Invalid(
                "游标分页 after 只用于待办（status=open）列表，其他列表请用 page",
                errors={"after": ["不适用"]},
            )
        query = query.where(tuple_(Task.created_at, Task.id) > tuple_(cursor.created_at, cursor.task_id))
    with app.db.transaction() as session:
        total, capped = bounded_count(session, query)
        offset = 0 if cursor is not None else (page - 1) * per_page
        rows = list(session.scalars(query.order_by(*order).offset(offset).limit(per_page + 1)))
        more = len(rows) > per_page
        rows = rows[:per_page]
        next_cursor = (
            Cursor(rows[-1].created_at, rows[-1].id).encode() if more and open_order and rows else None
        )
        return Page(rows, total, page, per_page, capped, next_cursor)


def is_overdue(due_at: datetime | None, status: str | None, now: datetime | None = None) -> bool:
    """An open task past its due time. One rule for the list, the `overdue` filter (its SQL
    twin above) and the task detail, which is read from a dict rather than a Task row."""
    return due_at is not None and (status or "open") == "open" and due_at < (now or utcnow())


def can_act(principal: Principal, task: Task) -> bool:
    """Whether the principal may complete this open task now (claimed by them, or offered)."""
    return task.status == "open" and can_work_on(principal, task)


def open_counts_by_role(app: Container, principal: Principal) -> dict[str, int]:
    """How many open tasks wait in each of the principal's roles (the inbox's role tabs);
    tasks assigned to the principal personally are counted under ""."""
    query = select(Task.role, Task.assignee, func.count()).where(Task.status == "open", offered_to(principal))
    counts: dict[str, int] = {}
    with app.db.transaction() as session:
        for role, assignee, count in session.execute(query.group_by(Task.role, Task.assignee)):
            key = "" if assignee == principal.username else (role or "")
            counts[key] = counts.get(key, 0) + count
    return counts


def get_task(app: Container, principal: Principal, task_id: str) -> TaskDetail:
    with app.db.transaction() as session:
        task = _visible_task(app, session, principal, task_id)
        definition = _definition_of(session, task.instance_id)
        form = definition.forms.get(task.form_key) if task.form_key else None
        shown = personal_data_view(principal, definition.data_policy, app.settings.observer_roles)
        if task.status != "open":
            return TaskDetail(task, form, shown(dict(task.submitted or {})))
        instance = session.get(Instance, task.instance_id)
        assert instance is not None
        run = app.engine.load(definition.id, lambda: definition.spec, instance.state)
        # What a delegate handed back (委派) shows prefilled to the owner.
        data = {**run.task_data(task.id), **(task.draft or {})}
        # whether confidential material is released is read from the whole task data.
        shown = personal_data_view(principal, definition.data_policy, app.settings.observer_roles, case=data)
        if task.signoff:  # 加签: the holder's kept submission, what the signers sign off
            data.update(task.submitted or {})
        context_names = form_context(form) if form is not None else None
        fields = declared_fields(form) if form is not None else set()
        # A field another step answered (an earlier body's opinion) opens blank here.
        answered = run.answered_by_other_steps(task.id) & fields
        if context_names is None:  # a form that does not say what it needs sees the task's data
            return TaskDetail(task, form, shown({k: v for k, v in data.items() if k not in answered}))
        return TaskDetail(
            task,
            form,
            shown({k: v for k, v in data.items() if k in fields and k not in answered}),
            shown({k: data[k] for k in context_names if k in data}),
        )


def claim(app: Container, principal: Principal, task_id: str) -> Task:
    with app.db.transaction(write=True) as session:
        task = _open_task_for_update(app, session, principal, task_id)
        if task.assignee == principal.username:
            return task
        if task.assignee is not None:
            raise Conflict(f"任务「{task.title}」已由 {task.assignee} 认领")
        if not can_work_on(principal, task):
            raise Forbidden(f"任务「{task.title}」不属于您的角色，不能认领")
        task.assignee = principal.username
        audit.record(session, principal.username, "task.claimed", task.instance_id, task.id, title=task.title)
        return task


def unclaim(app: Container, principal: Principal, task_id: str) -> Task:
    with app.db.transaction(write=True) as session:
        task = _open_task_for_update(app, session, principal, task_id)
        if task.assignee is None:
            return task
        if (delegated := task_operations.completion_refusal(task)) is not None:
            raise Conflict(f"任务「{task.title}」正在委派中，不能退回认领：{delegated}")
        if task.signoff:  # the kept submission is the holder's: the step completes as theirs
            raise Conflict(f"任务「{task.title}」已提交，正在等待加签人签署，不能退回认领")
        if task.assignee != principal.username and not principal.is_admin:
            raise Forbidden(f"任务「{task.title}」由 {task.assignee} 认领，只有本人或管理员可以退回")
        audit.record(
            session, principal.username, "task.unclaimed", task.instance_id, task.id, previous=task.assignee
        )
        task.assignee = None
        return task


def advance_task(
    app: Container,
    principal: Principal,
    task_id: str,
    act: Callable[[Advancing, Task], T],
    doing: Callable[[str], str],
) -> T:
    """Advance the instance of a task the principal may see (404 otherwise): `act` gets the task
    read again under the instance lock, since another request may have completed it meanwhile.
    `doing(title)` names the work for the in-flight mark."""
    with app.db.transaction() as session:
        task = _visible_task(app, session, principal, task_id)
        instance_id, title = task.instance_id, task.title

    def work(unit: Advancing) -> T:
        return act(unit, _visible_task(app, unit.session, principal, task_id))

    return advance(app, instance_id, work, actor=principal.username, doing=doing(title))


def complete(app: Container, principal: Principal, task_id: str, data: Any) -> Completion:
    data = check_data(data, reserved_data_names(app))
    check_size(app, data)

    def work(unit: Advancing, task: Task) -> Completion:
        _require_open(task)
        if (delegated := task_operations.completion_refusal(task)) is not None:
            raise Forbidden(delegated)
        if not can_work_on(principal, task):
            who = f"已由 {task.assignee} 认领" if task.assignee else "不属于您的角色"
            raise Forbidden(f"任务「{task.title}」{who}，您不能办理")
        return submit(app, unit, task, principal, data)

    return advance_task(app, principal, task_id, work, doing=lambda title: f"办理「{title}」")


def submit(
    app: Container,
    unit: Advancing,
    task: Task,
    principal: Principal,
    data: dict[str, Any],
    uploader: Principal | None = None,
    **recorded: Any,
) -> Completion:
    """The submission of an open task the caller has found `principal` may submit, under the
    instance lock: the form checked, the files admitted (as `uploader`'s when someone else
    uploaded them: an application sent online, services/intake.py), the engine step completed
    and recorded (`recorded`: more for the audit event, such as who applied online). The one
    path of every completion, whoever submits."""
    if (waiting := signers.completion_refusal(unit.session, task)) is not None:
        raise Conflict(waiting)  # 加签 still to sign first, or a disagreement standing
    run = unit.run
    try:
        if task.form_key:
            schema = unit.definition.forms.get(task.form_key, {})
            today = utcnow().astimezone(SHANGHAI).date()
            errors = validate_submission(
                schema, data, case=run.task_data(task.id), today=today
            ) or accounts.check_named_users(unit.session, named_users(schema, data))
            if errors:
                raise Invalid(f"表单「{task.title}」有 {len(errors)} 处需要修改", errors=errors)
        form = unit.definition.forms.get(task.form_key) if task.form_key else None
        files.admit(
            unit.session,
            uploader or principal,
            data,
            form,
            app.settings.observer_roles,
            unit.instance.id,
            task.id,
        )
        if signers.hold(unit.session, task, principal, data):  # 后加签/并加签 sign next
            return Completion(unit.instance, open_task_rows(unit.session, unit.instance.id))
        run.complete_user_task(task.id, data)
    except TaskNotReady:
        raise Conflict(f"任务「{task.title}」已不在待办状态，请刷新") from None
    task.status = TaskStatus.COMPLETED
    task.completed_at = utcnow()
    task.completed_by = principal.username
    # Counted when it is committed: a refused or rolled-back submission completed nothing.
    event.listen(unit.session, "after_commit", lambda _session: metrics.task_completed(), once=True)
    task.assignee = task.assignee or principal.username
    task.submitted = data
    # First the person's act, then what the engine did with it.
    audit.record(
        unit.session,
        principal.username,
        "task.completed",
        unit.instance.id,
        task.id,
        title=task.title,
        data=data,
        **recorded,
    )
    open_tasks = unit.save()
    if unit.instance.status == InstanceStatus.COMPLETED:
        audit.record(unit.session, principal.username, "instance.completed", unit.instance.id)
    unit.session.flush()
    return Completion(unit.instance, open_tasks)


def _visible_task(app: Container, session: Session, principal: Principal, task_id: str) -> Task:
    task = (
        session.execute(select(Task).options(joinedload(Task.grants)).where(Task.id == task_id))
        .unique()
        .scalar_one_or_none()
    )
    if task is None or not can_see_task(principal, task, app.settings.observer_roles):
        raise NotFound(f"任务 {task_id} 不存在或您无权查看")
    return task


def _open_task_for_update(app: Container, session: Session, principal: Principal, task_id: str) -> Task:
    task = session.scalar(select(Task).where(Task.id == task_id).with_for_update())
    if task is None or not can_see_task(principal, task, app.settings.observer_roles):
        raise NotFound(f"任务 {task_id} 不存在或您无权查看")
    _require_open(task)
    return task


def _require_open(task: Task) -> None:
    if task.status != "open":
        raise Conflict(f"任务「{task.title}」{_STATUS_WORDS.get(task.status, task.status)}，不能再办理")


def _definition_of(session: Session, instance_id: str) -> ProcessDefinition:
    definition = session.scalar(
        select(ProcessDefinition)
        .join(Instance, Instance.definition_id == ProcessDefinition.id)
        .where(Instance.id == instance_id)
    )
    assert definition is not None
    return definition
