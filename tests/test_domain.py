"""The domain functions diagrams call (docs/domain-api.md): plain, pure functions in
service/domain/, registered in SCRIPT_FUNCTIONS. Each test cites the rule it proves."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime

import pytest

from service.domain import helpers
from service.domain.dates import age_on, years_between
from service.domain.draws import draw_order, draw_questions, new_seed
from service.domain.pay import pay_structure_violations
from service.domain.ranking import above_threshold, all_below, inspection_targets, rank, top_tied
from service.domain.ratios import hiring_ratio_decision, meets_ratio, ratio
from service.domain.scoring import (
    average,
    jb_interview_score,
    qa_score,
    rubric_total,
    speech_score,
    trimmed_mean,
)
from tests import bpmn

SPEECH_FULL = {"biaoxian": 30, "lijie": 20, "zhishi": 20, "jiazhi": 30}
QA_FULL = {"yuyan": 15, "fenxi": 25, "luoji": 20, "yingbian": 25, "suyang": 15}


def test_the_function_reference_is_generated_from_the_code():
    """docs/domain-api.md lists exactly the registered functions (run `xuanpin docs` after
    adding or changing one)."""
    from service.devdocs import DOMAIN_API, render_domain_api

    current = DOMAIN_API.read_text(encoding="utf-8")
    assert render_domain_api(current) == current, "docs/domain-api.md 已过期：请运行 xuanpin docs"
    assert all(helpers.SCRIPT_FUNCTIONS[name].__name__ == name for name in helpers.SCRIPT_FUNCTIONS)


# --- scores: JB-09, JB-10, JB-11, KF-07 ------------------------------------------------


def test_jb09_speech_score_sums_the_four_items():
    """JB-09: 表现与效果 30 + 岗位理解 20 + 专业知识与经验 20 + 内容价值 30 = 100."""
    assert speech_score(SPEECH_FULL) == 100.0
    assert speech_score({"biaoxian": 25.5, "lijie": 18, "zhishi": 0, "jiazhi": 27.25}) == 70.75


def test_jb10_qa_score_sums_the_five_items():
    """JB-10: 语言 15 + 分析判断 25 + 逻辑思维 20 + 应变 25 + 专业素养 15 = 100."""
    assert qa_score(QA_FULL) == 100.0
    assert qa_score({"yuyan": 12, "fenxi": 20, "luoji": 15, "yingbian": 20.5, "suyang": 10}) == 77.5


@pytest.mark.parametrize(
    ("function", "items", "words"),
    [
        (speech_score, {**SPEECH_FULL, "biaoxian": 31}, ["表现与效果", "biaoxian", "31", "30"]),
        (speech_score, {**SPEECH_FULL, "lijie": -1}, ["岗位理解", "-1", "20"]),
        (qa_score, {**QA_FULL, "yuyan": 15.5}, ["语言", "yuyan", "15.5", "15"]),
        (qa_score, {**QA_FULL, "fenxi": 26}, ["分析判断", "26", "25"]),
    ],
)
def test_jb11_sub_scores_outside_their_maximum_are_rejected(function, items, words):
    """JB-11 (with JB-09/JB-10 maxima): the error names the item and its maximum."""
    with pytest.raises(ValueError) as error:
        function(items)
    assert all(word in str(error.value) for word in words), str(error.value)


def test_jb09_missing_unknown_and_non_numeric_rubric_items_are_rejected():
    """JB-09: every rubric key is required, no other key is accepted, values are numbers."""
    without = {k: v for k, v in SPEECH_FULL.items() if k != "zhishi"}
    with pytest.raises(ValueError, match=r"缺少评分项.*专业知识与经验"):
        speech_score(without)
    with pytest.raises(ValueError, match=r"未知的评分项.*yuyan"):
        speech_score({**SPEECH_FULL, "yuyan": 1})
    with pytest.raises(ValueError, match="必须是数字"):
        speech_score({**SPEECH_FULL, "lijie": "18"})
    with pytest.raises(ValueError, match="必须是数字"):
        speech_score({**SPEECH_FULL, "lijie": True})
    with pytest.raises(ValueError, match="有限"):
        speech_score({**SPEECH_FULL, "lijie": float("nan")})
    with pytest.raises(ValueError, match="键值对"):
        speech_score([30, 20, 20, 30])


def test_jb09_rubric_total_with_explicit_maxima():
    """JB-09/JB-10: the generic rubric sum behind speech_score and qa_score."""
    assert rubric_total({"a": 10, "b": 4.5}, {"a": 10, "b": 5}) == 14.5
    with pytest.raises(ValueError, match=r"「b」.*超出范围.*0–5"):
        rubric_total({"a": 10, "b": 6}, {"a": 10, "b": 5})
    with pytest.raises(ValueError, match="缺少评分项"):
        rubric_total({"a": 10}, {"a": 10, "b": 5})
    with pytest.raises(ValueError, match="未知的评分项"):
        rubric_total({"a": 1, "b": 1, "c": 1}, {"a": 10, "b": 5})
    with pytest.raises(ValueError, match="上限不能为负数"):
        rubric_total({"a": 0}, {"a": -1})


def test_average():
    assert average([80, 85, 90.5]) == 85.17
    assert average([7]) == 7.0
    with pytest.raises(ValueError, match="至少需要 1 个"):
        average([])
    with pytest.raises(ValueError, match="必须是数字"):
        average([80, "九十"])
    with pytest.raises(ValueError, match="列表"):
        average("80")


def test_jb11_interview_score_is_half_speech_half_qa_averaged_over_judges():
    """JB-11: 50 % mean speech + 50 % mean Q&A, rounded (四舍五入) to 2 decimals at the end."""
    assert jb_interview_score([90, 80, 85, 88, 87], [70, 75, 80, 85, 90]) == 83.0  # (86 + 80) / 2
    assert jb_interview_score([85, 85.25], [80, 80]) == 82.56  # 82.5625, half-up
    assert jb_interview_score([100], [0]) == 50.0
    with pytest.raises(ValueError, match=r"演讲得分.*超出范围"):
        jb_interview_score([101], [80])
    with pytest.raises(ValueError, match="答辩得分至少需要 1 个分数"):
        jb_interview_score([80], [])


def test_kf07_trimmed_mean_drops_one_highest_and_one_lowest():
    """KF-07: 5–7 judges score 0–100; drop one highest and one lowest, average the rest."""
    assert trimmed_mean([80, 90, 85, 70, 95]) == 85.0
    assert trimmed_mean([88, 88, 90, 60, 91, 77, 85]) == 85.6
    assert trimmed_mean([70, 70, 70]) == 70.0  # all tied: only one of each is dropped
    assert trimmed_mean([100, 0, 50]) == 50.0
    assert trimmed_mean([81, 82, 83, 84, 80]) == 82.0
    assert trimmed_mean([90, 80.5, 81, 70, 99]) == 83.83


def test_kf07_fewer_than_three_scores_is_a_clear_error():
    """KF-07: with < 3 scores nothing is left after dropping the highest and lowest."""
    with pytest.raises(ValueError, match="至少需要 3 个分数，收到 2 个"):
        trimmed_mean([80, 90])
    with pytest.raises(ValueError, match="至少需要 3 个分数，收到 0 个"):
        trimmed_mean([])


def test_kf07_scores_must_be_between_0_and_100():
    """KF-07: each judge scores 0–100."""
    with pytest.raises(ValueError, match=r"第 2 个分数为 101.*0–100"):
        trimmed_mean([80, 101, 90])
    with pytest.raises(ValueError, match="超出范围"):
        trimmed_mean([80, -5, 90])
    with pytest.raises(ValueError, match="必须是数字"):
        trimmed_mean([80, None, 90])


# --- ranking: KF-09, KF-10, JB-12, JB-13 ----------------------------------------------


def test_kf09_rank_by_total_with_interview_score_breaking_ties():
    """KF-09: ranking by total, ties broken by the interview score; still-equal entries
    share a rank (1, 2, 3, 3, 5) and are flagged."""
    entries = [
        {"name": "甲", "total": 80, "interview": 70},
        {"name": "乙", "total": 90, "interview": 60},
        {"name": "丙", "total": 80, "interview": 75},
        {"name": "丁", "total": 80, "interview": 70},
        {"name": "戊", "total": 59.5, "interview": 90},
    ]
    before = copy.deepcopy(entries)
    ranked = rank(entries, "total", "interview")
    assert [(e["name"], e["rank"], e["tied"]) for e in ranked] == [
        ("乙", 1, False),
        ("丙", 2, False),
        ("甲", 3, True),
        ("丁", 3, True),
        ("戊", 5, False),
    ]
    assert entries == before  # new dicts, the input is untouched
    assert all("rank" not in e for e in entries)
    assert ranked[0] == {"name": "乙", "total": 90, "interview": 60, "rank": 1, "tied": False}
    json.dumps(ranked)


def test_jb12_rank_without_tiebreak_shares_rank_and_all_tied():
    """JB-12: equal interview scores share a rank; all tied → everyone rank 1."""
    ranked = rank([{"n": "a", "s": 85}, {"n": "b", "s": 85}, {"n": "c", "s": 85}], "s")
    assert [(e["n"], e["rank"], e["tied"]) for e in ranked] == [
        ("a", 1, True),
        ("b", 1, True),
        ("c", 1, True),
    ]
    assert rank([], "s") == []
    assert rank([{"s": 1}], "s") == [{"s": 1, "rank": 1, "tied": False}]


def test_kf09_rank_rejects_missing_or_non_numeric_keys():
    """KF-09: every entry needs a numeric total (and tiebreak when given)."""
    with pytest.raises(ValueError, match="第 2 项缺少「total」"):
        rank([{"total": 1}, {"score": 2}], "total")
    with pytest.raises(ValueError, match="第 1 项缺少「interview」"):
        rank([{"total": 1}], "total", "interview")
    with pytest.raises(ValueError, match="必须是数字"):
        rank([{"total": "高"}], "total")
    with pytest.raises(ValueError, match="键值对"):
        rank(["甲"], "total")


def test_jb12_top_tied_finds_the_applicants_for_a_second_round():
    """JB-12: a tie for the top interview score → those applicants go to a second round."""
    entries = [{"n": "a", "s": 88.5}, {"n": "b", "s": 90}, {"n": "c", "s": 90}, {"n": "d", "s": 70}]
    tied = top_tied(entries, "s")
    assert tied == [{"n": "b", "s": 90}, {"n": "c", "s": 90}]
    tied[0]["n"] = "changed"
    assert entries[1]["n"] == "b"  # copies
    assert top_tied([{"n": "a", "s": 90}, {"n": "b", "s": 89}], "s") == []
    assert top_tied([{"n": "a", "s": 90}], "s") == []
    assert top_tied([], "s") == []
    three = [{"n": x, "s": 80} for x in "abc"]
    assert top_tied(three, "s") == three


def test_jb12_second_round_winner_is_the_higher_score():
    """JB-12: the second round's higher Q&A score wins."""
    second = rank([{"n": "b", "qa2": 82}, {"n": "c", "qa2": 86}], "qa2")
    assert second[0]["n"] == "c" and not second[0]["tied"]


