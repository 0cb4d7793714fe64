"""Proofs of rules that were cited before by tests that only walked the happy path (issue 8):
each test drives the case through the HTTP API as the role's user would, and asserts the
outcome the document requires, the refusal included (422 problem+json with the Chinese
message, nothing saved, the task still open)."""

from __future__ import annotations

import pytest
import time_machine

from tests.conftest import assert_problem
from tests.test_jiebang import (
    BANGDAN,
    PINGWEI,
    _to_list_publicity,
    at,
    data,
    do,
    files,
    shenqing,
    task,
    tick,
    titles,
)

# --- JB: 揭榜挂帅 -------------------------------------------------------------------------------


def _jb_started(api) -> str:
    assert api.deploy(*files()).status_code == 201
    response = api.start("jiebang_guashuai", user="gongzuozu", business_key="GT-JB-2026-09")
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.mark.parametrize("field", sorted(BANGDAN))
def test_jb01_a_call_missing_any_item_is_refused(api, field):
    """JB-01: 榜单 carries position, issuing unit, eligible applicants, goals, results,
    resources & policies, time period and other matters — all required. Leaving one out is
    refused with a Chinese message naming the field; the call is not created."""
    with time_machine.travel(at("2026-03-02"), tick=False):
        instance_id = _jb_started(api)
        jianbang = task(api, "gongzuozu", "建榜")
        without = {k: v for k, v in BANGDAN.items() if k != field}
        body = assert_problem(api.complete(jianbang["id"], "gongzuozu", **without), 422)
        assert field in body["errors"], body
        assert all("必填" in m or "缺少" in m for m in body["errors"][field]), body["errors"]
        assert task(api, "gongzuozu", "建榜")["id"] == jianbang["id"]
        assert field not in data(api, instance_id)


@pytest.mark.parametrize("field", ["jingpin_zhiwei", "zhuyao_mubiao", "chengguo_yaoqiu", "qita_shixiang"])
def test_jb01_a_blank_item_is_as_missing(api, field):
    """JB-01: an item filled with blanks only does not count as filled."""
    with time_machine.travel(at("2026-03-02"), tick=False):
        _jb_started(api)
        jianbang = task(api, "gongzuozu", "建榜")
        body = assert_problem(api.complete(jianbang["id"], "gongzuozu", **{**BANGDAN, field: "   "}), 422)
        assert field in body["errors"], body
        do(api, "gongzuozu", "建榜", **BANGDAN)
        assert titles(api, "gongzuozu") == ["发榜"]


def test_jb01_spaces_only_do_not_fill_a_required_field():
    """JB-01 (unit): validate_submission refuses a string of spaces where the form asks for
    at least one character, in nested fields too, with the field's Chinese title."""
    from service.forms import validate_submission

    schema = {
        "type": "object",
        "properties": {
            "zhuyao_mubiao": {"title": "主要目标", "type": "string", "minLength": 2},
            "beizhu": {"title": "备注", "type": "string"},
            "jiaoyu": {
                "type": "object",
                "properties": {"yuanxiao": {"title": "毕业院校", "type": "string", "minLength": 1}},
            },
        },
    }
    assert validate_submission(schema, {"zhuyao_mubiao": " 提纲 ", "beizhu": "  "}) == {}
    errors = validate_submission(schema, {"zhuyao_mubiao": "　 ", "jiaoyu": {"yuanxiao": "\t"}})
    assert errors == {
        "zhuyao_mubiao": ["「主要目标」至少 2 个字，首尾空格不计"],
        "jiaoyu.yuanxiao": ["「毕业院校」至少 1 个字，首尾空格不计"],
    }


