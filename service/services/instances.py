"""Starting instances and reading them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.container import Container
from service.domain.plain_data import size_problem
from service.domain.start_rights import Starter, StartRights, refusal_to_start
from service.domain.status import InstanceStatus, TimerStatus
from service.engine.runtime import CompletedStep, ElementState
from service.services import audit, files, organisations
from service.services.authorization import require_admin
from service.services.errors import Conflict, Forbidden, Invalid, NotFound, too_large
from service.services.organisations import DEFAULT_ORGANISATION_ID
from service.services.pagination import Page, bounded_count
from service.services.principal import Principal
from service.services.progress import new_instance_id, open_task_rows, save_progress
from service.services.unit_of_work import Advancing, advance, engine_refusals
from service.services.visibility import instance_visible, personal_data_view
from service.store.models import Instance, ProcessDefinition, Task, Timer
from service.timeutil import to_shanghai, utcnow


@dataclass
class InstanceDetail:
    instance: Instance
    open_tasks: list[Task]
    completed_steps: list[CompletedStep]
    timers: list[Timer]
    data: dict[str, Any]  # what the viewer may read of the case's data


# The read-only snapshot of another case an instance starts from (a recruitment from its approved
# annual plan, FH-01): the service writes it at start from that case's stored data; no start data
# and no form may carry it, so a process can trust it.
SOURCE_NAME = "laiyuan_shili"


def reserved_data_names(app: Container) -> frozenset[str]:
    return app.engine.reserved_names | {SOURCE_NAME}


def check_data(data: Any, reserved: frozenset[str] = frozenset(), field: str = "data") -> dict[str, Any]:
    """`reserved`: names scripts already use for platform functions and settings (`today`,
    `shezhi` …); data under such a name would hide them from every script of the case."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise Invalid("数据必须是 JSON 对象", errors={field: ["必须是 JSON 对象"]})
    bad = [key for key in data if not isinstance(key, str) or not key.isidentifier() or key.startswith("_")]
    if bad:
        raise Invalid(
            f"数据项名称无效：{'、'.join(map(str, bad))}（须为字母、数字、下划线组成且不以下划线开头）",
            errors={f"{field}.{key}": ["数据项名称无效"] for key in bad},
        )
    taken = sorted(key for key in data if key in reserved)
    if taken:
        raise Invalid(
            f"数据项名称 {'、'.join(taken)} 是平台函数或流程设置的保留名称，请改用其他名称",
            errors={f"{field}.{key}": ["保留名称，不能使用"] for key in taken},
        )
    return data


def check_size(app: Container, data: dict[str, Any]) -> None:
    """What a client sends may not by itself exceed the limits of a case's data."""
    exceeded = size_problem(data, app.settings.max_instance_data_bytes, app.settings.max_instance_data_keys)
    if exceeded is not None:
        raise too_large(exceeded)


