"""Case operations (issue 10): cancel, suspend and resume a case, move its token (repair) and
move running cases to another version of their diagram. Each goes through `advance`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from service.container import Container
from service.domain.declarations import STARTER_MAY_CANCEL, starter_may_cancel
from service.domain.status import InstanceStatus, TimerStatus
from service.engine import case_operations as engine_ops
from service.services import audit
from service.services.authorization import require, require_admin
from service.services.definitions import definition_xml
from service.services.errors import Conflict, Forbidden, Invalid, NotFound
from service.services.instances import InstanceDetail, get_instance, require_admin_of_case, visible_instance
from service.services.organisations import RoleResolver
from service.services.principal import Principal
from service.services.progress import _task_row  # the one way an inbox row is built from a view
from service.services.unit_of_work import Advancing, advance
from service.store.db import after_commit
from service.store.models import Instance, ProcessDefinition, Task, TaskGrant, Timer
from service.timeutil import utcnow

# A case that has not ended: it may be cancelled.
_NOT_ENDED = (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED, InstanceStatus.ERROR)


def _require_admin(principal: Principal, what: str) -> None:
    require_admin(principal, f"{what}，请联系流程管理员")


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写原因：它记入办理记录并显示在实例上", errors={"reason": ["不能为空"]})
    return reason


# --- cancel --------------------------------------------------------------------------------


def cancel(app: Container, principal: Principal, instance_id: str, reason: str) -> InstanceDetail:
    """End a case before its end: open tasks and waiting timers are cancelled (they never fire),
    the reason is recorded and shown on the instance. An administrator, or its starter where the
    diagram says so (`xuanpin:starterMayCancel`)."""
    reason = _reason(reason)
    if principal.is_admin:
        require_admin_of_case(app, principal, instance_id, "撤销流程实例")
    else:
        _check_starter_may_cancel(app, principal, instance_id)

    def work(unit: Advancing) -> None:
        instance, session = unit.instance, unit.session
        previous = instance.status
        engine_ops.cancel(unit.run)
        # A timer that failed with the instance in error is done with too.
        session.execute(
            update(Timer)
            .where(Timer.instance_id == instance.id, Timer.status == TimerStatus.FAILED)
            .values(status=TimerStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )
        open_before = len(_open_task_ids(unit))
        unit.save()
        instance.status = InstanceStatus.CANCELLED
        instance.error = reason
        instance.completed_at = utcnow()
        audit.record(
            session,
            principal.username,
            "instance.cancelled",
            instance.id,
            reason=reason,
            previous_status=previous,
            tasks_cancelled=open_before,
        )

    advance(
        app,
        instance_id,
        work,
        actor=principal.username,
        doing="撤销流程实例",
        statuses=_NOT_ENDED,
        on_status=_ended("撤销"),
    )
    return get_instance(app, principal, instance_id)


def _check_starter_may_cancel(app: Container, principal: Principal, instance_id: str) -> None:
    with app.db.transaction() as session:
        instance = visible_instance(app, session, principal, instance_id)
        key, version, starter = instance.definition_key, instance.definition_version, instance.started_by
        suspended = instance.status == InstanceStatus.SUSPENDED
    if starter != principal.username:
        raise Forbidden("只有发起人（流程允许时）或管理员可以撤销流程实例；如需撤销请联系发起人或管理员")
    if suspended:  # held by an administrator, e.g. while a complaint is looked into
        raise Forbidden("流程实例已被管理员挂起，发起人不能撤销；请联系管理员")
    xml, _ = definition_xml(app.db, key, version)
    if not starter_may_cancel(engine_ops.process_properties(xml, key)):
        raise Forbidden(
            f"流程 {key} 不允许发起人自行撤销（流程图未声明 {STARTER_MAY_CANCEL}=true），请联系管理员撤销"
        )


def _ended(verb: str) -> Any:
    def refuse(instance: Instance) -> None:
        word = {
            InstanceStatus.COMPLETED: "已结束",
            InstanceStatus.CANCELLED: "已撤销",
        }.get(instance.status, f"处于 {instance.status} 状态")
        raise Conflict(f"流程实例{word}，不能{verb}")

    return refuse


def _open_task_ids(unit: Advancing) -> list[str]:
    from service.store.models import Task

    return list(
        unit.session.scalars(
            select(Task.id).where(Task.instance_id == unit.instance.id, Task.status == "open")
        )
    )


# --- suspend / resume ------------------------------------------------------------------------


def suspend(app: Container, principal: Principal, instance_id: str, reason: str) -> InstanceDetail:
    """Hold a running case: no task can be completed and no timer fires until it is resumed."""
    require_admin_of_case(app, principal, instance_id, "挂起流程实例")
    reason = _reason(reason)

    def not_running(instance: Instance) -> None:
        if instance.status == InstanceStatus.SUSPENDED:
            raise Conflict("流程实例已处于挂起状态；如需继续办理请恢复（resume）")
        raise Conflict(f"只能挂起运行中的流程实例（当前状态：{instance.status}）")

    def work(unit: Advancing) -> None:
        unit.instance.status = InstanceStatus.SUSPENDED
        unit.instance.error = reason
        unit.instance.updated_at = utcnow()
        audit.record(unit.session, principal.username, "instance.suspended", unit.instance.id, reason=reason)

    advance(app, instance_id, work, actor=principal.username, doing="挂起流程实例", on_status=not_running)
    return get_instance(app, principal, instance_id)


def resume(
    app: Container, principal: Principal, instance_id: str, reason: str | None = None
) -> InstanceDetail:
    """Let a suspended case go on; timers that fell due meanwhile fire at the scheduler's next
    round (woken at once here)."""
    require_admin_of_case(app, principal, instance_id, "恢复挂起的流程实例")

    def not_suspended(instance: Instance) -> None:
        raise Conflict(f"流程实例没有挂起（当前状态：{instance.status}），无需恢复")

    def work(unit: Advancing) -> None:
        instance, session = unit.instance, unit.session
        instance.status = InstanceStatus.RUNNING
        instance.error = None
        instance.updated_at = utcnow()
        due = session.scalar(
            select(Timer.due_at)
            .where(Timer.instance_id == instance.id, Timer.status == TimerStatus.WAITING)
            .order_by(Timer.due_at)
            .limit(1)
        )
        if due is not None:
            after_commit(session, partial(app.timer_created, due))
        audit.record(
            session,
            principal.username,
            "instance.resumed",
            instance.id,
            reason=(reason or "").strip() or None,
        )

    try:
        advance(
            app,
            instance_id,
            work,
            actor=principal.username,
            doing="恢复流程实例",
            statuses=(InstanceStatus.SUSPENDED,),
            on_status=not_suspended,
        )
    except IntegrityError:  # a running case took its business key while it was suspended
        raise Conflict(
            "该实例的业务编号已被同一流程的另一个运行中实例使用，不能恢复；请先撤销或结束那个实例"
        ) from None
    return get_instance(app, principal, instance_id)


# --- move (repair) ---------------------------------------------------------------------------


def move(
    app: Container, principal: Principal, instance_id: str, from_element: str, to_element: str, reason: str
) -> InstanceDetail:
    """Cancel the activity at one element and start another (Camunda's process instance
    modification), for an administrator to repair a jammed case. A case in error goes on running."""
    require_admin_of_case(app, principal, instance_id, "移动流程实例的办理位置")
    reason = _reason(reason)

    def work(unit: Advancing) -> None:
        instance, session = unit.instance, unit.session
        previous = instance.status
        if previous == InstanceStatus.ERROR:
            # Back to waiting so the save either keeps or cancels them with the new position.
            session.execute(
                update(Timer)
                .where(Timer.instance_id == instance.id, Timer.status == TimerStatus.FAILED)
                .values(status=TimerStatus.WAITING, last_error=None)
                .execution_options(synchronize_session=False)
            )
            instance.status, instance.error = InstanceStatus.RUNNING, None
        moved = engine_ops.move(unit.run, from_element, to_element)
        audit.record(
            session,
            principal.username,
            "instance.moved",
            instance.id,
            from_element=from_element,
            from_title=moved.from_title,
            to_element=to_element,
            to_title=moved.to_title,
            reason=reason,
            previous_status=previous,
        )
        unit.save()

    advance(
        app,
        instance_id,
        work,
        actor=principal.username,
        doing=f"将办理位置从 {from_element} 移到 {to_element}",
        statuses=(InstanceStatus.RUNNING, InstanceStatus.ERROR),
        on_status=_ended("移动办理位置"),
        refusal="移动未执行：{message}",
    )
    return get_instance(app, principal, instance_id)


# --- migrate to another version --------------------------------------------------------------


@dataclass
class MigrationItem:
    instance_id: str
    business_key: str | None
    status: str  # migrated | would_migrate | refused
    changes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class MigrationReport:
    definition_key: str
    from_version: int
    to_version: int
    dry_run: bool
    items: list[MigrationItem]


_MIGRATABLE = (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED)


def migrate(
    app: Container,
    principal: Principal,
    key: str,
    from_version: int,
    to_version: int,
    instance_ids: list[str] | None = None,
    dry_run: bool = False,
) -> MigrationReport:
    """Move running (or suspended) cases of one version to another version of the same process,
    each in its own transaction; a case that cannot move is left as it is and reported with why."""
    _require_admin(principal, "迁移流程实例到其他版本")
    require(
        principal.admin_organisations is None and principal.confined_to is None,
        "迁移会改动所有机构的流程实例，只有全局管理员可以执行",
    )
    with app.db.transaction() as session:
        versions = {
            d.version: d.id
            for d in session.scalars(
                select(ProcessDefinition).where(
                    ProcessDefinition.key == key, ProcessDefinition.version.in_([from_version, to_version])
                )
            )
        }
        for version in (from_version, to_version):
            if version not in versions:
                raise NotFound(f"流程定义 {key} 的第 {version} 版不存在，请核对版本号")
        if from_version == to_version:
            raise Invalid("源版本与目标版本相同，无需迁移", errors={"to_version": ["须与 from_version 不同"]})
        query = select(
            Instance.id,
            Instance.business_key,
            Instance.definition_key,
            Instance.definition_version,
            Instance.status,
        )
        if instance_ids:
            rows = session.execute(query.where(Instance.id.in_(instance_ids))).all()
        else:
            rows = session.execute(
                query.where(
                    Instance.definition_key == key,
                    Instance.definition_version == from_version,
                    Instance.status.in_(_MIGRATABLE),
                ).order_by(Instance.created_at)
            ).all()
    found = {row.id: row for row in rows}
    target_id = versions[to_version]
    items = []
    for instance_id in instance_ids or [row.id for row in rows]:
        row = found.get(instance_id)
        if row is None:
            items.append(MigrationItem(instance_id, None, "refused", reasons=["流程实例不存在"]))
            continue
        if row.definition_key != key or row.definition_version != from_version:
            items.append(
                MigrationItem(
                    instance_id,
                    row.business_key,
                    "refused",
                    reasons=[
                        f"该实例属于 {row.definition_key} 第 {row.definition_version} 版，"
                        f"不是 {key} 第 {from_version} 版"
                    ],
                )
            )
            continue
        items.append(_migrate_one(app, principal, instance_id, target_id, from_version, to_version, dry_run))
    return MigrationReport(key, from_version, to_version, dry_run, items)


def _migrate_one(
    app: Container,
    principal: Principal,
    instance_id: str,
    target_id: int,
    from_version: int,
    to_version: int,
    dry_run: bool,
) -> MigrationItem:
    def not_running(instance: Instance) -> MigrationItem:
        return MigrationItem(
            instance.id,
            instance.business_key,
            "refused",
            reasons=[f"只能迁移运行中或挂起的实例（当前状态：{instance.status}）"],
        )

    def work(unit: Advancing) -> MigrationItem:
        instance, session = unit.instance, unit.session
        target = session.get(ProcessDefinition, target_id)
        assert target is not None
        # A dry run migrates the loaded run too (and saves nothing), so its answer is the real one.
        plan = engine_ops.migrate(app.engine, unit.run, target.id, lambda: target.spec)
        item = MigrationItem(instance.id, instance.business_key, "refused", plan.changes, plan.blockers)
        if not plan.possible:
            return item
        if dry_run:
            item.status = "would_migrate"
            return item
        instance.definition_id = target.id
        instance.definition_version = target.version
        _refresh_task_rows(unit)
        audit.record(
            session,
            principal.username,
            "instance.migrated",
            instance.id,
            from_version=from_version,
            to_version=to_version,
            changes=plan.changes,
        )
        item.status = "migrated"
        return item

    return advance(
        app,
        instance_id,
        work,
        actor=principal.username,
        doing=f"迁移到第 {to_version} 版",
        statuses=_MIGRATABLE,
        on_status=not_running,
        refusal="迁移未执行：{message}",
    )


def _refresh_task_rows(unit: Advancing) -> None:
    """The open tasks keep their ids across versions; their titles, roles and forms follow the
    new version."""
    now = utcnow()
    rows = unit.save()
    views = {view.id: view for view in unit.run.ready_user_tasks()}
    resolver = RoleResolver(unit.session)
    for row in rows:
        view = views.get(row.id)
        if view is None:
            continue
        fresh = _task_row(unit.instance, view, now, resolver)
        row.name, row.title, row.role = fresh.name, fresh.title, fresh.role
        row.form_key, row.documentation = fresh.form_key, fresh.documentation
        if view.assignee:  # a person the diagram names; otherwise whoever claimed it keeps it
            row.assignee = view.assignee
        _replace_offer_grants(row, fresh)


# Grants that say who the task is offered to; the diagram decides them. cc / delegate / signer
# grants were given by people on this task and stay across versions.
_OFFER_KINDS = ("role", "user")


def _replace_offer_grants(row: Task, fresh: Task) -> None:
    """Copies, never `fresh`'s own grant objects: moving those would drag the throw-away `fresh`
    row (same id) into the session and fail the flush with a duplicate task id."""
    wanted = {(g.kind, g.value): g.organisation_id for g in fresh.grants if g.kind in _OFFER_KINDS}
    kept = []
    for grant in row.grants:
        key = (grant.kind, grant.value)
        if grant.kind not in _OFFER_KINDS:
            kept.append(grant)
        elif key in wanted:
            grant.organisation_id = wanted.pop(key)
            kept.append(grant)
    kept += [TaskGrant(kind=kind, value=value, organisation_id=org) for (kind, value), org in wanted.items()]
    row.grants = kept
