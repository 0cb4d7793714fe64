"""Message correlation (issue 14): an outside event ("材料已补齐", "省国资委意见已出") reaches
the instances waiting for it, or starts one at a message start event.

Only integrations (system tokens) and admins send messages: a message moves a case past steps
no person of it did. Each reached instance is advanced through unit_of_work.advance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from service.container import Container
from service.services import audit
from service.services.authorization import require
from service.services.errors import Conflict, NotFound
from service.services.instances import check_data, check_size, reserved_data_names
from service.services.instances import start as start_instance
from service.services.principal import Principal
from service.services.unit_of_work import Advancing, advance
from service.store.models import Instance, MessageWait, ProcessDefinition


@dataclass(frozen=True)
class Reached:
    instance_id: str
    definition_key: str
    business_key: str | None
    status: str
    started: bool  # a message start event created the instance


def correlate(
    app: Container,
    principal: Principal,
    name: str,
    business_key: str | None,
    correlation_keys: dict[str, Any] | None,
    data: dict[str, Any] | None,
    all_instances: bool = False,
) -> list[Reached]:
    """Deliver message `name` to the running instances waiting for it whose business key and
    case data (`correlation_keys`: variable -> value) match. None waiting: the latest version of
    a process whose message start event has this name is started instead; nothing at all: 404.
    More than one and not `all_instances`: 409, nothing delivered."""
    require(
        principal.is_system or principal.is_admin,
        "消息由接入系统发送：请使用系统令牌（管理员可用 POST /api/v1/tokens 签发）",
    )
    data = check_data(data, reserved_data_names(app))
    check_size(app, data)
    keys = check_data(correlation_keys, field="correlation_keys")
    targets = _waiting(app, name, business_key, keys, principal.confined_to)
    if not targets:
        return [_start_by_message(app, principal, name, business_key, data)]
    if len(targets) > 1 and not all_instances:
        shown = "、".join(f"{key}（{bk or '无业务编号'}）" for _id, key, bk in targets[:5])
        raise Conflict(
            f"消息「{name}」可送达 {len(targets)} 个实例：{shown}；请用 business_key 或 "
            "correlation_keys 指明其一，或设 all=true 送达全部",
            instances=[instance_id for instance_id, _key, _bk in targets],
        )
    reached = []
    for instance_id, _key, _bk in targets:
        reached.append(_deliver(app, principal, instance_id, name, data))
    return reached


def _waiting(
    app: Container, name: str, business_key: str | None, keys: dict[str, Any], reach: frozenset[int] | None
) -> list[tuple[str, str, str | None]]:
    """`reach`: an organisation-scoped token reaches only the cases of its tree (issue 12)."""
    with app.db.transaction() as session:
        query = (
            select(Instance.id, Instance.definition_key, Instance.business_key, Instance.data)
            .join(MessageWait, MessageWait.instance_id == Instance.id)
            .where(MessageWait.name == name, Instance.status == "running")
            .order_by(Instance.created_at, Instance.id)
        )
        if business_key is not None:
            query = query.where(Instance.business_key == business_key)
        if reach is not None:
            query = query.where(Instance.organisation_id.in_(sorted(reach)))
        rows = session.execute(query).all()
    return [
        (row.id, row.definition_key, row.business_key)
        for row in rows
        if all((row.data or {}).get(key) == value for key, value in keys.items())
    ]


def _deliver(
    app: Container, principal: Principal, instance_id: str, name: str, data: dict[str, Any]
) -> Reached:
    def work(unit: Advancing) -> Reached:
        caught = unit.run.receive_message(name, data)
        if not caught:  # it moved on since it was found (another message, a person's step)
            raise Conflict(f"流程实例 {instance_id} 已不再等待消息「{name}」，请重新发送")
        audit.record(
            unit.session, principal.username, "message.received", instance_id, name=name, caught=caught
        )
        unit.save()
        return Reached(
            instance_id, unit.instance.definition_key, unit.instance.business_key, unit.instance.status, False
        )

    return advance(
        app,
        instance_id,
        work,
        actor=principal.username,
        doing=f"接收消息「{name}」",
        refusal="消息送达后流程无法继续：{message}；实例未变更，请联系流程管理员",
    )


def _start_by_message(
    app: Container, principal: Principal, name: str, business_key: str | None, data: dict[str, Any]
) -> Reached:
    from service.services.definitions import latest_definitions

    for definition in latest_definitions(app.db):
        if name in app.engine.start_messages(definition.id, lambda d=definition.id: _spec(app, d)):
            instance = start_instance(app, principal, definition.key, business_key, {}, message=(name, data))
            return Reached(instance.id, instance.definition_key, instance.business_key, instance.status, True)
    where = f"业务编号 {business_key} 的" if business_key else ""
    raise NotFound(
        f"没有{where}运行中实例在等待消息「{name}」，也没有以该消息启动的流程；请核对消息名称和业务编号"
    )


def _spec(app: Container, definition_id: int) -> str:
    """A version's spec text, read only when the engine has not cached it."""
    with app.db.transaction() as session:
        return session.scalar(select(ProcessDefinition.spec).where(ProcessDefinition.id == definition_id))