def start(
    app: Container,
    principal: Principal,
    key: str,
    business_key: str | None,
    data: dict[str, Any] | None,
    source_instance_id: str | None = None,
    organisation: str | None = None,
    message: tuple[str, dict[str, Any]] | None = None,
) -> Instance:
    """`source_instance_id`: a case the principal may read, handed to the new instance as the
    read-only snapshot `laiyuan_shili` (id, process, business key, status, data as the principal
    may read it); the diagram decides whether it is the right kind of case. `organisation`: the
    code of the organisation the case belongs to, one where the principal may start it (by
    default their own). `message`: (name, data) of the message that starts it at its message
    start event (services/messages.py, which lets only integrations and admins send one, so the
    starter rights are not asked again; the case belongs to the sender's organisation)."""
    data = check_data(data, reserved_data_names(app))
    check_size(app, data)
    try:
        with engine_refusals("流程无法启动：{message}"), app.db.transaction(write=True) as session:
            definition = session.scalar(
                select(ProcessDefinition)
                .where(ProcessDefinition.key == key)
                .order_by(ProcessDefinition.version.desc())
                .limit(1)
            )
            if definition is None:
                raise NotFound(f"流程定义 {key} 不存在，请先部署")
            organisation_id = (
                _start_organisation(app, session, principal, definition, organisation)
                if message is None
                else principal.organisation_id or DEFAULT_ORGANISATION_ID
            )
            _check_start_data(definition, data)
            observers = app.settings.observer_roles
            file_ids = files.check_submitted_files(session, principal, data, None, observers)
            if business_key:
                _check_business_key_free(session, key, business_key)
            if source_instance_id:
                data = {**data, SOURCE_NAME: _source_snapshot(app, session, principal, source_instance_id)}
            run = app.engine.start(definition.id, lambda: definition.spec, data)
            if message is not None:
                run.receive_message(*message)
            instance = Instance(
                id=new_instance_id(),
                definition_id=definition.id,
                definition_key=definition.key,
                definition_version=definition.version,
                business_key=business_key or None,
                status=InstanceStatus.RUNNING,
                started_by=principal.username,
                organisation_id=organisation_id,
                created_at=utcnow(),
            )
            session.add(instance)
            # The source snapshot's attachments too: the starter may read them in the source case.
            files.record_references(session, file_ids | files.referenced_ids(data, []), instance.id, None)
            save_progress(app, session, instance, run)
            audit.record(
                session,
                principal.username,
                "instance.started",
                instance.id,
                definition=key,
                version=definition.version,
                business_key=business_key,
                source_instance=source_instance_id,
                organisation=organisation_id,
                **({"message": message[0]} if message else {}),
            )
            session.flush()
            return instance
    except IntegrityError:
        raise Conflict(f"业务编号 {business_key} 已被流程 {key} 的另一个运行中实例使用") from None


def _source_snapshot(
    app: Container, session: Session, principal: Principal, instance_id: str
) -> dict[str, Any]:
    try:
        source = visible_instance(app, session, principal, instance_id)
    except NotFound:
        message = f"来源实例 {instance_id} 不存在或您无权查看"
        raise Invalid(message, errors={"source_instance_id": [message]}) from None
    definition = session.get(ProcessDefinition, source.definition_id)
    assert definition is not None
    shown = personal_data_view(principal, definition.data_policy, app.settings.observer_roles)
    return {
        "id": source.id,
        "definition_key": source.definition_key,
        "version": source.definition_version,
        "business_key": source.business_key,
        "status": source.status,
        "completed_at": to_shanghai(source.completed_at).isoformat() if source.completed_at else None,
        "data": shown(source.data),
    }


def startable(app: Container, principal: Principal) -> list[ProcessDefinition]:
    """The latest version of every process the principal may start (the start page)."""
    from service.services.definitions import latest_definitions

    result = []
    for definition in latest_definitions(app.db):
        try:
            _check_may_start(app, principal, definition)
        except Forbidden:
            continue
        result.append(definition)
    return result


def start_places(
    app: Container, principal: Principal, definition: ProcessDefinition
) -> list[tuple[str, str]]:
    """(code, name) of each organisation the principal may start the process in, their own first."""
    allowed = [
        org for org in _start_candidates(principal) if _refusal_at(app, principal, definition, org) is None
    ]
    with app.db.transaction() as session:
        shown = organisations.names(session, allowed)
    return [(shown[org].code, shown[org].name) for org in allowed if org in shown]


def _check_may_start(app: Container, principal: Principal, definition: ProcessDefinition) -> None:
    """May start a case of the process somewhere (the start page lists it)."""
    if not any(_refusal_at(app, principal, definition, org) is None for org in _start_candidates(principal)):
        reason = _refusal_at(app, principal, definition, None)
        raise Forbidden(reason or f"您没有可以发起「{definition.name}」的机构")


def _refusal_at(
    app: Container, principal: Principal, definition: ProcessDefinition, organisation_id: int | None
) -> str | None:
    """Why the principal may not start the process in that organisation, with the roles they
    hold there (None: with every role they hold)."""
    roles = (
        principal.roles
        if organisation_id is None
        else frozenset(role for role, org in principal.role_organisations if org == organisation_id)
    )
    admin = principal.is_admin if organisation_id is None else principal.administers(organisation_id)
    if organisation_id is not None and not principal.reaches(organisation_id):
        return "该令牌限定在其机构范围内，不能为范围外的机构发起流程"
    return refusal_to_start(
        Starter(principal.username, roles, admin),
        definition.name,
        definition.starter_groups,
        definition.starter_users,
        StartRights.from_json(definition.start_rights),
        app.settings.observer_roles,
        app.settings.candidate_roles,
    )


