"""加签 / 减签 (issue 10): extra sign-offs on one open task, without editing the diagram.

The rules are in service/domain/signers.py. Every act here goes through `unit_of_work.advance`:
a signature or a removal may be what completes the engine step (with the holder's kept data,
recorded as completed by the holder), and the others lock the same way so that a signature and a
removal of the same signer happen one after the other. `tasks.complete` asks
`completion_refusal` (前加签 not yet signed, a disagreement standing) and `hold` (后加签/并加签
still to sign: keep the submission, take the task out of the holder's inbox).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.container import Container
from service.domain.signers import (
    POSITION_LABELS,
    STATUS_LABELS,
    Position,
    Signer,
    SignerStatus,
    SignOff,
    adding_refusal,
    must_hold,
    removal_refusal,
    sign_refusal,
    signer_refusal,
    step_complete,
    submit_refusal,
)
from service.domain.status import InstanceStatus, TaskStatus
from service.domain.task_operations import CommentKind, Delegation, clean_text
from service.engine.errors import TaskNotReady
from service.services import audit, audit_trail
from service.services.authorization import require_may_act_on, require_not_observer
from service.services.errors import Conflict, Forbidden, Invalid, NotFound
from service.services.pagination import Page
from service.services.principal import Principal
from service.services.progress import open_task_rows
from service.services.unit_of_work import Advancing, advance
from service.services.visibility import can_see_task, can_work_on
from service.store.models import Instance, Task, TaskComment, TaskGrant, TaskSigner, User
from service.timeutil import utcnow

GRANT = "signer"  # TaskGrant kind: reads the task and its case, acts only through `sign`

_TASK_WORDS = {TaskStatus.COMPLETED: "已办结", TaskStatus.CANCELLED: "已被流程撤销"}


@dataclass(frozen=True)
class SignerView:
    username: str
    name: str
    position: str
    position_label: str
    status: str
    status_label: str
    opinion: str | None
    comment: str | None
    added_by: str
    added_at: datetime
    signed_at: datetime | None
    removed_at: datetime | None


@dataclass(frozen=True)
class SignoffView:
    """One item of a signer's list (GET /api/v1/signoffs)."""

    task_id: str
    task_title: str
    task_status: str
    instance_id: str
    definition_key: str
    business_key: str | None
    holder: str | None
    position: str
    position_label: str
    status: str
    status_label: str
    # An after-signer waits for the holder's submission; the others may sign now.
    can_sign_now: bool
    opinion: str | None
    added_by: str
    added_at: datetime
    signed_at: datetime | None


@dataclass
class SignersResult:
    task: Task
    instance: Instance
    open_tasks: list[Task]
    signers: list[SignerView] = field(default_factory=list)


# Asked by tasks.complete ---------------------------------------------------------------------


def completion_refusal(session: Session, task: Task) -> str | None:
    """Why the holder's `complete` must be refused now (409), or None."""
    if task.signoff == SignOff.SUBMITTED:
        return f"任务「{task.title}」已提交，正在等待加签人签署，不能重复提交"
    return submit_refusal(_rules(_rows(session, task)))


def hold(session: Session, task: Task, principal: Principal, data: dict[str, Any]) -> bool:
    """On a valid submission: keep it and wait for the after/parallel signers (True), or let the
    caller complete the step now (False)."""
    rows = _rows(session, task)
    if not rows or not must_hold(_rules(rows)):
        return False
    task.signoff = SignOff.SUBMITTED
    task.submitted = data
    task.draft = None
    task.assignee = task.assignee or principal.username
    waiting = [r.username for r in rows if r.status == SignerStatus.PENDING]
    audit.record(
        session,
        principal.username,
        "task.submitted_for_signoff",
        task.instance_id,
        task.id,
        title=task.title,
        fields=sorted(data),
        waiting=waiting,
        summary=f"{_name(session, principal.username)}提交「{task.title}」，等待加签人"
        + "、".join(_names(session, waiting).values())
        + "签署",
    )
    return True


# 加签 ---------------------------------------------------------------------------------------