def test_jb13_all_below_80_means_the_post_may_stay_vacant():
    """JB-13: every applicant < 80 → vacancy allowed; exactly 80 is not below."""
    assert all_below([79.99, 60, 75], 80) is True
    assert all_below([79.99, 80], 80) is False
    assert all_below([85], 80) is False
    assert all_below([70], 80) is True  # a single applicant is not automatically appointed
    with pytest.raises(ValueError, match="至少需要 1 个分数"):
        all_below([], 80)
    with pytest.raises(ValueError, match="必须是数字"):
        all_below([70, "八十"], 80)


def test_kf09_total_below_60_is_not_eligible_for_inspection():
    """KF-09: total < 60 is not eligible; exactly 60 is."""
    entries = [{"n": "a", "total": 60}, {"n": "b", "total": 59.99}, {"n": "c", "total": 88}]
    assert above_threshold(entries, "total", 60) == [{"n": "a", "total": 60}, {"n": "c", "total": 88}]
    assert above_threshold([], "total", 60) == []
    with pytest.raises(ValueError, match="缺少「total」"):
        above_threshold([{"n": "a"}], "total", 60)


def test_kf10_inspection_targets_by_ratio():
    """KF-10: the first ⌈posts × ratio⌉ of the ranked list."""
    ranked = rank([{"n": str(i), "total": 90 - i} for i in range(10)], "total")
    assert [e["n"] for e in inspection_targets(ranked, 2, 1.5)] == ["0", "1", "2"]
    assert [e["n"] for e in inspection_targets(ranked, 1, 1.2)] == ["0", "1"]  # ⌈1.2⌉ = 2
    assert [e["n"] for e in inspection_targets(ranked, 3, 1)] == ["0", "1", "2"]
    assert len(inspection_targets(ranked, 5, 3)) == 10  # fewer candidates than wanted: all
    assert [e["n"] for e in inspection_targets(ranked, 10, 0.1 + 0.2 + 0.7)] == [str(i) for i in range(10)]
    with pytest.raises(ValueError, match="岗位数不得小于 1"):
        inspection_targets(ranked, 0, 2)
    with pytest.raises(ValueError, match="差额比例不得小于 1"):
        inspection_targets(ranked, 1, 0.5)
    with pytest.raises(ValueError, match="岗位数必须是整数"):
        inspection_targets(ranked, 1.5, 2)


