"""Proofs of rules that were cited before by tests that only walked the happy path (issue 8):
each test drives the case through the HTTP API as the role's user would, and asserts the
outcome the document requires, the refusal included (422 problem+json with the Chinese
message, nothing saved, the task still open)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from service.timeutil import SHANGHAI
from tests import test_fenghua, test_kaifaqu, test_shengshu
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
from tests.uploads import with_uploads

# The 开发区 tests' fixtures: the processes deployed (kf) and a travelled clock (clock).
kf = test_kaifaqu.kf
clock = test_kaifaqu.clock
# The 省属 processes deployed (ss); the 奉化 processes deployed (fh) on their pinned clock (fh_clock).
ss = test_shengshu.ss
fh = test_fenghua.fh
fh_clock = test_fenghua.fh_clock

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
        form = with_uploads(
            api,
            "dangweigongzuobu",
            shenqing(
                "张建国",
                zaizhi_jiaoyu={"xueli_xuewei": "硕士研究生", "yuanxiao_zhuanye": "辽宁大学 工商管理"},
            ),
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


# --- SS: 省属企业市场化选聘 ------------------------------------------------------------------------

SS_RECRUITMENT = ["制定招聘方案并发布公告", "报名登记与资格审查", "综合考评", "组织考察与背景调查"]


def _ss_recruitment_open(api) -> str:
    """The plan stage done and approved by 省国资委: the board's recruitment is next."""
    instance_id = test_shengshu._start(api)
    test_shengshu._complete(api, test_shengshu.GUOZIWEI, "省国资委审核一案两书两办法", **test_shengshu.TONGYI)
    return instance_id


def _ss_refused(api, title: str, data: dict, field: str) -> None:
    """The board's step `title` refuses `data` naming `field`; the step stays open for the board."""
    task = test_shengshu._only(api, test_shengshu.DONGSHIHUI, title)
    body = assert_problem(api.complete(task["id"], test_shengshu.DONGSHIHUI, **data), 422)
    assert field in body["errors"], body
    assert all(m.startswith("「") for m in body["errors"][field]), body["errors"]
    assert test_shengshu._only(api, test_shengshu.DONGSHIHUI, title)["id"] == task["id"]


def test_ss03_the_board_recruits_step_by_step_and_no_step_is_left_out(ss):
    """SS-03: recruitment by the board (董事会) is plan & announcement, registration &
    qualification review, comprehensive evaluation (测评、面试、评估), inspection & background
    check, in this order, each the board's task. A step missing its substance is refused with a
    Chinese message naming the field — an announcement without the recruitment plan, a
    registrant without the review's conclusion, an evaluation without one of its three parts, an
    external candidate's inspection without the background check — nothing is saved and the
    step stays open; only then does the party committee propose a candidate."""
    from tests.test_shengshu import (
        DANGWEI,
        DONGSHIHUI,
        GONGGAO,
        KAOCHA,
        KAOPING,
        LI,
        WANG,
        ZHANG,
        _complete,
        _data,
    )

    api = ss
    instance_id = _ss_recruitment_open(api)
    assert [(t["title"], t["role"]) for t in api.inbox(DONGSHIHUI)] == [(SS_RECRUITMENT[0], "董事会")]

    without_plan = {k: v for k, v in GONGGAO.items() if k != "zhaopin_fangan"}
    _ss_refused(api, SS_RECRUITMENT[0], without_plan, "zhaopin_fangan")
    assert "gonggao_riqi" not in _data(api, instance_id)
    _complete(api, DONGSHIHUI, SS_RECRUITMENT[0], **GONGGAO)

    unreviewed = {k: v for k, v in WANG.items() if k != "zige_shencha"}
    _ss_refused(api, SS_RECRUITMENT[1], {"houxuanren": [ZHANG, LI, unreviewed]}, "houxuanren.2.zige_shencha")
    assert "houxuanren" not in _data(api, instance_id)
    _complete(api, DONGSHIHUI, SS_RECRUITMENT[1], houxuanren=[ZHANG, LI, WANG])

    for part in ("ceping_defen", "mianshi_defen", "pinggu_defen"):
        zhang, li = KAOPING["kaoping_jieguo"]
        partial = {"kaoping_jieguo": [zhang, {k: v for k, v in li.items() if k != part}]}
        _ss_refused(api, SS_RECRUITMENT[2], partial, f"kaoping_jieguo.1.{part}")
    assert "kaoping_jieguo" not in _data(api, instance_id)
    _complete(api, DONGSHIHUI, SS_RECRUITMENT[2], **KAOPING)

    zhang, li = KAOCHA["kaocha_duixiang"]
    unchecked = {k: v for k, v in li.items() if k != "beijing_diaocha"}
    _ss_refused(
        api, SS_RECRUITMENT[3], {"kaocha_duixiang": [zhang, unchecked]}, "kaocha_duixiang.1.beijing_diaocha"
    )
    assert "kaocha_duixiang" not in _data(api, instance_id)
    assert api.inbox(DANGWEI) == []
    _complete(api, DONGSHIHUI, SS_RECRUITMENT[3], **KAOCHA)

    assert api.inbox(DANGWEI) == []  # the nomination committee nominates first (SS-06)
    assert [t["title"] for t in api.inbox(test_shengshu.TIMINGWEI)] == ["提名拟聘任人选"]
    steps = [
        s["title"] for s in api.get(f"/api/v1/instances/{instance_id}", user="jijian").json["completed_steps"]
    ]
    assert [steps.index(title) for title in SS_RECRUITMENT] == sorted(
        steps.index(title) for title in SS_RECRUITMENT
    )
    done = api.get(
        "/api/v1/tasks", user="jijian", query_string={"instance_id": instance_id, "status": "completed"}
    )
    by = {t["title"]: (t["role"], t["completed_by"]) for t in done.json["items"]}
    assert all(by[title] == ("董事会", DONGSHIHUI) for title in SS_RECRUITMENT), by


