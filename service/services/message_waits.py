"""The index of which running instance waits for which outside message, kept on every save."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from service.engine.runtime import WorkflowRun
from service.store.models import Instance, MessageWait
from service.timeutil import utcnow


def sync_message_waits(session: Session, instance: Instance, run: WorkflowRun) -> None:
    """Rows for exactly the messages the engine waits for now (none once it has ended)."""
    waiting = set(run.waiting_messages()) if instance.status == "running" else set()
    existing = {row.name: row for row in instance_waits(session, instance.id)}
    for name, row in existing.items():
        if name not in waiting:
            session.delete(row)
    now = utcnow()
    for name in sorted(waiting - existing.keys()):
        session.add(
            MessageWait(
                instance_id=instance.id,
                name=name,
                definition_key=instance.definition_key,
                business_key=instance.business_key,
                created_at=now,
            )
        )


def instance_waits(session: Session, instance_id: str) -> list[MessageWait]:
    if instance_id is None:
        return []
    return list(session.query(MessageWait).filter(MessageWait.instance_id == instance_id))


def clear_waits(session: Session, instance_id: str) -> None:
    session.execute(delete(MessageWait).where(MessageWait.instance_id == instance_id))