# --- ratios: SS-04, FH-03, FH-04 -----------------------------------------------------------


def test_ratio():
    assert ratio(12, 3) == 4.0
    assert ratio(0, 2) == 0.0
    with pytest.raises(ValueError, match="岗位数不得小于 1"):
        ratio(3, 0)
    with pytest.raises(ValueError, match="人数不能为负数"):
        ratio(-1, 2)
    with pytest.raises(ValueError, match="必须是数字"):
        ratio("3", 1)


def test_ss04_at_least_two_candidates_per_post():
    """SS-04: 差额 1:2 — exactly 2 per post passes, fewer fails."""
    assert meets_ratio(2, 1, 2) is True
    assert meets_ratio(6, 3, 2) is True
    assert meets_ratio(5, 3, 2) is False
    assert meets_ratio(1, 1, 2) is False
    assert meets_ratio(7, 5, 1.4) is True  # exact arithmetic: 5 × 1.4 is 7
    with pytest.raises(ValueError, match="最低比例不能为负数"):
        meets_ratio(1, 1, -2)
    with pytest.raises(ValueError, match="岗位数不得小于 1"):
        meets_ratio(2, 0, 2)


@pytest.mark.parametrize(
    ("qualified", "planned", "decision"),
    [
        (0, 1, "reduce_or_cancel"),
        (1, 1, "reduce_or_cancel"),
        (3, 2, "reduce_or_cancel"),  # 1.5:1
        (2, 1, "skip_written_allowed"),  # exactly 2:1 is not < 2:1 (FH-03)
        (5, 1, "skip_written_allowed"),
        (11, 2, "skip_written_allowed"),  # 5.5:1
        (6, 1, "normal"),  # exactly 6:1 is not < 6:1 (FH-04)
        (12, 2, "normal"),
        (100, 3, "normal"),
    ],
)
def test_fh03_fh04_hiring_ratio_decision(qualified, planned, decision):
    """FH-03: < 2:1 → reduce or cancel; FH-04: < 6:1 → written exam may be skipped."""
    assert hiring_ratio_decision(qualified, planned) == decision


