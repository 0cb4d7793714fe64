"""The append-only audit trail (X-01): every use case records who did what, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.store.models import AuditEvent


def record(
    session: Session,
    actor: str,
    action: str,
    instance_id: str | None = None,
    task_id: str | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditEvent(actor=actor, action=action, instance_id=instance_id, task_id=task_id, detail=detail)
    )
