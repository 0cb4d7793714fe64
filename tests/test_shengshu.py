"""省属企业市场化选聘经理层 (processes/shengshu_xuanpin.bpmn) end to end over REST, with
realistic data: plan stage, recruitment by the board, the chain of external approvals (one of
them answered by an OA system token acting for 省国资委), the board's decision, the 5-working-day
publicity (the shared 「公示」 subprocess), the contract with its pay check and the filing; and the
separate exit process (processes/shengshu_jieping.bpmn). Rules: SS-01 … SS-10."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine

from service.scheduler import TimerScheduler
from service.timeutil import SHANGHAI
from tests.conftest import FORMS, PROCESSES, assert_problem
from tests.uploads import pending

KEY = "shengshu_xuanpin"
DANGWEI, DONGSHIHUI, TIMINGWEI = "qiyedangwei", "dongshihui", "timingwei"
ZONGJINGLI = "zongjingli"  # the serving 总经理: nominates deputies and signs their contracts
GUOZIWEI, ZUZHIBU = "shengguoziwei", "zuzhibu"

# The board decides on Monday 2026-09-28; 5 working days not counting that day are 9/29, 9/30,
# 10/8, 10/9 and Saturday 10/10 (调休上班), so the publicity ends 2026-10-10 23:59:59 +08:00.
JUEDING_TIME = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)
GONGSHI_JIEZHI = "2026-10-10T23:59:59+08:00"
JUST_BEFORE_END = datetime(2026, 10, 10, 23, 59, 0, tzinfo=SHANGHAI)
JUST_AFTER_END = datetime(2026, 10, 11, 0, 0, 1, tzinfo=SHANGHAI)


def _file(label: str, filename: str) -> dict[str, str]:
    """A document the submitter uploads when completing the step (tests/uploads.py)."""
    return pending(filename)


GOUTONG = {
    "qiye_mingcheng": "辽宁省交通建设投资集团有限责任公司",
    "gangwei": "总经理",
    "gangwei_shuliang": 1,
    "xuanpin_fanwei": "部分岗位市场化选聘",
    "goutong_zuzhibu": "2026年3月10日赴省委组织部干部二处当面汇报选聘意向，原则同意。",
    "goutong_guoziwei": "2026年3月12日向省国资委企业领导人员管理处书面报告，支持开展试点。",
}
YIAN = {
    "xuanpin_fangan": _file("F-001", "市场化选聘经理层成员方案.pdf"),
    "pinren_hetongshu": _file("F-002", "聘任合同书（范本）.docx"),
    "yeji_zerenshu": _file("F-003", "经营业绩责任书.docx"),
    "yeji_kaohe_banfa": _file("F-004", "经理层成员业绩考核办法.pdf"),
    "xinchou_guanli_banfa": _file("F-005", "经理层成员薪酬管理办法.pdf"),
    "dangwei_yanjiu_yijian": "党委会2026年第8次会议研究同意，建议进一步细化退出条款。",
}
GONGGAO = {
    "zhaopin_fangan": _file("F-010", "总经理公开招聘方案.pdf"),
    "gonggao_riqi": "2026-05-06",
    "gonggao_qudao": "企业官网、辽宁省国资委网站、猎聘网",
    "baoming_jiezhi": "2026-05-26",
}
ZHANG = {
    "xingming": "张伟",
    "shenfenzheng_hao": "210102197805150030",
    "laiyuan": "内部",
    "xianren_danwei_zhiwu": "本公司副总经理",
    "zige_shencha": "通过",
}
LI = {
    "xingming": "李娜",
    "shenfenzheng_hao": "110105198203094422",
    "laiyuan": "外部",
    "xianren_danwei_zhiwu": "中建八局东北公司总经济师",
    "zige_shencha": "通过",
}
WANG = {
    "xingming": "王强",
    "shenfenzheng_hao": "210211198511207716",
    "laiyuan": "外部",
    "xianren_danwei_zhiwu": "某民营物流公司部门经理",
    "zige_shencha": "不通过",
    "shencha_shuoming": "不具备大型企业高管任职经历",
}
KAOPING = {
    "kaoping_jieguo": [
        {
            "xingming": "张伟",
            "ceping_defen": 88,
            "mianshi_defen": 90.5,
            "pinggu_defen": 86,
            "zonghe_defen": 88.6,
        },
        {
            "xingming": "李娜",
            "ceping_defen": 85,
            "mianshi_defen": 87,
            "pinggu_defen": 84,
            "zonghe_defen": 85.5,
        },
    ]
}
LIANJIE = {
    "dangwei_yijian": "经党委研究，该同志遵守廉洁从业规定，未发现违规问题。",
    "jiwei_yijian": "经查阅信访举报和问题线索，未发现该同志违纪违法问题。",
    "jielunxing_pingjia": "廉洁从业情况良好",
    "yijian_shu": _file("F-020", "张伟廉洁从业书面意见.pdf"),
}
BEIDIAO = {
    "diaocha_jielun": "未发现问题",
    "zhengqiu_bumen": ["公安", "税务", "原工作单位"],
    "diaocha_qingkuang": "经征求公安、税务部门及原工作单位意见，未发现违法违规记录。",
    "baogao": _file("F-021", "李娜背景调查报告.pdf"),
}
KAOCHA = {
    "kaocha_duixiang": [
        {
            "xingming": "张伟",
            "laiyuan": "内部",
            "kaocha_yijian": "政治素质好，熟悉企业经营。",
            "lianjie_yijian": LIANJIE,
        },
        {
            "xingming": "李娜",
            "laiyuan": "外部",
            "kaocha_yijian": "市场开拓能力强。",
            "beijing_diaocha": BEIDIAO,
        },
    ]
}
TIMING = {
    "timing_renxuan": [
        {"xingming": "张伟", "timing_liyou": "综合考评第一，考察情况良好。"},
        {"xingming": "李娜", "timing_liyou": "综合考评第二，市场开拓能力强。"},
    ],
    "timing_riqi": "2026-07-14",
}
NIDING = {
    "niding_renxuan": [
        {"xingming": "张伟", "tuijian_liyou": "综合考评第一，考察情况良好，熟悉交通建设投资业务。"}
    ],
    "dangwei_huiyi_riqi": "2026-07-15",
}
TONGYI = {"yijian": "同意", "shuoming": "同意所报人选。"}
LINGDAO = {
    "zhengqiu_duixiang": "省委主要领导同志、分管国资工作的副省长",
    "shengwei_lingdao_yijian": "同意",
    "lingdao_yijian_shuoming": "无不同意见。",
}
JUEDING = {
    "jueding_riqi": "2026-09-25",
    "jueding_wenhao": "辽交投董〔2026〕15号",
    "pinren_jueding_wenjian": _file("F-030", "关于聘任张伟为公司总经理的决定.pdf"),
    "gongshi_kaishi": "2026-09-28",
    "renqi_kaishi": "2026-10-12",
    "jiben_nianxin": 40,
    "mubiao_jixiao_nianxin": 70,
    "zhongchangqi_jili": 50,
    "shichang_75fenwei": 180,
}
HETONG = {
    "qianyue_riqi": "2026-10-12",
    "qianyue_daibiao": "董事长 刘建国",
    "gongzuo_zhize": "主持公司生产经营管理工作，组织实施董事会决议和年度经营计划。",
    "quanli_fanwei": "拟订内部管理机构设置方案；提请聘任或解聘副总经理、财务负责人；聘任或解聘中层管理人员。",
    "jieyue_tiaojian": "年度经营业绩考核主要指标未达到完成底线等细则规定的情形。",
    "weiyue_zeren": "违反竞业限制和保密义务的，按合同约定承担违约责任。",
    "hetong_wenben": _file("F-040", "张伟聘任合同.pdf"),
}
BAOSONG = {
    "zuzhibu_baosong_riqi": "2026-10-16",
    "guoziwei_baosong_riqi": "2026-10-16",
    "baosong_wenhao": "辽交投党〔2026〕21号",
}


@pytest.fixture()
def ss(api):
    files = [
        PROCESSES / "shengshu_xuanpin.bpmn",
        PROCESSES / "shengshu_jieping.bpmn",
        PROCESSES / "gongshi.bpmn",
        *sorted(FORMS.glob("ss_*.schema.json")),
        *sorted(FORMS.glob("gongshi_*.schema.json")),
    ]
    response = api.deploy(*files)
    assert response.status_code == 201, response.json
    return api


def _only(api, user: str, title: str) -> dict[str, Any]:
    tasks = api.inbox(user)
    assert [t["title"] for t in tasks] == [title], tasks
    return tasks[0]


def _complete(api, user: str, title: str, **data: Any) -> dict[str, Any]:
    task = _only(api, user, title)
    response = api.complete(task["id"], user, **data)
    assert response.status_code == 200, response.json
    return response.json


def _data(api, instance_id: str) -> dict[str, Any]:
    return api.get(f"/api/v1/instances/{instance_id}").json["data"]


def _tick(api, moment: datetime) -> int:
    with time_machine.travel(moment):
        return TimerScheduler(api.client.application.extensions["xuanpin"]).tick()


def _start(api) -> str:
    response = api.start(KEY, user=DANGWEI, business_key="LNJT-XP-2026-01")
    assert response.status_code == 201, response.json
    _complete(api, DANGWEI, "沟通选聘意向", **GOUTONG)
    _complete(api, DONGSHIHUI, "形成一案两书两办法", **YIAN)
    return response.json["id"]


def _to_recruitment(api) -> str:
    instance_id = _start(api)
    _complete(api, GUOZIWEI, "省国资委审核一案两书两办法", **TONGYI)
    _complete(api, DONGSHIHUI, "制定招聘方案并发布公告", **GONGGAO)
    return instance_id


def _to_proposal(api) -> str:
    instance_id = _to_recruitment(api)
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI, WANG])
    _complete(api, DONGSHIHUI, "综合考评", **KAOPING)
    _complete(api, DONGSHIHUI, "组织考察与背景调查", **KAOCHA)
    _complete(api, TIMINGWEI, "提名拟聘任人选", **TIMING)
    _complete(api, DANGWEI, "提出拟聘任人选", **NIDING)
    return instance_id


def _through_approvals(api) -> None:
    _complete(api, GUOZIWEI, "省国资委对拟聘任人选提出意见", **TONGYI)
    _complete(api, ZUZHIBU, "拟聘任人选报省委组织部备案", **TONGYI)
    _complete(api, ZUZHIBU, "征求省委领导意见", **LINGDAO)
    _complete(api, ZUZHIBU, "省委组织部反馈聘任意见", **TONGYI)


def _to_contract(api) -> str:
    instance_id = _to_proposal(api)
    _through_approvals(api)
    with time_machine.travel(JUEDING_TIME):
        _complete(api, DONGSHIHUI, "作出聘任决定", **JUEDING)
        api.post_publicity(DONGSHIHUI)
    assert _tick(api, JUST_AFTER_END) == 1
    return instance_id


def _oa_token(api, role: str = "省国资委") -> dict[str, str]:
    created = api.post("/api/v1/tokens", json={"name": "省国资委OA", "roles": [role]})
    assert created.status_code == 201, created.json
    return {"Authorization": f"Bearer {created.json['access_token']}"}


def test_ss_main_path_to_contract_and_filing(ss):
    """SS-01, SS-02, SS-03, SS-06, SS-07, SS-08, SS-09: one 总经理 selection from the plan to the
    filing; 省国资委's opinions come from an OA system token; the 5-working-day publicity ends
    on 2026-10-10 (调休) before the contract can be signed."""
    api = ss
    instance_id = _start(api)
    data = _data(api, instance_id)
    assert (
        data["gangwei"] == "总经理"
        and data["xinchou_guanli_banfa"]["filename"] == "经理层成员薪酬管理办法.pdf"
    )

    oa = _oa_token(api)
    [task] = api.client.get("/api/v1/tasks", headers=oa).json["items"]
    assert (task["title"], task["role"]) == ("省国资委审核一案两书两办法", "省国资委")
    done = api.client.post(f"/api/v1/tasks/{task['id']}/complete", headers=oa, json={"data": TONGYI})
    assert done.status_code == 200, done.json

    _complete(api, DONGSHIHUI, "制定招聘方案并发布公告", **GONGGAO)
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI, WANG])
    data = _data(api, instance_id)
    assert (data["hege_houxuanren"], data["chae_dabiao"]) == (["张伟", "李娜"], True)
    _complete(api, DONGSHIHUI, "综合考评", **KAOPING)
    _complete(api, DONGSHIHUI, "组织考察与背景调查", **KAOCHA)
    _complete(api, TIMINGWEI, "提名拟聘任人选", **TIMING)
    _complete(api, DANGWEI, "提出拟聘任人选", **NIDING)

    [task] = api.client.get("/api/v1/tasks", headers=oa).json["items"]
    assert task["title"] == "省国资委对拟聘任人选提出意见"
    done = api.client.post(f"/api/v1/tasks/{task['id']}/complete", headers=oa, json={"data": TONGYI})
    assert done.status_code == 200, done.json
    _complete(api, ZUZHIBU, "拟聘任人选报省委组织部备案", **TONGYI)
    _complete(api, ZUZHIBU, "征求省委领导意见", **LINGDAO)
    _complete(api, ZUZHIBU, "省委组织部反馈聘任意见", **TONGYI)

    with time_machine.travel(JUEDING_TIME):
        _complete(api, DONGSHIHUI, "作出聘任决定", **JUEDING)
        api.post_publicity(DONGSHIHUI)  # posted the day of the decision
    publicity = _only(api, DONGSHIHUI, "受理公示异议")
    assert publicity["due_at"] == GONGSHI_JIEZHI
    data = _data(api, instance_id)
    assert data["gongshi_neirong"] == "拟聘任张伟为辽宁省交通建设投资集团有限责任公司总经理（市场化选聘）"
    assert _tick(api, JUST_BEFORE_END) == 0
    assert _tick(api, JUST_AFTER_END) == 1
    assert _data(api, instance_id)["gongshi_jieguo"] == "无异议"

    _complete(api, DONGSHIHUI, "签订聘任合同", **HETONG)
    data = _data(api, instance_id)
    assert data["xinchou_weigui"] == [] and data["xinchou_zongshuiping"] == 160
    final = _complete(api, DANGWEI, "一案两书两办法和聘任决定报备", **BAOSONG)
    assert final["status"] == "completed"

    shown = api.get(f"/api/v1/instances/{instance_id}", user="jijian").json
    titles = [step["title"] for step in shown["completed_steps"]]
    assert titles[-1] == "选聘完成"
    for step in ("省国资委审核一案两书两办法", "省委组织部反馈聘任意见", "作出聘任决定", "签订聘任合同"):
        assert step in titles


def test_ss_01_only_the_three_manager_posts(ss):
    """SS-01: the post is 总经理, 副总经理 or 总会计师."""
    api = ss
    api.start(KEY, user=DANGWEI)
    task = _only(api, DANGWEI, "沟通选聘意向")
    body = assert_problem(api.complete(task["id"], DANGWEI, **dict(GOUTONG, gangwei="董事长")), 422)
    assert list(body["errors"]) == ["gangwei"]


def test_ss_02_all_five_plan_documents_required_and_sasac_can_send_back(ss):
    """SS-02: the five documents of 一案两书两办法 are all required; 省国资委 disagreeing sends
    the plan back to the board for revision."""
    api = ss
    api.start(KEY, user=DANGWEI)
    _complete(api, DANGWEI, "沟通选聘意向", **GOUTONG)
    task = _only(api, DONGSHIHUI, "形成一案两书两办法")
    partial = {k: v for k, v in YIAN.items() if k != "yeji_zerenshu"}
    body = assert_problem(api.complete(task["id"], DONGSHIHUI, **partial), 422)
    assert list(body["errors"]) == ["yeji_zerenshu"]
    _complete(api, DONGSHIHUI, "形成一案两书两办法", **YIAN)
    task = _only(api, GUOZIWEI, "省国资委审核一案两书两办法")
    assert_problem(api.complete(task["id"], GUOZIWEI, yijian="不同意"), 422)  # reason required
    _complete(
        api,
        GUOZIWEI,
        "省国资委审核一案两书两办法",
        yijian="不同意",
        shuoming="薪酬管理办法未体现业绩升薪酬升。",
    )
    _complete(api, DONGSHIHUI, "形成一案两书两办法", **YIAN)
    _complete(api, GUOZIWEI, "省国资委审核一案两书两办法", **TONGYI)
    _only(api, DONGSHIHUI, "制定招聘方案并发布公告")


def test_ss_04_fewer_than_two_candidates_per_post(ss):
    """SS-04: one qualified candidate for one post is below 1:2; the board extends recruitment
    (back to registration) and, with two qualified, the selection goes on; ending is the other
    choice."""
    api = ss
    instance_id = _to_recruitment(api)
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, WANG])
    data = _data(api, instance_id)
    assert (data["chae_renshu"], data["chae_dabiao"]) == (1, False)
    _complete(api, DONGSHIHUI, "差额不足处理", chae_chuli="延长招聘", chae_shuoming="延长报名期限10天。")
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, WANG, LI])
    assert _data(api, instance_id)["chae_dabiao"] is True
    _only(api, DONGSHIHUI, "综合考评")


def test_ss_04_board_may_end_the_selection(ss):
    """SS-04: with too few candidates the board may end the selection."""
    api = ss
    instance_id = _to_recruitment(api)
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[LI])
    final = _complete(api, DONGSHIHUI, "差额不足处理", chae_chuli="终止选聘", chae_shuoming="报名人数不足。")
    assert final["status"] == "completed"
    titles = [s["title"] for s in api.get(f"/api/v1/instances/{instance_id}").json["completed_steps"]]
    assert titles[-1] == "选聘终止（差额不足）"


def test_ss_05_external_candidate_needs_background_check(ss):
    """SS-05: the inspection form rejects an external candidate without a background check and an
    internal one without the written integrity opinion."""
    api = ss
    _to_recruitment(api)
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI])
    _complete(api, DONGSHIHUI, "综合考评", **KAOPING)
    task = _only(api, DONGSHIHUI, "组织考察与背景调查")
    no_check = {k: v for k, v in KAOCHA["kaocha_duixiang"][1].items() if k != "beijing_diaocha"}
    body = assert_problem(
        api.complete(task["id"], DONGSHIHUI, kaocha_duixiang=[KAOCHA["kaocha_duixiang"][0], no_check]), 422
    )
    assert list(body["errors"]) == ["kaocha_duixiang.1.beijing_diaocha"], body["errors"]
    no_opinion = {k: v for k, v in KAOCHA["kaocha_duixiang"][0].items() if k != "lianjie_yijian"}
    body = assert_problem(api.complete(task["id"], DONGSHIHUI, kaocha_duixiang=[no_opinion]), 422)
    assert list(body["errors"]) == ["kaocha_duixiang.0.lianjie_yijian"], body["errors"]
    _complete(api, DONGSHIHUI, "组织考察与背景调查", **KAOCHA)
    _only(api, TIMINGWEI, "提名拟聘任人选")


def test_ss_06_sasac_disagrees_party_committee_revises_and_resubmits(ss):
    """SS-06: 省国资委 disagrees with the candidate (through the OA token); the party committee
    proposes another candidate and the chain starts again from 省国资委."""
    api = ss
    instance_id = _to_proposal(api)
    oa = _oa_token(api)
    [task] = api.client.get("/api/v1/tasks", headers=oa).json["items"]
    body = {"data": {"yijian": "不同意", "shuoming": "该人选任职经历与岗位要求不符。"}}
    assert api.client.post(f"/api/v1/tasks/{task['id']}/complete", headers=oa, json=body).status_code == 200
    _complete(api, DANGWEI, "研究处理不同意见", chuli_fangshi="修改人选重新报送", chuli_shuoming="改报李娜。")
    _complete(
        api,
        DANGWEI,
        "提出拟聘任人选",
        niding_renxuan=[{"xingming": "李娜", "tuijian_liyou": "考察情况良好。"}],
        dangwei_huiyi_riqi="2026-07-20",
    )
    _through_approvals(api)
    _only(api, DONGSHIHUI, "作出聘任决定")
    assert _data(api, instance_id)["niding_xingming"] == "李娜"


def test_ss_06_organisation_department_disagrees_and_selection_ends(ss):
    """SS-06: the organisation department feeds back a negative opinion; the party committee
    ends the selection."""
    api = ss
    instance_id = _to_proposal(api)
    _complete(api, GUOZIWEI, "省国资委对拟聘任人选提出意见", **TONGYI)
    _complete(api, ZUZHIBU, "拟聘任人选报省委组织部备案", **TONGYI)
    _complete(api, ZUZHIBU, "征求省委领导意见", **dict(LINGDAO, shengwei_lingdao_yijian="不同意"))
    _complete(api, ZUZHIBU, "省委组织部反馈聘任意见", yijian="不同意", shuoming="省领导意见：人选年龄偏大。")
    final = _complete(
        api, DANGWEI, "研究处理不同意见", chuli_fangshi="终止选聘", chuli_shuoming="另行组织选聘。"
    )
    assert final["status"] == "completed"
    data = _data(api, instance_id)
    assert (data["shengwei_lingdao_yijian"], data["yijian"]) == ("不同意", "不同意")


def test_ss_06_organisation_department_refuses_filing(ss):
    """SS-06: a refusal at the filing step also goes back to the party committee."""
    api = ss
    _to_proposal(api)
    _complete(api, GUOZIWEI, "省国资委对拟聘任人选提出意见", **TONGYI)
    _complete(api, ZUZHIBU, "拟聘任人选报省委组织部备案", yijian="不同意", shuoming="备案材料不全。")
    _only(api, DANGWEI, "研究处理不同意见")


@pytest.mark.parametrize(
    ("pay", "message"),
    [
        ({"jiben_nianxin": 60, "mubiao_jixiao_nianxin": 60}, "低于 60%"),
        ({"zhongchangqi_jili": 90, "shichang_75fenwei": 300}, "40%"),
        ({"shichang_75fenwei": 150}, "75"),
    ],
    ids=["performance-share", "long-term-incentive", "market-p75"],
)
def _to_decision(api) -> str:
    instance_id = _to_proposal(api)
    _through_approvals(api)
    return instance_id


def test_ss_09_pay_structure_out_of_bounds_goes_back_to_the_board(ss, pay, message):
    """SS-09: the pay structure is checked when the board decides, before the publicity and the
    contract: performance pay < 60 % of target pay, long-term incentive > 40 % of total, total
    above the market 75th percentile each send the decision back to the board with the violation
    stored; no publicity and no contract to sign until a corrected decision passes."""
    api = ss
    instance_id = _to_decision(api)
    with time_machine.travel(JUEDING_TIME):
        _complete(api, DONGSHIHUI, "作出聘任决定", **dict(JUEDING, **pay))
    violations = _data(api, instance_id)["xinchou_weigui"]
    assert len(violations) == 1 and message in violations[0], violations
    assert "gongshi_neirong" not in _data(api, instance_id)
    with time_machine.travel(JUEDING_TIME):
        _complete(api, DONGSHIHUI, "作出聘任决定", **JUEDING)
        assert _data(api, instance_id)["xinchou_weigui"] == []
        api.post_publicity(DONGSHIHUI)
    _only(api, DONGSHIHUI, "受理公示异议")
    assert _tick(api, JUST_AFTER_END) == 1
    task = _only(api, DONGSHIHUI, "签订聘任合同")
    shown = api.get(f"/api/v1/tasks/{task['id']}", user=DONGSHIHUI).json
    assert shown["context"]["mubiao_jixiao_nianxin"] == 70  # the contract signs the checked pay


test_ss_09_pay_structure_out_of_bounds_goes_back_to_the_board = pytest.mark.parametrize(
    ("pay", "message"),
    [
        ({"jiben_nianxin": 60, "mubiao_jixiao_nianxin": 60}, "低于 60%"),
        ({"zhongchangqi_jili": 90, "shichang_75fenwei": 300}, "40%"),
        ({"shichang_75fenwei": 150}, "75"),
    ],
    ids=["performance-share", "long-term-incentive", "market-p75"],
)(test_ss_09_pay_structure_out_of_bounds_goes_back_to_the_board)


def test_ss_08_term_defaults_to_three_years(ss):
    """SS-08: without a term the appointment runs 3 years (setting renqi_nian); the contract
    records duties, powers, termination conditions and liability."""
    api = ss
    instance_id = _to_contract(api)
    task = _only(api, DONGSHIHUI, "签订聘任合同")
    missing = {k: v for k, v in HETONG.items() if k not in ("weiyue_zeren", "jieyue_tiaojian")}
    body = assert_problem(api.complete(task["id"], DONGSHIHUI, **missing), 422)
    assert set(body["errors"]) == {"weiyue_zeren", "jieyue_tiaojian"}
    _complete(api, DONGSHIHUI, "签订聘任合同", **HETONG)
    data = _data(api, instance_id)
    assert data["renqi_nian"] == 3
    assert data["renqi_jieshu"].startswith("2029-10-12")


def test_ss_03_the_board_registers_and_evaluates(ss):
    """SS-03: registration, qualification review and the comprehensive evaluation are the
    board's (董事会), not the nomination committee's."""
    api = ss
    _to_recruitment(api)
    assert [t["role"] for t in api.inbox(DONGSHIHUI)] == ["董事会"]
    assert api.inbox(TIMINGWEI) == []
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI])
    assert _only(api, DONGSHIHUI, "综合考评")["role"] == "董事会"


def test_ss_04_the_comparison_takes_every_qualified_candidate(ss):
    """SS-04: 差额比选 — a comprehensive evaluation of only one of three qualified candidates is
    refused, and so is an entry for someone who failed the review or never registered."""
    api = ss
    _to_recruitment(api)
    zhao = dict(LI, xingming="赵刚", shenfenzheng_hao="210103198001012215")
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI, zhao, WANG])
    task = _only(api, DONGSHIHUI, "综合考评")
    [zhang, li] = KAOPING["kaoping_jieguo"]
    body = assert_problem(api.complete(task["id"], DONGSHIHUI, kaoping_jieguo=[zhang]), 422)
    assert list(body["errors"]) == ["kaoping_jieguo"] and "李娜、赵刚" in body["detail"], body
    assert body["title"] == "不符合规定，未予办理"
    wang = dict(zhang, xingming="王强")
    body = assert_problem(api.complete(task["id"], DONGSHIHUI, kaoping_jieguo=[zhang, li, wang]), 422)
    assert list(body["errors"]) == ["kaoping_jieguo.2.xingming"], body
    nobody = dict(zhang, xingming="钱多")
    body = assert_problem(api.complete(task["id"], DONGSHIHUI, kaoping_jieguo=[nobody, zhang, li]), 422)
    assert list(body["errors"]) == ["kaoping_jieguo.0.xingming"], body
    _complete(api, DONGSHIHUI, "综合考评", kaoping_jieguo=[zhang, li, dict(li, xingming="赵刚")])
    _only(api, DONGSHIHUI, "组织考察与背景调查")


def test_ss_05_an_external_candidate_stays_external(ss):
    """SS-05: the inspection cannot turn a candidate registered as external into an internal one
    (swapping the background check for an integrity opinion); the source is the registration's."""
    api = ss
    _to_recruitment(api)
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI])
    _complete(api, DONGSHIHUI, "综合考评", **KAOPING)
    task = _only(api, DONGSHIHUI, "组织考察与背景调查")
    zhang, _li = KAOCHA["kaocha_duixiang"]
    turned = {
        "xingming": "李娜",
        "laiyuan": "内部",
        "kaocha_yijian": "市场开拓能力强。",
        "lianjie_yijian": LIANJIE,
    }
    body = assert_problem(api.complete(task["id"], DONGSHIHUI, kaocha_duixiang=[zhang, turned]), 422)
    assert list(body["errors"]) == ["kaocha_duixiang.1.laiyuan"] and "背景调查" in body["detail"], body
    stranger = dict(zhang, xingming="钱多")
    body = assert_problem(api.complete(task["id"], DONGSHIHUI, kaocha_duixiang=[stranger]), 422)
    assert list(body["errors"]) == ["kaocha_duixiang.0.xingming"], body
    _complete(api, DONGSHIHUI, "组织考察与背景调查", **KAOCHA)


