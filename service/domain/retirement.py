"""Statutory retirement dates after the 2025 reform (KF-03).

《全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定》(2024-09-13) and its
《国务院关于渐进式延迟职工法定退休年龄的办法》: from 2025-01-01 the statutory retirement age of
men (originally 60) and of women originally retiring at 55 rises by 1 month every 4 months, to
63 and 58; that of women originally retiring at 50 rises by 1 month every 2 months, to 55. The
published 对照表 lists, per range of birth months, the new age in years and months; RETIREMENT_TABLE
below is that table written as its rule (first birth month affected, birth months per step,
the full delay), and tests/test_retirement.py checks rows of the published table against it.

People born before the first affected month keep the original age. The retirement date is the
day the person reaches the new age (a birthday on the 31st in a shorter month: the month's
last day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from service.domain.dates import as_date, shift_months
from service.domain.refusal import Refusal


@dataclass(frozen=True)
class Schedule:
    """One column of the reform's table: who it applies to and how the age moves."""

    gender: str
    original_years: int
    first_birth_month: tuple[int, int]  # (year, month) of the first birth month delayed
    birth_months_per_step: int  # every this many birth months, one more month of delay
    full_delay_months: int  # the delay reached at the end of the schedule

    def delay_months(self, birth: date) -> int:
        first_year, first_month = self.first_birth_month
        months_after = (birth.year - first_year) * 12 + (birth.month - first_month)
        if months_after < 0:
            return 0
        return min(months_after // self.birth_months_per_step + 1, self.full_delay_months)


# 原法定退休年龄 → schedule. Men 60 → 63 (born 1965-01 onwards, 63 from births of 1976-09);
# women 55 → 58 (born 1970-01 onwards, 58 from 1981-09); women 50 → 55 (born 1975-01 onwards,
# every 2 months, 55 from 1984-11).
RETIREMENT_TABLE: dict[tuple[str, int], Schedule] = {
    ("男", 60): Schedule("男", 60, (1965, 1), 4, 36),
    ("女", 55): Schedule("女", 55, (1970, 1), 4, 36),
    ("女", 50): Schedule("女", 50, (1975, 1), 2, 60),
}


def statutory_retirement(birth_date: Any, gender: Any, original_age: Any) -> dict[str, Any]:
    """KF-03: the statutory retirement age and date under the 2025 reform's table, from the birth
    date, the gender (男/女) and the original statutory age (men 60; women 55 or 50).

    Returns {"sui": years, "yue": months, "yanchi_yue": months of delay, "riqi": "YYYY-MM-DD"}.
    A gender and original age the reform does not list is refused (field yuan_tuixiu_nianling)."""
    birth = as_date(birth_date, "出生日期")
    schedule = RETIREMENT_TABLE.get((gender, original_age))
    if schedule is None or isinstance(original_age, bool):
        allowed = "、".join(f"{g} {a} 周岁" for g, a in RETIREMENT_TABLE)
        raise Refusal(
            f"原法定退休年龄应为 {allowed}，收到 {gender} {original_age!r}",
            "yuan_tuixiu_nianling",
        )
    delay = schedule.delay_months(birth)
    total = schedule.original_years * 12 + delay
    return {
        "sui": total // 12,
        "yue": total % 12,
        "yanchi_yue": delay,
        "riqi": shift_months(birth, total).isoformat(),
    }
