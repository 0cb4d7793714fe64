"""The unified to-do (统一待办) of OA systems: one row per task and person, kept by the outbox.

A task offered to a role is a to-do of every active member until one of them claims it; the
others' to-dos are then done (gone from their OA inbox). A copied task (抄送) is a 待阅 (cc),
viewed once read. Each change takes the event's version (a millisecond timestamp that only
grows), so an OA system keeps the newest state of each to-do whatever order updates arrive in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.services import organisations
from service.store.models import CcItem, Task, TodoItem, UserContact, inbox_holders, role_holder
from service.timeutil import to_shanghai, utcnow

if TYPE_CHECKING:
    from service.services.outbox import _Context


def links(task_id: str) -> dict[str, str]:
    """The task page, for a PC browser and for the OA's mobile app (the page is responsive);
    relative here, made absolute with XUANPIN_PUBLIC_BASE_URL when sent."""
    return {"pc": f"/tasks/{task_id}", "mobile": f"/tasks/{task_id}?client=mobile"}


def receivers(session: Session, task: Task) -> set[str]:
    """The people in whose inbox the open task is: its assignee, or its named users and the
    active members of its roles."""
    holders = inbox_holders(task)
    users = {holder[5:] for holder in holders if holder.startswith("user:")}
    for grant in task.grants:
        if grant.kind == "role" and role_holder(grant.value, grant.organisation_id) in holders:
            users |= set(organisations.role_holders(session, grant.value, grant.organisation_id))
    return users


def sync(session: Session, task: Task | None, context: _Context, version: int) -> list[dict[str, Any]]:
    """Bring the task's to-do rows in line with who holds it now; returns the rows changed."""
    if task is None:
        return []
    wanted = receivers(session, task)
    rows = {
        row.receiver: row
        for row in session.scalars(
            select(TodoItem).where(TodoItem.task_id == task.id, TodoItem.kind == "todo")
        )
    }
    changed = []
    for receiver, row in rows.items():
        state = "pending" if receiver in wanted else "done"
        if row.state != state:
            row.state, row.version = state, version
            if state == "pending":
                row.received_at = utcnow()
            changed.append(row)
    for receiver in sorted(wanted - rows.keys()):
        row = _new_row(task, receiver, "todo", "pending", context, version)
        session.add(row)
        changed.append(row)
    return describe(session, changed, context)


def sync_cc(session: Session, task: Task | None, context: _Context, version: int) -> list[dict[str, Any]]:
    """The task's 待阅 rows, one per recipient, viewed once the copy is read."""
    if task is None:
        return []
    rows = {
        row.receiver: row
        for row in session.scalars(select(TodoItem).where(TodoItem.task_id == task.id, TodoItem.kind == "cc"))
    }
    changed = []
    for item in session.scalars(select(CcItem).where(CcItem.task_id == task.id).order_by(CcItem.id)):
        viewed = item.status == "read"
        row = rows.get(item.recipient)
        if row is None:
            row = _new_row(task, item.recipient, "cc", "cc", context, version)
            row.viewed = viewed
            session.add(row)
            rows[item.recipient] = row
            changed.append(row)
        elif row.viewed != viewed:
            row.viewed, row.version = viewed, version
            changed.append(row)
    return describe(session, changed, context)


def pending(session: Session, task: Task | None, context: _Context) -> list[dict[str, Any]]:
    """The task's open to-dos as they stand (an urge or an overdue notice is about them)."""
    if task is None:
        return []
    rows = session.scalars(
        select(TodoItem)
        .where(TodoItem.task_id == task.id, TodoItem.kind == "todo", TodoItem.state == "pending")
        .order_by(TodoItem.id)
    )
    return describe(session, list(rows), context)


def merge(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Both lists, one item per (receiver, kind): the first list's wins."""
    seen = {(item["receiver"], item["kind"]) for item in first}
    return first + [item for item in second if (item["receiver"], item["kind"]) not in seen]


def _new_row(task: Task, receiver: str, kind: str, state: str, context: _Context, version: int) -> TodoItem:
    instance = context.instance(task.instance_id)
    process_name = context.process_name(instance) if instance is not None else task.definition_key
    title = f"{process_name}：{task.title}" + (f"（{task.business_key}）" if task.business_key else "")
    now = utcnow()
    return TodoItem(
        task_id=task.id,
        instance_id=task.instance_id,
        receiver=receiver,
        kind=kind,
        state=state,
        viewed=False,
        title=title[:500],
        process_name=process_name[:300],
        step_name=task.title[:300],
        creator=instance.started_by if instance is not None else "",
        created_at=task.created_at or now,
        received_at=now,
        due_at=task.due_at,
        version=version,
    )


def describe(session: Session, rows: list[TodoItem], context: _Context | None = None) -> list[dict[str, Any]]:
    """What an OA to-do needs, per row."""
    if not rows:
        return []
    names = {row.receiver for row in rows} | {row.creator for row in rows}
    oa_ids = dict(
        session.execute(
            select(UserContact.username, UserContact.oa_user_id).where(UserContact.username.in_(names))
        ).all()
    )
    result = []
    for row in rows:
        instance = context.instance(row.instance_id) if context is not None else None
        task_links = links(row.task_id)
        result.append(
            {
                "task_id": row.task_id,
                "instance_id": row.instance_id,
                "receiver": row.receiver,
                "receiver_oa_id": oa_ids.get(row.receiver) or row.receiver,
                "kind": row.kind,
                "state": row.state,
                "viewed": row.viewed,
                "finished": instance is not None and instance.status != "running",
                "title": row.title,
                "process_name": row.process_name,
                "step_name": row.step_name,
                "creator": row.creator,
                "creator_oa_id": oa_ids.get(row.creator) or row.creator,
                "created_at": to_shanghai(row.created_at).isoformat(),
                "received_at": to_shanghai(row.received_at).isoformat(),
                "due_at": to_shanghai(row.due_at).isoformat() if row.due_at else None,
                "pc_url": task_links["pc"],
                "app_url": task_links["mobile"],
                "version": row.version,
            }
        )
    return result
