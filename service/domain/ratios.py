"""Candidate-to-post ratios (SS-04, FH-03, FH-04). Comparisons are exact (no rounding)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from service.domain.validation import count, number

REDUCE_OR_CANCEL = "reduce_or_cancel"
SKIP_WRITTEN_ALLOWED = "skip_written_allowed"
NORMAL = "normal"


def ratio(candidates: Any, posts: Any) -> float:
    """candidates / posts (not rounded; decisions use the exact functions below)."""
    return count(candidates, "人数") / count(posts, "岗位数", minimum=1)


def meets_ratio(candidates: Any, posts: Any, minimum: Any) -> bool:
    """SS-04: candidates ≥ posts × minimum (SS-04: 2 per post; exactly 1:2 passes)."""
    wanted = number(minimum, "最低比例")
    if wanted < 0:
        raise ValueError(f"最低比例不能为负数，收到 {minimum!r}")
    return count(candidates, "人数") >= count(posts, "岗位数", minimum=1) * Fraction(wanted)


def hiring_ratio_decision(qualified: Any, planned: Any) -> str:
    """FH-03/FH-04: qualified applicants : planned hires
    < 2:1 → "reduce_or_cancel" (reduce the plan or cancel the post);
    < 6:1 → "skip_written_allowed" (the written exam may be skipped);
    otherwise "normal". Exactly 2:1 is not < 2:1; exactly 6:1 is "normal"."""
    applicants = count(qualified, "合格应聘人数")
    hires = count(planned, "计划招聘人数", minimum=1)
    if applicants < 2 * hires:
        return REDUCE_OR_CANCEL
    if applicants < 6 * hires:
        return SKIP_WRITTEN_ALLOWED
    return NORMAL
