"""Who may do what: every permission check of the use cases, stated one way.

Each `require_*` raises Forbidden with a message that names the act and who may do it; the
predicates (`may_*`) answer the same questions for pages that only show or hide a button. What a
principal may *read* in lists is a query filter (services.visibility); whether one task or case
is visible at all is answered there too, and an invisible one is 404, never 403.
"""

from __future__ import annotations

from collections.abc import Iterable

from service.services.errors import Forbidden
from service.services.principal import Principal
from service.services.visibility import can_work_on, sees_everything
from service.store.models import Task


def is_observer(principal: Principal, observer_roles: Iterable[str]) -> bool:
    """An overseer (纪检监督) who is not also an admin: reads everything, acts on nothing (X-01)."""
    return not principal.is_admin and principal.has_any_role(set(observer_roles))


def require_admin(principal: Principal, doing: str) -> None:
    """`doing`: the act, as the sentence 「只有管理员可以{doing}」 reads."""
    if not principal.is_admin:
        raise Forbidden(f"只有管理员可以{doing}")


def require_admin_or_roles(principal: Principal, roles: Iterable[str], doing: str) -> None:
    """Admins, or holders of one of `roles` (the process designers who deploy)."""
    roles = tuple(roles)
    if not (principal.is_admin or principal.has_any_role(set(roles))):
        who = "、".join(roles)
        raise Forbidden(f"只有管理员{'或' + who if who else ''}可以{doing}")


def may_design(principal: Principal, designer_roles: Iterable[str]) -> bool:
    """The process designer's workbench (modeler, versions): admins and the designer roles."""
    return principal.is_admin or principal.has_any_role(set(designer_roles))


def require_overseer(principal: Principal, observer_roles: Iterable[str], what: str) -> None:
    """Reading the whole trail: the observer roles and admins."""
    roles = tuple(observer_roles)
    if not sees_everything(principal, roles):
        raise Forbidden(f"{what}只提供给监督角色（{'、'.join(roles)}）和管理员查阅")


def require_overseer_or_roles(
    principal: Principal, observer_roles: Iterable[str], roles: Iterable[str], doing: str
) -> None:
    """The observer roles, admins and the holders of `roles` (the body a report is for)."""
    roles = tuple(roles)
    if not (sees_everything(principal, tuple(observer_roles)) or principal.has_any_role(set(roles))):
        raise Forbidden(f"只有{'、'.join(roles)}、监督角色和管理员可以{doing}")


def require(allowed: bool, refusal: str) -> None:
    """A check only its use case can state (the organisers of a case, a system token): the
    refusal says who may and what to do instead."""
    if not allowed:
        raise Forbidden(refusal)


def require_not_observer(principal: Principal, observer_roles: Iterable[str], doing: str) -> None:
    if is_observer(principal, observer_roles):
        raise Forbidden(f"监督角色只查看、不办理（X-01），不能{doing}")


def may_act_on(principal: Principal, task: Task) -> bool:
    """The task's holder, one it is offered to, or an admin of the task's organisation."""
    return principal.administers(task.organisation_id) or can_work_on(principal, task)


def require_may_act_on(principal: Principal, task: Task, doing: str) -> None:
    if not may_act_on(principal, task):
        who = f"已由 {task.assignee} 认领" if task.assignee else "不属于您的角色"
        raise Forbidden(f"任务「{task.title}」{who}，只有当前办理人或管理员可以{doing}")


def require_self_or_admin(principal: Principal, username: str, doing: str) -> None:
    if not (principal.is_admin or principal.username == username):
        raise Forbidden(f"只有 {username} 本人或管理员可以{doing}")


def require_metrics_reader(principal: Principal) -> None:
    """The metrics count every organisation's work: a global admin's token (or the metrics token,
    checked before a principal exists) reads them, an organisation's admin does not."""
    scoped = principal.admin_organisations is not None or principal.confined_to is not None
    if not principal.is_admin or scoped:
        raise Forbidden("只有全局管理员的 API 令牌（或 XUANPIN_METRICS_TOKEN 设置的令牌）可以读取监控指标")