def test_fh03_hiring_ratio_rejects_bad_counts():
    """FH-03: counts are whole, non-negative; at least one planned hire."""
    with pytest.raises(ValueError, match="计划招聘人数不得小于 1"):
        hiring_ratio_decision(5, 0)
    with pytest.raises(ValueError, match="合格应聘人数不能为负数"):
        hiring_ratio_decision(-1, 1)
    with pytest.raises(ValueError, match="合格应聘人数必须是整数"):
        hiring_ratio_decision(2.5, 1)
    assert hiring_ratio_decision(6.0, 1.0) == "normal"


# --- pay: SS-09 ------------------------------------------------------------------------


def test_ss09_boundaries_pass():
    """SS-09: performance exactly 60 %, incentive exactly 40 %, total equal to P75 all pass."""
    assert pay_structure_violations(100, 60, 40, 100, 100) == []
    assert pay_structure_violations(50.5, 30.3, 0, 80, 95) == []  # 60 % exactly, in floats


def test_ss09_each_violation_is_reported():
    """SS-09: < 60 % performance, > 40 % incentive, > P75 total each produce a message."""
    assert pay_structure_violations(100, 59.99, 40, 100, 100) == [
        "目标绩效年薪占年度目标薪酬的 59.99%，低于 60%"
    ]
    assert pay_structure_violations(100, 60, 40.01, 100, 100) == ["中长期激励占薪酬总额的 40.01%，高于 40%"]
    assert pay_structure_violations(100, 60, 40, 100, 99.99) == ["薪酬总额 100 高于市场75分位值 99.99"]
    assert len(pay_structure_violations(100, 10, 90, 100, 50)) == 3


