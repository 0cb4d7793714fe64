"""Reports across instances, read from the stored instance data (no workflow is loaded)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.container import Container
from service.domain.reports import bachelor_share
from service.services import organisations
from service.services.authorization import require_overseer_or_roles
from service.services.errors import Invalid
from service.services.principal import Principal
from service.services.visibility import overseen_organisations
from service.store.models import Instance
from service.timeutil import SHANGHAI

FENGHUA_KEY = "fenghua_zhaopin"
FENGHUA_READERS = frozenset({"区国资管理中心"})


def fenghua_bachelor_share(app: Container, principal: Principal, year: int) -> dict[str, Any]:
    """FH-10: the year's management/technical hires of completed 奉化 recruitments."""
    require_overseer_or_roles(
        principal, app.settings.observer_roles, sorted(FENGHUA_READERS), "查看年度招聘学历结构"
    )
    if not 2000 <= year <= 2100:
        raise Invalid(f"年份 {year} 超出范围", errors={"year": ["应在 2000–2100 年之间"]})
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    query = select(Instance.organisation_id, Instance.data).where(
        Instance.definition_key == FENGHUA_KEY,
        Instance.status == "completed",
        Instance.completed_at >= start,
        Instance.completed_at < end,
    )
    with app.db.transaction() as session:
        reach = _readers_reach(session, principal, app.settings.observer_roles)
        if reach is not None:
            query = query.where(Instance.organisation_id.in_(sorted(reach)))
        rows = session.execute(query).all()
        shown = organisations.names(session, {org for org, _ in rows})
    per_organisation: dict[int, tuple[int, list[dict[str, Any]]]] = {}
    for organisation_id, data in rows:
        counted = _management_hires(data)
        if counted is None:
            continue
        recruitments, hires = per_organisation.get(organisation_id, (0, []))
        per_organisation[organisation_id] = (recruitments + 1, hires + counted)
    every_hire = [hire for _, hires in per_organisation.values() for hire in hires]
    return {
        "year": year,
        "recruitments": sum(count for count, _ in per_organisation.values()),
        **bachelor_share(every_hire),
        "by_organisation": [
            {
                "organisation": shown[org].code,
                "organisation_name": shown[org].name,
                "recruitments": count,
                **bachelor_share(hires),
            }
            for org, (count, hires) in sorted(per_organisation.items(), key=lambda item: shown[item[0]].path)
        ],
    }


def _readers_reach(
    session: Session, principal: Principal, observer_roles: tuple[str, ...]
) -> frozenset[int] | None:
    """The centre reads the enterprises below it; an observer what they oversee; None: all."""
    overseen = overseen_organisations(principal, observer_roles)
    if overseen is None:
        return None
    return overseen | organisations.subtree_ids(session, principal.organisations_of(FENGHUA_READERS))


def _management_hires(data: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The filed hires of a completed management/technical recruitment; None for another post."""
    # The plan's post category as archived (the filing form later reuses the field name).
    archive = data.get("guidang_cailiao") or {}
    if archive.get("gangwei_leibie") != "管理技术岗":
        return None
    applicants = {a.get("shenfenzheng_hao"): a for a in archive.get("baoming", [])}
    return [
        {**applicants.get(hire.get("shenfenzheng_hao"), {}), **hire}
        for hire in archive.get("luyong", [])
        if hire.get("beian_jieguo") != "不予备案"  # FH-09: a hire the centre refused to file
    ]