def add_signers(
    app: Container,
    principal: Principal,
    task_id: str,
    users: list[str],
    position: str,
    comment: str | None,
) -> SignersResult:
    comment = clean_text(comment)
    where = Position(position)
    instance_id, title = _locate(app, principal, task_id)
    if not users:
        raise Invalid("请至少选择一名加签人", errors={"users": ["不能为空"]})
    if len(set(users)) != len(users):
        raise Invalid("加签人名单中有重复的用户", errors={"users": ["有重复"]})

    def work(unit: Advancing) -> SignersResult:
        session = unit.session
        task = _open_task(app, session, principal, task_id, "加签")
        _require_holder(app, principal, task, "加签")
        submitted = task.signoff == SignOff.SUBMITTED
        if (refusal := adding_refusal(where, submitted)) is not None:
            raise Conflict(refusal)
        rows = {r.username: r for r in _rows(session, task)}
        attached = {name for name, r in rows.items() if r.status != SignerStatus.REMOVED}
        people = {u.username: u for u in session.scalars(select(User).where(User.username.in_(users)))}
        errors: dict[str, list[str]] = {}
        for name in users:
            person = people.get(name)
            refusal = signer_refusal(
                name,
                person is not None and person.active and not person.is_system,
                person.role_names if person is not None else [],
                task.assignee or principal.username,
                attached,
                app.settings.observer_roles,
                app.settings.candidate_roles,
            )
            if refusal:
                errors.setdefault("users", []).append(refusal)
        if errors:
            raise Invalid("；".join(errors["users"]), errors=errors)
        if task.assignee is None and can_work_on(principal, task):
            task.assignee = principal.username  # who asks for sign-offs holds the step
        now = utcnow()
        for name in users:
            row = rows.get(name)
            if row is None:  # a removed signer added again gets their row back, reset
                row = TaskSigner(task_id=task.id, instance_id=task.instance_id, username=name)
                session.add(row)
            row.position, row.status, row.opinion = where, SignerStatus.PENDING, None
            row.added_by, row.comment, row.added_at = principal.username, comment, now
            row.signed_at = row.removed_at = None
            if not any(g.kind == GRANT and g.value == name for g in task.grants):
                task.grants.append(TaskGrant(kind=GRANT, value=name))
        names = _names(session, [principal.username, *users])
        audit.record(
            session,
            principal.username,
            "task.signers_added",
            task.instance_id,
            task.id,
            title=task.title,
            users=users,
            position=where,
            comment=comment,
            summary=f"{names[principal.username]}为「{task.title}」{POSITION_LABELS[where]}："
            + "、".join(names[n] for n in users)
            + (f"，说明：{comment}" if comment else ""),
        )
        return _result(unit, task)

    return advance(app, instance_id, work, actor=principal.username, doing=f"为「{title}」加签")


# 减签 ---------------------------------------------------------------------------------------


def remove_signer(app: Container, principal: Principal, task_id: str, username: str) -> SignersResult:
    instance_id, title = _locate(app, principal, task_id)

    def work(unit: Advancing) -> SignersResult:
        session = unit.session
        task = _open_task(app, session, principal, task_id, "减签")
        _require_holder(app, principal, task, "减签")
        rows = _rows(session, task)
        row = next((r for r in rows if r.username == username), None)
        refusal = removal_refusal(_rule(row) if row is not None else None, username)
        if refusal is not None:
            attached = row is not None and row.status != SignerStatus.REMOVED
            raise (Conflict(refusal) if attached else NotFound(refusal))
        assert row is not None
        was = row.status
        row.status, row.removed_at = SignerStatus.REMOVED, utcnow()
        if was == SignerStatus.PENDING:  # never signed: no longer reads the task
            for grant in [g for g in task.grants if g.kind == GRANT and g.value == username]:
                task.grants.remove(grant)
        names = _names(session, [principal.username, username])
        audit.record(
            session,
            principal.username,
            "task.signer_removed",
            task.instance_id,
            task.id,
            title=task.title,
            user=username,
            position=row.position,
            previous=was,
            summary=f"{names[principal.username]}为「{task.title}」减签：{names[username]}",
        )
        # The last one the kept submission waited for is gone: the step completes now.
        if task.signoff == SignOff.SUBMITTED and step_complete(True, _rules(rows)):
            _finish(unit, task)
        return _result(unit, task)

    return advance(app, instance_id, work, actor=principal.username, doing=f"为「{title}」减签")


