"""Which operation buttons a page shows, and what their pickers offer.

Showing is for comfort only: each button posts to the service that decides (and refuses with a
message). The observer (纪检监督, X-01) gets none: `read_only` is checked first everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.container import Container
from service.domain.signers import POSITION_LABELS, Position, SignerStatus, SignOff, sign_refusal
from service.domain.signers import Signer as SignerRule
from service.domain.status import InstanceStatus, TaskStatus
from service.services import signers, task_operations, task_return, tasks
from service.services.authorization import is_observer
from service.services.errors import ServiceError
from service.services.principal import Principal
from service.store.models import Task
from service.web import choices


@dataclass
class TaskActions:
    read_only: bool
    may_hand_on: bool = False  # 转办 / 委派 / 退回
    may_resolve: bool = False  # the delegate hands back
    may_cc: bool = False
    may_comment: bool = False
    return_targets: list[task_return.ReturnTargetView] = field(default_factory=list)
    receivers: list[choices.Person] = field(default_factory=list)
    cc_people: list[choices.Person] = field(default_factory=list)
    cc_roles: list[str] = field(default_factory=list)
    comments: list[task_operations.CommentView] = field(default_factory=list)


def for_task(app: Container, principal: Principal, task: Task, running: bool) -> TaskActions:
    comments = _quiet(lambda: task_operations.task_comments(app, principal, task.id), [])
    if is_observer(principal, app.settings.observer_roles):
        return TaskActions(read_only=True, comments=comments)
    is_open = task.status == TaskStatus.OPEN and running
    delegated = task.delegation == "pending"
    holder = tasks.can_act(principal, task) or principal.is_admin
    actions = TaskActions(
        read_only=False,
        may_hand_on=is_open and holder and not delegated,
        may_resolve=is_open and delegated and task.assignee == principal.username,
        may_cc=task.status != TaskStatus.CANCELLED
        and (holder or task.completed_by == principal.username or principal.is_admin),
        may_comment=True,
        comments=comments,
    )
    if actions.may_hand_on:
        actions.return_targets = _quiet(lambda: task_return.return_targets(app, principal, task.id), [])
        offered = task.candidate_roles or ([task.role] if task.role else [])
        # Where the task went (issue 12): the role's people in that organisation only.
        where = [(g.value, g.organisation_id) for g in task.grants if g.kind == "role"]
        actions.receivers = [
            p
            for p in choices.people(app, offered or None, where or None)
            if p.username not in (principal.username, task.assignee)
        ]
    if actions.may_cc:
        actions.cc_people = [p for p in choices.people(app) if p.username != principal.username]
        actions.cc_roles = choices.role_names(app)
    return actions


@dataclass
class CaseActions:
    read_only: bool
    admin: bool = False
    may_urge: bool = False
    withdrawable: Task | None = None  # the last step, when this person completed it


def for_case(app: Container, principal: Principal, instance: Any, completed_steps: list[Any]) -> CaseActions:
    if is_observer(principal, app.settings.observer_roles):
        return CaseActions(read_only=True)
    running = instance.status == InstanceStatus.RUNNING
    actions = CaseActions(
        read_only=False,
        admin=principal.is_admin,
        may_urge=running and task_operations.may_urge_case(app, principal, instance.id),
    )
    if running:
        # The last person step of the case: 撤回 is theirs while nobody acted after it.
        for step in reversed(completed_steps):
            if "UserTask" not in step.kind:
                continue
            detail = _quiet(lambda step=step: tasks.get_task(app, principal, step.id), None)
            if detail is not None and detail.task.completed_by == principal.username:
                actions.withdrawable = detail.task
            break
    return actions


@dataclass
class SignerActions:
    signers: list[signers.SignerView] = field(default_factory=list)
    may_add: bool = False  # the holder (or an admin) on an open task not delegated away
    positions: dict[str, str] = field(default_factory=dict)
    people: list[choices.Person] = field(default_factory=list)
    my_row: signers.SignerView | None = None  # this person is a signer still to sign
    may_sign_now: bool = False
    why_not_now: str | None = None
    waiting: bool = False  # the holder submitted; the step waits for its signers


def for_signers(app: Container, principal: Principal, task: Task, running: bool) -> SignerActions:
    listed = _quiet(lambda: signers.list_signers(app, principal, task.id), [])
    actions = SignerActions(signers=listed, waiting=task.signoff == SignOff.SUBMITTED)
    if is_observer(principal, app.settings.observer_roles) or task.status != TaskStatus.OPEN or not running:
        return actions
    holder = tasks.can_act(principal, task) or principal.is_admin
    actions.may_add = holder and task.delegation != "pending"
    if actions.may_add:
        submitted = task.signoff == SignOff.SUBMITTED
        actions.positions = {
            p.value: POSITION_LABELS[p] for p in Position if not (submitted and p == Position.BEFORE)
        }
        attached = {s.username for s in listed if s.status != SignerStatus.REMOVED}
        actions.people = [
            p
            for p in choices.people(app)
            if p.username not in attached and p.username not in (principal.username, task.assignee)
        ]
    mine = next((s for s in listed if s.username == principal.username and s.status == "pending"), None)
    if mine is not None:
        actions.my_row = mine
        rule = SignerRule(mine.username, Position(mine.position), SignerStatus(mine.status))
        actions.why_not_now = sign_refusal(rule, principal.username, task.signoff == SignOff.SUBMITTED)
        actions.may_sign_now = actions.why_not_now is None
    return actions


def _quiet(read: Any, default: Any) -> Any:
    """A list the page can do without (not visible to this person): the page still renders."""
    try:
        return read()
    except ServiceError:
        return default
