"""SS-09 pay-structure checks for market-based managers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from service.domain.validation import non_negative

MIN_PERFORMANCE_SHARE = Decimal("0.6")
MAX_INCENTIVE_SHARE = Decimal("0.4")


def pay_structure_violations(
    target_annual: Any,
    target_performance: Any,
    long_term_incentive: Any,
    total: Any,
    market_p75: Any,
) -> list[str]:
    """SS-09: the rules a proposed pay package breaks, as Chinese messages; `[]` when
    target performance pay ≥ 60 % of the annual target pay, expected medium/long-term
    incentives ≤ 40 % of total pay, and total pay ≤ the market 75th percentile (boundaries
    pass). Amounts are non-negative numbers in one currency unit."""
    annual = non_negative(target_annual, "年度目标薪酬")
    performance = non_negative(target_performance, "目标绩效年薪")
    incentive = non_negative(long_term_incentive, "中长期激励")
    overall = non_negative(total, "薪酬总额")
    p75 = non_negative(market_p75, "市场75分位值")
    if annual == 0:
        raise ValueError("年度目标薪酬必须大于 0")
    if overall == 0:
        raise ValueError("薪酬总额必须大于 0")
    if performance > annual:
        raise ValueError(f"目标绩效年薪（{target_performance}）不能大于年度目标薪酬（{target_annual}）")
    if incentive > overall:
        raise ValueError(f"中长期激励（{long_term_incentive}）不能大于薪酬总额（{total}）")
    violations = []
    if performance < annual * MIN_PERFORMANCE_SHARE:
        share = performance / annual * 100
        violations.append(f"目标绩效年薪占年度目标薪酬的 {share:.2f}%，低于 60%")
    if incentive > overall * MAX_INCENTIVE_SHARE:
        share = incentive / overall * 100
        violations.append(f"中长期激励占薪酬总额的 {share:.2f}%，高于 40%")
    if overall > p75:
        violations.append(f"薪酬总额 {total} 高于市场75分位值 {market_p75}")
    return violations