def test_ss09_bad_amounts_are_rejected():
    """SS-09: amounts are non-negative numbers; parts cannot exceed their whole."""
    with pytest.raises(ValueError, match="中长期激励不能为负数"):
        pay_structure_violations(100, 60, -1, 100, 100)
    with pytest.raises(ValueError, match="年度目标薪酬必须大于 0"):
        pay_structure_violations(0, 0, 0, 100, 100)
    with pytest.raises(ValueError, match="薪酬总额必须大于 0"):
        pay_structure_violations(100, 60, 0, 0, 100)
    with pytest.raises(ValueError, match="不能大于年度目标薪酬"):
        pay_structure_violations(100, 120, 0, 100, 100)
    with pytest.raises(ValueError, match="不能大于薪酬总额"):
        pay_structure_violations(100, 60, 120, 100, 100)
    with pytest.raises(ValueError, match="必须是数字"):
        pay_structure_violations("100", 60, 40, 100, 100)


# --- draws: JB-08, JB-10 ---------------------------------------------------------------


def test_jb08_draw_order_is_reproducible_from_the_recorded_seed():
    """JB-08: the speaking order is a shuffle determined by the recorded seed."""
    names = [f"揭榜人{i}" for i in range(1, 9)]
    first = draw_order(names, 20260101)
    assert first == draw_order(list(names), 20260101)
    assert sorted(first) == sorted(names) and names == [f"揭榜人{i}" for i in range(1, 9)]
    assert first != draw_order(names, 20260102)
    # pinned: an algorithm change would make recorded draws irreproducible (JB-18)
    assert first == ["揭榜人6", "揭榜人2", "揭榜人4", "揭榜人5", "揭榜人7", "揭榜人3", "揭榜人8", "揭榜人1"]
    assert draw_order([], 1) == []
    with pytest.raises(ValueError, match="种子必须是整数"):
        draw_order(names, "abc")
    with pytest.raises(ValueError, match="种子必须是整数"):
        draw_order(names, 1.5)


