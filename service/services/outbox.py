"""The transactional outbox of webhook events (issue 14), derived in one place.

Use cases seldom write an event themselves. Task and instance rows are watched as they are
flushed (a task row appears, completes, is cancelled, gets an assignee; an instance starts,
ends, fails) and the audit events of the transaction name the operations rows do not show
(returned, transferred, delegated, copied, read, urged); only a thrown message (its payload is
not in the audit trail) and an overdue task are queued by their use cases. Just before the
transaction commits — after the audit chain head is locked, so rows get ids in commit order —
each event is written with a stable id and a growing version, the unified to-do rows
(todo_items) are brought in line with the tasks touched, and a delivery row is added per active
subscription.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from service.domain.status import InstanceStatus, TaskStatus
from service.services import audit, todos
from service.store.models import (
    CcItem,
    Instance,
    Organisation,
    ProcessDefinition,
    Task,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from service.timeutil import to_shanghai, utcnow

EVENT_TYPES = (
    "task.created",
    "task.assigned",
    "task.completed",
    "task.cancelled",
    "task.returned",
    "task.transferred",
    "task.delegated",
    "cc.created",
    "cc.read",
    "task.urged",
    "task.overdue",
    "instance.started",
    "instance.completed",
    "instance.cancelled",
    "instance.error",
    "message.thrown",
)

# Audit actions that are events by themselves (their rows' changes do not tell them apart).
_FROM_AUDIT = {
    "task.returned": "task.returned",
    "task.transferred": "task.transferred",
    "task.delegated": "task.delegated",
    "task.cc": "cc.created",
    "cc.read": "cc.read",
    "task.urged": "task.urged",
}
# Events that may happen more than once per row in a transaction (two messages thrown at once).
_REPEATABLE = {*_FROM_AUDIT.values(), "message.thrown"}
# Order of the events of one transaction: what ended, what was done, what opened, what ended last.
_RANK = {
    "instance.started": 0,
    "task.completed": 1,
    "task.returned": 2,
    "task.transferred": 2,
    "task.delegated": 2,
    "task.cancelled": 3,
    "task.created": 4,
    "task.assigned": 5,
    "cc.created": 6,
    "cc.read": 6,
    "task.urged": 6,
    "task.overdue": 6,
    "message.thrown": 7,
    "instance.completed": 8,
    "instance.cancelled": 8,
    "instance.error": 8,
}
_INSTANCE_ENDS = {
    InstanceStatus.COMPLETED: "instance.completed",
    InstanceStatus.CANCELLED: "instance.cancelled",
    InstanceStatus.ERROR: "instance.error",
}
_CHANGES = "outbox_changes"
_AUDIT = "outbox_audit"
_MARKS = "outbox_savepoints"
# PostgreSQL: writers of outbox rows take this transaction lock in turn, so ids follow commit
# order even for a transaction that records no audit event (which would take the chain head).
_LOCK_KEY = 1_406_140_014


@dataclass
class _Change:
    type: str
    instance_id: str | None
    task_id: str | None = None
    actor: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


def queue(session: Session, type_: str, instance_id: str | None, task_id: str | None, **detail: Any) -> None:
    """An event no row change shows (a task found overdue by the sweep, a message thrown)."""
    _changes(session).append(_Change(type_, instance_id, task_id, "engine", detail))


def _changes(session: Session) -> list[_Change]:
    return session.info.setdefault(_CHANGES, [])


# Watching rows --------------------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _watch_rows(session: Session, _context: object, _instances: object) -> None:
    changes = _changes(session)
    for row in session.new:
        if isinstance(row, Task):
            changes.append(_Change("task.created", row.instance_id, row.id))
            if row.assignee:
                changes.append(_Change("task.assigned", row.instance_id, row.id))
        elif isinstance(row, Instance):
            changes.append(_Change("instance.started", row.id))
            if row.status in _INSTANCE_ENDS:  # started and ended at once (a straight-through case)
                changes.append(_Change(_INSTANCE_ENDS[row.status], row.id))
    for row in session.dirty:
        if isinstance(row, Task):
            state = inspect(row)
            if state.attrs.status.history.has_changes():
                if row.status == TaskStatus.COMPLETED:
                    changes.append(_Change("task.completed", row.instance_id, row.id, row.completed_by))
                elif row.status == TaskStatus.CANCELLED:
                    changes.append(_Change("task.cancelled", row.instance_id, row.id))
            if state.attrs.assignee.history.has_changes() and row.assignee and row.status == TaskStatus.OPEN:
                changes.append(_Change("task.assigned", row.instance_id, row.id))
        elif (
            isinstance(row, Instance)
            and inspect(row).attrs.status.history.has_changes()
            and row.status in _INSTANCE_ENDS
        ):
            changes.append(_Change(_INSTANCE_ENDS[row.status], row.id))


@event.listens_for(Session, "before_commit", insert=True)
def _take_audit_events(session: Session) -> None:
    """Runs before the audit trail writes (and forgets) the transaction's events."""
    if session.in_nested_transaction():
        return  # a savepoint: the events are taken at the outer commit
    session.info[_AUDIT] = audit.pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous: Any) -> None:
    if previous.nested:
        return  # a savepoint: _forget_since_savepoint drops its own changes only
    session.info.pop(_CHANGES, None)
    session.info.pop(_AUDIT, None)
    session.info.pop(_MARKS, None)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: Any) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[id(transaction)] = len(_changes(session))


