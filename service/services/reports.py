"""Reports across instances, read from the stored instance data (no workflow is loaded)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from service.container import Container
from service.domain.reports import bachelor_share
from service.services.authorization import require_overseer_or_roles
from service.services.errors import Invalid
from service.services.principal import Principal
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
    with app.db.transaction() as session:
        rows = session.scalars(
            select(Instance.data).where(
                Instance.definition_key == FENGHUA_KEY,
                Instance.status == "completed",
                Instance.completed_at >= start,
                Instance.completed_at < end,
            )
        ).all()
    hires = []
    recruitments = 0
    for data in rows:
        # The plan's post category as archived (the filing form later reuses the field name).
        archive = data.get("guidang_cailiao") or {}
        if archive.get("gangwei_leibie") != "管理技术岗":
            continue
        applicants = {a.get("shenfenzheng_hao"): a for a in archive.get("baoming", [])}
        recruitments += 1
        for hire in archive.get("luyong", []):
            if hire.get("beian_jieguo") == "不予备案":  # FH-09: a hire the centre refused to file
                continue
            hires.append({**applicants.get(hire.get("shenfenzheng_hao"), {}), **hire})
    return {"year": year, "recruitments": recruitments, **bachelor_share(hires)}
