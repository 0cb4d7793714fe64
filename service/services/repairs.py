"""Operator repairs of cases an engine defect left inconsistent, each one instance per transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from service.container import Container
from service.services import audit
from service.services.progress import save_progress
from service.store.models import Instance, ProcessDefinition

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
                .where(
                    Instance.status.in_(("running", "error")), Instance.state.contains(_MULTI_INSTANCE_MARK)
                )
                .order_by(Instance.created_at)
            )
        )
    repaired = []
    for instance_id in candidates:
        with app.db.transaction(write=True) as session:
            instance = session.scalar(select(Instance).where(Instance.id == instance_id).with_for_update())
            if instance is None or instance.status not in ("running", "error"):
                continue
            definition = session.get(ProcessDefinition, instance.definition_id)
            assert definition is not None
            run = app.engine.load(definition.id, lambda d=definition: d.spec, instance.state)
            fixes = run.repair_multi_instance()
            if not fixes:
                continue
            changes = [
                f"步骤 {fix.element_id} 的 {fix.variable}："
                f"{fix.placed} 份结果归位，删除 {fix.removed} 个多余条目"
                for fix in fixes
            ]
            repaired.append(
                RepairedInstance(instance.id, instance.definition_key, instance.business_key, changes)
            )
            if dry_run:  # the run was mended in memory only; nothing was written
                continue
            save_progress(app, session, instance, run)
            audit.record(
                session, actor, "instance.repaired", instance.id, repair="multi-instance", changes=changes
            )
    return repaired