@event.listens_for(Session, "after_soft_rollback")
def _forget_since_savepoint(session: Session, previous: Any) -> None:
    """A savepoint rolled back (a step that failed and was undone): so are its row changes."""
    mark = session.info.get(_MARKS, {}).pop(id(previous), None)
    if previous.nested and mark is not None:
        del _changes(session)[mark:]


# Writing events -------------------------------------------------------------------------------


@event.listens_for(Session, "before_commit")
def _write_events(session: Session) -> None:
    """Registered after the audit trail's own before_commit (this module imports it), so the
    chain head is already locked when the events take their ids. A savepoint's commit writes
    nothing: the advisory lock and the chain head would be held for the rest of the transaction
    (several instances fired together, unit_of_work.advance_together)."""
    if session.in_nested_transaction():
        return
    recorded = session.info.pop(_AUDIT, [])
    session.flush()
    changes = session.info.pop(_CHANGES, [])
    for item in recorded:
        kind = _FROM_AUDIT.get(item.action)
        if kind is not None:
            changes.append(_Change(kind, item.instance_id, item.task_id, item.actor, dict(item.detail)))
    actors = {(item.task_id, item.action): item.actor for item in recorded if item.task_id}
    # An instance's end by a person's act (a cancellation) names who and why.
    acts = {(item.instance_id, item.action): item for item in recorded if not item.task_id}
    if not changes:
        return
    changes = [change for change in _settled(changes) if _still_there(session, change)]
    if not changes:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    now = utcnow()
    version = max(_ms(now), (session.scalar(select(func.max(WebhookEvent.version))) or 0) + 1)
    hooks = [hook for hook in session.scalars(select(Webhook).where(Webhook.active.is_(True)))]
    context = _Context(session)
    synced: dict[str, list[dict[str, Any]]] = {}
    sent: dict[int, set[tuple[Any, ...]]] = {}
    for change in changes:
        act = acts.get((change.instance_id, change.type)) if change.task_id is None else None
        if change.actor is None and act is not None:
            change.actor = act.actor
            change.detail = {key: act.detail[key] for key in ("reason",) if key in act.detail}
        if change.actor is None:
            change.actor = actors.get((change.task_id, _AUDIT_OF.get(change.type, "")), "engine")
        data = context.describe(change)
        if change.type in ("cc.created", "cc.read") and change.task_id:
            data["todos"] = todos.sync_cc(session, context.task(change.task_id), context, version)
        if change.task_id:
            task = context.task(change.task_id)
            if change.task_id not in synced:
                # The to-do rows follow the task as it stands at the end of the transaction (all
                # is flushed): synced once, at the task's first event, and carried by each of its
                # events, so a subscriber to any one of them (task.transferred alone) learns them.
                synced[change.task_id] = todos.sync(session, task, context, version)
            carried = synced[change.task_id]
            if change.type in _REMINDERS:
                # A reminder changes no to-do: it names the ones it is about, as they stand.
                carried = todos.merge(carried, todos.pending(session, task, context))
            data["todos"] = data.get("todos", []) + carried
        event_id = f"evt_{uuid.uuid4().hex}"
        payload = {
            "id": event_id,
            "type": change.type,
            "version": version,
            "timestamp": to_shanghai(now).isoformat(),
            "data": data,
        }
        row_id = session.execute(
            insert(WebhookEvent)
            .values(
                event_id=event_id,
                type=change.type,
                instance_id=change.instance_id,
                task_id=change.task_id,
                version=version,
                payload=payload,
                created_at=now,
            )
            .returning(WebhookEvent.id)
        ).scalar_one()
        _fan_out(session, hooks, row_id, change, now, data.get("todos") or [], sent)
        version += 1