# 签署 ---------------------------------------------------------------------------------------


def sign(
    app: Container, principal: Principal, task_id: str, agree: bool, comment: str | None
) -> SignersResult:
    comment = clean_text(comment)
    instance_id, title = _locate(app, principal, task_id)

    def work(unit: Advancing) -> SignersResult:
        session = unit.session
        task = _open_task(app, session, principal, task_id, "签署")
        rows = _rows(session, task)
        row = next((r for r in rows if r.username == principal.username), None)
        submitted = task.signoff == SignOff.SUBMITTED
        refusal = sign_refusal(_rule(row) if row is not None else None, principal.username, submitted)
        if refusal is not None:
            if row is None or row.status == SignerStatus.REMOVED:
                raise Forbidden(refusal)
            raise Conflict(refusal)
        assert row is not None
        if not agree and comment is None:
            raise Invalid("不同意时请填写意见，告诉办理人原因", errors={"comment": ["不同意须填写意见"]})
        row.status = SignerStatus.AGREED if agree else SignerStatus.DISAGREED
        row.opinion, row.signed_at = comment, utcnow()
        if comment:
            session.add(
                TaskComment(
                    task_id=task.id,
                    instance_id=task.instance_id,
                    author=principal.username,
                    kind=CommentKind.COMMENT,
                    text=comment,
                    created_at=row.signed_at,
                )
            )
        released = False
        if not agree and submitted:
            # Back to the holder's inbox, the kept data prefilled: they remove the dissenter
            # and submit again, or return / transfer the task.
            task.signoff, task.draft, task.submitted = None, task.submitted, None
            released = True
        names = _names(session, [principal.username, task.assignee or ""])
        word = "同意" if agree else "不同意"
        audit.record(
            session,
            principal.username,
            "task.signed",
            task.instance_id,
            task.id,
            title=task.title,
            agree=agree,
            position=row.position,
            opinion=comment,
            released=released,
            summary=f"{names[principal.username]}签署「{task.title}」（{POSITION_LABELS[Position(row.position)]}）：{word}"
            + (f"，意见：{comment}" if comment else "")
            + (f"；任务退回{names[task.assignee or '']}处理" if released else ""),
        )
        if agree and task.signoff == SignOff.SUBMITTED and step_complete(True, _rules(rows)):
            _finish(unit, task)
        return _result(unit, task)

    return advance(app, instance_id, work, actor=principal.username, doing=f"签署「{title}」")


# Reading ------------------------------------------------------------------------------------


def list_signers(app: Container, principal: Principal, task_id: str) -> list[SignerView]:
    with app.db.transaction() as session:
        task = session.get(Task, task_id)
        if task is None or not can_see_task(principal, task, app.settings.observer_roles):
            raise NotFound(f"任务 {task_id} 不存在或您无权查看")
        return _views(session, _rows(session, task))


