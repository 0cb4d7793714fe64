"""FH-06 递补 (service/domain/fenghua_dibu.py): a failed physical exam or inspection brings the
next-ranked candidate of the post forward, when the diagram setting `dibu` allows it."""

from __future__ import annotations

import pytest

from service.domain.fenghua_dibu import fh_check_physical, fh_dibu, fh_hire_list
from service.domain.refusal import Refusal

A = {"shenfenzheng_hao": "330283199503120012", "xingming": "王晓东", "zongchengji": 90, "mingci": 1}
B = {"shenfenzheng_hao": "330283199807250027", "xingming": "李静怡", "zongchengji": 80, "mingci": 2}
C = {"shenfenzheng_hao": "330283199211080031", "xingming": "陈浩然", "zongchengji": 70, "mingci": 3}
RANKED = [A, B, C]


def verdict(person, hege=True):
    return {"shenfenzheng_hao": person["shenfenzheng_hao"], "xingming": person["xingming"], "hege": hege}


def test_fh06_a_failed_physical_exam_brings_the_next_ranked_forward():
    proposed, record, forward, sheet = fh_dibu(RANKED, [A], [verdict(A, False)], None, None, True)
    assert forward == [B] and proposed == [B]
    assert sheet == [{"shenfenzheng_hao": B["shenfenzheng_hao"], "xingming": B["xingming"]}]
    assert record == [
        {
            "shenfenzheng_hao": A["shenfenzheng_hao"],
            "xingming": "王晓东",
            "mingci": 1,
            "lunci": 1,
            "dibu": False,
            "tijian_hege": False,
            "kaocha_hege": None,
            "hege": False,
        }
    ]
    # Round two: 李静怡 passes both; nothing more to bring forward.
    assert fh_check_physical(proposed, record, [verdict(B)]) == 1
    proposed, record, forward, _ = fh_dibu(RANKED, proposed, [verdict(B)], [verdict(B)], record, True)
    assert forward == [] and proposed == [B]
    assert record[1]["dibu"] is True and record[1]["lunci"] == 2
    assert fh_hire_list(proposed, record, "财务会计") == ([B], "财务会计拟聘用人员：李静怡（总成绩 80）")


def test_fh06_without_dibu_a_failed_place_stays_empty():
    proposed, record, forward, _ = fh_dibu(
        RANKED, [A, B], [verdict(A), verdict(B)], [verdict(A, False), verdict(B)], [], False
    )
    assert forward == [] and proposed == [B]
    assert fh_hire_list(proposed, record, "财务会计")[0] == [B]


def test_fh06_the_ranking_running_out_ends_the_checks():
    _, record, forward, _ = fh_dibu([A], [A], [verdict(A, False)], None, None, True)
    assert forward == [] and fh_hire_list([], record, "x")[0] == []


def test_fh06_passed_hires_keep_their_place_and_rank_order():
    proposed, _, forward, _ = fh_dibu(
        RANKED, [A, B], [verdict(A), verdict(B, False)], [verdict(A)], None, True
    )
    assert forward == [C] and proposed == [A, C]


@pytest.mark.parametrize(
    ("tijian", "kaocha", "field"),
    [
        ([verdict(B)], None, "tijian_jieguo.0.shenfenzheng_hao"),  # not proposed
        ([verdict(A), verdict(A)], [verdict(A)], "tijian_jieguo.1.shenfenzheng_hao"),  # twice
        ([], None, "tijian_jieguo"),  # missing
        ([verdict(A)], [verdict(B)], "kaocha_jieguo.0.shenfenzheng_hao"),  # inspecting the unfit
        ([verdict(A)], [], "kaocha_jieguo"),  # the fit one not inspected
    ],
)
def test_fh06_verdicts_cover_exactly_the_round(tijian, kaocha, field):
    with pytest.raises(Refusal) as refused:
        fh_dibu(RANKED, [A], tijian, kaocha, None, True)
    assert refused.value.field == field
