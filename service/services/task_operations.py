"""Task operations of issue 10: 转办 (transfer), 委派 (delegate / resolve), 抄送 (cc), 催办 (urge)
and 审批意见 (comments).

None of them moves the engine: they change who holds a task, who may read it, and what is said
about it, so they do not go through `unit_of_work.advance`. They do lock the instance row first,
as `advance` does, so a transfer and a completion of the same task happen one after the other
and the second sees what the first did (409 when the task is no longer what the person saw).
The rules themselves are in service/domain/task_operations.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.container import Container
from service.domain.signers import waiting_refusal
from service.domain.status import InstanceStatus, TaskStatus
from service.domain.task_operations import (
    COMMENT_KIND_LABELS,
    TRANSFER_TO_ANYONE,
    CommentKind,
    Delegation,
    Person,
    cc_recipients,
    clean_text,
    delegation_refusal,
    may_urge,
    property_true,
    receiver_refusal,
    sibling_refusal,
    urge_wait_seconds,
)
from service.engine.task_properties import user_task_properties
from service.services import accounts, audit, audit_trail, organisations
from service.services.authorization import require_not_observer
from service.services.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from service.services.instances import check_data, check_size, reserved_data_names, visible_instance
from service.services.pagination import Page
from service.services.principal import Principal
from service.services.progress import open_task_rows
from service.services.visibility import can_see_task, can_work_on
from service.store.models import (
    CcItem,
    DeploymentFile,
    Instance,
    OutboxEvent,
    ProcessDefinition,
    Role,
    Task,
    TaskComment,
    TaskGrant,
    User,
)
from service.timeutil import to_shanghai, utcnow

URGED_EVENT = "task.urged"

_STATUS_WORDS = {TaskStatus.COMPLETED: "已办结", TaskStatus.CANCELLED: "已被流程撤销"}
_INSTANCE_WORDS = {InstanceStatus.COMPLETED: "已结束", InstanceStatus.ERROR: "处于出错状态，等待管理员处理"}


@dataclass
class Operation:
    """What an operation answers: the task as it is now, its instance and the open tasks."""

    task: Task
    instance: Instance
    open_tasks: list[Task]
    cc: list[CcView] = field(default_factory=list)


@dataclass(frozen=True)
class CcView:
    id: int
    task_id: str
    task_title: str
    instance_id: str
    definition_key: str
    business_key: str | None
    recipient: str
    sent_by: str
    sent_by_name: str
    comment: str | None
    status: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class CommentView:
    id: int
    task_id: str
    task_title: str
    instance_id: str
    author: str
    author_name: str
    kind: str
    kind_label: str
    text: str
    created_at: datetime


# 转办 ---------------------------------------------------------------------------------------


def transfer(
    app: Container, principal: Principal, task_id: str, to_user: str, comment: str | None
) -> Operation:
    comment = clean_text(comment)
    with app.db.transaction(write=True) as session:
        task, instance = _lock(app, session, principal, task_id, "转办")
        _refuse_observer(app, principal, "转办")
        if (waiting := waiting_refusal(task.signoff, task.title, "转办")) is not None:
            raise Conflict(waiting)
        if task.delegation == Delegation.PENDING:
            raise Conflict(f"任务「{task.title}」已委派给 {task.assignee} 办理，待其交回后再转办")
        if not (principal.administers(task.organisation_id) or can_work_on(principal, task)):
            raise Forbidden(_not_yours(task, "转办"))
        transferor = task.assignee or principal.username
        if to_user == transferor:
            raise Invalid(
                "任务已在该用户名下，请选择另一名办理人", errors={"to_user": ["不能转办给当前办理人本人"]}
            )
        _check_receiver(app, session, instance, task, to_user, "转办")
        task.assignee = to_user
        _move_personal_grant(task, transferor, to_user)
        if task.owner is not None:  # handed on after a delegation came back: the new holder owns it
            task.owner, task.delegation = None, None
        _add_comment(session, task, principal.username, CommentKind.TRANSFER, comment)
        names = audit_trail.actor_names(session, [principal.username, transferor, to_user])
        audit.record(
            session,
            principal.username,
            "task.transferred",
            instance.id,
            task.id,
            title=task.title,
            from_user=transferor,
            to_user=to_user,
            comment=comment,
            summary=f"{names[principal.username]}将「{task.title}」"
            + (f"从{names[transferor]}" if transferor != principal.username else "")
            + f"转办给{names[to_user]}"
            + _reason(comment, task),
        )
        return _result(session, task, instance)


# 委派 ---------------------------------------------------------------------------------------


def delegate(
    app: Container, principal: Principal, task_id: str, to_user: str, comment: str | None
) -> Operation:
    comment = clean_text(comment)
    with app.db.transaction(write=True) as session:
        task, instance = _lock(app, session, principal, task_id, "委派")
        _refuse_observer(app, principal, "委派")
        if (waiting := waiting_refusal(task.signoff, task.title, "委派")) is not None:
            raise Conflict(waiting)
        if task.delegation == Delegation.PENDING:
            # Re-delegation by the delegate (or the owner, or an admin): the owner stays.
            if not (
                principal.administers(task.organisation_id)
                or principal.username in (task.assignee, task.owner)
            ):
                raise Forbidden(
                    f"任务「{task.title}」已由 {task.owner} 委派给 {task.assignee}，只有他们或管理员可以改派"
                )
            owner = task.owner
        else:
            if (
                task.assignee is None
                and principal.administers(task.organisation_id)
                and not can_work_on(principal, task)
            ):
                raise Invalid(f"任务「{task.title}」尚无人认领：请先转办给一名办理人，或由其认领后再委派")
            if not (principal.administers(task.organisation_id) or can_work_on(principal, task)):
                raise Forbidden(_not_yours(task, "委派"))
            owner = task.assignee or principal.username
        if to_user in (owner, task.assignee):
            raise Invalid(
                f"{to_user} 已是本任务的所有人或受委派人，请选择另一名用户",
                errors={"to_user": ["不能委派给任务所有人或当前受委派人"]},
            )
        _check_receiver(app, session, instance, task, to_user, "委派")
        previous = task.assignee
        task.owner, task.assignee, task.delegation = owner, to_user, Delegation.PENDING
        # The delegate keeps reading what they worked on once it is handed back.
        if not any(g.kind == "delegate" and g.value == to_user for g in task.grants):
            task.grants.append(TaskGrant(kind="delegate", value=to_user))
        _add_comment(session, task, principal.username, CommentKind.DELEGATE, comment)
        names = audit_trail.actor_names(session, [principal.username, to_user])
        audit.record(
            session,
            principal.username,
            "task.delegated",
            instance.id,
            task.id,
            title=task.title,
            owner=owner,
            from_user=previous,
            to_user=to_user,
            comment=comment,
            summary=f"{names[principal.username]}将「{task.title}」委派给{names[to_user]}办理"
            + _reason(comment, task),
        )
        return _result(session, task, instance)


def resolve(
    app: Container, principal: Principal, task_id: str, comment: str | None, data: Any = None
) -> Operation:
    """The delegate hands the task back to its owner, with what they filled in as a draft the
    owner sees prefilled; the owner completes it."""
    comment = clean_text(comment)
    data = check_data(data or {}, reserved_data_names(app))
    check_size(app, data)
    with app.db.transaction(write=True) as session:
        task, instance = _lock(app, session, principal, task_id, "交回委派")
        if task.delegation != Delegation.PENDING:
            raise Conflict(f"任务「{task.title}」没有待交回的委派（可能已交回），请刷新")
        if principal.username != task.assignee:
            raise Forbidden(f"任务「{task.title}」委派给了 {task.assignee}，只有受委派人办理完毕后可以交回")
        draft = {**(task.draft or {}), **data}
        task.draft = draft or None
        task.assignee, task.delegation = task.owner, Delegation.RESOLVED
        _add_comment(session, task, principal.username, CommentKind.RESOLVE, comment)
        names = audit_trail.actor_names(session, [principal.username, task.owner or ""])
        audit.record(
            session,
            principal.username,
            "task.resolved",
            instance.id,
            task.id,
            title=task.title,
            owner=task.owner,
            fields=sorted(data),
            comment=comment,
            summary=f"{names[principal.username]}办理完毕，将「{task.title}」交回{names[task.owner or '']}"
            + _reason(comment, task),
        )
        return _result(session, task, instance)


def completion_refusal(task: Task) -> str | None:
    """Why `complete` must refuse this task now (tasks.complete asks): a pending delegation."""
    return delegation_refusal(task.delegation, task.assignee, task.owner)


# 抄送 ---------------------------------------------------------------------------------------


def cc(
    app: Container,
    principal: Principal,
    task_id: str,
    users: list[str],
    roles: list[str],
    comment: str | None,
) -> Operation:
    comment = clean_text(comment)
    with app.db.transaction(write=True) as session:
        task, instance = _lock(app, session, principal, task_id, "抄送", any_status=True)
        if not users and not roles:
            raise Invalid(
                "请至少选择一名用户或一个角色作为抄送对象", errors={"users": ["users 与 roles 不能都为空"]}
            )
        _refuse_observer(app, principal, "抄送")
        if task.status == TaskStatus.CANCELLED:
            raise Conflict(f"任务「{task.title}」已被流程撤销，不能抄送")
        candidates = set(app.settings.candidate_roles)
        named = {u.username: u for u in session.scalars(select(User).where(User.username.in_(users)))}
        unknown = [
            name for name in users if name not in named or not named[name].active or named[name].is_system
        ]
        if unknown:
            raise Invalid(
                f"抄送对象 {'、'.join(unknown)} 不存在或已停用，请核对用户名",
                errors={"users": [f"{n} 不存在或已停用" for n in unknown]},
            )
        applicants = [name for name in users if set(named[name].role_names) & candidates]
        known_roles = set(session.scalars(select(Role.name).where(Role.name.in_(roles))))
        bad_roles = [r for r in roles if r not in known_roles or r in candidates]
        if applicants or bad_roles:
            raise Invalid(
                "不能抄送给应聘一方，也不能抄送给不存在的角色：" + "、".join([*applicants, *bad_roles]),
                errors={"users" if applicants else "roles": [*applicants, *bad_roles]},
            )
        members = _role_members(session, instance, roles)
        unread = session.scalars(
            select(CcItem.recipient).where(CcItem.task_id == task.id, CcItem.status == "unread")
        ).all()
        recipients = cc_recipients(principal.username, users, members, unread)
        if not recipients:
            raise Invalid(
                "所选的人都已收到本任务的抄送（尚未阅读）或就是您本人，没有新的抄送对象",
                errors={"users": ["没有新的抄送对象"]},
            )
        now = utcnow()
        items = [
            CcItem(
                task_id=task.id,
                instance_id=instance.id,
                recipient=name,
                sent_by=principal.username,
                comment=comment,
                status="unread",
                created_at=now,
            )
            for name in recipients
        ]
        session.add_all(items)
        granted = {g.value for g in task.grants if g.kind == "cc"}
        task.grants.extend(TaskGrant(kind="cc", value=name) for name in recipients if name not in granted)
        _add_comment(session, task, principal.username, CommentKind.CC, comment)
        names = audit_trail.actor_names(session, [principal.username, *recipients])
        audit.record(
            session,
            principal.username,
            "task.cc",
            instance.id,
            task.id,
            title=task.title,
            recipients=recipients,
            users=users,
            roles=roles,
            comment=comment,
            summary=f"{names[principal.username]}将「{task.title}」抄送给"
            + "、".join(names[name] for name in recipients)
            + _reason(comment, task),
        )
        session.flush()
        result = _result(session, task, instance)
        result.cc = [_cc_view(item, task, names) for item in items]
        return result


def list_cc(
    app: Container, principal: Principal, status: str | None, page: int, per_page: int
) -> Page[CcView]:
    """The principal's 待阅: newest first."""
    query = select(CcItem).where(CcItem.recipient == principal.username)
    if status:
        query = query.where(CcItem.status == status)
    with app.db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(
            session.scalars(
                query.order_by(CcItem.created_at.desc(), CcItem.id.desc())
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
        )
        names = audit_trail.actor_names(session, [row.sent_by for row in rows])
        return Page([_cc_view(row, row.task, names) for row in rows], total, page, per_page)


def read_cc(app: Container, principal: Principal, cc_id: int) -> CcView:
    if not 0 < cc_id < 2**63:  # beyond any stored id (and any database integer)
        raise NotFound(f"抄送 {cc_id} 不存在或不是抄送给您的")
    with app.db.transaction(write=True) as session:
        item = session.scalar(select(CcItem).where(CcItem.id == cc_id).with_for_update())
        if item is None or item.recipient != principal.username:
            raise NotFound(f"抄送 {cc_id} 不存在或不是抄送给您的")
        if item.status != "read":
            item.status, item.read_at = "read", utcnow()
            audit.record(
                session,
                principal.username,
                "cc.read",
                item.instance_id,
                item.task_id,
                title=item.task.title,
                cc_id=item.id,
            )
        names = audit_trail.actor_names(session, [item.sent_by])
        return _cc_view(item, item.task, names)


# 催办 ---------------------------------------------------------------------------------------


def urge(app: Container, principal: Principal, task_id: str, message: str | None) -> Operation:
    message = clean_text(message) or "请尽快办理"
    with app.db.transaction(write=True) as session:
        task, instance = _lock(app, session, principal, task_id, "催办", visible=_may_see_case)
        deciding, held = _deciding_roles(session, instance.id, principal)
        if not may_urge(
            principal.username,
            held,
            principal.administers(instance.organisation_id),
            instance.started_by,
            deciding,
        ):
            raise Forbidden(
                f"只有流程发起人（{instance.started_by}）、在本案件中办理任务的角色或管理员可以催办「{task.title}」"
            )
        now = utcnow()
        interval = app.settings.urge_interval_minutes
        wait = urge_wait_seconds(task.urged_at, now, interval)
        if wait:
            last = to_shanghai(task.urged_at)
            raise TooManyRequests(
                f"「{task.title}」已于 {last:%Y-%m-%d %H:%M} 催办过；同一任务每 {interval} 分钟只能催办一次，"
                f"请 {max(1, -(-wait // 60))} 分钟后再催办",
                retry_after=wait,
            )
        task.urged_at = now
        names = audit_trail.actor_names(
            session, [principal.username, *([task.assignee] if task.assignee else [])]
        )
        # For the OA push: whom to remind (the holder, or everyone the task is offered to) and why.
        session.add(
            OutboxEvent(
                instance_id=instance.id,
                definition_key=instance.definition_key,
                business_key=instance.business_key,
                name=URGED_EVENT,
                payload={
                    "task_id": task.id,
                    "task_title": task.title,
                    "assignee": task.assignee,
                    "candidate_roles": task.candidate_roles,
                    "candidate_users": task.candidate_users,
                    "due_at": task.due_at.isoformat() if task.due_at else None,
                    "urged_by": principal.username,
                    "urged_by_name": names[principal.username],
                    "message": message,
                },
                created_at=now,
            )
        )
        whom = names[task.assignee] if task.assignee else (task.role or "办理人")
        audit.record(
            session,
            principal.username,
            "task.urged",
            instance.id,
            task.id,
            title=task.title,
            assignee=task.assignee,
            message=message,
            summary=f"{names[principal.username]}催办「{task.title}」（{whom}）：{message}",
        )
        return _result(session, task, instance)


def may_urge_case(app: Container, principal: Principal, instance_id: str) -> bool:
    """Whether `urge` would let the principal remind holders of this case (the web shows 催办 only then)."""
    with app.db.transaction() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            return False
        deciding, held = _deciding_roles(session, instance.id, principal)
        return may_urge(
            principal.username,
            held,
            principal.administers(instance.organisation_id),
            instance.started_by,
            deciding,
        )


# 审批意见 -----------------------------------------------------------------------------------


def task_comments(app: Container, principal: Principal, task_id: str) -> list[CommentView]:
    with app.db.transaction() as session:
        task = _visible(app, session, principal, task_id)
        rows = session.scalars(
            select(TaskComment)
            .where(TaskComment.task_id == task.id)
            .order_by(TaskComment.created_at, TaskComment.id)
        ).all()
        return _comment_views(session, rows, {task.id: task})


def add_comment(app: Container, principal: Principal, task_id: str, text: str) -> CommentView:
    cleaned = clean_text(text)
    if cleaned is None:
        raise Invalid("审批意见不能为空", errors={"text": ["请填写意见内容"]})
    with app.db.transaction(write=True) as session:
        task = _visible(app, session, principal, task_id)
        _refuse_observer(app, principal, "填写审批意见")
        row = _add_comment(session, task, principal.username, CommentKind.COMMENT, cleaned)
        assert row is not None
        audit.record(
            session,
            principal.username,
            "task.commented",
            task.instance_id,
            task.id,
            title=task.title,
            text=cleaned,
        )
        session.flush()
        return _comment_views(session, [row], {task.id: task})[0]


def instance_comments(app: Container, principal: Principal, instance_id: str) -> list[CommentView]:
    """A case's opinions, oldest first. Those on a task given to one person by name (a judge's
    sheet) are read only by those who may see that task, as the sheet itself."""
    with app.db.transaction() as session:
        instance = visible_instance(app, session, principal, instance_id)
        tasks = {t.id: t for t in session.scalars(select(Task).where(Task.instance_id == instance.id))}
        rows = session.scalars(
            select(TaskComment)
            .where(TaskComment.instance_id == instance.id)
            .order_by(TaskComment.created_at, TaskComment.id)
        ).all()
        observers = app.settings.observer_roles
        shown = [
            row
            for row in rows
            if not _personal(tasks[row.task_id]) or can_see_task(principal, tasks[row.task_id], observers)
        ]
        return _comment_views(session, shown, tasks)


# Shared -------------------------------------------------------------------------------------


def _may_see_case(app: Container, session: Session, principal: Principal, task: Task) -> bool:
    if can_see_task(principal, task, app.settings.observer_roles):
        return True
    try:
        visible_instance(app, session, principal, task.instance_id)
    except NotFound:
        return False
    return True


def _visible(app: Container, session: Session, principal: Principal, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None or not can_see_task(principal, task, app.settings.observer_roles):
        raise NotFound(f"任务 {task_id} 不存在或您无权查看")
    return task


def _lock(
    app: Container,
    session: Session,
    principal: Principal,
    task_id: str,
    doing: str,
    any_status: bool = False,
    visible: Any = None,
) -> tuple[Task, Instance]:
    """The task and its instance, locked in the order `advance` locks (instance, then rows),
    read again after the lock so what is checked is what is current."""
    seen = session.get(Task, task_id)
    may_see = visible or (lambda a, s, p, t: can_see_task(p, t, a.settings.observer_roles))
    if seen is None or not may_see(app, session, principal, seen):
        raise NotFound(f"任务 {task_id} 不存在或您无权查看")
    instance = session.scalar(select(Instance).where(Instance.id == seen.instance_id).with_for_update())
    assert instance is not None
    task = session.scalar(
        select(Task).where(Task.id == task_id).with_for_update().execution_options(populate_existing=True)
    )
    assert task is not None
    if any_status:
        return task, instance
    if task.status != TaskStatus.OPEN:
        raise Conflict(
            f"任务「{task.title}」{_STATUS_WORDS.get(task.status, task.status)}，不能{doing}，请刷新"
        )
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(f"流程实例{_INSTANCE_WORDS.get(instance.status, instance.status)}，不能{doing}")
    return task, instance


def _refuse_observer(app: Container, principal: Principal, doing: str) -> None:
    require_not_observer(principal, app.settings.observer_roles, doing)


def _not_yours(task: Task, doing: str) -> str:
    if task.assignee:
        return f"任务「{task.title}」由 {task.assignee} 办理，只有本人或管理员可以{doing}"
    return f"任务「{task.title}」不属于您的角色，您不能{doing}"


def _check_receiver(
    app: Container, session: Session, instance: Instance, task: Task, username: str, verb: str
) -> None:
    user = session.scalar(select(User).where(User.username == username))
    person = (
        Person(user.username, frozenset(user.role_names), user.active, user.is_system)
        if user is not None
        else None
    )
    offered = task.candidate_roles or ([task.role] if task.role else [])
    refusal = receiver_refusal(
        person,
        username,
        offered,
        _anyone_allowed(session, instance, task),
        app.settings.observer_roles,
        app.settings.candidate_roles,
        verb,
    )
    refusal = refusal or sibling_refusal(username, _sibling_holders(session, task), task.title, verb)
    if not _anyone_allowed(session, instance, task):
        refusal = refusal or _elsewhere_refusal(session, user, task, username, verb)
    if refusal:
        raise Invalid(refusal, errors={"to_user": [refusal]})


def _elsewhere_refusal(
    session: Session, user: User | None, task: Task, username: str, verb: str
) -> str | None:
    """The receiver holds the task's role, but in another organisation than the one it went to
    (企业人事 of another enterprise)."""
    where = {g.value: g.organisation_id for g in task.grants if g.kind == "role"}
    if user is None or not where:
        return None
    receiver = accounts.principal_of(session, user)
    if not set(where) & receiver.roles or any(receiver.acts_as(r, org) for r, org in where.items()):
        return None
    names = organisations.names(session, where.values())
    places = "、".join(sorted({names[org].name for org in where.values() if org in names}))
    return f"{username} 不在「{places}」担任本任务的办理角色，只能{verb}给该机构中担任这些角色的用户"


def _sibling_holders(session: Session, task: Task) -> set[str]:
    """Who holds or did the other instances of this task's parallel step: created with it."""
    rows = session.execute(
        select(Task.assignee, Task.completed_by, Task.owner).where(
            Task.instance_id == task.instance_id,
            Task.name == task.name,
            Task.id != task.id,
            Task.created_at == task.created_at,
            Task.status != TaskStatus.CANCELLED,
        )
    )
    return {name for row in rows for name in row if name}


def _anyone_allowed(session: Session, instance: Instance, task: Task) -> bool:
    """The diagram's say (`xuanpin:transferToAnyone` on the userTask), read from the BPMN files
    deployed with this instance's version."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None
    files = session.scalars(
        select(DeploymentFile.content)
        .where(DeploymentFile.deployment_id == definition.deployment_id, DeploymentFile.kind == "bpmn")
        .order_by(DeploymentFile.filename != definition.bpmn_filename, DeploymentFile.filename)
    )
    return property_true(user_task_properties(files, task.name).get(TRANSFER_TO_ANYONE))


def _move_personal_grant(task: Task, transferor: str, to_user: str) -> None:
    """A task given to the transferor by name (a judge's sheet) follows the transfer, so the
    transferor no longer holds or reads it."""
    for grant in list(task.grants):
        if grant.kind == "user" and grant.value == transferor:
            task.grants.remove(grant)
            if not any(g.kind == "user" and g.value == to_user for g in task.grants):
                task.grants.append(TaskGrant(kind="user", value=to_user))


def _role_members(session: Session, instance: Instance, roles: list[str]) -> list[str]:
    """The people of each role where the case's steps of that role would go: the nearest
    organisation from the case's upwards holding it (issue 12)."""
    resolver = organisations.RoleResolver(session)
    members = set()
    for role in roles:
        where = resolver.resolve(role, instance.organisation_id)
        members |= set(organisations.role_holders(session, role, where))
    return sorted(members)


def _deciding_roles(session: Session, instance_id: str, principal: Principal) -> tuple[set[str], set[str]]:
    """The roles the case's steps went to, and those of them the principal holds where the
    step went (issue 12: 企业人事 of another enterprise decides nothing here)."""
    granted = session.execute(
        select(TaskGrant.value, TaskGrant.organisation_id)
        .join(Task, Task.id == TaskGrant.task_id)
        .where(Task.instance_id == instance_id, TaskGrant.kind == "role")
    ).all()
    roles = {role for role, _ in granted}
    roles |= {r for r in session.scalars(select(Task.role).where(Task.instance_id == instance_id)) if r}
    held = {role for role, org in granted if principal.acts_as(role, org)}
    return roles, held


def _personal(task: Task) -> bool:
    return not task.candidate_roles and bool(task.candidate_users)


def _reason(comment: str | None, task: Task) -> str:
    # The history is read by everyone who may see the case: a judge's reason stays with the sheet.
    return f"，理由：{comment}" if comment and not _personal(task) else ""


def _add_comment(
    session: Session, task: Task, author: str, kind: CommentKind, text: str | None
) -> TaskComment | None:
    if not text:
        return None
    row = TaskComment(
        task_id=task.id,
        instance_id=task.instance_id,
        author=author,
        kind=kind,
        text=text,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def _result(session: Session, task: Task, instance: Instance) -> Operation:
    return Operation(task, instance, open_task_rows(session, instance.id))


def _cc_view(item: CcItem, task: Task, names: dict[str, str]) -> CcView:
    return CcView(
        id=item.id,
        task_id=item.task_id,
        task_title=task.title,
        instance_id=item.instance_id,
        definition_key=task.definition_key,
        business_key=task.business_key,
        recipient=item.recipient,
        sent_by=item.sent_by,
        sent_by_name=names.get(item.sent_by, item.sent_by),
        comment=item.comment,
        status=item.status,
        created_at=item.created_at,
        read_at=item.read_at,
    )


def _comment_views(session: Session, rows: Any, tasks: dict[str, Task]) -> list[CommentView]:
    rows = list(rows)
    names = audit_trail.actor_names(session, [row.author for row in rows])
    return [
        CommentView(
            id=row.id,
            task_id=row.task_id,
            task_title=tasks[row.task_id].title if row.task_id in tasks else "",
            instance_id=row.instance_id,
            author=row.author,
            author_name=names.get(row.author, row.author),
            kind=row.kind,
            kind_label=COMMENT_KIND_LABELS.get(CommentKind(row.kind), row.kind),
            text=row.text,
            created_at=row.created_at,
        )
        for row in rows
    ]