def test_ss_06_the_proposal_names_registered_inspected_candidates_one_per_post(ss):
    """SS-06, SS-04: a proposed appointee who never registered is refused, and so is a second name
    for one post; two 副总经理 posts take two names, each with the source they registered with."""
    api = ss
    api.start(KEY, user=DANGWEI)
    _complete(api, DANGWEI, "沟通选聘意向", **dict(GOUTONG, gangwei="副总经理", gangwei_shuliang=2))
    _complete(api, DONGSHIHUI, "形成一案两书两办法", **YIAN)
    _complete(api, GUOZIWEI, "省国资委审核一案两书两办法", **TONGYI)
    _complete(api, DONGSHIHUI, "制定招聘方案并发布公告", **GONGGAO)
    zhao = dict(LI, xingming="赵刚", shenfenzheng_hao="210103198001012215")
    sun = dict(ZHANG, xingming="孙丽", shenfenzheng_hao="210104198307193326")
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI, zhao, sun])
    [zhang, li] = KAOPING["kaoping_jieguo"]
    _complete(
        api,
        DONGSHIHUI,
        "综合考评",
        kaoping_jieguo=[zhang, li, dict(li, xingming="赵刚"), dict(zhang, xingming="孙丽")],
    )
    _complete(api, DONGSHIHUI, "组织考察与背景调查", **KAOCHA)
    _complete(api, ZONGJINGLI, "提名拟聘任人选", **TIMING)  # deputies: the 总经理 nominates
    task = _only(api, DANGWEI, "提出拟聘任人选")
    reason = "考察情况良好。"
    never = [{"xingming": "周洋", "tuijian_liyou": reason}]
    body = assert_problem(
        api.complete(task["id"], DANGWEI, niding_renxuan=never, dangwei_huiyi_riqi="2026-07-15"), 422
    )
    assert list(body["errors"]) == ["niding_renxuan.0.xingming"] and "没有报名" in body["detail"], body
    uninspected = [{"xingming": "赵刚", "tuijian_liyou": reason}]
    body = assert_problem(
        api.complete(task["id"], DANGWEI, niding_renxuan=uninspected, dangwei_huiyi_riqi="2026-07-15"), 422
    )
    assert list(body["errors"]) == ["niding_renxuan.0.xingming"] and "考察" in body["detail"], body
    two = [{"xingming": "张伟", "tuijian_liyou": reason}, {"xingming": "李娜", "tuijian_liyou": reason}]
    instance_id = api.inbox(DANGWEI)[0]["instance_id"]
    _complete(api, DANGWEI, "提出拟聘任人选", niding_renxuan=two, dangwei_huiyi_riqi="2026-07-15")
    data = _data(api, instance_id)
    assert data["niding_xingming"] == "张伟、李娜"
    assert [(n["xingming"], n["laiyuan"]) for n in data["niding_renxuan"]] == [
        ("张伟", "内部"),
        ("李娜", "外部"),
    ]


