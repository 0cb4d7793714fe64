"""Rules of the task operations of issue 10 (转办, 委派, 抄送, 催办, 审批意见), without I/O:
the services read the rows and ask these functions whether an act is allowed and why not."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Delegation(StrEnum):
    PENDING = "pending"  # the delegate works on it; only they may resolve, nobody completes
    RESOLVED = "resolved"  # handed back to the owner, who completes it


class CommentKind(StrEnum):
    COMMENT = "comment"
    TRANSFER = "transfer"
    DELEGATE = "delegate"
    RESOLVE = "resolve"
    CC = "cc"


COMMENT_KIND_LABELS = {
    CommentKind.COMMENT: "审批意见",
    CommentKind.TRANSFER: "转办说明",
    CommentKind.DELEGATE: "委派说明",
    CommentKind.RESOLVE: "委派办理说明",
    CommentKind.CC: "抄送说明",
}

# The userTask extension property (camunda:properties) letting a task go to any active user.
TRANSFER_TO_ANYONE = "xuanpin:transferToAnyone"


@dataclass(frozen=True)
class Person:
    """What the rules need of a user account."""

    username: str
    roles: frozenset[str]
    active: bool = True
    is_system: bool = False


def receiver_refusal(
    person: Person | None,
    wanted: str,
    offered_roles: Collection[str],
    anyone_allowed: bool,
    observer_roles: Collection[str],
    candidate_roles: Collection[str],
    verb: str,
) -> str | None:
    """Why `person` may not receive a task by 转办/委派 (`verb`), or None. Never an observer
    (X-01: they watch, they do not work) nor an applicant; otherwise someone holding a role the
    task is offered to, or any active person where the diagram allows it."""
    if person is None or not person.active or person.is_system:
        return f"用户 {wanted} 不存在或已停用，请选择一名在岗的办理人"
    watching = sorted(person.roles & set(observer_roles))
    if watching:
        return f"{wanted} 是监督角色（{'、'.join(watching)}），只查看、不办理（X-01），不能{verb}给其"
    if person.roles & set(candidate_roles):
        return f"{wanted} 是应聘一方的账号，不能{verb}给其"
    if anyone_allowed or person.roles & set(offered_roles):
        return None
    roles = "、".join(sorted(offered_roles)) or "（无）"
    return f"{wanted} 不担任本任务的办理角色（{roles}），只能{verb}给担任这些角色的用户"


def sibling_refusal(wanted: str, sibling_holders: Collection[str], title: str, verb: str) -> str | None:
    """One person, one sheet: in a parallel sign-off (a judge's score sheet per judge) a task may
    not go to someone who holds or did another instance of the same step."""
    if wanted in sibling_holders:
        return f"{wanted} 已持有或已办理本步骤「{title}」的另一份（每人一份），不能{verb}给其"
    return None


def property_true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes", "是")


def delegation_refusal(delegation: str | None, assignee: str | None, owner: str | None) -> str | None:
    """Why a task may not be completed now, or None: while delegated the delegate hands it back
    with resolve and only the owner completes it."""
    if delegation == Delegation.PENDING:
        return (
            f"任务已由 {owner} 委派给 {assignee} 办理：受委派人办理完毕后请用「委派交回」"
            f"（POST /api/v1/tasks/{{id}}/resolve）交回，由 {owner} 本人办结"
        )
    return None


def urge_wait_seconds(last: datetime | None, now: datetime, interval_minutes: int) -> int:
    """Seconds until this task may be urged again (0: now). Once per task per interval."""
    if last is None or interval_minutes <= 0:
        return 0
    left = (last + timedelta(minutes=interval_minutes) - now).total_seconds()
    return max(0, math.ceil(left))


def may_urge(
    username: str,
    roles: Collection[str],
    is_admin: bool,
    started_by: str,
    deciding_roles: Collection[str],
) -> bool:
    """催办: the case's starter, a deciding role (one that has a task in the case) or an admin."""
    return is_admin or username == started_by or bool(set(roles) & set(deciding_roles))


def cc_recipients(
    sender: str,
    users: Collection[str],
    role_members: Collection[str],
    already: Collection[str],
) -> list[str]:
    """Who gets a new 待阅 item: the named users and the members of the named roles, in that
    order, each once, not the sender and not those with an unread copy of the task already."""
    seen = set(already) | {sender}
    chosen = []
    for username in [*users, *role_members]:
        if username not in seen:
            seen.add(username)
            chosen.append(username)
    return chosen


def clean_text(value: str | None) -> str | None:
    """A comment as kept: trimmed, None when there is nothing in it."""
    text = (value or "").strip()
    return text or None