def test_jb10_draw_questions_picks_3_to_5_distinct_questions_reproducibly():
    """JB-10: each applicant draws 3–5 distinct questions from a bank of ≥ 10."""
    bank = [f"第{i}题" for i in range(1, 13)]
    for count in (3, 4, 5):
        drawn = draw_questions(bank, count, 7)
        assert len(drawn) == count == len(set(drawn)) and set(drawn) <= set(bank)
        assert drawn == draw_questions(bank, count, 7)
    assert draw_questions(bank, 5, 7) != draw_questions(bank, 5, 8)
    assert draw_questions(bank, count=4, seed=99) == draw_questions(bank, 4, 99)
    dict_bank = [{"id": i, "text": f"题{i}"} for i in range(10)]
    drawn = draw_questions(dict_bank, 3, 1)
    drawn[0]["text"] = "changed"
    assert all(q["text"] == f"题{q['id']}" for q in dict_bank)  # copies


@pytest.mark.parametrize("count", [2, 6, 0, -3, 3.5])
def test_jb10_count_outside_3_to_5_is_rejected(count):
    """JB-10: 3–5 questions."""
    with pytest.raises(ValueError, match="抽题数量"):
        draw_questions([f"q{i}" for i in range(10)], count, 1)


def test_jb10_bank_needs_at_least_10_distinct_questions():
    """JB-10: a bank of ≥ 10 questions, no duplicates."""
    with pytest.raises(ValueError, match="题库至少需要 10 道题，当前只有 9 道"):
        draw_questions([f"q{i}" for i in range(9)], 3, 1)
    with pytest.raises(ValueError, match="第 10 题与前面的题目重复"):
        draw_questions([f"q{i}" for i in range(9)] + ["q0"], 3, 1)
    assert len(draw_questions([f"q{i}" for i in range(10)], 5, 1)) == 5


def test_jb08_new_seed_is_a_json_safe_int():
    """JB-08/JB-10: a fresh seed to record before drawing."""
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) > 1
    assert all(isinstance(s, int) and 0 <= s < 2**52 for s in seeds)


# --- dates: KF-03, FH-02, JB-04 --------------------------------------------------------


def test_kf03_fh02_age_on_counts_whole_years():
    """KF-03/FH-02: age in whole years as of a date (the day before the birthday: not yet)."""
    assert age_on("1990-06-15", "2025-06-14") == 34
    assert age_on("1990-06-15", "2025-06-15") == 35
    assert age_on(date(1990, 6, 15), date(2025, 12, 31)) == 35
    assert age_on("1990-06-15", "2025-06-15T09:00:00+08:00") == 35
    # 2025-06-14 16:30 UTC is already 06-15 in Beijing
    assert age_on("1990-06-15", datetime(2025, 6, 14, 16, 30, tzinfo=UTC)) == 35
    assert age_on("1990-06-15", "2025-06-14T16:30:00+00:00") == 35
    assert age_on("2000-02-29", "2025-02-28") == 24
    assert age_on("2000-02-29", "2025-03-01") == 25
    assert age_on("2000-02-29", "2024-02-29") == 24
    assert age_on("2000-01-01", "2000-01-01") == 0


def test_fh02_age_limit_35_boundary():
    """FH-02: age ≤ 35 holds until the day before the 36th birthday."""
    assert age_on("1989-09-01", "2025-08-31") <= 35
    assert age_on("1989-09-01", "2025-09-01") > 35


def test_kf03_fh02_age_on_rejects_bad_dates():
    """KF-03/FH-02: unreadable dates or a date before birth are errors."""
    with pytest.raises(ValueError, match="无法识别的出生日期"):
        age_on("1990/06/15", "2025-01-01")
    with pytest.raises(ValueError, match="无法识别的计算日期"):
        age_on("1990-06-15", 20250101)
    with pytest.raises(ValueError, match="早于出生日期"):
        age_on("2025-06-15", "2025-06-14")