def test_ss_06_more_names_than_posts_is_refused(ss):
    """SS-06: one 总经理 post takes one name."""
    api = ss
    _to_recruitment(api)
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI])
    _complete(api, DONGSHIHUI, "综合考评", **KAOPING)
    _complete(api, DONGSHIHUI, "组织考察与背景调查", **KAOCHA)
    _complete(api, TIMINGWEI, "提名拟聘任人选", **TIMING)
    task = _only(api, DANGWEI, "提出拟聘任人选")
    two = [
        {"xingming": "张伟", "tuijian_liyou": "综合考评第一。"},
        {"xingming": "李娜", "tuijian_liyou": "综合考评第二。"},
    ]
    body = assert_problem(
        api.complete(task["id"], DANGWEI, niding_renxuan=two, dangwei_huiyi_riqi="2026-07-15"), 422
    )
    assert list(body["errors"]) == ["niding_renxuan"], body


def test_ss_07_publicity_dated_before_the_decision_is_refused(ss):
    """SS-07: the pre-appointment publicity starts on or after the board's decision; an earlier
    start date is refused on gongshi_kaishi and nothing is publicised."""
    api = ss
    instance_id = _to_decision(api)
    task = _only(api, DONGSHIHUI, "作出聘任决定")
    with time_machine.travel(JUEDING_TIME):
        body = assert_problem(
            api.complete(task["id"], DONGSHIHUI, **dict(JUEDING, gongshi_kaishi="2026-09-20")), 422
        )
    assert list(body["errors"]) == ["gongshi_kaishi"] and "早于聘任决定日期" in body["detail"], body
    assert "gongshi_neirong" not in _data(api, instance_id)
    assert _only(api, DONGSHIHUI, "作出聘任决定")["id"] == task["id"]