def _start_candidates(principal: Principal) -> list[int]:
    """Where the principal might start a case: their own organisation first, then wherever
    they hold a role or administer."""
    home = principal.organisation_id or DEFAULT_ORGANISATION_ID
    held = {org for _, org in principal.role_organisations} | (principal.admin_organisations or set())
    return [home, *sorted(held - {home})]


def _start_organisation(
    app: Container, session: Session, principal: Principal, definition: ProcessDefinition, code: str | None
) -> int:
    if code:
        org = organisations.by_code(session, code)
        reason = _refusal_at(app, principal, definition, org.id)
        if reason is not None:
            raise Forbidden(f"不能在「{org.name}」发起：{reason}（请选择您具有相应角色的机构）")
        return org.id
    for org_id in _start_candidates(principal):
        if _refusal_at(app, principal, definition, org_id) is None:
            return org_id
    raise Forbidden(
        _refusal_at(app, principal, definition, None) or f"您没有可以发起「{definition.name}」的机构"
    )


def _check_start_data(definition: ProcessDefinition, data: dict[str, Any]) -> None:
    """The start data may not decide who receives work unless the diagram says it may."""
    chosen = StartRights.from_json(definition.start_rights).fields_choosing_assignees(data)
    if chosen:
        raise Invalid(
            f"发起数据不能指定任务的办理人：{'、'.join(chosen)} 决定「{definition.name}」中任务交给谁，"
            "由流程自身确定；如确需在发起时给出，请在流程的扩展属性 xuanpin:startFields 中声明",
            errors={f"data.{name}": ["决定任务交给谁办理，发起时不能指定"] for name in chosen},
        )


def _check_business_key_free(session: Session, key: str, business_key: str) -> None:
    taken = session.scalar(
        select(Instance.id).where(
            Instance.definition_key == key,
            Instance.business_key == business_key,
            # A suspended case goes on once resumed: its business key stays taken.
            Instance.status.in_(("running", "suspended")),
        )
    )
    if taken:
        raise Conflict(f"业务编号 {business_key} 已被流程 {key} 的运行中实例 {taken} 使用")


