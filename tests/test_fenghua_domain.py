"""The 奉化 rules as domain functions (service/domain/fenghua.py, dates.past_deadline): pure, no
database; the diagrams call them from short scripts."""

from __future__ import annotations

from datetime import datetime

import pytest

from service.domain.dates import past_deadline
from service.domain.fenghua import fh_filing_record, fh_record_hire
from service.timeutil import SHANGHAI

DUE = "2026-12-31T23:59:59+08:00"


def test_fh08_fh09_past_deadline_counts_the_whole_last_day():
    """FH-08, FH-09: done on the deadline's day is on time; a second later, or the next day, is late."""
    assert past_deadline(DUE, "2026-12-31") is False
    assert past_deadline(DUE, "2027-01-01") is True
    assert past_deadline(DUE, "2026-12-31T23:59:59+08:00") is False
    assert past_deadline(DUE, "2027-01-01T00:00:00+08:00") is True
    assert past_deadline(DUE, "2026-12-31T16:00:00+00:00") is True  # 00:00 Beijing on 1/1
    assert past_deadline("2026-12-31", datetime(2026, 12, 31, 22, 0, tzinfo=SHANGHAI)) is False
    with pytest.raises(ValueError, match="无法识别的期限"):
        past_deadline("明年", "2026-12-31")


def test_fh09_the_filing_record_says_whether_it_was_late():
    """FH-09: the record of a filing: type, date, deadline, result, number and lateness."""
    record = fh_filing_record(
        "离职",
        "2026-11-16",
        "2026-12-07T23:59:59+08:00",
        "准予备案",
        "奉化备案-040026",
        "2026-12-09T10:00:00+08:00",
    )
    assert record == {
        "beian_leixing": "离职",
        "biandong_riqi": "2026-11-16",
        "beian_jiezhi": "2026-12-07T23:59:59+08:00",
        "beian_jieguo": "准予备案",
        "beian_bianhao": "奉化备案-040026",
        "banjie_shijian": "2026-12-09T10:00:00+08:00",
        "beian_yuqi": True,
    }
    on_time = fh_filing_record("入职", "2026-12-10", DUE, "不予备案", None, "2026-12-30T10:00:00+08:00")
    assert on_time["beian_yuqi"] is False and on_time["beian_bianhao"] is None


def test_fh08_fh09_a_hire_record_keeps_contract_and_filing_lateness():
    """FH-08: a contract later than one month after the start is late (12/10 → 1/10 still on
    time); FH-09: the filing's lateness comes from its record. Other hires are untouched and the
    input list is not changed."""
    hires = [{"xingming": "王晓东"}, {"xingming": "李静怡"}]
    filing = {
        "beian_jieguo": "准予备案",
        "beian_bianhao": "奉化备案-120012",
        "beian_jiezhi": DUE,
        "beian_yuqi": True,
    }
    updated = fh_record_hire(hires, 1, "2026-12-10", "2027-01-10", 3, filing)
    assert hires == [{"xingming": "王晓东"}, {"xingming": "李静怡"}]
    assert updated[0] == {"xingming": "王晓东"}
    assert updated[1] == {
        "xingming": "李静怡",
        "hetong_riqi": "2027-01-10",
        "hetong_qixian_nian": 3,
        "hetong_yuqi": False,
        "beian_jieguo": "准予备案",
        "beian_bianhao": "奉化备案-120012",
        "beian_jiezhi": DUE,
        "beian_yuqi": True,
    }
    assert fh_record_hire(hires, 0, "2026-12-10", "2027-01-11", 3, filing)[0]["hetong_yuqi"] is True
    # 31 January + 1 month is the end of February
    assert fh_record_hire(hires, 0, "2027-01-31", "2027-02-28", 3, filing)[0]["hetong_yuqi"] is False
    with pytest.raises(ValueError, match="超出名单"):
        fh_record_hire(hires, 2, "2026-12-10", "2027-01-10", 3, filing)
