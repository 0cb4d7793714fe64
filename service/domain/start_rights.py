"""Who may start a case of a process, and what the start data may decide (issue 9, X-01).

A process that names its starters (`camunda:candidateStarterGroups` / `candidateStarterUsers`)
is started by them. One that does not is started by the roles that work in it — its lanes and
the roles its user tasks name — and by administrators; not by anyone who happens to hold an
account. Observer roles (纪检监督: read everything, change nothing) and candidate roles (应聘者,
揭榜人, 竞聘者, 候选人: they apply, they do not run the procedure) never start a case.

The start data may not choose who receives work (a `${variable}` in a task's candidateGroups,
candidateUsers or assignee) unless the process declares that field in `xuanpin:startFields`,
as a reusable subprocess's caller does for its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

START_FIELDS = "xuanpin:startFields"


@dataclass(frozen=True)
class StartRights:
    roles: frozenset[str] = frozenset()  # the roles working in the process
    assignment_fields: frozenset[str] = frozenset()  # data fields choosing who receives a task
    start_fields: frozenset[str] = frozenset()  # declared: the start data may set them

    def as_json(self) -> dict[str, list[str]]:
        return {
            "roles": sorted(self.roles),
            "assignment_fields": sorted(self.assignment_fields),
            "start_fields": sorted(self.start_fields),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> StartRights:
        value = value or {}
        return cls(
            frozenset(value.get("roles", ())),
            frozenset(value.get("assignment_fields", ())),
            frozenset(value.get("start_fields", ())),
        )

    def fields_choosing_assignees(self, data: Iterable[str]) -> list[str]:
        """The start data's fields that would decide who receives work, undeclared."""
        return sorted(set(data) & (self.assignment_fields - self.start_fields))


@dataclass(frozen=True)
class Starter:
    username: str
    roles: frozenset[str]
    is_admin: bool


def refusal_to_start(
    starter: Starter,
    process_name: str,
    starter_groups: Iterable[str],
    starter_users: Iterable[str],
    rights: StartRights,
    observer_roles: Iterable[str],
    candidate_roles: Iterable[str],
) -> str | None:
    """Why `starter` may not start a case of the process (a message to show), or None."""
    if starter.is_admin:
        return None
    watching = starter.roles & set(observer_roles)
    applying = starter.roles & set(candidate_roles)
    acting = starter.roles - watching - applying
    if not acting and watching:
        return f"{'、'.join(sorted(watching))}只能查看流程、不能发起流程（X-01）"
    if not acting and applying:
        return f"{'、'.join(sorted(applying))}是应聘一方，不能发起流程；报名请联系组织单位"
    groups, users = list(starter_groups), list(starter_users)
    if groups or users:
        if acting & set(groups) or starter.username in users:
            return None
        return f"只有 {'、'.join(groups + users)} 可以发起「{process_name}」"
    allowed = rights.roles - set(observer_roles) - set(candidate_roles)
    if acting & allowed:
        return None
    if not allowed:
        return f"「{process_name}」只能由管理员发起（流程未设定发起人，也没有办理角色）"
    return f"只有参与「{process_name}」的角色（{'、'.join(sorted(allowed))}）和管理员可以发起"
