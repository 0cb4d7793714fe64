"""Who may see what: query filters shared by the inbox and the instance list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from service.domain.declarations import DataPolicy, without_personal_fields
from service.services.principal import Principal
from service.store.models import Instance, Task, TaskGrant

EVERYWHERE = None  # overseen_organisations: no organisation is out of reach


def overseen_organisations(principal: Principal, observer_roles: tuple[str, ...]) -> frozenset[int] | None:
    """Where the principal reads every case: a global admin everywhere (None); a scoped admin
    their tree; an observer (纪检监督) the organisations of their observer grants (with the
    subordinates where granted). An organisation-scoped token never beyond its tree."""
    if principal.is_admin and principal.admin_organisations is None:
        return principal.confined_to
    reach = principal.organisations_of(observer_roles)
    if principal.is_admin:
        reach |= principal.admin_organisations or frozenset()
    return reach


def oversees(principal: Principal, observer_roles: tuple[str, ...], organisation_id: int | None) -> bool:
    reach = overseen_organisations(principal, observer_roles)
    return reach is None or organisation_id in reach


def sees_everything(principal: Principal, observer_roles: tuple[str, ...]) -> bool:
    """Oversees some organisations' cases (an admin or an observer): may open the overseers'
    pages; which cases they then see is `oversees`/`overseen_organisations`."""
    return principal.is_admin or principal.has_any_role(set(observer_roles))


def _role_grant_matches(principal: Principal) -> ColumnElement[bool]:
    by_role: dict[str, set[int]] = {}
    for role, org in principal.role_organisations:
        by_role.setdefault(role, set()).add(org)
    if not by_role:
        return false()
    return or_(
        *(
            and_(TaskGrant.value == role, TaskGrant.organisation_id.in_(sorted(orgs)))
            for role, orgs in sorted(by_role.items())
        )
    )


def _granted(principal: Principal) -> ColumnElement[bool]:
    granted_role = exists().where(
        TaskGrant.task_id == Task.id, TaskGrant.kind == "role", _role_grant_matches(principal)
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


def instance_visible(principal: Principal, observer_roles: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Cases the principal started or takes part in, and every case of the organisations they
    oversee; never one outside a scoped token's tree."""
    involved = exists(select(Task.id).where(Task.instance_id == Instance.id, task_visible(principal)))
    reach = (
        overseen_organisations(principal, observer_roles) if observer_roles or principal.is_admin else None
    )
    visible = or_(Instance.started_by == principal.username, involved)
    if principal.is_admin and reach is None:
        visible = true()
    elif reach:
        visible = or_(visible, Instance.organisation_id.in_(sorted(reach)))
    if principal.confined_to is not None:
        visible = and_(visible, Instance.organisation_id.in_(sorted(principal.confined_to)))
    return visible


def task_filter(
    principal: Principal, observer_roles: tuple[str, ...], open_now: bool
) -> ColumnElement[bool] | None:
    """Task lists: an overseer reads every task of the organisations overseen; everyone else
    the open tasks they can act on now (`open_now`) or the tasks they could read. None: no
    filter (a global admin)."""
    own = offered_to(principal) if open_now else task_visible(principal)
    reach = overseen_organisations(principal, observer_roles)
    if principal.is_admin and reach is None:
        return None
    visible = or_(own, Task.organisation_id.in_(sorted(reach))) if reach else own
    if principal.confined_to is not None:
        visible = and_(visible, Task.organisation_id.in_(sorted(principal.confined_to)))
    return visible


def offered_role(principal: Principal, task: Task) -> bool:
    """The task is offered to a role the principal holds in the organisation it went to."""
    return any(g.kind == "role" and principal.acts_as(g.value, g.organisation_id) for g in task.grants)


def can_work_on(principal: Principal, task: Task) -> bool:
    if not principal.reaches(task.organisation_id):
        return False
    if task.assignee is not None:
        return task.assignee == principal.username
    return offered_role(principal, task) or principal.username in task.candidate_users


def can_see_task(principal: Principal, task: Task, observer_roles: tuple[str, ...]) -> bool:
    if not principal.reaches(task.organisation_id):
        return False
    return (
        oversees(principal, observer_roles, task.organisation_id)
        or can_work_on(principal, task)
        or offered_role(principal, task)
        or principal.username in task.candidate_users
        or task.completed_by == principal.username
        or task.owner == principal.username
        or any(g.kind in READ_ONLY_GRANTS and g.value == principal.username for g in task.grants)
    )


def personal_data_view(
    principal: Principal,
    policy_json: dict | None,
    observer_roles: tuple[str, ...],
    case: Any = None,
) -> Callable[[Any], Any]:
    """X-05: what this principal may read of a case's data. The organising office and the
    deciding body (the process's `xuanpin:personalDataRoles`), observers and admins read it all;
    everyone else (a judge, an examiner) reads it without the personal fields. X-06: the
    confidential fields (`xuanpin:confidentialFields`) only the confidential roles, observers and
    admins read until the release variable is true — in `case` (the case's data) when given,
    else in the value shown, so a part of the data without it stays without them."""
    policy = DataPolicy.from_json(policy_json)
    if policy is None or sees_everything(principal, observer_roles):
        return lambda value: value
    # the case itself is already one the principal may see (its organisation included)
    organiser = principal.has_any_role(set(policy.personal_data_roles))
    personal = set() if organiser else set(policy.personal_fields)
    reader = principal.has_any_role(set(policy.confidential_roles))
    secret = set() if reader else set(policy.confidential_fields)
    if not personal and not secret:
        return lambda value: value

    def view(value: Any) -> Any:
        released = policy.released(value if case is None else case)
        fields = frozenset(personal | (set() if released else secret))
        return without_personal_fields(value, fields) if fields else value

    return view