def test_ss_10_exit_reason_recorded(ss):
    """SS-10: the exit process records one of the 8 termination situations and files it."""
    api = ss
    response = api.start("shengshu_jieping", user=DONGSHIHUI, business_key="LNJT-JP-2027-01")
    assert response.status_code == 201, response.json
    task = _only(api, DONGSHIHUI, "登记解聘（终止）情形")
    dengji = {
        "jieping_xingming": "张伟",
        "qiye_mingcheng": "辽宁省交通建设投资集团有限责任公司",
        "gangwei": "总经理",
        "tuichu_fangshi": "企业解聘",
        "tuichu_qingxing": "任期综合考核评价结果为不称职",
        "qingxing_shuoming": "2029年任期综合考核评价结果为不称职。",
        "jiechu_riqi": "2029-11-30",
    }
    assert_problem(api.complete(task["id"], DONGSHIHUI, **dict(dengji, tuichu_qingxing="年龄偏大")), 422)
    _complete(api, DONGSHIHUI, "登记解聘（终止）情形", **dengji)
    final = _complete(
        api,
        DANGWEI,
        "解聘报备",
        zuzhibu_baosong_riqi="2029-12-05",
        guoziwei_baosong_riqi="2029-12-05",
        jianren_mianchu=True,
    )
    assert final["status"] == "completed"
    data = _data(api, response.json["id"])
    assert data["tuichu_qingxing"] == "任期综合考核评价结果为不称职"


