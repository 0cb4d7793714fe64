"""Proofs of rules that were cited before by tests that only walked the happy path (issue 8):
each test drives the case through the HTTP API as the role's user would, and asserts the
outcome the document requires, the refusal included (422 problem+json with the Chinese
message, nothing saved, the task still open)."""

from __future__ import annotations

import pytest
import time_machine

from tests import test_kaifaqu
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
from tests.test_kaifaqu import (
    FUGUANZHANG,
    GONGZUO,
    JUDGES5,
    KEY,
    LIU,
    POSTS,
    WANG,
    ZHAO,
    _close_registration_and_confirm,
    _data,
    _do,
    _inspection_entry,
    _interview,
    _key,
    _publish,
    _register,
    _task,
)

# The 开发区 tests' fixtures: the processes deployed (kf) and a travelled clock (clock).
kf = test_kaifaqu.kf
clock = test_kaifaqu.clock

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
        (
            lambda f: f["jiating_chengyuan"][0].pop("zhengzhi_mianmao"),
            "shenqing.jiating_chengyuan.0.zhengzhi_mianmao",
        ),
        (
            lambda f: f["quanrizhi_jiaoyu"].pop("yuanxiao_zhuanye"),
            "shenqing.quanrizhi_jiaoyu.yuanxiao_zhuanye",
        ),
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
            api.complete(registration["id"], "dangweigongzuobu", shenqing=form, shoudao_riqi="2026-03-03"),
            422,
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
        form = shenqing(
            "张建国", zaizhi_jiaoyu={"xueli_xuewei": "硕士研究生", "yuanxiao_zhuanye": "辽宁大学 工商管理"}
        )
        do(api, "dangweigongzuobu", "登记揭榜申请", shenqing=form, shoudao_riqi="2026-03-03")
        [record] = data(api, instance_id)["shenqing_list"]
        assert {k: record[k] for k in form} == form
        assert record["shouli"] is True and record["shoudao_riqi"] == "2026-03-03"


def _jb_panel_task(api, traveller) -> dict:
    _to_list_publicity(api, traveller)
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
            api.complete(panel_task["id"], "dangwei", pingwei_list=panel, dangwei_yanjiu_riqi="2026-03-16"),
            422,
        )
        assert body["errors"]["pingwei_list"] == [message]
        assert task(api, "dangwei", "确定面试评审组")["id"] == panel_task["id"]
        assert titles(api, "gongzuozu") == []


# --- KF: 开发区竞聘上岗 ---------------------------------------------------------------------------


def test_kf01_batch_one_offers_the_plans_fourteen_posts(kf, clock):
    """KF-01: without a list at the start, batch 1 offers the posts of the plan (process setting
    gangwei_qingdan): 14 posts of 党政办公室, 投资促进局 and 经济发展服务局, each counted from 0
    applicants on the live count."""
    started = kf.start(KEY, user="lingdaoban", business_key="NF-KF-2027-1", pici=1)
    assert started.status_code == 201, started.json
    data = _data(kf, started.json["id"])
    names = [g["mingcheng"] for g in data["gangwei_list"]]
    assert len(names) == 14 and len(set(names)) == 14
    for office in ("党政办公室", "投资促进局", "经济发展服务局"):
        assert any(n.startswith(office + "局长") or n.startswith(office + "主任") for n in names), office
        assert any(n.startswith(office) and "专职人员" in n for n in names), office
    assert data["baoming_tongji"] == dict.fromkeys(names, 0)


@pytest.mark.parametrize(
    ("posts", "field", "message"),
    [
        ([], "gangwei_list", "竞聘岗位清单为空，无法发起竞聘批次"),
        ([{"mingcheng": " ", "cengji": 1}], "gangwei_list.0.mingcheng", "第 1 个竞聘岗位缺少岗位名称"),
        ([POSTS[0], {"cengji": 1}], "gangwei_list.1.mingcheng", "第 2 个竞聘岗位缺少岗位名称"),
        (
            [{"mingcheng": GONGZUO}],
            "gangwei_list.0.cengji",
            f"竞聘岗位「{GONGZUO}」的层级应为不小于 1 的整数",
        ),
        ([POSTS[1], POSTS[1]], "gangwei_list.1.mingcheng", f"竞聘岗位「{GONGZUO}」重复"),
    ],
)
def test_kf01_a_malformed_list_of_posts_is_refused_at_the_start(kf, clock, posts, field, message):
    """KF-01: the zone publishes named posts, each with its level: a batch with no posts, a
    post without a name or level, or one post twice is refused, and nothing is started."""
    response = kf.start(KEY, user="lingdaoban", business_key="NF-KF-2027-1", pici=1, gangwei_list=posts)
    body = assert_problem(response, 422)
    assert message in body["detail"], body
    assert body["errors"] == {field: [message]}, body
    assert kf.get("/api/v1/instances", user="admin").json["total"] == 0


def test_kf02_zone_leadership_may_not_compete_in_batch_one(kf, clock):
    """KF-02: batch 1 is for serving staff of the zone and the district, the zone's leadership
    excluded: a member of the leading team is recorded as ineligible with the reason and never
    becomes a competitor, while an eligible colleague does."""
    iid, _ = _publish(kf)
    _register(kf, iid, dict(LIU, shi_lingdao_banzi=True))
    _register(kf, iid, WANG)
    reasons = {r["xingming"]: r["buhege_yuanyin"] for r in _data(kf, iid)["baoming_renyuan"]}
    assert reasons == {"刘佳": ["开发区领导班子成员不参加竞聘"], "王晓东": []}
    _close_registration_and_confirm(kf, iid)
    assert [r["xingming"] for r in _data(kf, iid)["jingpin_renyuan"]] == ["王晓东"]