def _jb_registration_open(api, traveller) -> str:
    instance_id = _jb_started(api)
    do(api, "gongzuozu", "建榜", **BANGDAN)
    do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")
    return instance_id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda f: f.pop("minzu"), "shenqing.minzu"),
        (lambda f: f.pop("jiguan"), "shenqing.jiguan"),
        (lambda f: f.pop("jiankang_zhuangkuang"), "shenqing.jiankang_zhuangkuang"),
        (lambda f: f.pop("jiangcheng_qingkuang"), "shenqing.jiangcheng_qingkuang"),
        (lambda f: f.pop("jiating_chengyuan"), "shenqing.jiating_chengyuan"),
        (lambda f: f["jiating_chengyuan"][0].pop("zhengzhi_mianmao"), "shenqing.jiating_chengyuan.0.zhengzhi_mianmao"),
        (lambda f: f["quanrizhi_jiaoyu"].pop("yuanxiao_zhuanye"), "shenqing.quanrizhi_jiaoyu.yuanxiao_zhuanye"),
        (lambda f: f.update(fujian_shenfenzheng=[]), "shenqing.fujian_shenfenzheng"),
        (lambda f: f.pop("fujian_biyezheng"), "shenqing.fujian_biyezheng"),
    ],
)
def test_jb05_an_application_without_a_field_of_form_2_is_refused(api, change, field):
    """JB-05: the 《揭榜申请表》 (附件2) carries ethnicity, native place, health, rewards and
    punishments, family members as a table of relation/name/age/political status/unit & post,
    full-time education with school and major, and the ID card and diploma scans. One left
    out is refused with the field named; nothing is registered and the window stays open."""
    with time_machine.travel(at("2026-03-03"), tick=False) as traveller:
        instance_id = _jb_registration_open(api, traveller)
        form = shenqing("张建国")
        change(form)
        registration = task(api, "dangweigongzuobu", "登记揭榜申请")
        body = assert_problem(
            api.complete(registration["id"], "dangweigongzuobu", shenqing=form, shoudao_riqi="2026-03-03"), 422
        )
        assert field in body["errors"], body["errors"]
        assert all(m.startswith("「") for m in body["errors"][field]), body["errors"]
        assert data(api, instance_id)["shenqing_list"] == []
        assert task(api, "dangweigongzuobu", "登记揭榜申请")["id"] == registration["id"]


def test_jb05_a_complete_application_is_kept_with_every_field_of_form_2(api):
    """JB-05: the registered application keeps the form-2 content as submitted (the in-service
    education is optional: not every applicant has one)."""
    with time_machine.travel(at("2026-03-03"), tick=False) as traveller:
        instance_id = _jb_registration_open(api, traveller)
        form = shenqing("张建国", zaizhi_jiaoyu={"xueli_xuewei": "硕士研究生", "yuanxiao_zhuanye": "辽宁大学 工商管理"})
        do(api, "dangweigongzuobu", "登记揭榜申请", shenqing=form, shoudao_riqi="2026-03-03")
        [record] = data(api, instance_id)["shenqing_list"]
        assert {k: record[k] for k in form} == form
        assert record["shouli"] is True and record["shoudao_riqi"] == "2026-03-03"


def _jb_panel_task(api, traveller) -> dict:
    _to_list_publicity(api, traveller)
    do(api, "dangweigongzuobu", "受理公示异议", you_yiyi=False)
    traveller.move_to(at("2026-03-14", "00:00"))
    assert tick(api) == 1
    return task(api, "dangwei", "确定面试评审组")


@pytest.mark.parametrize(
    ("panel", "message"),
    [
        (PINGWEI[:4], "「面试评审组成员」至少 5 项"),
        ([*PINGWEI, "pingwei6"], "「面试评审组成员」最多 5 项"),
        ([*PINGWEI[:4], "pingwei1"], "「面试评审组成员」不能有重复项"),
    ],
)
def test_jb07_the_panel_is_exactly_five_different_judges(api, panel, message):
    """JB-07: the party committee names a panel of 5 judges: four, six, or one judge named
    twice (four people) is refused; no scoring task is opened."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        panel_task = _jb_panel_task(api, traveller)
        body = assert_problem(
            api.complete(panel_task["id"], "dangwei", pingwei_list=panel, dangwei_yanjiu_riqi="2026-03-16"), 422
        )
        assert body["errors"]["pingwei_list"] == [message]
        assert task(api, "dangwei", "确定面试评审组")["id"] == panel_task["id"]
        assert titles(api, "gongzuozu") == []
