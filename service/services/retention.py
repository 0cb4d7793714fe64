"""Retention (FH-07): finished cases and their audit are kept permanently by default. An admin
may configure a policy (XUANPIN_RETENTION_DAYS); `xuanpin retention apply` then removes the
working data of cases finished longer ago than that — the engine state, the case data, its
tasks with what was submitted in them, its timers and candidates' own-record views, and the
uploaded files it referred to that no remaining case or task refers to — unless the procedure's
diagram declares it permanent (`xuanpin:retention`, every built-in procedure does). A file no
case refers to at all (uploaded, never submitted) is left alone: it may be on its way into a form.

The audit trail is never touched: its events stay, the chain still verifies, and each purge is
itself an event on the case's chain (so the trail tells when and under which policy the
working data went)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.engine.parser import declares_permanent
from service.services import audit
from service.store.db import Database
from service.store.models import (
    CcItem,
    DeploymentFile,
    FileReference,
    Instance,
    OwnRecord,
    ProcessDefinition,
    StoredFile,
    Task,
    TaskComment,
    TaskGrant,
    Timer,
    TodoItem,
)
from service.timeutil import utcnow


@dataclass(frozen=True)
class Expired:
    instance_id: str
    definition_key: str
    definition_version: int
    business_key: str | None
    completed_at: datetime


@dataclass(frozen=True)
class RetentionReport:
    days: int | None  # None: no policy, everything is kept
    cutoff: datetime | None
    dry_run: bool
    purged: list[Expired] = field(default_factory=list)
    # Finished before the cutoff but kept: their procedure is permanent (FH-07).
    kept_permanent: list[Expired] = field(default_factory=list)


def permanent_keys(session: Session) -> set[str]:
    """Process keys any deployed version of which declares itself permanent: an older version
    deployed before the declaration is as permanent as the procedure now says it is."""
    keys: set[str] = set()
    rows = session.execute(
        select(ProcessDefinition.key, DeploymentFile.content)
        .join(
            DeploymentFile,
            (DeploymentFile.deployment_id == ProcessDefinition.deployment_id)
            & (DeploymentFile.filename == ProcessDefinition.bpmn_filename),
        )
        .order_by(ProcessDefinition.key, ProcessDefinition.version)
    )
    undecided: set[str] = set()
    for key, content in rows:
        undecided.add(key)
        if key not in keys and declares_permanent(content, key):
            keys.add(key)
    # A definition whose diagram is not stored beside it: nothing to read, so kept.
    all_keys = set(session.scalars(select(ProcessDefinition.key).distinct()))
    return keys | (all_keys - undecided)


def apply(
    db: Database,
    days: int | None,
    *,
    dry_run: bool = False,
    actor: str = "cli:retention",
    now: datetime | None = None,
) -> RetentionReport:
    """Purge (or with dry_run only list) the finished cases older than `days` days."""
    if days is None:
        return RetentionReport(None, None, dry_run)
    if days < 1:
        raise ValueError("保留期限应为正整数天数")
    cutoff = (now or utcnow()) - timedelta(days=days)
    with db.transaction(write=not dry_run) as session:
        permanent = permanent_keys(session)
        finished = session.execute(
            select(
                Instance.id,
                Instance.definition_key,
                Instance.definition_version,
                Instance.business_key,
                Instance.completed_at,
            )
            # A cancelled case has ended too (its completed_at is when it was cancelled).
            .where(Instance.status.in_(("completed", "cancelled")), Instance.completed_at < cutoff)
            .order_by(Instance.completed_at)
        ).all()
        expired = [Expired(*row) for row in finished]
        purged = [case for case in expired if case.definition_key not in permanent]
        kept = [case for case in expired if case.definition_key in permanent]
        if not dry_run:
            for case in purged:
                referenced = _files_of(session, case.instance_id)
                removed = _purge(session, case.instance_id)
                files = _purge_unreferenced_files(session, referenced)
                audit.record(
                    session,
                    actor,
                    "retention.purged",
                    case.instance_id,
                    definition_key=case.definition_key,
                    definition_version=case.definition_version,
                    business_key=case.business_key,
                    completed_at=case.completed_at.isoformat(),
                    retention_days=days,
                    tasks=removed,
                    files=files,
                )
            audit.record(
                session,
                actor,
                "retention.applied",
                retention_days=days,
                cutoff=cutoff.isoformat(),
                purged=len(purged),
                kept_permanent=len(kept),
            )
    return RetentionReport(days, cutoff, dry_run, purged, kept)


def _purge(session: Session, instance_id: str) -> int:
    """The case's working data, children first (SQLite's cascades need not be relied on)."""
    task_ids = list(session.scalars(select(Task.id).where(Task.instance_id == instance_id)))
    if task_ids:
        session.execute(delete(CcItem).where(CcItem.task_id.in_(task_ids)))
        session.execute(delete(TaskComment).where(TaskComment.task_id.in_(task_ids)))
        session.execute(delete(TaskGrant).where(TaskGrant.task_id.in_(task_ids)))
    session.execute(delete(FileReference).where(FileReference.instance_id == instance_id))
    session.execute(delete(Task).where(Task.instance_id == instance_id))
    session.execute(delete(Timer).where(Timer.instance_id == instance_id))
    session.execute(delete(OwnRecord).where(OwnRecord.instance_id == instance_id))
    # The unified to-do rows live as long as the case (GET /api/v1/todos reconciles until then).
    session.execute(delete(TodoItem).where(TodoItem.instance_id == instance_id))
    session.execute(delete(Instance).where(Instance.id == instance_id))
    return len(task_ids)


def _files_of(session: Session, instance_id: str) -> set[str]:
    """The uploaded files a case or its tasks refer to."""
    return set(session.scalars(select(FileReference.file_id).where(FileReference.instance_id == instance_id)))


def _purge_unreferenced_files(session: Session, file_ids: set[str]) -> int:
    """Removes those of the files no remaining case or task refers to; the count removed."""
    removed = 0
    for file_id in sorted(file_ids):
        if session.scalar(select(FileReference.id).where(FileReference.file_id == file_id).limit(1)) is None:
            removed += session.execute(delete(StoredFile).where(StoredFile.id == file_id)).rowcount or 0
    return removed