def _kf_scores_heard(api) -> str:
    """Batch 1 with 王晓东 (副局长) and 赵静 (工作人员) interviewed by five judges."""
    iid, _ = _publish(api)
    for person in (WANG, ZHAO):
        _register(api, iid, person)
    _close_registration_and_confirm(api, iid)
    _interview(
        api,
        iid,
        JUDGES5,
        {_key(WANG, FUGUANZHANG): [88, 86, 85, 90, 80], _key(ZHAO, GONGZUO): [81, 80, 79, 78, 90]},
    )
    return iid


def _queren(person: dict, gangwei: str, signed: bool = True) -> dict:
    return {"shenfenzheng_hao": person["shenfenzheng_hao"], "gangwei": gangwei, "qianzi_queren": signed}


def test_kf08_no_ranking_until_every_candidate_has_signed_for_the_score(kf, clock):
    """KF-08: each candidate confirms (signs for) their own score after hearing it. A sheet
    leaving out a candidate is refused naming them; one recording a refusal to sign is refused
    on that line; nothing is ranked until every candidate has signed."""
    iid = _kf_scores_heard(kf)
    confirm = _task(kf, "lingdaoban", "成绩签字确认", iid)
    body = assert_problem(
        kf.complete(confirm["id"], "lingdaoban", chengji_queren=[_queren(WANG, FUGUANZHANG)]), 422
    )
    assert "赵静（党政办公室工作人员）尚未签字确认成绩" in body["detail"], body
    unsigned = [_queren(WANG, FUGUANZHANG), _queren(ZHAO, GONGZUO, signed=False)]
    body = assert_problem(kf.complete(confirm["id"], "lingdaoban", chengji_queren=unsigned), 422)
    assert body["errors"] == {"chengji_queren.1.qianzi_queren": ["「已签字确认」必须为 True"]}, body
    assert "paiming" not in _data(kf, iid)
    assert _task(kf, "lingdaoban", "成绩签字确认", iid)["id"] == confirm["id"]
    _do(
        kf,
        "lingdaoban",
        "成绩签字确认",
        iid,
        chengji_queren=[_queren(WANG, FUGUANZHANG), _queren(ZHAO, GONGZUO)],
    )
    ranked = _data(kf, iid)["paiming"]
    assert all(c["qianzi_queren"] for post in ranked.values() for c in post)


@pytest.mark.parametrize(
    "check", ["dangan_bishen", "geren_shixiang_bicha", "jijian_yijian_biting", "xinfang_jubao_bicha"]
)
def test_kf11_inspection_is_refused_until_all_four_checks_are_done(kf, clock, check):
    """KF-11: the inspection records the 四必 checks (档案必审、个人有关事项报告必查、纪检监察机关
    意见必听、线索具体的信访举报必查) and an opinion: a result with any check not done, or
    without the discipline organ's opinion or the inspection opinion, is refused."""
    iid = _kf_scores_heard(kf)
    _do(
        kf,
        "lingdaoban",
        "成绩签字确认",
        iid,
        chengji_queren=[_queren(WANG, FUGUANZHANG), _queren(ZHAO, GONGZUO)],
    )
    _do(kf, "lingdaozu", "确定考察对象", iid, huiyi_yijian="同意按差额比例确定考察对象")
    inspect = _task(kf, "kaochazu", "组织考察", iid)
    entries = [_inspection_entry(WANG, FUGUANZHANG), _inspection_entry(ZHAO, GONGZUO)]
    entries[1][check] = False
    body = assert_problem(kf.complete(inspect["id"], "kaochazu", kaocha_jieguo=entries), 422)
    assert list(body["errors"]) == [f"kaocha_jieguo.1.{check}"], body
    assert body["errors"][f"kaocha_jieguo.1.{check}"][0].endswith("必须为 True")
    for missing in ("jijian_yijian", "kaocha_yijian"):
        entries = [_inspection_entry(WANG, FUGUANZHANG), _inspection_entry(ZHAO, GONGZUO)]
        entries[0].pop(missing)
        body = assert_problem(kf.complete(inspect["id"], "kaochazu", kaocha_jieguo=entries), 422)
        assert f"kaocha_jieguo.0.{missing}" in body["errors"], body
    assert "kaocha_jieguo" not in _data(kf, iid)
    _do(
        kf,
        "kaochazu",
        "组织考察",
        iid,
        kaocha_jieguo=[_inspection_entry(WANG, FUGUANZHANG), _inspection_entry(ZHAO, GONGZUO)],
    )
    assert [t["title"] for t in kf.inbox("lingdaoban", instance_id=iid)] == ["提出拟聘用人选建议"]


def test_kf01_batch_posts_unit():
    """KF-01 (unit): kf_batch_posts refuses a post without a name or a whole-number level."""
    from service.domain.kaifaqu import kf_batch_posts
    from service.domain.refusal import Refusal

    ok = kf_batch_posts(None, 1, None, [{"mingcheng": "投资促进局局长", "cengji": 3}], "开发区", KEY)
    assert ok["gangwei_list"] == [{"mingcheng": "投资促进局局长", "cengji": 3}]
    for posts, field in (
        ([{"mingcheng": "", "cengji": 1}], "gangwei_list.0.mingcheng"),
        ([{"mingcheng": "局长", "cengji": True}], "gangwei_list.0.cengji"),
        ([{"mingcheng": "局长", "cengji": 0}], "gangwei_list.0.cengji"),
    ):
        with pytest.raises(Refusal) as refused:
            kf_batch_posts(None, 1, posts, [], "开发区", KEY)
        assert refused.value.field == field