def list_signoffs(
    app: Container, principal: Principal, status: str | None, page: int, per_page: int
) -> Page[SignoffView]:
    """The principal's 加签 items, newest first: open = still to sign on an open task; done =
    signed (agreed or not)."""
    query = (
        select(TaskSigner)
        .join(Task, Task.id == TaskSigner.task_id)
        .where(TaskSigner.username == principal.username)
    )
    if status == "open":
        query = query.where(TaskSigner.status == SignerStatus.PENDING, Task.status == TaskStatus.OPEN)
    elif status == "done":
        query = query.where(TaskSigner.status.in_([SignerStatus.AGREED, SignerStatus.DISAGREED]))
    else:
        query = query.where(TaskSigner.status != SignerStatus.REMOVED)
    with app.db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(TaskSigner.added_at.desc(), TaskSigner.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        items = [
            SignoffView(
                task_id=row.task_id,
                task_title=row.task.title,
                task_status=row.task.status,
                instance_id=row.instance_id,
                definition_key=row.task.definition_key,
                business_key=row.task.business_key,
                holder=row.task.assignee,
                position=row.position,
                position_label=POSITION_LABELS[Position(row.position)],
                status=row.status,
                status_label=STATUS_LABELS[SignerStatus(row.status)],
                can_sign_now=row.status == SignerStatus.PENDING
                and row.task.status == TaskStatus.OPEN
                and (row.position != Position.AFTER or row.task.signoff == SignOff.SUBMITTED),
                opinion=row.opinion,
                added_by=row.added_by,
                added_at=row.added_at,
                signed_at=row.signed_at,
            )
            for row in rows
        ]
        return Page(items, total, page, per_page)


# Shared -------------------------------------------------------------------------------------


def _finish(unit: Advancing, task: Task) -> None:
    """Complete the engine step with the holder's kept data, as the holder's act (the same
    sequence as tasks.complete after its checks)."""
    holder = task.assignee or unit.actor
    data = dict(task.submitted or {})
    try:
        unit.run.complete_user_task(task.id, data)
    except TaskNotReady:
        raise Conflict(f"任务「{task.title}」已不在待办状态，请刷新") from None
    task.status, task.signoff = TaskStatus.COMPLETED, None
    task.completed_at, task.completed_by = utcnow(), holder
    task.submitted = data
    audit.record(
        unit.session,
        holder,
        "task.completed",
        unit.instance.id,
        task.id,
        title=task.title,
        data=data,
        signed_off_by=unit.actor,
    )
    unit.save()
    if unit.instance.status == InstanceStatus.COMPLETED:
        audit.record(unit.session, unit.actor, "instance.completed", unit.instance.id)


def _locate(app: Container, principal: Principal, task_id: str) -> tuple[str, str]:
    with app.db.transaction() as session:
        task = session.get(Task, task_id)
        if task is None or not can_see_task(principal, task, app.settings.observer_roles):
            raise NotFound(f"任务 {task_id} 不存在或您无权查看")
        return task.instance_id, task.title


def _open_task(app: Container, session: Session, principal: Principal, task_id: str, doing: str) -> Task:
    """The task read again under the instance lock `advance` holds."""
    task = session.scalar(
        select(Task).where(Task.id == task_id).with_for_update().execution_options(populate_existing=True)
    )
    if task is None or not can_see_task(principal, task, app.settings.observer_roles):
        raise NotFound(f"任务 {task_id} 不存在或您无权查看")
    if task.status != TaskStatus.OPEN:
        raise Conflict(
            f"任务「{task.title}」{_TASK_WORDS.get(task.status, task.status)}，不能{doing}，请刷新"
        )
    return task


def _require_holder(app: Container, principal: Principal, task: Task, doing: str) -> None:
    require_not_observer(principal, app.settings.observer_roles, doing)
    if task.delegation == Delegation.PENDING:
        raise Conflict(f"任务「{task.title}」已委派给 {task.assignee} 办理，待其交回后再{doing}")
    require_may_act_on(principal, task, doing)


def _rows(session: Session, task: Task) -> list[TaskSigner]:
    return list(
        session.scalars(
            select(TaskSigner)
            .where(TaskSigner.task_id == task.id)
            .order_by(TaskSigner.added_at, TaskSigner.id)
            .execution_options(populate_existing=True)
        )
    )


def _rule(row: TaskSigner) -> Signer:
    return Signer(row.username, Position(row.position), SignerStatus(row.status))


def _rules(rows: list[TaskSigner]) -> list[Signer]:
    return [_rule(row) for row in rows]


def _names(session: Session, usernames: list[str]) -> dict[str, str]:
    return audit_trail.actor_names(session, [u for u in usernames if u]) | {"": ""}


def _name(session: Session, username: str) -> str:
    return _names(session, [username])[username]


def _views(session: Session, rows: list[TaskSigner]) -> list[SignerView]:
    names = _names(session, [r.username for r in rows])
    return [
        SignerView(
            username=row.username,
            name=names.get(row.username, row.username),
            position=row.position,
            position_label=POSITION_LABELS[Position(row.position)],
            status=row.status,
            status_label=STATUS_LABELS[SignerStatus(row.status)],
            opinion=row.opinion,
            comment=row.comment,
            added_by=row.added_by,
            added_at=row.added_at,
            signed_at=row.signed_at,
            removed_at=row.removed_at,
        )
        for row in rows
    ]


def _result(unit: Advancing, task: Task) -> SignersResult:
    tasks = open_task_rows(unit.session, unit.instance.id)
    return SignersResult(task, unit.instance, tasks, _views(unit.session, _rows(unit.session, task)))
