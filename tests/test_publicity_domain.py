"""Unit tests of the shared publicity's domain functions (service/domain/publicity.py): the
posting date that starts the period, the objection record, findings, decisions and the outcome
(X-04, JB-06, JB-16, KF-13, SS-07)."""

from __future__ import annotations

import pytest

from service.domain.publicity import (
    NONE,
    SUSTAINED,
    UNFOUNDED,
    gs_check_days,
    gs_mark_overdue,
    gs_objection_list,
    gs_outcome,
    gs_posting_start,
    gs_record_decision,
    gs_record_finding,
    gs_register_objection,
)
from service.domain.refusal import Refusal

DEADLINE = "2026-10-19T23:59:59+08:00"
FACTS = "拟任人选在原单位任职期间存在违规兼职取酬的问题。"


def _one(jilu=None, jubaoren="李明"):
    return gs_register_objection(jilu, jubaoren, "13805740000", FACTS, "2026-09-29T10:00:00+08:00", DEADLINE)


def _found(jilu, bianhao, jieguo=UNFOUNDED, done_at="2026-10-12T09:00:00+08:00"):
    return gs_record_finding(jilu, bianhao, jieguo, "经核查，兼职已报批。", "电话告知举报人", done_at)


@pytest.mark.parametrize("days", [1, 3, 5])
def test_jb06_jb16_days_are_a_whole_number_of_at_least_one(days):
    """JB-06 (3 days), JB-16/KF-13/SS-07 (5 working days): the length is kept as given."""
    assert gs_check_days(days) == days


@pytest.mark.parametrize("days", [0, -1, 2.5, "5", True, None])
def test_x04_days_that_are_not_a_whole_number_of_at_least_one_are_a_diagram_fault(days):
    with pytest.raises(ValueError, match="gongshi_tianshu"):
        gs_check_days(days)


def test_x04_the_period_starts_on_the_posting_date_entered():
    """X-04: posted the day after the decision and the day the step opened: the period counts
    from the posting date, not from the decision."""
    assert gs_posting_start("2026-09-29", "2026-09-28", "2026-09-29", "2026-09-29") == "2026-09-29"


@pytest.mark.parametrize(
    ("riqi", "message"),
    [
        ("2026-09-27", "早于所公示事项的决定日期"),
        ("2026-09-28", "早于本登记步骤开始的日期"),
        ("2026-10-01", "尚未到来"),
        ("不是日期", "公示张贴日期"),
    ],
    ids=["before-decision", "before-step", "future", "not-a-date"],
)
def test_x04_a_posting_date_before_the_decision_or_the_step_or_in_the_future_is_refused(riqi, message):
    """X-04, JB-16: refused on the field gongshi_zhangtie_riqi with a message saying why."""
    with pytest.raises(Refusal) as refused:
        gs_posting_start(riqi, "2026-09-28", "2026-09-29", "2026-09-30")
    assert refused.value.field == "gongshi_zhangtie_riqi"
    assert message in refused.value.message


def test_x04_a_future_margin_allows_registering_a_posting_a_few_days_ahead():
    assert gs_posting_start("2026-10-02", "2026-09-28", "2026-09-29", "2026-09-30", 2) == "2026-10-02"
    with pytest.raises(Refusal, match="最多晚于今天 2 天"):
        gs_posting_start("2026-10-03", "2026-09-28", "2026-09-29", "2026-09-30", 2)


def test_x04_objections_are_numbered_in_order_and_the_callers_dict_is_left_alone():
    first, one = _one()
    second, two = _one(first, jubaoren="王芳")
    assert (one, two) == ("YY-001", "YY-002")
    assert list(first) == ["YY-001"]  # not changed in place: parallel branches hold copies
    assert [e["jubaoren"] for e in gs_objection_list(second)] == ["李明", "王芳"]
    assert second["YY-002"]["hecha_jiezhi"] == DEADLINE


@pytest.mark.parametrize(("jubaoren", "shishi"), [("", FACTS), ("  ", FACTS), ("李明", "")])
def test_x04_an_anonymous_objection_or_one_without_facts_is_refused(jubaoren, shishi):
    with pytest.raises(Refusal, match="实名") as refused:
        gs_register_objection({}, jubaoren, "13805740000", shishi, "2026-09-29T10:00:00+08:00", DEADLINE)
    assert refused.value.field == "jubaoren"


def test_jb16_a_finding_after_the_deadline_is_overdue_and_the_flag_stays():
    jilu, bianhao = _one()
    on_time = _found(jilu, bianhao, done_at="2026-10-19T23:00:00+08:00")
    assert on_time[bianhao]["hecha_yuqi"] is False
    late = _found(jilu, bianhao, done_at="2026-10-20T09:00:00+08:00")
    assert late[bianhao]["hecha_yuqi"] is True
    # Flagged by the deadline's timer first, a later finding does not clear it.
    flagged = gs_mark_overdue(jilu, bianhao)
    assert "hecha_yuqi" not in jilu[bianhao]
    assert _found(flagged, bianhao, done_at="2026-10-12T09:00:00+08:00")[bianhao]["hecha_yuqi"] is True


def test_jb16_a_finding_must_say_sustained_or_unfounded():
    jilu, bianhao = _one()
    with pytest.raises(Refusal) as refused:
        _found(jilu, bianhao, jieguo="待定")
    assert refused.value.field == "hecha_jieguo"


def test_jb16_the_deciding_body_decides_only_after_the_finding():
    """JB-16: the investigating role only proposes; a decision before its finding is refused."""
    jilu, bianhao = _one()
    with pytest.raises(Refusal, match="尚未核查完毕") as refused:
        gs_record_decision(jilu, bianhao, SUSTAINED, "党委会议研究决定。", "2026-10-13T09:00:00+08:00")
    assert refused.value.field == "yiyi_jueding"
    decided = gs_record_decision(
        _found(jilu, bianhao), bianhao, SUSTAINED, "党委会议研究决定。", "2026-10-13T09:00:00+08:00"
    )
    assert (decided[bianhao]["hecha_jieguo"], decided[bianhao]["yiyi_jueding"]) == (UNFOUNDED, SUSTAINED)


def test_x04_unknown_objection_is_a_diagram_fault():
    jilu, _ = _one()
    with pytest.raises(ValueError, match="YY-009"):
        gs_mark_overdue(jilu, "YY-009")


def test_x04_outcome_without_objections_is_no_objection():
    assert gs_outcome({}) == NONE
    assert gs_outcome(None) == NONE


def test_x04_jb16_one_sustained_objection_fails_the_publicity_the_decision_not_the_finding_counts():
    jilu, one = _one()
    jilu, two = _one(jilu, jubaoren="王芳")
    jilu = _found(_found(jilu, one, jieguo=SUSTAINED), two)
    jilu = gs_record_decision(jilu, one, UNFOUNDED, "党委认为不成立。", "2026-10-13T09:00:00+08:00")
    with pytest.raises(ValueError, match="YY-002"):
        gs_outcome(jilu)  # settled only once every objection is decided
    unfounded = gs_record_decision(jilu, two, UNFOUNDED, "党委认为不成立。", "2026-10-13T09:00:00+08:00")
    assert gs_outcome(unfounded) == UNFOUNDED
    sustained = gs_record_decision(jilu, two, SUSTAINED, "党委认为成立。", "2026-10-13T09:00:00+08:00")
    assert gs_outcome(sustained) == SUSTAINED
