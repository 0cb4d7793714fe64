"""KF-03: statutory retirement under the 2025 reform (service/domain/retirement.py), checked
against rows of the published 对照表 (《国务院关于渐进式延迟职工法定退休年龄的办法》附件), and
whole months to retirement."""

from __future__ import annotations

from datetime import date

import pytest

from service.domain.dates import months_between, shift_months
from service.domain.refusal import Refusal
from service.domain.retirement import statutory_retirement


@pytest.mark.parametrize(
    ("birth", "gender", "original", "years", "months", "retires"),
    [
        # 男职工（原 60 周岁）：每 4 个月延迟 1 个月，至 63 周岁
        ("1964-12-15", "男", 60, 60, 0, "2024-12-15"),  # born before 1965: unchanged
        ("1965-01-10", "男", 60, 60, 1, "2025-02-10"),  # 1965年1月-4月 → 60岁1个月，2025年2月-5月
        ("1965-04-30", "男", 60, 60, 1, "2025-05-30"),
        ("1965-05-01", "男", 60, 60, 2, "2025-07-01"),  # 1965年5月-8月 → 60岁2个月，2025年7月-10月
        ("1965-12-31", "男", 60, 60, 3, "2026-03-31"),  # 1965年9月-12月 → 60岁3个月，2025年12月-2026年3月
        ("1976-08-20", "男", 60, 62, 11, "2039-07-20"),  # 1976年5月-8月 → 62岁11个月
        ("1976-09-01", "男", 60, 63, 0, "2039-09-01"),  # 1976年9月及以后 → 63岁
        ("1990-03-15", "男", 60, 63, 0, "2053-03-15"),
        # 原 55 周岁的女职工：每 4 个月延迟 1 个月，至 58 周岁
        ("1969-12-31", "女", 55, 55, 0, "2024-12-31"),
        ("1970-01-01", "女", 55, 55, 1, "2025-02-01"),  # 1970年1月-4月 → 55岁1个月，2025年2月-5月
        ("1981-08-31", "女", 55, 57, 11, "2039-07-31"),
        ("1981-09-01", "女", 55, 58, 0, "2039-09-01"),  # 1981年9月及以后 → 58岁
        # 原 50 周岁的女职工：每 2 个月延迟 1 个月，至 55 周岁
        ("1975-02-28", "女", 50, 50, 1, "2025-03-28"),  # 1975年1月-2月 → 50岁1个月，2025年2月-3月
        ("1975-03-01", "女", 50, 50, 2, "2025-05-01"),  # 1975年3月-4月 → 50岁2个月，2025年5月-6月
        ("1984-10-15", "女", 50, 54, 11, "2039-09-15"),
        ("1984-11-01", "女", 50, 55, 0, "2039-11-01"),  # 1984年11月及以后 → 55岁
    ],
)
def test_kf03_statutory_retirement_follows_the_reform_table(birth, gender, original, years, months, retires):
    """KF-03: the retirement age in years and months and the date it is reached."""
    result = statutory_retirement(birth, gender, original)
    assert (result["sui"], result["yue"], result["riqi"]) == (years, months, retires)
    assert result["yanchi_yue"] == (years - original) * 12 + months


def test_kf03_a_birthday_on_the_31st_retires_on_the_last_day_of_a_shorter_month():
    """KF-03: born 1965-01-31 → 60 years 1 month → 2025-02-28."""
    assert statutory_retirement("1965-01-31", "男", 60)["riqi"] == "2025-02-28"


def test_kf03_an_original_age_the_reform_does_not_list_is_refused():
    """KF-03: men retire originally at 60, women at 55 or 50; anything else names the field."""
    for gender, age in [("男", 55), ("女", 60), ("女", 58), ("男", True), ("其他", 60)]:
        with pytest.raises(Refusal) as refused:
            statutory_retirement("1980-01-01", gender, age)
        assert refused.value.field == "yuan_tuixiu_nianling"
        assert "原法定退休年龄" in refused.value.message
    with pytest.raises(ValueError, match="无法识别的出生日期"):
        statutory_retirement("1980/01/01", "男", 60)


def test_kf03_months_between_counts_whole_months():
    """KF-03: whole months, the last one counted once its day is reached; negative backwards."""
    assert months_between("2026-03-15", "2028-03-15") == 24
    assert months_between("2026-03-15", "2028-03-14") == 23
    assert months_between("2026-01-31", "2026-02-28") == 1  # a 31st reaches February's last day
    assert months_between("2026-01-31", "2026-02-27") == 0
    assert months_between("2026-03-15", "2026-03-15") == 0
    assert months_between("2026-03-15", "2026-02-15") == -1
    assert months_between("2026-03-15", "2026-02-16") == -1
    assert shift_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert shift_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


def test_kf03_thirteen_months_to_retirement_is_less_than_one_term():
    """KF-03: a man born 1967-04-10 is 59 on 2026-10-10, so whole-year age (60 − 59) says one
    year; by the reform he retires at 60 years 7 months ((1967 − 1965) × 12 + 3 = 27 birth
    months after 1965-01 → 27 // 4 + 1 = 7), on 2027-11-10: 13 months, less than a term."""
    retirement = statutory_retirement("1967-04-10", "男", 60)
    assert (retirement["sui"], retirement["yue"], retirement["riqi"]) == (60, 7, "2027-11-10")
    assert months_between("2026-10-10", retirement["riqi"]) == 13
