"""X-02 and the 揭榜挂帅 rounds (service/domain/recusal.py): scores without the recused judges,
and a round that cannot rank someone because every judge recused."""

from __future__ import annotations

import pytest

from service.domain.recusal import (
    check_panel_can_score,
    jb_interview_results,
    jb_second_round_results,
    recusal_split,
)
from service.domain.refusal import Refusal

SPEECH = {"biaoxian": 30, "lijie": 20, "zhishi": 20, "jiazhi": 30}
QA = {"yuyan": 15, "fenxi": 25, "luoji": 20, "yingbian": 25, "suyang": 15}


def _spread(maxima, total):
    lost, result = 100 - total, dict(maxima)
    for key in result:
        take = min(lost, result[key])
        result[key] -= take
        lost -= take
    return result


def scored(name, speech=100, qa=100):
    """A judge's entry for `name` with speech and Q&A totals (each ≤ 100)."""
    return {"xingming": name, "huibi": False, "yanjiang": _spread(SPEECH, speech), "dabian": _spread(QA, qa)}


def recused(name):
    return {"xingming": name, "huibi": True, "huibi_guanxi": "夫妻关系"}


def test_x02_recusal_split_separates_scores_from_recused_judges():
    """X-02: the judges who scored a candidate and those who recused, in sheet order."""
    sheets = [
        {"pingwei": "a", "pingfen": [scored("张"), recused("李")]},
        {"pingwei": "b", "pingfen": [recused("张"), scored("李")]},
    ]
    pairs, out = recusal_split(sheets, "张")
    assert [judge for judge, _ in pairs] == ["a"] and out == ["b"]
    assert recusal_split(sheets, "王") == ([], [])


def test_jb11_x02_interview_results_average_over_the_judges_who_scored():
    """JB-11, X-02, JB-12, JB-13: 50 % speech + 50 % Q&A over the non-recused judges; the tie at
    the top, the top scorer and whether every score is below the pass mark."""
    sheets = [
        {"pingwei": "a", "pingfen": [scored("张", 90, 100), scored("李", 100, 90), recused("王")]},
        {"pingwei": "b", "pingfen": [scored("张", 100, 80), scored("李", 80, 100), scored("王", 70, 70)]},
    ]
    result = jb_interview_results(sheets, ["张", "李", "王"], 80)
    by_name = {e["xingming"]: e for e in result["chengji"]}
    assert by_name["张"]["defen"] == 92.5 and by_name["李"]["defen"] == 92.5
    assert by_name["王"]["yanjiang"] == [70] and by_name["王"]["huibi_pingwei"] == ["a"]
    assert by_name["王"]["defen"] == 70
    assert result["bingli"] == ["张", "李"] and result["kaocha_duixiang"] == "张"
    assert result["buzu"] == [] and result["quanbu_dibao"] is False
    assert jb_interview_results(sheets, ["王"], 80)["quanbu_dibao"] is True
    alone = jb_interview_results(sheets, ["李", "王"], 80)
    assert alone["bingli"] == [] and alone["kaocha_duixiang"] == "李"


def test_x02_a_candidate_every_judge_recused_voids_the_round():
    """X-02: nobody may score 王, so there is no result for anyone and 王 is listed with the
    recused judges."""
    sheets = [
        {"pingwei": "a", "pingfen": [scored("张"), recused("王")]},
        {"pingwei": "b", "pingfen": [scored("张"), recused("王")]},
    ]
    result = jb_interview_results(sheets, ["张", "王"], 80)
    assert result["buzu"] == [{"xingming": "王", "huibi_pingwei": ["a", "b"]}]
    assert result["chengji"] == [] and result["bingli"] == [] and result["kaocha_duixiang"] is None
    second = jb_second_round_results(sheets, ["张", "王"])
    assert second["buzu"] == [{"xingming": "王", "huibi_pingwei": ["a", "b"]}] and second["chengji"] == []
    with pytest.raises(ValueError, match="名单为空"):
        jb_interview_results(sheets, [], 80)


def test_jb12_second_round_is_the_mean_qa_total():
    """JB-12: the tied candidates' second-round Q&A means decide."""
    sheets = [
        {"pingwei": "a", "pingfen": [scored("张", 100, 86), scored("李", 100, 88)]},
        {"pingwei": "b", "pingfen": [scored("张", 100, 86), recused("李")]},
    ]
    result = jb_second_round_results(sheets, ["张", "李"])
    assert {e["xingming"]: e["defen"] for e in result["chengji"]} == {"张": 86, "李": 88}
    assert result["kaocha_duixiang"] == "李" and result["bingli"] == [] and "quanbu_dibao" not in result


def test_x02_jb07_a_reconvened_panel_must_be_able_to_score_everyone():
    """X-02, JB-07: a panel made only of judges who recused for a candidate without a score is
    refused on the panel field; one new member is enough; nothing to check when none is short."""
    shortfall = [{"xingming": "王", "huibi_pingwei": ["a", "b", "c"]}]
    with pytest.raises(Refusal) as refused:
        check_panel_can_score(["a", "b"], shortfall)
    assert refused.value.field == "pingwei_list" and "王" in refused.value.message
    check_panel_can_score(["a", "b", "d"], shortfall)
    check_panel_can_score(["a", "b"], [])
