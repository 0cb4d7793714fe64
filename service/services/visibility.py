"""Who may see what: query filters shared by the inbox and the instance list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from service.domain.declarations import DataPolicy, without_personal_fields
from service.services.principal import Principal
from service.store.models import Instance, Task, TaskGrant


def sees_everything(principal: Principal, observer_roles: tuple[str, ...]) -> bool:
    return principal.is_admin or principal.has_any_role(set(observer_roles))


def _granted(principal: Principal) -> ColumnElement[bool]:
    granted_role = (
        exists().where(
            TaskGrant.task_id == Task.id,
            TaskGrant.kind == "role",
            TaskGrant.value.in_(sorted(principal.roles)),
        )
        if principal.roles
        else false()
    )
    granted_user = exists().where(
        TaskGrant.task_id == Task.id, TaskGrant.kind == "user", TaskGrant.value == principal.username
    )
    return or_(granted_role, granted_user)


def offered_to(principal: Principal) -> ColumnElement[bool]:
    """The inbox: tasks assigned to the principal, or unassigned and offered to a role or to them;
    not one submitted and waiting for its signers (加签)."""
    held = Task.signoff.is_(None)
    return and_(
        held, or_(Task.assignee == principal.username, and_(Task.assignee.is_(None), _granted(principal)))
    )


# Grants to read a task, never to act on it: copied (抄送), delegated (委派) or to sign (加签).
READ_ONLY_GRANTS = ("cc", "delegate", "signer")


def _copied(principal: Principal) -> ColumnElement[bool]:
    return exists().where(
        TaskGrant.task_id == Task.id,
        TaskGrant.kind.in_(READ_ONLY_GRANTS),
        TaskGrant.value == principal.username,
    )


def task_visible(principal: Principal) -> ColumnElement[bool]:
    """Tasks the principal may read: offered to them (even if a colleague claimed it), done by
    them, delegated by them (委派) or copied to them (抄送, read-only)."""
    return or_(
        Task.assignee == principal.username,
        _granted(principal),
        Task.completed_by == principal.username,
        Task.owner == principal.username,
        _copied(principal),
    )


def instance_visible(principal: Principal) -> ColumnElement[bool]:
    involved = exists(select(Task.id).where(Task.instance_id == Instance.id, task_visible(principal)))
    return or_(Instance.started_by == principal.username, involved)


def can_work_on(principal: Principal, task: Task) -> bool:
    if task.assignee is not None:
        return task.assignee == principal.username
    return principal.has_any_role(set(task.candidate_roles)) or principal.username in task.candidate_users


def can_see_task(principal: Principal, task: Task, observer_roles: tuple[str, ...]) -> bool:
    return (
        sees_everything(principal, observer_roles)
        or can_work_on(principal, task)
        or principal.has_any_role(set(task.candidate_roles))
        or principal.username in task.candidate_users
        or task.completed_by == principal.username
        or task.owner == principal.username
        or any(g.kind in READ_ONLY_GRANTS and g.value == principal.username for g in task.grants)
    )


def personal_data_view(
    principal: Principal, policy_json: dict | None, observer_roles: tuple[str, ...]
) -> Callable[[Any], Any]:
    """X-05: what this principal may read of a case's data. The organising office and the
    deciding body (the process's `xuanpin:personalDataRoles`), observers and admins read it all;
    everyone else (a judge, an examiner) reads it without the personal fields."""
    policy = DataPolicy.from_json(policy_json)
    if (
        policy is None
        or sees_everything(principal, observer_roles)
        or principal.has_any_role(set(policy.personal_data_roles))
    ):
        return lambda value: value
    return lambda value: without_personal_fields(value, policy.personal_fields)
