"""X-03: each candidate sees their own applications and results, and nobody else's.

Whenever an instance moves, the records its process declares are re-read from the instance
data and kept per candidate (keyed by the digest of the ID number); a candidate's list is
then one indexed query on their own key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.container import Container
from service.domain.own_records import OwnRecordsSpec, own_records
from service.security import id_number_digest
from service.services.authorization import require
from service.services.pagination import Page
from service.services.principal import Principal
from service.store.models import Instance, OwnRecord, ProcessDefinition


@dataclass(frozen=True)
class OwnApplication:
    instance_id: str
    definition_key: str
    definition_name: str
    business_key: str | None
    status: str
    person_name: str
    applications: list[dict[str, Any]]
    results: list[dict[str, Any]]
    updated_at: datetime


def refresh(
    session: Session, instance: Instance, previous_data: Mapping[str, Any] | None, now: datetime
) -> None:
    """Bring the instance's per-candidate records in line with its data (unless the step left
    every declared variable as it was, which most steps do)."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    if definition is None or not definition.own_records:
        return
    spec = OwnRecordsSpec.from_json(definition.own_records)
    data, before = instance.data, previous_data or {}
    if all(data.get(v) == before.get(v) for v in spec.variables):
        return
    wanted = {id_number_digest(id_number): view for id_number, view in own_records(data, spec).items()}
    existing = {
        row.id_number_digest: row
        for row in session.scalars(select(OwnRecord).where(OwnRecord.instance_id == instance.id))
    }
    for digest, view in wanted.items():
        stored = {"applications": view["applications"], "results": view["results"]}
        name = view["name"][:100]
        row = existing.get(digest)
        if row is None:
            session.add(
                OwnRecord(
                    instance_id=instance.id,
                    id_number_digest=digest,
                    person_name=name,
                    view=stored,
                    updated_at=now,
                )
            )
        elif row.view != stored or row.person_name != name:
            row.view, row.person_name, row.updated_at = stored, name, now
    gone = set(existing) - set(wanted)
    if gone:  # an application replaced under another ID number, or withdrawn
        session.execute(
            delete(OwnRecord).where(
                OwnRecord.instance_id == instance.id, OwnRecord.id_number_digest.in_(gone)
            )
        )


def list_mine(app: Container, principal: Principal, page: int, per_page: int) -> Page[OwnApplication]:
    """The caller's own applications across all procedures, most recently changed first."""
    require(
        principal.id_number_digest is not None,
        "您的账号尚未关联身份证号，无法查看报名和成绩：请联系组织报名的部门核实身份后由管理员关联",
    )
    query = (
        select(OwnRecord, Instance, ProcessDefinition.name)
        .join(Instance, Instance.id == OwnRecord.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == Instance.definition_id)
        .where(OwnRecord.id_number_digest == principal.id_number_digest)
    )
    with app.db.transaction() as session:
        total = (
            session.scalar(
                select(func.count()).where(OwnRecord.id_number_digest == principal.id_number_digest)
            )
            or 0
        )
        rows = session.execute(
            query.order_by(OwnRecord.updated_at.desc(), OwnRecord.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        items = [
            OwnApplication(
                instance_id=instance.id,
                definition_key=instance.definition_key,
                definition_name=name,
                business_key=instance.business_key,
                status=instance.status,
                person_name=record.person_name,
                applications=record.view["applications"],
                results=record.view["results"],
                updated_at=record.updated_at,
            )
            for record, instance, name in rows
        ]
        return Page(items, total, page, per_page)
