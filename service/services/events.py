"""Messages processes threw for the outside world, read by OA systems in id order."""

from __future__ import annotations

from sqlalchemy import select

from service.container import Container
from service.services.authorization import require
from service.services.principal import Principal
from service.services.visibility import overseen_organisations, sees_everything
from service.store.models import Instance, OutboxEvent


def list_events(app: Container, principal: Principal, after: int, limit: int) -> list[OutboxEvent]:
    """Events with an id greater than `after`, oldest first: a consumer keeps the last id it saw."""
    require(
        principal.is_system or sees_everything(principal, app.settings.observer_roles),
        "流程事件供接入系统读取：请使用系统令牌（管理员可用 POST /api/v1/tokens 签发）",
    )
    # A system token reads every organisation's events unless scoped; an overseer those of the
    # organisations overseen.
    reach = (
        principal.confined_to
        if principal.is_system
        else overseen_organisations(principal, app.settings.observer_roles)
    )
    query = select(OutboxEvent).where(OutboxEvent.id > after)
    if reach is not None:
        query = query.join(Instance, Instance.id == OutboxEvent.instance_id).where(
            Instance.organisation_id.in_(sorted(reach))
        )
    with app.db.transaction() as session:
        return list(session.scalars(query.order_by(OutboxEvent.id).limit(limit)))
