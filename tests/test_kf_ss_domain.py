"""Unit tests of the KF batch and score-sheet functions and the SS checks (service/domain/
kaifaqu.py, shengshu.py): pure functions, no database."""

from __future__ import annotations

import pytest

from service.domain.kaifaqu import (
    kf_batch_posts,
    kf_blank_sheet,
    kf_interview_scores,
    kf_judge_sheet,
    kf_number_competitors,
    kf_score_list,
)
from service.domain.refusal import Refusal
from service.domain.shengshu import ss_comparison, ss_proposal, ss_publicity_start

ZONE = "本溪南芬经济开发区"
POSTS = [{"mingcheng": "甲", "cengji": 1}, {"mingcheng": "乙", "cengji": 2}]


def _batch_one(**changes):
    data = {"pici": 1, "kaifaqu_mingcheng": ZONE, "weitianbu_gangwei": [POSTS[1]], "piyi_luoxuan": []}
    case = {"id": "b1", "definition_key": "kaifaqu_jingpin", "status": "completed", "data": data}
    case.update(changes)
    return case


def test_kf14_batch_two_takes_batch_ones_unfilled_posts():
    """KF-14: batch 2 offers exactly batch 1's unfilled posts."""
    result = kf_batch_posts(_batch_one(), None, None, POSTS, ZONE, "kaifaqu_jingpin")
    assert (result["pici"], result["gangwei_list"], result["diyi_pici"]) == (2, [POSTS[1]], "b1")


@pytest.mark.parametrize(
    ("source", "posts", "field"),
    [
        (_batch_one(status="running"), None, "source_instance_id"),
        (_batch_one(definition_key="fenghua_zhaopin"), None, "source_instance_id"),
        (
            _batch_one(data={"pici": 1, "kaifaqu_mingcheng": "别的开发区", "weitianbu_gangwei": POSTS}),
            None,
            "source_instance_id",
        ),
        (_batch_one(), [POSTS[0]], "gangwei_list.0.mingcheng"),
        (None, None, "source_instance_id"),
    ],
    ids=["running", "other-process", "other-zone", "filled-post", "no-source"],
)
def test_kf14_batch_two_refusals(source, posts, field):
    """KF-14: no completed batch 1 of this zone, or a post batch 1 filled: refused."""
    with pytest.raises(Refusal) as refused:
        kf_batch_posts(source, 2, posts, POSTS, ZONE, "kaifaqu_jingpin")
    assert refused.value.field == field


def test_kf07_sheet_lists_every_pair_and_scores_are_trimmed():
    """KF-07, X-02: the list has one line per competitor and post; a complete sheet passes,
    the trimmed mean is taken per pair."""
    people = kf_number_competitors(
        [{"xingming": "甲", "shenfenzheng_hao": "1", "baokao_gangwei": ["A", "B"]}]
    )
    mingdan = kf_score_list(people)
    assert mingdan == [
        {"bianhao": "01", "xingming": "甲", "gangwei": "A"},
        {"bianhao": "01", "xingming": "甲", "gangwei": "B"},
    ]
    sheets = []
    for judge, value in zip(["p1", "p2", "p3", "p4"], [90, 80, 70, 60], strict=True):
        filled = [dict(line, defen=value) for line in kf_blank_sheet(mingdan)]
        sheets.append(kf_judge_sheet(mingdan, filled, judge))
    result = kf_interview_scores(people, sheets)
    assert [c["mianshi_defen"] for c in result["mianshi_chengji"]] == [75.0, 75.0]
    with pytest.raises(Refusal) as refused:
        kf_judge_sheet(mingdan, [dict(mingdan[0], huibi=False, defen=80)], "p1")
    assert refused.value.field == "pingfen"


def test_ss04_ss06_ss07_checks():
    """SS-04: every qualified candidate compared; SS-06: registered, inspected, one per post;
    SS-07: no publicity before the decision."""
    registered = [
        {"xingming": "张", "laiyuan": "内部", "zige_shencha": "通过"},
        {"xingming": "李", "laiyuan": "外部", "zige_shencha": "通过"},
    ]
    with pytest.raises(Refusal):
        ss_comparison(registered, [{"xingming": "张"}])
    assert ss_comparison(registered, [{"xingming": "李"}, {"xingming": "张"}]) == ["李", "张"]
    inspected = [{"xingming": "张"}, {"xingming": "李"}]
    result = ss_proposal(registered, inspected, [{"xingming": "李"}], 1)
    assert result["niding_renxuan"] == [{"xingming": "李", "laiyuan": "外部"}]
    with pytest.raises(Refusal):
        ss_proposal(registered, inspected, [{"xingming": "张"}, {"xingming": "李"}], 1)
    ss_publicity_start("2026-09-25", "2026-09-25")
    with pytest.raises(Refusal):
        ss_publicity_start("2026-09-25", "2026-09-24")