def test_ss_07_upheld_objection_in_publicity_goes_back_to_the_party_committee(ss):
    """SS-07, X-04, X-01: a real-name objection during the publicity is checked by the enterprise's
    party committee (纪检监督 oversees and works on nothing) and decided by the board; when
    sustained there is no contract once the period is over: the party committee revises the
    candidate or ends the selection."""
    api = ss
    instance_id = _to_proposal(api)
    _through_approvals(api)
    with time_machine.travel(JUEDING_TIME):
        _complete(api, DONGSHIHUI, "作出聘任决定", **JUEDING)
        api.post_publicity(DONGSHIHUI)
        _complete(
            api,
            DONGSHIHUI,
            "受理公示异议",
            jubaoren="赵敏",
            lianxi_fangshi="13904001234",
            shishi="拟聘任人选在原任职期间违规在下属企业兼职取酬，附工资流水。",
        )
        hecha = _only(api, DANGWEI, "核查异议")
        assert hecha["role"] == "企业党委"
        refused = api.complete(
            hecha["id"], "jijian", hecha_jieguo="异议不成立", hecha_shuoming="无", fankui_jubaoren="无"
        )
        assert_problem(refused, 403)
        _complete(
            api,
            DANGWEI,
            "核查异议",
            hecha_jieguo="异议成立",
            hecha_shuoming="经核查，兼职取酬情况属实。",
            fankui_jubaoren="已于2026年9月30日电话反馈举报人。",
        )
        # The board both receives objections (still open until the period ends) and decides them.
        [jueding] = [t for t in api.inbox(DONGSHIHUI) if t["title"] == "决定异议处理"]
        done = api.complete(
            jueding["id"], DONGSHIHUI, yiyi_jueding="异议成立", yiyi_jueding_shuoming="董事会会议研究决定。"
        )
        assert done.status_code == 200, done.json
    assert "gongshi_jieguo" not in _data(api, instance_id)  # settled when the period ends
    assert _tick(api, JUST_AFTER_END) == 1
    assert _data(api, instance_id)["gongshi_jieguo"] == "异议成立"
    assert api.inbox(DONGSHIHUI) == []
    final = _complete(
        api, DANGWEI, "研究处理不同意见", chuli_fangshi="终止选聘", chuli_shuoming="人选不宜聘任。"
    )
    assert final["status"] == "completed"