# --- FH: 奉化区国企公开招聘 -----------------------------------------------------------------------

FH_STEPS = [
    "发布招聘公告",
    "登记报名",
    "资格审查",
    "录入笔试成绩",
    "录入面试成绩",
    "组织体检",
    "组织考察",
    "拟聘人员公示",
    "作出聘用决定",
]


def test_fh06_each_step_waits_for_the_one_before_and_all_are_recorded(fh, fh_clock):
    """FH-06: announcement, registration, qualification review, exam(s), physical exam,
    inspection, publicity, hiring — in this order, all public and recorded. An announcement
    without its date is refused (nothing published, registration not opened, the step still
    open); no later step is offered before the one before it is done: nobody is hired while the
    publicity runs; every step done is in the case's timeline with the person who did it."""
    from tests.test_fenghua import (
        BAOMING_JIEZHI,
        GONGGAO_RIQI,
        RUZHI_RIQI,
        SIX_QUALIFIED,
        _data,
        _task,
        _tick,
        _titles,
        close_registration,
        start_plan,
    )

    api = fh
    instance_id = start_plan(api)
    assert _titles(api, "renshi", instance_id) == ["发布招聘公告"]
    announcement = _task(api, "renshi", "发布招聘公告", instance_id)
    undated = {
        "gonggao_biaoti": "2026年公开招聘公告",
        "baoming_jiezhi": BAOMING_JIEZHI,
        "bishi_quanzhong": 40,
    }
    body = assert_problem(api.complete(announcement["id"], "renshi", **undated), 422)
    assert body["errors"]["gonggao_riqi"] == ["「公告日期」为必填项"], body
    assert "gonggao_biaoti" not in _data(api, instance_id)["data"]
    assert _titles(api, "renshi", instance_id) == ["发布招聘公告"]
    assert _task(api, "renshi", "发布招聘公告", instance_id)["id"] == announcement["id"]

    test_fenghua.announce_and_register(api, instance_id, SIX_QUALIFIED)
    assert _data(api, instance_id)["data"]["gonggao_riqi"] == GONGGAO_RIQI  # published, on record
    assert "组织体检" not in _titles(api, "renshi", instance_id)
    close_registration(api)
    assert _titles(api, "kaoguan1", instance_id) == ["录入笔试成绩"]  # exams after the review
    assert "组织考察" not in _titles(api, "jituan", instance_id)
    test_fenghua._to_publicity(api, instance_id)
    assert "作出聘用决定" not in _titles(api, "jituan", instance_id)  # not while the publicity runs
    with time_machine.travel(datetime(2026, 12, 9, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
    with time_machine.travel(datetime(2026, 12, 9, 10, 0, tzinfo=SHANGHAI)):
        test_fenghua._do(
            api,
            "jituan",
            "作出聘用决定",
            instance_id,
            pinyong_wenhao="奉交投人〔2026〕60号",
            ruzhi_riqi=RUZHI_RIQI,
        )

    detail = _data(api, instance_id)
    steps = [s["title"] for s in detail["completed_steps"]]
    assert [steps.index(title) for title in FH_STEPS] == sorted(steps.index(title) for title in FH_STEPS)
    [record] = detail["data"]["gongshi_lishi"]  # the publicity, public and on record
    assert record["gongshi_jieguo"] == "无异议" and "王晓东" in record["gongshi_neirong"]
    history = api.get(f"/api/v1/instances/{instance_id}/history", user="jijian").json["events"]
    recorded = {(e["step"], e["actor"]) for e in history if e["action"] == "task.completed"}
    query = {"instance_id": instance_id, "status": "completed", "per_page": 100}
    done = api.get("/api/v1/tasks", user="jijian", query_string=query).json["items"]
    assert recorded == {(t["title"], t["completed_by"]) for t in done}
    assert {title for title, _ in recorded} >= set(FH_STEPS) - {"资格审查", "拟聘人员公示"}


def _fh_archive_open(api) -> str:
    """One hire, contracted and filed: only 「招聘资料归档」 is left."""
    from tests.test_fenghua import RUZHI_RIQI, SIX_QUALIFIED, _do, _file, _hired

    instance_id = _hired(api)
    with time_machine.travel(datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)):
        _do(api, "renshi", "签订劳动合同", instance_id, hetong_riqi=RUZHI_RIQI, hetong_qixian_nian=3)
        _file(api, instance_id, SIX_QUALIFIED[0])
    return instance_id


def test_fh07_results_are_archived_permanently_and_a_shorter_period_is_refused(fh, fh_clock):
    """FH-07: after hiring, the announcement, the scores and the hires are archived
    permanently: the archive's 保管期限 can only be 「永久」. 长期 (a term of years under the
    archives rules), 定期30年, 定期10年 or none at all is refused with the Chinese message, nothing is
    archived and the step stays open; 永久 archives the announcement, every registrant's scores
    and the hire, and the case ends."""
    from tests.test_fenghua import GONGGAO_RIQI, _data, _task

    api = fh
    instance_id = _fh_archive_open(api)
    archive = _task(api, "renshi", "招聘资料归档", instance_id)
    filed = {"dangan_bianhao": "FHJT-ZP-2026-010", "guidang_riqi": "2026-12-10"}
    for period in ("长期", "定期30年", "定期10年"):
        body = assert_problem(api.complete(archive["id"], "renshi", **filed, baoguan_qixian=period), 422)
        assert body["errors"] == {"baoguan_qixian": ["「保管期限」只能是：永久"]}, body
    body = assert_problem(api.complete(archive["id"], "renshi", **filed), 422)
    assert list(body["errors"]) == ["baoguan_qixian"], body
    detail = _data(api, instance_id)
    assert detail["status"] != "completed"
    assert not {"dangan_bianhao", "baoguan_qixian"} & set(detail["data"])
    assert _task(api, "renshi", "招聘资料归档", instance_id)["id"] == archive["id"]

    done = api.complete(archive["id"], "renshi", **filed, baoguan_qixian="永久")
    assert done.status_code == 200, done.json
    detail = _data(api, instance_id)
    assert detail["status"] == "completed" and detail["data"]["baoguan_qixian"] == "永久"
    kept = detail["data"]["guidang_cailiao"]
    assert kept["gonggao"]["riqi"] == GONGGAO_RIQI
    assert len(kept["baoming"]) == 7 and len(kept["chengji"]) == 6
    assert [p["xingming"] for p in kept["luyong"]] == ["王晓东"]


# --- X: across all procedures -------------------------------------------------------------------

INSPECTOR = "jijian"  # 纪检监督


def test_x01_the_inspector_reads_every_case_but_claims_completes_and_releases_nothing(ss):
    """X-01: the discipline inspector (纪检监督) reads every case — the list, each case, its
    timeline, the open task — but changes nothing: claiming, completing or releasing a task is
    refused (403 problem+json, in Chinese), and so is starting a case. The task stays open with
    the board, its holder unchanged, nothing is saved and the trail records no work by the
    inspector."""
    from tests.test_shengshu import DONGSHIHUI, GONGGAO, KEY, _data

    api = ss
    first = _ss_recruitment_open(api)
    second = api.start(KEY, user=test_shengshu.DANGWEI, business_key="LNJT-XP-2026-02").json["id"]
    listed = api.get("/api/v1/instances", user=INSPECTOR).json
    assert {i["id"] for i in listed["items"]} == {first, second}
    for instance_id in (first, second):
        assert api.get(f"/api/v1/instances/{instance_id}", user=INSPECTOR).status_code == 200
        assert api.get(f"/api/v1/instances/{instance_id}/history", user=INSPECTOR).status_code == 200
    [task] = [t for t in api.inbox(DONGSHIHUI) if t["instance_id"] == first]
    assert task["id"] in {t["id"] for t in api.inbox(INSPECTOR)}  # the inspector sees it …
    assert api.get(f"/api/v1/tasks/{task['id']}", user=INSPECTOR).status_code == 200

    claim = assert_problem(api.post(f"/api/v1/tasks/{task['id']}/claim", user=INSPECTOR), 403)
    assert "不能认领" in claim["detail"], claim  # … but does not take it
    complete = assert_problem(api.complete(task["id"], INSPECTOR, **GONGGAO), 403)
    assert "不能办理" in complete["detail"], complete
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", user=DONGSHIHUI).status_code == 200
    release = assert_problem(api.post(f"/api/v1/tasks/{task['id']}/unclaim", user=INSPECTOR), 403)
    assert "只有本人或管理员可以退回" in release["detail"], release
    start = assert_problem(api.start(KEY, user=INSPECTOR, business_key="LNJT-XP-2026-03"), 403)
    assert "不能发起" in start["detail"], start

    shown = api.get(f"/api/v1/tasks/{task['id']}", user=DONGSHIHUI).json
    assert (shown["status"], shown["assignee"]) == ("open", DONGSHIHUI), shown
    assert "gonggao_riqi" not in _data(api, first)
    assert api.get("/api/v1/instances", user="admin").json["total"] == 2
    query = {"actor": INSPECTOR, "action": "task"}
    assert api.get("/api/v1/audit", user="admin", query_string=query).json["total"] == 0


def test_x01_the_inspector_cannot_deploy_a_diagram(ss):
    """X-01: deploying is changing the procedure: refused to the inspector (403, in Chinese);
    the deployed version stays as it was."""
    api = ss
    before = api.get(f"/api/v1/definitions/{test_shengshu.KEY}", user="admin").json
    files = [test_shengshu.PROCESSES / "shengshu_xuanpin.bpmn"]
    body = assert_problem(api.deploy(*files, user=INSPECTOR), 403)
    assert "可以部署流程定义" in body["detail"], body
    assert api.get(f"/api/v1/definitions/{test_shengshu.KEY}", user="admin").json == before


def test_x01_a_lane_giving_work_to_the_observer_is_refused_at_deployment(api):
    """X-01: an observer role is never given a task: the 省属 diagram with the 省委组织部 lane
    handed to 纪检监督 is refused at deployment, naming the lane's tasks; nothing is deployed."""
    from tests.conftest import FORMS, PROCESSES

    diagram = (PROCESSES / "shengshu_xuanpin.bpmn").read_text("utf-8")
    lane = '<bpmn:lane id="Lane_shengwei_zuzhibu" name="省委组织部">'
    assert lane in diagram
    given = diagram.replace(lane, '<bpmn:lane id="Lane_shengwei_zuzhibu" name="纪检监督">')
    forms = [(f.name, f.read_bytes()) for f in sorted(FORMS.glob("ss_*.schema.json"))]
    gongshi = [
        (f.name, f.read_bytes()) for f in [PROCESSES / "gongshi.bpmn", *FORMS.glob("gongshi_*.schema.json")]
    ]
    body = assert_problem(api.deploy(("shengshu_xuanpin.bpmn", given.encode()), *forms, *gongshi), 422)
    assert "监督角色只查看、不办理（X-01）" in body["detail"], body
    for title in ("拟聘任人选报省委组织部备案", "征求省委领导意见", "省委组织部反馈聘任意见"):
        assert f"「{title}」" in body["detail"], body
    assert_problem(api.get(f"/api/v1/definitions/{test_shengshu.KEY}"), 404)
