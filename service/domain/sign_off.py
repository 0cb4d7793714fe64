"""Sign-off rules of a multi-instance step: 会签, 或签, 票签.

Set in the diagram on the repeated user task as `camunda:property name="xuanpin:signOff"`:
- `all`      会签: everyone signs; 通过 only if everyone approved;
- `any`      或签: the first to act decides for all (their approval or rejection);
- `ratio:R`  票签: 通过 once approvals reach R of all instances (0 < R ≤ 1), 不通过 once they
  can no longer reach it;
- `count:N`  票签: the same with N approvals.
Approvals and rejections are counted separately from each person's boolean field
(`xuanpin:approvalField`, default `tongyi`), never from how many have completed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PASSED = "通过"
FAILED = "不通过"
DEFAULT_APPROVAL_FIELD = "tongyi"
_KIND_NAMES = {"all": "会签", "any": "或签", "ratio": "票签", "count": "票签"}


@dataclass(frozen=True)
class SignOffRule:
    kind: str  # all | any | ratio | count
    threshold: float = 0.0  # ratio: share of all instances; count: number of approvals
    text: str = ""

    @property
    def name(self) -> str:
        return _KIND_NAMES[self.kind]


@dataclass(frozen=True)
class Tally:
    approvals: int
    rejections: int
    total: int

    @property
    def remaining(self) -> int:
        return max(self.total - self.approvals - self.rejections, 0)


def parse_rule(text: str) -> SignOffRule:
    """`all`, `any`, `ratio:0.6` or `count:3`; anything else is the diagram's error."""
    value = text.strip().lower()
    if value in ("all", "any"):
        return SignOffRule(value, text=value)
    kind, _, number = value.partition(":")
    try:
        if kind == "ratio":
            ratio = float(number)
            if 0 < ratio <= 1:
                return SignOffRule("ratio", ratio, value)
        elif kind == "count":
            count = int(number)
            if count >= 1:
                return SignOffRule("count", count, value)
    except ValueError:
        pass
    raise ValueError(
        f'签批规则 xuanpin:signOff="{text}" 无法识别：应为 all（会签）、any（或签）、'
        "ratio:0.6（按同意比例票签，0 到 1 之间）或 count:3（按同意人数票签）"
    )


def needed_approvals(rule: SignOffRule, total: int) -> int:
    if rule.kind == "all":
        return total
    if rule.kind == "any":
        return 1
    if rule.kind == "ratio":
        return max(math.ceil(rule.threshold * total - 1e-9), 1)
    return int(rule.threshold)


def decide(rule: SignOffRule, tally: Tally) -> str | None:
    """通过, 不通过, or None while the outcome can still change."""
    acted = tally.approvals + tally.rejections
    if rule.kind == "any":
        if acted == 0:
            return None
        return PASSED if tally.approvals > 0 else FAILED
    if rule.kind == "all":
        # 会签: every member's signature is part of the record, so nobody is skipped.
        if tally.remaining > 0:
            return None
        return PASSED if tally.rejections == 0 else FAILED
    needed = needed_approvals(rule, tally.total)
    if tally.approvals >= needed:
        return PASSED
    if tally.approvals + tally.remaining < needed:
        return FAILED
    return None


def outcome_record(rule: SignOffRule, tally: Tally, outcome: str, element_id: str, title: str) -> dict:
    """What the case keeps of a decided sign-off (the `qianpi_jieguo` variable)."""
    return {
        "buzhou": element_id,
        "buzhou_mingcheng": title,
        "guize": rule.text,
        "guize_mingcheng": rule.name,
        "jieguo": outcome,
        "tongguo": outcome == PASSED,
        "tongyi_shu": tally.approvals,
        "butongyi_shu": tally.rejections,
        "weiban_shu": tally.remaining,
        "zong_shu": tally.total,
        "xuyao_tongyi": needed_approvals(rule, tally.total),
    }
