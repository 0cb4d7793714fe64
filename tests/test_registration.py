"""One rule for a second registration of the same ID number, in every procedure (KF-04, JB-03,
FH-06, SS-03): KF replaces it (改报), FH and JB refuse it with the earlier entry named, SS refuses
a list naming a person twice. The rule is the domain function register_once; the diagrams
choose it with the setting chongfu_baoming."""

from __future__ import annotations

import pytest
import time_machine

from service.domain.refusal import Refusal
from service.domain.registration import check_single_registrations, count_by_post, register_once
from tests.conftest import assert_problem
from tests.test_fenghua import SIX_QUALIFIED, _data, _task, announce_and_register, start_plan
from tests.test_fenghua import fh as fh
from tests.test_fenghua import fh_clock as fh_clock
from tests.test_jiebang import BANGDAN, at, do, files, shenqing, task
from tests.test_kaifaqu import WANG, _publish, _register
from tests.test_kaifaqu import _data as kf_data
from tests.test_kaifaqu import clock as clock
from tests.test_kaifaqu import kf as kf

A = {"xingming": "王晓东", "shenfenzheng_hao": "33028319950312001x"}
B = {"xingming": "李静怡", "shenfenzheng_hao": "330283199807250027"}


def test_replace_keeps_one_entry_per_id_and_counts_the_changes():
    """KF-04: 改报 replaces the earlier registration (ID numbers compared without case)."""
    rows = register_once([], A, "替换")
    rows = register_once(rows, B, "替换")
    rows = register_once(rows, dict(A, shenfenzheng_hao=A["shenfenzheng_hao"].upper(), note=2), "替换")
    assert [r["xingming"] for r in rows] == ["李静怡", "王晓东"]
    assert rows[-1]["gaibao_cishu"] == 1 and rows[-1]["note"] == 2
    assert register_once(rows, A, "替换")[-1]["gaibao_cishu"] == 2


def test_refuse_names_the_earlier_entry_and_keeps_it():
    """FH-06, JB-03: a second registration is refused on the field the caller names."""
    rows = register_once([A], B, "拒绝")
    with pytest.raises(Refusal) as refused:
        register_once(rows, dict(A, xingming="王小东"), "拒绝", field="shenqing.shenfenzheng_hao")
    assert refused.value.field == "shenqing.shenfenzheng_hao"
    assert "第 1 份" in refused.value.message and "王晓东" in refused.value.message
    assert "不能重复报名" in refused.value.message


def test_a_registration_without_id_and_an_unknown_policy_are_errors():
    with pytest.raises(Refusal):
        register_once([], {"xingming": "无名"}, "拒绝")
    with pytest.raises(ValueError, match="chongfu_baoming"):
        register_once([], A, "覆盖")


def test_a_list_in_one_submission_names_each_person_once():
    """SS-03: the board's list of registered candidates."""
    assert check_single_registrations([A, B], "houxuanren") == [A, B]
    with pytest.raises(Refusal) as refused:
        check_single_registrations([A, B, dict(A, xingming="另一人")], "houxuanren")
    assert refused.value.field == "houxuanren.2.shenfenzheng_hao"
    assert "与第 1 项重复" in refused.value.message


def test_live_count_lists_every_post_and_counts_only_the_qualified():
    """KF-04: the count the office publishes during registration."""
    posts = [{"mingcheng": "甲"}, {"mingcheng": "乙"}]
    rows = [
        {"zige_hege": True, "baokao_gangwei": ["甲", "乙"]},
        {"zige_hege": False, "baokao_gangwei": ["甲"]},
        {"zige_hege": True, "baokao_gangwei": ["甲"]},
    ]
    assert count_by_post(rows, posts) == {"甲": 2, "乙": 1}
    assert count_by_post([], posts) == {"甲": 0, "乙": 0}


def test_kf04_registering_again_switches_and_records_the_change(kf, clock):
    """KF-04 through the API: the second registration of the same ID number replaces the first."""
    iid, _ = _publish(kf)
    _register(kf, iid, WANG)
    _register(kf, iid, WANG, xingming=WANG["xingming"])
    [only] = kf_data(kf, iid)["baoming_renyuan"]
    assert only["gaibao_cishu"] == 1
    # the form fields of the registration do not stay in the case's data (xuanpin:consumes)
    assert "shenfenzheng_hao" not in kf_data(kf, iid) and "nianling" not in kf_data(kf, iid)


def test_fh06_the_same_applicant_cannot_register_twice_for_the_post(fh, fh_clock):
    """FH-06: a second registration with the same ID number is refused on the ID field, the first
    one stands and the form stays open for the next applicant."""
    instance_id = start_plan(fh)
    first = SIX_QUALIFIED[0]
    announce_and_register(fh, instance_id, [first])
    task_id = _task(fh, "renshi", "登记报名", instance_id)["id"]
    again = dict(first, shenfenzheng_hao=first["shenfenzheng_hao"].lower(), xingming="王小东")
    body = assert_problem(fh.complete(task_id, "renshi", **again), 422)
    assert "不能重复报名" in body["detail"] and "王晓东" in body["detail"]
    assert "shenfenzheng_hao" in body.get("errors", {})
    register = _data(fh, instance_id)["data"]["yingpin_mingdan"]
    assert [a["xingming"] for a in register] == ["王晓东"]
    # the next applicant registers on the same open task
    assert fh.complete(task_id, "renshi", **SIX_QUALIFIED[1]).status_code == 200
    assert len(_data(fh, instance_id)["data"]["yingpin_mingdan"]) == 2


def test_jb03_the_same_applicant_cannot_apply_twice_for_the_call(api):
    """JB-03: a second application with the same ID number is refused on shenqing.shenfenzheng_hao."""
    with time_machine.travel(at("2026-03-02"), tick=False):
        assert api.deploy(*files()).status_code == 201
        instance_id = api.start("jiebang_guashuai", user="gongzuozu").json["id"]
        do(api, "gongzuozu", "建榜", **BANGDAN)
        do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")
        do(api, "dangweigongzuobu", "登记揭榜申请", shenqing=shenqing("张建国"), shoudao_riqi="2026-03-03")
        open_task = task(api, "dangweigongzuobu", "登记揭榜申请")
        again = api.complete(
            open_task["id"], "dangweigongzuobu", shenqing=shenqing("张建国"), shoudao_riqi="2026-03-04"
        )
        body = assert_problem(again, 422)
        assert "不能重复报名" in body["detail"]
        assert "shenqing.shenfenzheng_hao" in body.get("errors", {})
        state = api.get(f"/api/v1/instances/{instance_id}").json["data"]
        assert [s["shoudao_riqi"] for s in state["shenqing_list"]] == ["2026-03-03"]
        assert "shenqing" not in state
