"""Annual figures the documents ask for, computed from plain records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

BACHELOR_OR_HIGHER = frozenset({"大学本科", "硕士研究生", "博士研究生"})
# FH-10: at least 75 % of a year's management/technical hires hold a full-time bachelor's or higher.
FH10_MINIMUM = Fraction(3, 4)


def bachelor_share(hires: Iterable[Mapping[str, Any]], minimum: Fraction = FH10_MINIMUM) -> dict[str, Any]:
    """Share of hires with a full-time bachelor's degree or higher, and whether it is below `minimum`."""
    hires = list(hires)
    qualified = sum(1 for h in hires if _full_time_bachelor(h))
    total = len(hires)
    below = total > 0 and Fraction(qualified, total) < minimum
    return {
        "total": total,
        "full_time_bachelor_or_higher": qualified,
        "share": round(qualified / total, 4) if total else None,
        "minimum": float(minimum),
        "below_minimum": below,
        "warning": (
            f"全日制本科及以上学历人员占比 {qualified}/{total}，低于 {float(minimum):.0%} 的要求"
            if below
            else None
        ),
    }


def _full_time_bachelor(hire: Mapping[str, Any]) -> bool:
    # FH-02: full-time and in-service degrees are separate facts; a registration records the
    # highest full-time degree (quanrizhi_xueli). Older records have one level and a flag.
    if "quanrizhi_xueli" in hire:
        return hire["quanrizhi_xueli"] in BACHELOR_OR_HIGHER
    return hire.get("quanrizhi") is True and hire.get("xueli") in BACHELOR_OR_HIGHER