def test_jb04_years_between_for_work_experience():
    """JB-04: ≥ 5 years of work experience, counted in whole years."""
    assert years_between("2020-03-01", "2025-02-28") == 4
    assert years_between("2020-03-01", "2025-03-01") == 5
    assert years_between("2024-01-01", "2025-01-01") == 1  # post held ≥ 1 year
    assert years_between("2024-01-02", "2025-01-01") == 0
    with pytest.raises(ValueError, match="早于起始日期"):
        years_between("2025-01-01", "2024-01-01")
    with pytest.raises(ValueError, match="无法识别的截止日期"):
        years_between("2020-01-01", "明天")


# --- through the sandbox -----------------------------------------------------------------


def test_kf07_domain_functions_are_callable_from_a_diagram_script(api):
    """KF-07 (and every other function): registered functions run inside the sandbox."""
    document = bpmn.linear(
        "ceshi_lingyu",
        bpmn.script(
            "total = trimmed_mean(scores)\nranked = rank(people, 'total')\norder = draw_order(names, 5)",
            name="计算",
        ),
        bpmn.user("查看", 'camunda:candidateGroups="工作组"'),
    )
    assert api.deploy(("ceshi_lingyu.bpmn", document)).status_code == 201
    people = [{"n": "甲", "total": 80}, {"n": "乙", "total": 90}]
    instance = api.start(
        "ceshi_lingyu", scores=[80, 90, 85, 70, 95], people=people, names=["甲", "乙", "丙"]
    ).json
    data = api.get(f"/api/v1/instances/{instance['id']}").json["data"]
    assert data["total"] == 85.0
    assert [(p["n"], p["rank"]) for p in data["ranked"]] == [("乙", 1), ("甲", 2)]
    assert data["people"] == people
    assert data["order"] == draw_order(["甲", "乙", "丙"], 5)
    # bad input: the engine reports the Chinese message naming the step
    response = api.start("ceshi_lingyu", scores=[80, 90], people=[], names=[])
    assert response.status_code == 422, response.json
    assert "计算" in response.json["detail"] and "至少需要 3 个分数" in response.json["detail"]


def test_bachelor_share_warns_strictly_below_three_quarters():
    """FH-10: ≥75 % full-time bachelor or higher; exactly 75 % passes."""
    from service.domain.reports import bachelor_share

    def hire(xueli, quanrizhi=True):
        return {"xueli": xueli, "quanrizhi": quanrizhi}

    at_limit = bachelor_share([hire("大学本科"), hire("硕士研究生"), hire("博士研究生"), hire("大专")])
    assert (at_limit["share"], at_limit["below_minimum"], at_limit["warning"]) == (0.75, False, None)
    part_time = bachelor_share([hire("大学本科"), hire("大学本科", quanrizhi=False)])
    assert part_time["below_minimum"] is True and "1/2" in part_time["warning"]
    assert bachelor_share([])["share"] is None and bachelor_share([])["below_minimum"] is False


def test_a_window_that_a_date_would_close_at_once_is_refused_on_its_field():
    """JB-02, JB-03: the refusal names the period's end and the field; an open window passes."""
    from service.domain.dates import check_window_open
    from service.domain.refusal import Refusal

    with pytest.raises(Refusal) as refused:
        check_window_open(
            "2026-03-02", "2026-03-09T23:59:59+08:00", "2026-03-20T10:00:00+08:00", "揭榜期", "fabu_riqi"
        )
    assert refused.value.field == "fabu_riqi" and "2026-03-09 23:59" in refused.value.message
    check_window_open(
        "2026-03-02", "2026-03-09T23:59:59+08:00", "2026-03-09T23:00:00+08:00", "揭榜期", "fabu_riqi"
    )