def test_ss_04_two_posts_need_four_qualified_candidates(ss):
    """SS-04: 1:2 per post: two 副总经理 posts with three qualified candidates fall short."""
    api = ss
    api.start(KEY, user=DANGWEI)
    _complete(api, DANGWEI, "沟通选聘意向", **dict(GOUTONG, gangwei="副总经理", gangwei_shuliang=2))
    _complete(api, DONGSHIHUI, "形成一案两书两办法", **YIAN)
    _complete(api, GUOZIWEI, "省国资委审核一案两书两办法", **TONGYI)
    _complete(api, DONGSHIHUI, "制定招聘方案并发布公告", **GONGGAO)
    zhao = dict(LI, xingming="赵刚", shenfenzheng_hao="210103198001012215")
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI, zhao])
    _only(api, DONGSHIHUI, "差额不足处理")
    _complete(api, DONGSHIHUI, "差额不足处理", chae_chuli="延长招聘", chae_shuoming="延长报名期限。")
    sun = dict(ZHANG, xingming="孙丽", shenfenzheng_hao="210104198307193326")
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI, zhao, sun])
    _only(api, DONGSHIHUI, "综合考评")


@pytest.mark.live
def test_ss_main_path_on_a_multi_worker_server(ss):
    """Issue 8: the whole 省属 market-based selection over real HTTP against `xuanpin serve` with
    several worker processes."""
    test_ss_main_path_to_contract_and_filing(ss)


