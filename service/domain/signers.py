"""加签 / 减签 (issue 10): extra sign-offs attached to one open task without editing the diagram.

The rules, without I/O; services/signers.py reads the rows and asks these functions.

- before (前加签): the signers sign first; the holder may submit only once all of them agreed.
- after (后加签): the holder submits first (the form is checked and the data kept, the task
  leaves the holder's inbox); the step completes when every after-signer has agreed.
- parallel (并加签): the signers sign at any time; the step completes once the holder has
  submitted and all of them agreed.

A disagreement (agree=false) stops the step: it never completes while one stands. The holder gets
the task back in the inbox (a kept submission is released into a prefilled draft) and either
removes the dissenting signer (减签 — allowed for a dissenter, whose opinion stays on record) and
submits again, or ends the step another way (退回, 转办). Agreements already given stand.
A signer who has agreed can no longer be removed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum


class Position(StrEnum):
    BEFORE = "before"
    AFTER = "after"
    PARALLEL = "parallel"


class SignerStatus(StrEnum):
    PENDING = "pending"
    AGREED = "agreed"
    DISAGREED = "disagreed"
    REMOVED = "removed"  # 减签: kept for the record, no longer counted


class SignOff(StrEnum):
    """Task.signoff: where the holder is with a step that has signers."""

    SUBMITTED = "submitted"  # the holder's data is kept; the step waits for its signers


def waiting_refusal(signoff: str | None, title: str, doing: str) -> str | None:
    """Why a submitted step that waits for its signers cannot be handed on or sent back: it
    would complete later in another holder's name with this holder's data."""
    if signoff == SignOff.SUBMITTED:
        return f"任务「{title}」已提交、正在等待加签人签署，不能{doing}；如需{doing}，请先减签或等待签署完毕"
    return None


POSITION_LABELS = {Position.BEFORE: "前加签", Position.AFTER: "后加签", Position.PARALLEL: "并加签"}
STATUS_LABELS = {
    SignerStatus.PENDING: "待签署",
    SignerStatus.AGREED: "同意",
    SignerStatus.DISAGREED: "不同意",
    SignerStatus.REMOVED: "已减签",
}


@dataclass(frozen=True)
class Signer:
    username: str
    position: Position
    status: SignerStatus


def active(signers: Iterable[Signer]) -> list[Signer]:
    return [s for s in signers if s.status != SignerStatus.REMOVED]


def _names(signers: Iterable[Signer]) -> str:
    return "、".join(s.username for s in signers)


def submit_refusal(signers: Collection[Signer]) -> str | None:
    """Why the holder may not submit now, or None."""
    counted = active(signers)
    against = [s for s in counted if s.status == SignerStatus.DISAGREED]
    if against:
        return (
            f"加签人 {_names(against)} 不同意，本步骤不能办结：请减签（DELETE /api/v1/tasks/{{id}}/signers/"
            "{username}）后重新提交，或退回、转办本任务"
        )
    waiting = [s for s in counted if s.position == Position.BEFORE and s.status == SignerStatus.PENDING]
    if waiting:
        return f"本步骤有前加签，须先由 {_names(waiting)} 签署同意后才能办理"
    return None


def step_complete(submitted: bool, signers: Collection[Signer]) -> bool:
    """The plain rule: the engine step completes when the holder has submitted and every signer
    still attached to it has agreed."""
    return submitted and all(s.status == SignerStatus.AGREED for s in active(signers))


def must_hold(signers: Collection[Signer]) -> bool:
    """On the holder's submission: keep it and wait (True), or complete the step now."""
    return not step_complete(True, signers)


def sign_refusal(signer: Signer | None, username: str, submitted: bool) -> str | None:
    """Why `username` may not sign this task now, or None."""
    if signer is None or signer.status == SignerStatus.REMOVED:
        return f"{username} 不是本任务的加签人（或已被减签），不能签署"
    if signer.status != SignerStatus.PENDING:
        return f"{username} 已签署过本任务（{STATUS_LABELS[signer.status]}），不能重复签署"
    if signer.position == Position.AFTER and not submitted:
        return "本任务为后加签：办理人提交后才能签署，请稍后再签"
    return None


def removal_refusal(signer: Signer | None, username: str) -> str | None:
    if signer is None or signer.status == SignerStatus.REMOVED:
        return f"{username} 不是本任务的加签人（或已被减签）"
    if signer.status == SignerStatus.AGREED:
        return f"{username} 已签署同意，不能减签"
    return None


def adding_refusal(position: Position, submitted: bool) -> str | None:
    if position == Position.BEFORE and submitted:
        return "办理人已提交本任务，不能再前加签；请选择后加签（after）或并加签（parallel）"
    return None


def signer_refusal(
    username: str,
    exists: bool,
    roles: Collection[str],
    holder: str | None,
    attached: Collection[str],
    observer_roles: Collection[str],
    candidate_roles: Collection[str],
) -> str | None:
    """Why `username` may not become a signer, or None: an active person, not an observer
    (X-01: they watch, they do not sign), not an applicant, not the holder, not attached yet."""
    if not exists:
        return f"用户 {username} 不存在或已停用，请选择一名在岗人员"
    watching = sorted(set(roles) & set(observer_roles))
    if watching:
        return f"{username} 是监督角色（{'、'.join(watching)}），只查看、不签署（X-01），不能加签"
    if set(roles) & set(candidate_roles):
        return f"{username} 是应聘一方的账号，不能加签"
    if username == holder:
        return f"{username} 是本任务的办理人，不能给自己加签"
    if username in attached:
        return f"{username} 已是本任务的加签人"
    return None
