"""Saving an instance after the engine moved it: state, status, and the task rows the inbox reads."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.engine.runtime import UserTaskView, WorkflowRun
from service.store.models import Instance, Task, TaskGrant
from service.timeutil import SHANGHAI, utcnow


def new_instance_id() -> str:
    return str(uuid4())


def save_progress(session: Session, instance: Instance, run: WorkflowRun) -> list[Task]:
    """Write the run back and materialise its READY user tasks. Returns the open task rows."""
    now = utcnow()
    instance.state = run.dump()
    instance.data = run.data
    instance.updated_at = now
    if run.completed:
        instance.status = "completed"
        instance.completed_at = now
    ready = {view.id: view for view in run.ready_user_tasks()}
    open_rows = list(
        session.scalars(select(Task).where(Task.instance_id == instance.id, Task.status == "open"))
    )
    still_open = []
    for row in open_rows:
        if row.status != "open":  # completed by the caller in this same transaction
            continue
        if row.id in ready:
            still_open.append(row)
            del ready[row.id]
        else:
            # Withdrawn by the engine (interrupting event, cancelled branch, ended instance).
            row.status = "cancelled"
            row.completed_at = now
    for view in ready.values():
        row = _task_row(instance, view, now)
        session.add(row)
        still_open.append(row)
    return still_open


def _task_row(instance: Instance, view: UserTaskView, now: datetime) -> Task:
    roles = view.candidate_groups or ([view.lane] if view.lane else [])
    grants = [TaskGrant(kind="role", value=role) for role in dict.fromkeys(roles)]
    grants += [TaskGrant(kind="user", value=user) for user in dict.fromkeys(view.candidate_users)]
    return Task(
        id=view.id,
        instance_id=instance.id,
        definition_key=instance.definition_key,
        business_key=instance.business_key,
        name=view.name,
        title=view.title,
        role=roles[0] if roles else None,
        assignee=view.assignee,
        form_key=view.form_key,
        documentation=view.documentation,
        status="open",
        created_at=now,
        due_at=_literal_due(view.due_date),
        grants=grants,
    )


def _literal_due(value: str | None) -> datetime | None:
    """A due date written as an ISO date-time; a date-time without offset is Beijing time."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().strip("'\""))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed
