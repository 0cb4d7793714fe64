"""Operator repairs of cases an engine defect left inconsistent, each one instance per transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from service.container import Container
from service.domain.status import InstanceStatus
from service.services import audit
from service.services.unit_of_work import Advancing, advance
from service.store.models import Instance

_REPAIRABLE = (InstanceStatus.RUNNING, InstanceStatus.ERROR)
# A case that never reached a multi-instance has no child carrying an index in its state.
_MULTI_INSTANCE_MARK = '"key_or_index"'


@dataclass(frozen=True)
class RepairedInstance:
    instance_id: str
    definition_key: str
    business_key: str | None
    changes: list[str]


def repair_multi_instance(app: Container, actor: str, dry_run: bool = False) -> list[RepairedInstance]:
    """Put each judge's/examiner's sheet back at its own place in multi-instance collections that
    workers before the fix appended to (issue 8: 「计算面试得分」 failing with mixed lists)."""
    with app.db.transaction() as session:
        candidates = list(
            session.scalars(
                select(Instance.id)
                .where(Instance.status.in_(_REPAIRABLE), Instance.state.contains(_MULTI_INSTANCE_MARK))
                .order_by(Instance.created_at)
            )
        )
    repaired = []
    for instance_id in candidates:

        def work(unit: Advancing) -> RepairedInstance | None:
            fixes = unit.run.repair_multi_instance()
            if not fixes:
                return None
            changes = [
                f"步骤 {fix.element_id} 的 {fix.variable}："
                f"{fix.placed} 份结果归位，删除 {fix.removed} 个多余条目"
                for fix in fixes
            ]
            instance = unit.instance
            if not dry_run:  # otherwise the run was mended in memory only; nothing is written
                unit.save()
                audit.record(
                    unit.session,
                    actor,
                    "instance.repaired",
                    instance.id,
                    repair="multi-instance",
                    changes=changes,
                )
            return RepairedInstance(instance.id, instance.definition_key, instance.business_key, changes)

        result = advance(
            app,
            instance_id,
            work,
            actor=actor,
            doing="修复多实例数据",
            statuses=_REPAIRABLE,
            on_status=lambda _instance: None,
        )
        if result is not None:
            repaired.append(result)
    return repaired
