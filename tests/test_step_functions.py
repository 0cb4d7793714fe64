"""The step functions the diagrams call (service/domain/*_steps.py), at their edges."""

from __future__ import annotations

import pytest

from service.domain.fenghua_steps import fh_examiner_sheet, fh_interview_scores, fh_totals, round_sheets
from service.domain.jiebang_steps import jb_record_application, jb_shortlist_text
from service.domain.kaifaqu_steps import kf_check_proposal, kf_inspection_list, term_end
from service.domain.other_steps import fh_plan_year, ss_ratio
from service.domain.refusal import Refusal

A = {"xingming": "甲", "shenfenzheng_hao": "11010119900101001X", "hege": True}
B = {"xingming": "乙", "shenfenzheng_hao": "110101199001010028", "hege": True}


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [("2027-03-01", 2, "2029-02-28"), ("2028-02-29", 2, "2030-02-27"), ("2027-01-01", 3, "2029-12-31")],
)
def test_kf13_term_ends_the_day_before_its_anniversary(start, years, end):
    assert term_end(start, years) == end


def test_kf10_excluding_someone_who_was_not_suggested_is_refused():
    suggested = {"主任": [{"shenfenzheng_hao": "1", "xingming": "甲", "zong_chengji": 80}]}
    assert kf_inspection_list(suggested, ["1"]) == []
    with pytest.raises(Refusal) as refused:
        kf_inspection_list(suggested, ["2"])
    assert refused.value.field == "paichu_renyuan.0"


def test_kf12_a_post_gets_no_more_appointees_than_places():
    passed = [{"shenfenzheng_hao": n, "gangwei": "主任", "kaocha_hege": True} for n in ("1", "2")]
    proposal = [{"shenfenzheng_hao": n, "gangwei": "主任", "xingming": n} for n in ("1", "2")]
    with pytest.raises(Refusal, match="超过岗位数"):
        kf_check_proposal(passed, [{"mingcheng": "主任"}], proposal)
    kf_check_proposal(passed, [{"mingcheng": "主任", "renshu": 2}], proposal)


def test_fh05_x02_sheets_and_void_round():
    """X-02: an applicant every examiner recused for voids the round; the ID check letter's case
    does not matter."""
    entry_a = {"shenfenzheng_hao": A["shenfenzheng_hao"].lower(), "fenshu": 80, "huibi": False}
    entry_b = {"shenfenzheng_hao": B["shenfenzheng_hao"], "huibi": True, "huibi_guanxi": "配偶"}
    sheet = fh_examiner_sheet([A, B], [entry_a, entry_b], "kaoguan1")
    with pytest.raises(Refusal, match="缺少：乙"):
        fh_examiner_sheet([A, B], [entry_a], "kaoguan1")
    sheets, panel = round_sheets([sheet], "kaoguan")
    assert panel == ["kaoguan1"]
    shortfall, scores = fh_interview_scores([A, B], sheets)
    assert [s["xingming"] for s in shortfall] == ["乙"] and scores is None


def test_fh05_totals_are_weighted_and_ranked():
    written = [
        {"shenfenzheng_hao": A["shenfenzheng_hao"], "fenshu": 90},
        {"shenfenzheng_hao": B["shenfenzheng_hao"], "fenshu": 70},
    ]
    oral = [
        {"shenfenzheng_hao": A["shenfenzheng_hao"], "fenshu": 70},
        {"shenfenzheng_hao": B["shenfenzheng_hao"], "fenshu": 90},
    ]
    ranked, hires = fh_totals([A, B], written, oral, True, 40, 1)
    assert [(c["xingming"], c["zongchengji"], c["mingci"]) for c in ranked] == [
        ("乙", 82.0, 1),
        ("甲", 78.0, 2),
    ]
    assert [c["xingming"] for c in hires] == ["乙"]


def test_jb03_a_late_application_is_recorded_as_given_up():
    [late] = jb_record_application(
        [],
        {"xingming": "甲", "shenfenzheng_hao": "1"},
        "2026-03-10",
        "2026-03-09T23:59:59+08:00",
        True,
        "",
        "拒绝",
    )
    assert (late["shouli"], late["liyou"], late["xuhao"]) == (False, "逾期补报，视为放弃", 1)


def test_jb06_the_list_names_accepted_applicants_only():
    assert jb_shortlist_text(["甲"], ["甲", "乙"], "部长") == "部长拟参与揭榜对象：甲"
    with pytest.raises(Refusal) as refused:
        jb_shortlist_text(["丙"], ["甲"], "部长")
    assert refused.value.field == "niding_duixiang.0"


def test_ss04_two_qualified_per_post():
    people = [{"xingming": n, "shenfenzheng_hao": n, "zige_shencha": "通过"} for n in ("1", "2", "3")]
    assert ss_ratio(people, 1)[1:] == (3, True)
    assert ss_ratio(people, 2)[2] is False


def test_fh01_plan_year_is_this_year_or_next():
    assert fh_plan_year(2027, " 某集团 ", "2026-05-01") == (2027, "某集团")
    with pytest.raises(ValueError, match="本年度"):
        fh_plan_year(2028, "某集团", "2026-05-01")