def test_each_approval_opens_blank_not_with_the_previous_bodys_opinion(ss):
    """Issue 8: the four outside approvals share the fields yijian/shuoming; each opens without the
    opinion an earlier step gave (省国资委 on the plan is not its opinion on the candidate)."""
    api = ss
    _to_proposal(api)
    [task] = [t for t in api.inbox(GUOZIWEI) if t["title"] == "省国资委对拟聘任人选提出意见"]
    detail = api.get(f"/api/v1/tasks/{task['id']}", user=GUOZIWEI).json
    assert "yijian" not in detail["data"] and "shuoming" not in detail["data"]
    _complete(api, GUOZIWEI, "省国资委对拟聘任人选提出意见", yijian="同意", shuoming="人选符合条件。")
    [task] = [t for t in api.inbox(ZUZHIBU) if t["title"] == "拟聘任人选报省委组织部备案"]
    detail = api.get(f"/api/v1/tasks/{task['id']}", user=ZUZHIBU).json
    assert "yijian" not in detail["data"] and "shuoming" not in detail["data"]


def test_ss_06_the_general_manager_nominates_deputies_and_signs_their_contracts(ss):
    """SS-06, SS-08 (辽国资〔2020〕44号 二(一)4、三(一)4): for a 副总经理 the serving 总经理, not the
    board's nomination committee, nominates from the inspected candidates; a nominee who was not
    inspected is refused; the party committee proposes from the nominated only (an inspected
    candidate the 总经理 did not nominate is refused); the 总经理 signs the deputy's contract."""
    api = ss
    response = api.start(KEY, user=DANGWEI, business_key="LNJT-XP-2026-FZ")
    assert response.status_code == 201, response.json
    instance_id = response.json["id"]
    _complete(api, DANGWEI, "沟通选聘意向", **dict(GOUTONG, gangwei="副总经理"))
    _complete(api, DONGSHIHUI, "形成一案两书两办法", **YIAN)
    _complete(api, GUOZIWEI, "省国资委审核一案两书两办法", **TONGYI)
    _complete(api, DONGSHIHUI, "制定招聘方案并发布公告", **GONGGAO)
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI, WANG])
    _complete(api, DONGSHIHUI, "综合考评", **KAOPING)
    _complete(api, DONGSHIHUI, "组织考察与背景调查", **KAOCHA)
    assert api.inbox(TIMINGWEI) == [] and api.inbox(DANGWEI) == []
    task = _only(api, ZONGJINGLI, "提名拟聘任人选")
    assert task["role"] == "总经理"
    stranger = {"xingming": "王强", "timing_liyou": "业务熟悉。"}
    body = assert_problem(
        api.complete(task["id"], ZONGJINGLI, timing_renxuan=[stranger], timing_riqi="2026-07-14"), 422
    )
    assert list(body["errors"]) == ["timing_renxuan.0.xingming"] and "考察" in body["detail"], body
    _complete(
        api,
        ZONGJINGLI,
        "提名拟聘任人选",
        timing_renxuan=TIMING["timing_renxuan"][:1],
        timing_riqi="2026-07-14",
    )
    assert _data(api, instance_id)["timing_xingming"] == ["张伟"]

    task = _only(api, DANGWEI, "提出拟聘任人选")
    li = [{"xingming": "李娜", "tuijian_liyou": "考察情况良好。"}]
    body = assert_problem(
        api.complete(task["id"], DANGWEI, niding_renxuan=li, dangwei_huiyi_riqi="2026-07-15"), 422
    )
    assert list(body["errors"]) == ["niding_renxuan.0.xingming"] and "未获提名" in body["detail"], body
    _complete(api, DANGWEI, "提出拟聘任人选", **NIDING)
    _through_approvals(api)
    with time_machine.travel(JUEDING_TIME):
        _complete(api, DONGSHIHUI, "作出聘任决定", **JUEDING)
        api.post_publicity(DONGSHIHUI)
    assert _tick(api, JUST_AFTER_END) == 1
    assert api.inbox(DONGSHIHUI) == []
    contract = _only(api, ZONGJINGLI, "签订聘任合同")
    assert contract["role"] == "总经理"
    _complete(api, ZONGJINGLI, "签订聘任合同", **dict(HETONG, qianyue_daibiao="总经理 张建"))
    assert _data(api, instance_id)["hetong_qianshu_juese"] == "总经理"


def test_ss_06_the_nomination_committee_nominates_a_general_manager(ss):
    """SS-06: for the 总经理 post the board's nomination committee nominates; the serving 总经理
    gets no task; the board's chairman signs the contract (role 董事会)."""
    api = ss
    instance_id = _to_recruitment(api)
    _complete(api, DONGSHIHUI, "报名登记与资格审查", houxuanren=[ZHANG, LI, WANG])
    _complete(api, DONGSHIHUI, "综合考评", **KAOPING)
    _complete(api, DONGSHIHUI, "组织考察与背景调查", **KAOCHA)
    assert api.inbox(ZONGJINGLI) == []
    assert _only(api, TIMINGWEI, "提名拟聘任人选")["role"] == "董事会提名委员会"
    data = _data(api, instance_id)
    assert (data["timing_juese"], data["hetong_qianshu_juese"]) == ("董事会提名委员会", "董事会")