def list_instances(
    app: Container,
    principal: Principal,
    page: int,
    per_page: int,
    definition_key: str | None = None,
    status: str | None = None,
    business_key: str | None = None,
    organisation: str | None = None,
) -> Page[Instance]:
    query = select(Instance)
    if definition_key:
        query = query.where(Instance.definition_key == definition_key)
    if status:
        query = query.where(Instance.status == status)
    if business_key:
        query = query.where(Instance.business_key == business_key)
    query = query.where(instance_visible(principal, app.settings.observer_roles))
    with app.db.transaction() as session:
        if organisation:
            tree = organisations.subtree_ids(session, [organisations.by_code(session, organisation).id])
            query = query.where(Instance.organisation_id.in_(sorted(tree)))
        total, capped = bounded_count(session, query)
        rows = session.scalars(
            query.order_by(Instance.created_at.desc(), Instance.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        return Page(list(rows), total, page, per_page, capped)


def get_instance(app: Container, principal: Principal, instance_id: str) -> InstanceDetail:
    with app.db.transaction() as session:
        instance = visible_instance(app, session, principal, instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None
        open_tasks = open_task_rows(session, instance.id)
        timers = list(
            session.scalars(
                select(Timer)
                .where(Timer.instance_id == instance.id, Timer.status == "waiting")
                .order_by(Timer.due_at)
            )
        )
        run = app.engine.load(definition.id, lambda: definition.spec, instance.state)
        shown = personal_data_view(principal, definition.data_policy, app.settings.observer_roles)
        return InstanceDetail(instance, open_tasks, run.completed_steps(), timers, shown(instance.data))


@dataclass
class CaseSummary:
    """What a page shows about a case beside a task: its process, forms (for labels), the data
    the viewer may read, waiting timers."""

    instance: Instance
    definition_name: str
    forms: dict[str, Any]
    data: dict[str, Any]
    timers: list[Timer]


def summary(app: Container, principal: Principal, instance_id: str) -> CaseSummary:
    with app.db.transaction() as session:
        instance = visible_instance(app, session, principal, instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None
        shown = personal_data_view(principal, definition.data_policy, app.settings.observer_roles)
        timers = list(
            session.scalars(
                select(Timer)
                .where(Timer.instance_id == instance.id, Timer.status == "waiting")
                .order_by(Timer.due_at)
            )
        )
        return CaseSummary(instance, definition.name, dict(definition.forms), shown(instance.data), timers)


def open_tasks_of(app: Container, instance_id: str) -> list[Task]:
    with app.db.transaction() as session:
        return open_task_rows(session, instance_id)


def process_names(app: Container) -> dict[str, str]:
    """process key -> name of its latest version, for filters and labels."""
    from service.services.definitions import latest_definitions

    return {definition.key: definition.name for definition in latest_definitions(app.db)}


def visible_instance(app: Container, session: Session, principal: Principal, instance_id: str) -> Instance:
    query = select(Instance).where(
        Instance.id == instance_id, instance_visible(principal, app.settings.observer_roles)
    )
    instance = session.scalar(query)
    if instance is None:
        raise NotFound(f"流程实例 {instance_id} 不存在或您无权查看")
    return instance


def require_admin_of_case(app: Container, principal: Principal, instance_id: str, what: str) -> None:
    """An admin of the case's organisation: a scoped admin (or token) finds a case outside its
    tree as missing (404), as any other viewer would."""
    require_admin(principal, f"{what}，请联系流程管理员")
    if principal.admin_organisations is not None or principal.confined_to is not None:
        with app.db.transaction() as session:
            visible_instance(app, session, principal, instance_id)


@dataclass
class CaseDiagram:
    xml: str
    elements: dict[str, ElementState]


def diagram(app: Container, principal: Principal, instance_id: str) -> CaseDiagram:
    """The case's BPMN with what ran, what waits and what failed, per element."""
    from service.services.definitions import definition_xml

    with app.db.transaction() as session:
        instance = visible_instance(app, session, principal, instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None
        run = app.engine.load(definition.id, lambda: definition.spec, instance.state)
        elements = run.element_states()
    xml, _ = definition_xml(app.db, instance.definition_key, instance.definition_version)
    return CaseDiagram(xml, elements)


def retry(app: Container, principal: Principal, instance_id: str) -> InstanceDetail:
    """Run an instance in `error` again from its last good state, once its cause is mended (an
    account created for an assignee, a calendar entry, a new diagram version is not applied)."""
    require_admin_of_case(app, principal, instance_id, "重试出错的流程实例")

    def not_in_error(instance: Instance) -> None:
        raise Conflict(f"流程实例 {instance_id} 没有出错（状态：{instance.status}），无需重试")

    def work(unit: Advancing) -> None:
        instance, session, run = unit.instance, unit.session, unit.run
        run.advance()
        still_waiting = {view.task_id for view in run.waiting_timers()}
        failed = session.scalars(
            select(Timer).where(Timer.instance_id == instance.id, Timer.status == TimerStatus.FAILED)
        )
        fired = []
        for timer in failed:
            # Back to waiting so the save either keeps it or records it as fired now.
            timer.status, timer.last_error = TimerStatus.WAITING, None
            if timer.task_id not in still_waiting:
                fired.append(timer.task_id)
        session.flush()  # the timer sync below selects waiting rows
        previous_error, instance.status, instance.error = instance.error, InstanceStatus.RUNNING, None
        unit.save(fired=fired)
        audit.record(
            session, principal.username, "instance.retried", instance.id, previous_error=previous_error
        )

    advance(
        app,
        instance_id,
        work,
        actor=principal.username,
        doing="重试",
        statuses=(InstanceStatus.ERROR,),
        on_status=not_in_error,
        refusal="重试仍未成功：{message}；实例保持出错状态，请排除原因后再试",
    )
    return get_instance(app, principal, instance_id)