def _still_there(session: Session, change: _Change) -> bool:
    if change.task_id is not None:
        return session.get(Task, change.task_id) is not None
    return change.instance_id is None or session.get(Instance, change.instance_id) is not None


_REMINDERS = ("task.urged", "task.overdue")
_AUDIT_OF = {"task.completed": "task.completed", "task.assigned": "task.claimed"}


def _settled(changes: list[_Change]) -> list[_Change]:
    """One event per fact, in a stable order: a row flushed twice is reported once."""
    seen: set[tuple[str, str | None, str | None]] = set()
    unique = []
    for position, change in enumerate(changes):
        key = (change.type, change.instance_id, change.task_id)
        if key in seen and change.type not in _REPEATABLE:
            continue
        seen.add(key)
        change.seq = position
        unique.append(change)
    return sorted(unique, key=lambda c: (_RANK.get(c.type, 9), c.seq))


def _fan_out(
    session: Session,
    hooks: list[Webhook],
    row_id: int,
    change: _Change,
    now: datetime,
    todo_rows: list[dict[str, Any]],
    sent: dict[int, set[tuple[Any, ...]]],
) -> None:
    rows = [
        {
            "webhook_id": hook.id,
            "event_row_id": row_id,
            "ordering_key": change.instance_id or "",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "retry_from": now,
            "created_at": now,
        }
        for hook in hooks
        if change.type in (hook.events or []) and _new_to(hook, todo_rows, sent)
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)


def _new_to(hook: Webhook, todo_rows: list[dict[str, Any]], sent: dict[int, set[tuple[Any, ...]]]) -> bool:
    """An e-cology subscription only carries to-do changes: the second event of a task in one
    transaction (a transfer is also an assignment) would send the same receivets again, which
    e-cology may refuse as stale; it is not queued for it."""
    if hook.format != "ecology":
        return True
    keys = {(t["task_id"], t["receiver"], t["kind"], t["version"]) for t in todo_rows}
    seen = sent.setdefault(hook.id, set())
    if keys and keys <= seen:
        return False
    seen |= keys
    return True


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class _Context:
    """Rows the events describe, read once per transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._process_names: dict[int, str] = {}

    def task(self, task_id: str) -> Task | None:
        return self.session.get(Task, task_id)

    def instance(self, instance_id: str | None) -> Instance | None:
        return self.session.get(Instance, instance_id) if instance_id else None

    def process_name(self, instance: Instance) -> str:
        if instance.definition_id not in self._process_names:
            name = self.session.scalar(
                select(ProcessDefinition.name).where(ProcessDefinition.id == instance.definition_id)
            )
            self._process_names[instance.definition_id] = name or instance.definition_key
        return self._process_names[instance.definition_id]

    def organisation(self, instance: Instance) -> dict[str, str] | None:
        """The case's organisation, so an OA serving several enterprises routes the event."""
        org = self.session.get(Organisation, instance.organisation_id) if instance.organisation_id else None
        return {"code": org.code, "name": org.name} if org is not None else None

    def describe(self, change: _Change) -> dict[str, Any]:
        instance = self.instance(change.instance_id)
        data: dict[str, Any] = {"actor": change.actor}
        if instance is not None:
            data["instance"] = {
                "id": instance.id,
                "definition_key": instance.definition_key,
                "definition_version": instance.definition_version,
                "process_name": self.process_name(instance),
                "business_key": instance.business_key,
                "status": instance.status,
                "started_by": instance.started_by,
                "error": instance.error if change.type == "instance.error" else None,
                "organisation": self.organisation(instance),
            }
        task = self.task(change.task_id) if change.task_id else None
        if task is not None:
            data["task"] = {
                "id": task.id,
                "name": task.name,
                "title": task.title,
                "status": task.status,
                "role": task.role,
                "assignee": task.assignee,
                "candidate_roles": task.candidate_roles,
                "candidate_users": task.candidate_users,
                "created_at": _iso(task.created_at),
                "due_at": _iso(task.due_at),
                "completed_at": _iso(task.completed_at),
                "completed_by": task.completed_by,
                "links": todos.links(task.id),
            }
        if change.detail:
            data["detail"] = change.detail
        if change.type in ("cc.created", "cc.read") and task is not None:
            data["cc"] = [
                {"recipient": item.recipient, "status": item.status, "sent_by": item.sent_by}
                for item in self.session.scalars(select(CcItem).where(CcItem.task_id == task.id))
            ]
        return data


def _iso(value: datetime | None) -> str | None:
    return to_shanghai(value).isoformat() if value is not None else None
