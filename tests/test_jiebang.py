"""揭榜挂帅 (seeds/jiebang-guashuai_benxi-guotong.txt) end to end through the REST API, as each
role's user would drive it; time is travelled and timers fired with the scheduler's tick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine

from service.scheduler import TimerScheduler
from service.timeutil import SHANGHAI
from tests.conftest import FORMS, PROCESSES, assert_problem, id_number_for
from tests.uploads import pending

PINGWEI = [f"pingwei{i}" for i in range(1, 6)]
MINGTI = "mingti1"  # JB-10: the question setter the 党委 designates
TIKU = [
    "请谈谈你对市场营销部部长岗位职责的理解。",
    "如何在保证物资质量的前提下降低采购成本？",
    "水泵产品销售渠道单一，你将如何拓展？",
    "如何建立全链条的物资采购、保存、销售安全管理机制？",
    "部门内部机构设置和定岗定编，你有何设想？",
    "如何把薪酬激励与销售业绩紧密挂钩？",
    "面对原材料价格上涨，你如何保障产品利润？",
    "如何挖掘潜在客户并维护重点客户关系？",
    "谈谈“三个区分开来”在营销工作中的意义。",
    "上任后第一年你将完成哪些经营目标？",
    "如何处理销售合同中的质量纠纷？",
    "如何带领团队完成年度销售任务？",
]


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00").replace(tzinfo=SHANGHAI)


def files() -> list[Any]:
    return [
        PROCESSES / "jiebang_guashuai.bpmn",
        PROCESSES / "jiebang_zige.dmn",
        PROCESSES / "gongshi.bpmn",
        *sorted(FORMS.glob("jb_*.schema.json")),
        *sorted(FORMS.glob("gongshi_*.schema.json")),
    ]


def tick(api) -> int:
    return TimerScheduler(api.client.application.extensions["xuanpin"]).tick()


def titles(api, user: str) -> list[str]:
    return sorted(t["title"] for t in api.inbox(user))


def task(api, user: str, title: str) -> dict[str, Any]:
    found = [t for t in api.inbox(user) if t["title"] == title]
    assert len(found) == 1, (user, title, titles(api, user))
    return found[0]


def do(api, user: str, title: str, **data: Any) -> dict[str, Any]:
    response = api.complete(task(api, user, title)["id"], user, **data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def data(api, instance_id: str) -> dict[str, Any]:
    return api.get(f"/api/v1/instances/{instance_id}").json["data"]


def ended_at(api, instance_id: str) -> str:
    """The name of the end event the instance reached (it must be completed)."""
    detail = api.get(f"/api/v1/instances/{instance_id}").json
    assert detail["status"] == "completed", detail["open_tasks"]
    ends = {"已正式任命", "不予任命", "暂时空岗", "无人揭榜"}
    [end] = [s["title"] for s in detail["completed_steps"] if s["title"] in ends and s["kind"] == "EndEvent"]
    return end


def due_timers(api, instance_id: str) -> list[str]:
    return sorted(t["due_at"] for t in api.get(f"/api/v1/instances/{instance_id}").json["timers"])


BANGDAN = dict(
    jingpin_zhiwei="本溪水泵有限责任公司市场营销部部长",
    fabang_danwei="本溪国通置业投资（集团）有限公司",
    jiebang_duixiang="原则上具有5年及以上工作经历、中层副职管理岗位或中级专业技术岗位或高级工技能岗位及以上，任职1年及以上。",
    zhuyao_mubiao="保证物资采购、保存、销售等各环节全链条安全；提升水泵公司产品销售量、降低采购成本；完成经营目标。",
    chengguo_yaoqiu="提高产品销售收入和利润；拓展销售渠道，挖掘潜在客户；大力降低采购成本。",
    ziyuan_zhengce="自主选择物资采购途径；技术支持与设施设备维护；产品销售政策支持；企业机构与用人权限；激励薪酬与业绩挂钩；容错激励。",
    shiyongqi_yue=12,
    qita_shixiang="无",
)


def sfz(xingming: str) -> str:
    return id_number_for(xingming)


def shenqing(xingming: str, **changes: Any) -> dict[str, Any]:
    form = {
        "xingming": xingming,
        "shenfenzheng_hao": sfz(xingming),
        "xingbie": "男",
        "chusheng_riqi": "1985-06-12",
        "minzu": "汉族",
        "jiguan": "辽宁本溪",
        "chushengdi": "辽宁本溪",
        "rudang_shijian": "2008-07-01",
        "canjia_gongzuo_shijian": "2009-07-15",
        "jiankang_zhuangkuang": "健康",
        "zhuanye_jishu_zhiwu": "经济师",
        "shuxi_zhuanye": "市场营销、物资采购管理",
        "quanrizhi_jiaoyu": {
            "xueli_xuewei": "大学本科 管理学学士",
            "yuanxiao_zhuanye": "东北财经大学 市场营销专业",
        },
        "xian_danwei_zhiwu": "本溪钢铁（集团）有限责任公司销售中心副主任",
        "jingpin_zhiwei": "本溪水泵有限责任公司市场营销部部长",
        "zige_leibie": "中层副职及以上管理岗位",
        "zige_qude_riqi": "2021-03-01",
        "jianli": (
            "2009.07—2015.12 本钢销售中心业务员；2016.01—2021.02 本钢销售中心科长；"
            "2021.03至今 本钢销售中心副主任。"
        ),
        "jiangcheng_qingkuang": "2022年度集团先进工作者",
        "jiating_chengyuan": [
            {
                "chengwei": "妻子",
                "xingming": "刘丽",
                "nianling": 38,
                "zhengzhi_mianmao": "群众",
                "danwei_zhiwu": "本溪市第一中学教师",
            }
        ],
        # Scans the registering clerk uploads when submitting (tests/uploads.py).
        "fujian_shenfenzheng": [pending(f"{xingming}身份证.pdf")],
        "fujian_biyezheng": [pending(f"{xingming}毕业证.pdf")],
        "fujian_zhichengzheng": [pending(f"{xingming}职称证.pdf")],
    }
    form.update(changes)
    return form


def yanjiang(total: int) -> dict[str, int]:
    """A speech score sheet adding up to `total` (≤ 100) within JB-09's maxima."""
    parts = {"biaoxian": 30, "lijie": 20, "zhishi": 20, "jiazhi": 30}
    return _spread(parts, total)


def dabian(total: int) -> dict[str, int]:
    parts = {"yuyan": 15, "fenxi": 25, "luoji": 20, "yingbian": 25, "suyang": 15}
    return _spread(parts, total)


def _spread(maxima: dict[str, int], total: int) -> dict[str, int]:
    lost = 100 - total
    result = dict(maxima)
    for key in result:
        take = min(lost, result[key])
        result[key] -= take
        lost -= take
    return result


def pingfen(scores: dict[str, int], huibi: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    sheet = []
    for name, total in scores.items():
        if name in huibi:
            sheet.append({"xingming": name, "huibi": True, "huibi_guanxi": "近姻亲关系"})
        else:
            sheet.append(
                {"xingming": name, "huibi": False, "yanjiang": yanjiang(total), "dabian": dabian(total)}
            )
    return sheet


NAMES = ["张建国", "李明华", "王志强"]


def start_to_interview(api, traveller, names=NAMES, extra=()) -> str:
    """建榜 → 发榜 → 揭榜 (window closes by its timer) → 定榜公示 → panel and questions."""
    instance_id = _to_list_publicity(api, traveller, names, extra)
    traveller.move_to(at("2026-03-14", "00:00"))  # JB-06: 3 days from 3/10
    assert tick(api) == 1
    traveller.move_to(at("2026-03-16"))
    convene(api, "2026-03-16")
    return instance_id


def convene(api, day: str, panel=PINGWEI, tiku=TIKU, chouti_shu: int = 4) -> None:
    """JB-07, JB-10: the 党委 names the panel and the question setter, who sets the bank in
    closed conditions; on the day the speaking order is drawn on site."""
    do(api, "dangwei", "确定面试评审组", pingwei_list=panel, dangwei_yanjiu_riqi=day, mingti_ren=MINGTI)
    do(api, MINGTI, "封闭出题", tiku=tiku, chouti_shu=chouti_shu, chuti_ren="赵靓")
    do(api, "gongzuozu", "现场抽签", chouqian_riqi=day)


def _to_list_publicity(api, traveller, names=NAMES, extra=()) -> str:
    """建榜 → 发榜 → 揭榜 (window closes by its timer) → the list is proposed; on 3/10 党委工作部
    registers the 定榜公示 as posted that day (X-04) and 受理公示异议 is in its inbox."""
    assert api.deploy(*files()).status_code == 201
    response = api.start("jiebang_guashuai", user="gongzuozu", business_key="GT-JB-2026-01")
    assert response.status_code == 201, response.json
    instance_id = response.json["id"]
    do(api, "gongzuozu", "建榜", **BANGDAN)
    do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")
    registration = task(api, "dangweigongzuobu", "登记揭榜申请")
    assert registration["due_at"] == "2026-03-09T23:59:59+08:00"  # JB-03: 5 working days
    for day, name in zip(["2026-03-03", "2026-03-05", "2026-03-09"], names, strict=False):
        do(api, "dangweigongzuobu", "登记揭榜申请", shenqing=shenqing(name), shoudao_riqi=day)
    for form, day in extra:
        do(api, "dangweigongzuobu", "登记揭榜申请", shenqing=form, shoudao_riqi=day)
    traveller.move_to(at("2026-03-10", "00:00"))
    assert tick(api) == 1
    assert "登记揭榜申请" not in titles(api, "dangweigongzuobu")
    do(
        api,
        "dangweigongzuobu",
        "审核并提出揭榜对象",
        niding_duixiang=list(names),
        shenhe_yijian="经审核，符合揭榜条件。",
    )
    api.post_publicity("dangweigongzuobu")
    return instance_id


def interview(
    api, scores_by_judge: dict[str, dict[str, int]], huibi: dict[str, tuple[str, ...]] | None = None
) -> None:
    for judge, scores in scores_by_judge.items():
        do(api, judge, "面试评分", pingfen=pingfen(scores, (huibi or {}).get(judge, ())))


def sustain(api) -> None:
    """JB-16: 党委, the deciding body, sustains the objection on 党工部's finding."""
    do(
        api,
        "dangwei",
        "决定异议处理",
        yiyi_jueding="异议成立",
        yiyi_jueding_shuoming="党委会议研究，异议成立。",
    )


def kaocha(api, winner: str) -> None:
    """党工部 submits the written inspection material on the inspection target (JB-14)."""
    do(
        api,
        "danggongbu",
        "组织考察",
        kaocha_de="政治立场坚定，遵纪守法。",
        kaocha_neng="熟悉营销业务，组织协调能力强。",
        kaocha_qin="工作勤勉，敢于担当。",
        kaocha_ji="近三年销售业绩突出。",
        kaocha_lian="廉洁自律，未发现问题。",
        kaocha_zongjie=f"{winner}同志德才兼备，适合担任市场营销部部长。",
    )


def propose_appointment(api) -> None:
    """JB-15: 党委 discusses the inspection material and proposes the appointment."""
    do(
        api,
        "dangwei",
        "党委研究讨论",
        taolun_riqi="2026-03-20",
        renmian_jianyi="建议任用",
        taolun_jiyao="一致同意提出任职建议。",
    )


def appoint_after_interview(api, traveller, instance_id: str, winner: str) -> None:
    kaocha(api, winner)
    propose_appointment(api)
    do(api, "shuibeng", "研究任职建议", shuibeng_tongyi=True, shuibeng_yijian="同意到岗试用，进行任前公示。")


def test_main_path_from_call_to_formal_appointment(api):
    """JB-01, JB-02, JB-03, JB-05, JB-06, JB-07, JB-09, JB-10, JB-11, JB-14, JB-15, JB-16, JB-17, JB-18."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        state = data(api, instance_id)
        assert state["jiebang_jiezhi"] == "2026-03-09T23:59:59+08:00"
        # JB-02: the publication is an outbound message an OA system or website reads.
        oa = api.post("/api/v1/tokens", json={"name": "集团门户网站"}).json["access_token"]
        published = api.client.get("/api/v1/events", headers={"Authorization": f"Bearer {oa}"}).json["items"]
        assert [(e["name"], e["instance_id"]) for e in published] == [("揭榜挂帅榜单发布", instance_id)]
        assert published[0]["payload"]["jingpin_zhiwei"] == BANGDAN["jingpin_zhiwei"]
        assert published[0]["payload"]["fabu_riqi"] == "2026-03-02"
        assert [s["xingming"] for s in state["shenqing_list"]] == NAMES
        assert all(s["shouli"] for s in state["shenqing_list"])
        assert state["shenqing_list"][0]["fujian_shenfenzheng"][0]["filename"] == "张建国身份证.pdf"
        assert sorted(state["yanjiang_shunxu"]) == sorted(NAMES)  # JB-08
        assert all(len(c["timu"]) == 4 for c in state["chouti_jilu"])  # JB-10
        # JB-07: each judge has exactly their own scoring task
        for judge in PINGWEI:
            assert titles(api, judge) == ["面试评分"]
        interview(api, {j: {"张建国": 90, "李明华": 85, "王志强": 82} for j in PINGWEI})
        state = data(api, instance_id)
        scores = {e["xingming"]: e["defen"] for e in state["mianshi_chengji"]}
        assert scores == {"张建国": 90, "李明华": 85, "王志强": 82}  # JB-11
        assert state["kaocha_duixiang"] == "张建国"  # JB-14
        # JB-18: every judge's own sheet is kept next to the computed scores
        assert [p["pingwei"] for p in state["pingfen_biao"]] == PINGWEI
        assert state["pingwei_list"] == PINGWEI
        assert state["pingfen_biao"][0]["pingfen"][0]["yanjiang"] == yanjiang(90)
        appoint_after_interview(api, traveller, instance_id, "张建国")
        # JB-16: 任前公示 5 working days from 3/16 → 3/23
        api.post_publicity("dangweigongzuobu")
        assert due_timers(api, instance_id) == ["2026-03-23T23:59:59+08:00"]
        traveller.move_to(at("2026-03-23", "23:59"))
        assert tick(api) == 0
        traveller.move_to(at("2026-03-24", "00:00"))
        assert tick(api) == 1
        do(api, "shuibeng", "安排到岗试用", renzhi_riqi="2026-04-01")
        # JB-17: trial period = the call's time period (12 months)
        traveller.move_to(at("2027-04-01", "23:00"))
        assert tick(api) == 0 and titles(api, "dangwei") == []
        traveller.move_to(at("2027-04-02", "00:00"))
        assert tick(api) == 1
        do(api, "dangwei", "试用期考核", kaohe_jieguo="合格", kaohe_yijian="完成年度经营目标，考核合格。")
        done = do(
            api, "shuibeng", "正式任命", renming_wenhao="本水泵党发〔2027〕5号", renming_riqi="2027-04-10"
        )
        assert done["status"] == "completed"
        assert ended_at(api, instance_id) == "已正式任命"
        # JB-18: both publicities of the instance are on record, not only the last one.
        dingbang, renqian = data(api, instance_id)["gongshi_lishi"]
        assert (dingbang["gongshi_kaishi"], dingbang["gongshi_jiezhi"], dingbang["gongshi_tianshu"]) == (
            "2026-03-10",
            "2026-03-13T23:59:59+08:00",
            3,
        )
        assert dingbang["gongshi_neirong"].endswith("拟参与揭榜对象：张建国、李明华、王志强")
        assert (renqian["gongshi_kaishi"], renqian["gongshi_jiezhi"], renqian["gongshi_tianshu"]) == (
            "2026-03-16",
            "2026-03-23T23:59:59+08:00",
            5,
        )
        assert renqian["gongshi_neirong"].startswith("拟任")
        assert [(g["gongshi_jieguo"], g["gongshi_yiyi"]) for g in (dingbang, renqian)] == [("无异议", [])] * 2


# Loop variables and scratch values of the diagrams' scripts (JB and the 公示 it calls) and the
# working fields of the 公示 forms: none of them is a record of the procedure.
TEMPORARIES = {
    "ming",
    "x",
    "xuhao",
    "zhongzi",
    "jilu",
    "mingdan",
    "yanjiang",
    "dabian",
    "huibi",
    "fen",
    "shenqing",
    "shoudao_riqi",
    "zige_hege",
    "zige_shuoming",
    "pingfen",
    "pingwei",
    "jubaoren",
    "lianxi_fangshi",
    "shishi",
    "hecha_jieguo",
    "hecha_shuoming",
    "fankui_jubaoren",
    "yiyi_bianhao",
    "hecha_jiezhi",
    "yiyi_jueding",
    "yiyi_jueding_shuoming",
    "gongshi_dengji_kaishi",
}


def test_main_path_leaves_no_script_temporaries_in_the_data(api):
    """The instance data holds the records of the procedure, not the scripts' loop variables
    or scratch values: after the main path (draw, scoring, two publicities, trial,
    appointment) none of them is left."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        assert not TEMPORARIES & set(data(api, instance_id))
        interview(api, {j: {"张建国": 90, "李明华": 85, "王志强": 82} for j in PINGWEI})
        assert not TEMPORARIES & set(data(api, instance_id))
        appoint_after_interview(api, traveller, instance_id, "张建国")
        api.post_publicity("dangweigongzuobu")
        traveller.move_to(at("2026-03-24", "00:00"))
        assert tick(api) == 1
        do(api, "shuibeng", "安排到岗试用", renzhi_riqi="2026-04-01")
        traveller.move_to(at("2027-04-02", "00:00"))
        assert tick(api) == 1
        do(api, "dangwei", "试用期考核", kaohe_jieguo="合格", kaohe_yijian="完成年度经营目标，考核合格。")
        do(api, "shuibeng", "正式任命", renming_wenhao="本水泵党发〔2027〕5号", renming_riqi="2027-04-10")
        assert ended_at(api, instance_id) == "已正式任命"
        state = data(api, instance_id)
        assert not TEMPORARIES & set(state), sorted(TEMPORARIES & set(state))
        # What the scripts computed is still there.
        kept = {"shenqing_list", "hege_mingdan", "chouti_jilu", "mianshi_chengji", "gongshi_lishi"}
        assert kept <= set(state)


def test_late_application_is_rejected_and_window_closes_by_timer(api):
    """JB-03: an application received after the 5-working-day window is recorded as
    逾期补报，视为放弃; when the window's timer fires the registration task is withdrawn."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        assert api.deploy(*files()).status_code == 201
        instance_id = api.start("jiebang_guashuai", user="gongzuozu").json["id"]
        do(api, "gongzuozu", "建榜", **BANGDAN)
        do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")
        do(api, "dangweigongzuobu", "登记揭榜申请", shenqing=shenqing("张建国"), shoudao_riqi="2026-03-09")
        # The clerk registers a paper application that arrived on 3/10, before the timer ran.
        do(api, "dangweigongzuobu", "登记揭榜申请", shenqing=shenqing("赵晓峰"), shoudao_riqi="2026-03-10")
        [on_time, late] = data(api, instance_id)["shenqing_list"]
        assert (on_time["xingming"], on_time["shouli"]) == ("张建国", True)
        assert (late["xingming"], late["shouli"], late["liyou"]) == ("赵晓峰", False, "逾期补报，视为放弃")
        open_task = task(api, "dangweigongzuobu", "登记揭榜申请")
        traveller.move_to(at("2026-03-10", "00:00"))
        assert tick(api) == 1
        late_try = api.complete(
            open_task["id"], "dangweigongzuobu", shenqing=shenqing("孙立"), shoudao_riqi="2026-03-10"
        )
        assert_problem(late_try, 409)
        state = data(api, instance_id)
        assert state["hege_mingdan"] == ["张建国"]
        assert titles(api, "dangweigongzuobu") == ["审核并提出揭榜对象"]


def test_ineligible_applicants_are_rejected_with_the_reason(api):
    """JB-04 (decision table jiebang_zige.dmn): < 5 years of work, no qualifying post/title/skill,
    or < 1 year in it → rejected with the reason; they cannot be proposed for the list (JB-06)."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        assert api.deploy(*files()).status_code == 201
        instance_id = api.start("jiebang_guashuai", user="gongzuozu").json["id"]
        do(api, "gongzuozu", "建榜", **BANGDAN)
        do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")
        applications = [
            shenqing("张建国"),
            shenqing("周小军", canjia_gongzuo_shijian="2021-07-01"),  # 4 years
            shenqing("吴刚", zige_leibie="以上均不具备"),
            shenqing("郑红", zige_leibie="中级及以上专业技术岗位", zige_qude_riqi="2025-06-30"),
            shenqing(
                "钱伟", zige_leibie="高级工及以上技能岗位", canjia_gongzuo_shijian="2021-03-03"
            ),  # exactly 5 years
        ]
        for form in applications:
            do(api, "dangweigongzuobu", "登记揭榜申请", shenqing=form, shoudao_riqi="2026-03-03")
        outcome = {s["xingming"]: (s["shouli"], s["liyou"]) for s in data(api, instance_id)["shenqing_list"]}
        assert outcome == {
            "张建国": (True, "符合揭榜条件"),
            "周小军": (False, "不符合揭榜条件：工作经历不满5年"),
            "吴刚": (
                False,
                "不符合揭榜条件：不具备中层副职管理岗位、中级专业技术岗位或高级工技能岗位及以上条件",
            ),
            "郑红": (False, "不符合揭榜条件：现岗位（职称、技能等级）任职不满1年"),
            "钱伟": (True, "符合揭榜条件"),
        }
        traveller.move_to(at("2026-03-10", "00:00"))
        assert tick(api) == 1
        proposal = task(api, "dangweigongzuobu", "审核并提出揭榜对象")
        refused = api.complete(
            proposal["id"], "dangweigongzuobu", niding_duixiang=["张建国", "吴刚"], shenhe_yijian="拟参与"
        )
        assert "吴刚" in assert_problem(refused, 422)["detail"]


def test_nobody_eligible_ends_without_a_list(api):
    """JB-04, JB-06: with no eligible application the call ends as 无人揭榜."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        assert api.deploy(*files()).status_code == 201
        instance_id = api.start("jiebang_guashuai", user="gongzuozu").json["id"]
        do(api, "gongzuozu", "建榜", **BANGDAN)
        do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")
        do(
            api,
            "dangweigongzuobu",
            "登记揭榜申请",
            shenqing=shenqing("吴刚", zige_leibie="以上均不具备"),
            shoudao_riqi="2026-03-03",
        )
        traveller.move_to(at("2026-03-10", "00:00"))
        assert tick(api) == 1
        assert ended_at(api, instance_id) == "无人揭榜"


def test_tie_at_the_top_goes_to_a_second_round_of_qa(api):
    """JB-12: equal top interview scores → second round of Q&A for the tied applicants only;
    the higher second-round score becomes the inspection target. X-02: a judge who declares
    回避 gives no score for that applicant and the averages skip them."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        scores = {j: {"张建国": 90, "李明华": 90, "王志强": 80} for j in PINGWEI}
        interview(api, scores, huibi={"pingwei1": ("王志强",)})
        state = data(api, instance_id)
        wang = next(e for e in state["mianshi_chengji"] if e["xingming"] == "王志强")
        assert wang["huibi_pingwei"] == ["pingwei1"] and len(wang["yanjiang"]) == 4
        assert sorted(state["bingli_duixiang"]) == ["张建国", "李明华"]
        assert titles(api, "danggongbu") == []
        for judge in PINGWEI:
            second = task(api, judge, "第二轮答辩评分")
            # only the tied applicants are scored in the second round
            wrong = api.complete(
                second["id"], judge, pingfen=pingfen({"张建国": 88, "李明华": 85, "王志强": 80})
            )
            assert_problem(wrong, 422)
            sheet = [
                {"xingming": n, "huibi": False, "dabian": dabian(t)}
                for n, t in {"张建国": 86, "李明华": 88}.items()
            ]
            assert api.complete(second["id"], judge, pingfen=sheet).status_code == 200
        state = data(api, instance_id)
        assert {e["xingming"]: e["defen"] for e in state["dierlun_chengji"]} == {"张建国": 86, "李明华": 88}
        assert state["kaocha_duixiang"] == "李明华"
        assert len(state["dierlun_jilu"]) == 1  # JB-18: each round is kept
        assert not TEMPORARIES & set(state)  # the second round's loop variables are not kept
        assert titles(api, "danggongbu") == ["组织考察"]


def test_every_judge_recusing_for_an_applicant_voids_the_round_and_the_committee_reconvenes(api):
    """X-02, JB-07, JB-18: when all five judges declare 回避 for 王志强 the last sheet is still
    accepted; nobody can score him, so the round is void (kept with its sheets in
    mianshi_zuofei) and 确定面试评审组 goes back to 党委 with the applicant and the recused judges.
    A panel of only those judges is refused (field pingwei_list); a panel with two new judges
    sets a new bank, draws again and scores; only the new round counts."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        everyone_recuses = {j: ("王志强",) for j in PINGWEI}
        interview(
            api, {j: {"张建国": 90, "李明华": 85, "王志强": 0} for j in PINGWEI}, huibi=everyone_recuses
        )
        state = data(api, instance_id)
        assert state["pingfen_buzu"] == [{"xingming": "王志强", "huibi_pingwei": PINGWEI}]
        [void] = state["mianshi_zuofei"]
        assert void["lunci"] == "面试" and [s["pingwei"] for s in void["pingfen_biao"]] == PINGWEI
        assert "mianshi_chengji" not in state and "kaocha_duixiang" not in state
        assert titles(api, "danggongbu") == [] and titles(api, "dangwei") == ["确定面试评审组"]
        again = task(api, "dangwei", "确定面试评审组")
        same = api.complete(again["id"], "dangwei", pingwei_list=PINGWEI, dangwei_yanjiu_riqi="2026-03-17")
        body = assert_problem(same, 422)
        assert "pingwei_list" in body["errors"] and "王志强" in body["detail"]
        assert task(api, "dangwei", "确定面试评审组")["id"] == again["id"]  # nothing saved
        new_panel = ["pingwei1", "pingwei2", "pingwei3", "pingwei6", "pingwei7"]
        convene(api, "2026-03-17", panel=new_panel, tiku=TIKU[::-1], chouti_shu=3)
        assert all(len(c["timu"]) == 3 for c in data(api, instance_id)["chouti_jilu"])
        interview(
            api,
            {j: {"张建国": 80, "李明华": 88, "王志强": 86} for j in new_panel},
            huibi={j: ("王志强",) for j in new_panel[:3]},
        )
        state = data(api, instance_id)
        scores = {e["xingming"]: (e["defen"], e["huibi_pingwei"]) for e in state["mianshi_chengji"]}
        assert scores == {"张建国": (80, []), "李明华": (88, []), "王志强": (86, new_panel[:3])}
        assert state["kaocha_duixiang"] == "李明华" and state["pingfen_buzu"] == []
        assert len(state["mianshi_zuofei"]) == 1  # JB-18: the void round stays on record
        assert [p["pingwei"] for p in state["pingfen_biao"]] == new_panel
        assert titles(api, "danggongbu") == ["组织考察"]


def test_every_judge_recusing_in_the_second_round_voids_it_until_the_panel_changes(api):
    """X-02, JB-12, JB-07: in the second round of Q&A all five judges declare 回避 for 李明华:
    the round is void and 党委 gets 调整面试评审组; the same panel is refused; a changed panel
    scores the second round again and decides the tie."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        interview(api, {j: {"张建国": 90, "李明华": 90, "王志强": 80} for j in PINGWEI})
        for judge in PINGWEI:
            sheet = [
                {"xingming": "张建国", "huibi": False, "dabian": dabian(86)},
                {"xingming": "李明华", "huibi": True, "huibi_guanxi": "三代以内旁系血亲关系"},
            ]
            do(api, judge, "第二轮答辩评分", pingfen=sheet)
        state = data(api, instance_id)
        assert state["pingfen_buzu"] == [{"xingming": "李明华", "huibi_pingwei": PINGWEI}]
        assert [v["lunci"] for v in state["mianshi_zuofei"]] == ["第二轮答辩"]
        assert state["dierlun_jilu"] == [] and "dierlun_chengji" not in state
        assert titles(api, "dangwei") == ["调整面试评审组"] and titles(api, "danggongbu") == []
        change = task(api, "dangwei", "调整面试评审组")
        body = assert_problem(
            api.complete(change["id"], "dangwei", pingwei_list=PINGWEI, dangwei_yanjiu_riqi="2026-03-18"), 422
        )
        assert "pingwei_list" in body["errors"]
        new_panel = ["pingwei6", "pingwei7", "pingwei3", "pingwei4", "pingwei5"]
        do(api, "dangwei", "调整面试评审组", pingwei_list=new_panel, dangwei_yanjiu_riqi="2026-03-18")
        for judge in new_panel:
            sheet = [
                {"xingming": "张建国", "huibi": False, "dabian": dabian(86)},
                {"xingming": "李明华", "huibi": False, "dabian": dabian(89)},
            ]
            do(api, judge, "第二轮答辩评分", pingfen=sheet)
        state = data(api, instance_id)
        assert {e["xingming"]: e["defen"] for e in state["dierlun_chengji"]} == {"张建国": 86, "李明华": 89}
        assert state["kaocha_duixiang"] == "李明华" and len(state["dierlun_jilu"]) == 1
        assert titles(api, "danggongbu") == ["组织考察"]


def test_all_below_80_lets_the_committee_leave_the_post_vacant(api):
    """JB-13: every interview score below 80 → 党委 decides; 暂时空岗 ends the call."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        interview(api, {j: {"张建国": 79, "李明华": 70, "王志强": 65} for j in PINGWEI})
        assert data(api, instance_id)["quanbu_dibao"] is True
        assert titles(api, "danggongbu") == []
        do(
            api,
            "dangwei",
            "研究是否空岗",
            kongang_jueding="暂时空岗",
            kongang_liyou="揭榜对象面试成绩均低于80分，与岗位匹配程度不高。",
        )
        assert ended_at(api, instance_id) == "暂时空岗"


def test_all_below_80_committee_may_continue_with_the_top_scorer(api):
    """JB-13: the committee may also continue; the top scorer is then inspected (JB-14)."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        interview(api, {j: {"张建国": 79, "李明华": 70, "王志强": 65} for j in PINGWEI})
        do(
            api,
            "dangwei",
            "研究是否空岗",
            kongang_jueding="继续选拔",
            kongang_liyou="岗位急需，继续考察最高分者。",
        )
        assert titles(api, "danggongbu") == ["组织考察"]
        assert data(api, instance_id)["kaocha_duixiang"] == "张建国"


def _to_pre_appointment_publicity(api, traveller) -> str:
    instance_id = start_to_interview(api, traveller)
    interview(api, {j: {"张建国": 90, "李明华": 85, "王志强": 82} for j in PINGWEI})
    appoint_after_interview(api, traveller, instance_id, "张建国")
    api.post_publicity("dangweigongzuobu")  # 任前公示 posted on 3/16
    return instance_id


def test_objection_during_pre_appointment_publicity_blocks_appointment(api):
    """JB-16, X-04: a real-name objection with facts is investigated by 党工部 and decided by
    党委; while it is open the publicity cannot end and nobody is appointed; an objection 党委
    sustains ends in 不予任命."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = _to_pre_appointment_publicity(api, traveller)
        do(
            api,
            "dangweigongzuobu",
            "受理公示异议",
            jubaoren="刘强",
            lianxi_fangshi="13904140000",
            shishi="反映张建国在原单位任职期间存在违规采购问题。",
        )
        assert titles(api, "danggongbu") == ["核查异议"]
        traveller.move_to(at("2026-03-25"))  # past the 5 working days
        tick(api)
        assert titles(api, "shuibeng") == []  # blocked while the objection is open
        do(
            api,
            "danggongbu",
            "核查异议",
            hecha_jieguo="异议成立",
            hecha_shuoming="经调查核实，反映问题属实，已报党委。",
            fankui_jubaoren="已于2026年3月25日当面向刘强反馈核查结果。",
        )
        assert titles(api, "shuibeng") == []  # JB-16: the finding alone decides nothing
        assert titles(api, "dangwei") == ["决定异议处理"]
        sustain(api)
        assert ended_at(api, instance_id) == "不予任命"
        assert data(api, instance_id)["gongshi_jieguo"] == "异议成立"
        assert titles(api, "shuibeng") == []


def test_failed_trial_period_means_no_appointment(api):
    """JB-17: the trial period runs the call's time period; a failed assessment ends in 不予任命."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = _to_pre_appointment_publicity(api, traveller)
        traveller.move_to(at("2026-03-24", "00:00"))
        assert tick(api) == 1
        do(api, "shuibeng", "安排到岗试用", renzhi_riqi="2026-04-01")
        assert due_timers(api, instance_id) == ["2027-04-01T23:59:59+08:00"]
        traveller.move_to(at("2027-04-02", "00:00"))
        assert tick(api) == 1
        do(
            api,
            "dangwei",
            "试用期考核",
            kaohe_jieguo="不合格",
            kaohe_yijian="未完成年度销售目标，考核不合格。",
        )
        assert ended_at(api, instance_id) == "不予任命"
        assert titles(api, "shuibeng") == []


def test_judge_sub_score_out_of_range_is_rejected(api):
    """JB-11, JB-09, JB-10: a sub-score above its maximum (or below 0) is refused; a sheet
    that leaves out an applicant is refused too; nothing is saved."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        sheet_task = task(api, "pingwei1", "面试评分")
        sheet = pingfen({"张建国": 90, "李明华": 85, "王志强": 82})
        sheet[0]["yanjiang"]["biaoxian"] = 31
        body = assert_problem(api.complete(sheet_task["id"], "pingwei1", pingfen=sheet), 422)
        assert body.get("errors"), body
        sheet = pingfen({"张建国": 90, "李明华": 85, "王志强": 82})
        sheet[1]["dabian"]["yuyan"] = -1
        assert_problem(api.complete(sheet_task["id"], "pingwei1", pingfen=sheet), 422)
        recused_but_scored = pingfen({"张建国": 90, "李明华": 85, "王志强": 82})
        recused_but_scored[2]["huibi"] = True
        recused_but_scored[2]["huibi_guanxi"] = "夫妻关系"
        assert_problem(api.complete(sheet_task["id"], "pingwei1", pingfen=recused_but_scored), 422)
        missing = pingfen({"张建国": 90, "李明华": 85})
        assert (
            "王志强"
            in assert_problem(api.complete(sheet_task["id"], "pingwei1", pingfen=missing), 422)["detail"]
        )
        assert "pingfen_biao" not in data(api, instance_id) or all(
            isinstance(p, str) for p in data(api, instance_id)["pingfen_biao"]
        )
        assert task(api, "pingwei1", "面试评分")["id"] == sheet_task["id"]


def test_recorded_seed_replays_the_draw(api):
    """JB-08, JB-10, JB-18: the speaking order and each applicant's questions are drawn from a
    recorded seed; replaying the domain functions with it gives the same result."""
    from service.domain.draws import draw_order, draw_questions

    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        state = data(api, instance_id)
        seed = state["chouqian_zhongzi"]
        assert isinstance(seed, int)
        assert state["yanjiang_shunxu"] == draw_order(NAMES, seed)
        assert [c["xingming"] for c in state["chouti_jilu"]] == state["yanjiang_shunxu"]
        for record in state["chouti_jilu"]:
            assert len(record["timu"]) == 4 and set(record["timu"]) <= set(TIKU)
            assert record["timu"] == draw_questions(TIKU, 4, record["zhongzi"])


def test_panel_must_be_active_accounts_of_the_judging_role(api):
    """JB-07: the committee's panel names five accounts of 面试评审组; a mistyped name or a
    person without the role is refused on the spot, with the field, and nothing is saved."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        _to_list_publicity(api, traveller)
        traveller.move_to(at("2026-03-14", "00:00"))
        assert tick(api) == 1
        panel = task(api, "dangwei", "确定面试评审组")
        wrong = ["pingwei1", "pingwei2", "pingwei3", "pingwei9", "outsider"]
        body = assert_problem(
            api.complete(
                panel["id"],
                "dangwei",
                pingwei_list=wrong,
                dangwei_yanjiu_riqi="2026-03-16",
                mingti_ren=MINGTI,
            ),
            422,
        )
        assert body["errors"] == {
            "pingwei_list.3": ["「pingwei9」不是系统中的在用账号"],
            "pingwei_list.4": ["「outsider」不具有角色「面试评审组」"],
        }
        assert task(api, "dangwei", "确定面试评审组")["id"] == panel["id"]
        do(
            api,
            "dangwei",
            "确定面试评审组",
            pingwei_list=PINGWEI,
            dangwei_yanjiu_riqi="2026-03-16",
            mingti_ren=MINGTI,
        )
        assert titles(api, MINGTI) == ["封闭出题"] and titles(api, "gongzuozu") == []


def test_discipline_inspector_reads_but_cannot_act(api):
    """JB-07, X-01: only the 5 judges chosen by the committee get a scoring task, each their
    own; the discipline inspector sees the instance and the tasks but can complete nothing."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        assert titles(api, "pingwei6") == []
        sheet_task = task(api, "pingwei1", "面试评分")
        sheet = pingfen({"张建国": 90, "李明华": 85, "王志强": 82})
        # Another judge can neither complete nor read a colleague's sheet (JB-07: each their own).
        assert_problem(api.complete(sheet_task["id"], "pingwei2", pingfen=sheet), 404)
        assert_problem(api.get(f"/api/v1/tasks/{sheet_task['id']}", user="pingwei2"), 404)
        assert api.get(f"/api/v1/instances/{instance_id}", user="jijian").status_code == 200
        assert api.get(f"/api/v1/tasks/{sheet_task['id']}", user="jijian").status_code == 200
        assert_problem(api.complete(sheet_task["id"], "jijian", pingfen=sheet), 403)
        assert_problem(api.post(f"/api/v1/tasks/{sheet_task['id']}/claim", user="jijian"), 409)
        listed = api.get("/api/v1/instances", user="jijian").json
        assert instance_id in [i["id"] for i in listed["items"]]
        assert task(api, "pingwei1", "面试评分")["id"] == sheet_task["id"]


def steps(api, instance_id: str) -> list[str]:
    return [s["title"] for s in api.get(f"/api/v1/instances/{instance_id}").json["completed_steps"]]


def test_upheld_objection_to_the_list_sends_it_back_for_a_new_proposal(api):
    """JB-06, X-04: a real-name objection during the 3-day 定榜公示 is investigated by 党工部;
    while it is open the publicity does not end at its deadline and no panel is chosen. Upheld,
    the publicity fails and 党委工作部 proposes the list again; the new list is publicised for
    3 days from the re-proposal and the procedure goes on with it. JB-18: the closed objection's
    result stays readable for the discipline inspector, and the instance's publicity history
    (gongshi_lishi) keeps the failed publicity with its objection, findings and feedback after
    the re-publicity has started its own, empty objection list (X-04)."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = _to_list_publicity(api, traveller)
        assert due_timers(api, instance_id) == ["2026-03-13T23:59:59+08:00"]
        traveller.move_to(at("2026-03-11"))
        do(
            api,
            "dangweigongzuobu",
            "受理公示异议",
            jubaoren="刘强",
            lianxi_fangshi="13904140000",
            shishi="反映王志强提供的现岗位任职年限证明与实际不符。",
        )
        hecha = task(api, "danggongbu", "核查异议")
        # further objections can still be registered until the period ends.
        assert titles(api, "dangweigongzuobu") == ["受理公示异议"]
        traveller.move_to(at("2026-03-14", "00:00"))  # past the 3 days: receiving stops
        assert tick(api) == 1
        assert titles(api, "dangweigongzuobu") == []
        assert titles(api, "dangwei") == []  # the list is not final while the objection is open
        traveller.move_to(at("2026-03-16"))
        do(
            api,
            "danggongbu",
            "核查异议",
            hecha_jieguo="异议成立",
            hecha_shuoming="经调查核实，王志强现岗位任职不满1年，反映问题属实，已报党委。",
            fankui_jubaoren="已于2026年3月16日当面向刘强反馈核查结果。",
        )
        assert titles(api, "dangwei") == ["决定异议处理"]  # JB-16: 党委 decides on the finding
        sustain(api)
        state = data(api, instance_id)
        assert state["gongshi_jieguo"] == "异议成立"
        [yiyi] = state["gongshi_yiyi"]
        assert (yiyi["jubaoren"], yiyi["hecha_jieguo"]) == ("刘强", "异议成立")
        assert yiyi["yiyi_jueding"] == "异议成立"
        [diyici] = state["gongshi_lishi"]
        assert diyici == {
            "gongshi_neirong": BANGDAN["jingpin_zhiwei"] + "拟参与揭榜对象：张建国、李明华、王志强",
            "gongshi_kaishi": "2026-03-10",
            "gongshi_zhangtie_riqi": "2026-03-10",
            "gongshi_kaiqi_riqi": "2026-03-10",
            "gongshi_jiezhi": "2026-03-13T23:59:59+08:00",
            "gongshi_tianshu": 3,
            "gongshi_gongzuori": False,
            "gongshi_jieguo": "异议成立",
            "gongshi_yiyi": [yiyi],
        }
        assert titles(api, "dangwei") == []
        assert titles(api, "dangweigongzuobu") == ["审核并提出揭榜对象"]
        assert steps(api, instance_id).count("审核并提出揭榜对象") == 1
        # JB-18: the inspector can still read the recorded result of the closed objection.
        closed = api.get(f"/api/v1/tasks/{hecha['id']}", user="jijian").json
        assert closed["status"] == "completed" and closed["completed_by"] == "danggongbu"
        assert closed["data"]["hecha_jieguo"] == "异议成立"

        do(
            api,
            "dangweigongzuobu",
            "审核并提出揭榜对象",
            niding_duixiang=["张建国", "李明华"],
            shenhe_yijian="王志强经核查不符合任职年限要求，不再列为揭榜对象。",
        )
        state = data(api, instance_id)
        assert state["niding_duixiang"] == ["张建国", "李明华"]
        assert state["gongshi_neirong"].endswith("拟参与揭榜对象：张建国、李明华")
        assert state["gongshi_kaishi"] == "2026-03-16"
        api.post_publicity("dangweigongzuobu")  # the new list is posted on 3/16
        assert due_timers(api, instance_id) == ["2026-03-19T23:59:59+08:00"]  # JB-06: 3 new days
        traveller.move_to(at("2026-03-19", "23:59"))
        assert tick(api) == 0 and titles(api, "dangwei") == []
        traveller.move_to(at("2026-03-20", "00:00"))
        assert tick(api) == 1
        state = data(api, instance_id)
        assert (state["gongshi_jieguo"], state["gongshi_yiyi"]) == ("无异议", [])
        # X-04, JB-18: the re-publicity reset its own objection list, the history keeps both.
        [first, chongxin] = state["gongshi_lishi"]
        assert first == diyici
        assert chongxin["gongshi_kaishi"] == "2026-03-16"
        assert chongxin["gongshi_jiezhi"] == "2026-03-19T23:59:59+08:00"
        assert (chongxin["gongshi_jieguo"], chongxin["gongshi_yiyi"]) == ("无异议", [])
        assert chongxin["gongshi_neirong"].endswith("拟参与揭榜对象：张建国、李明华")
        assert titles(api, "dangweigongzuobu") == []

        traveller.move_to(at("2026-03-23"))
        convene(api, "2026-03-23")
        state = data(api, instance_id)
        assert sorted(state["yanjiang_shunxu"]) == ["张建国", "李明华"]
        assert sorted(c["xingming"] for c in state["chouti_jilu"]) == ["张建国", "李明华"]
        # The struck-out applicant can no longer be scored.
        sheet_task = task(api, "pingwei1", "面试评分")
        with_wang = pingfen({"张建国": 90, "李明华": 85, "王志强": 82})
        refused = assert_problem(api.complete(sheet_task["id"], "pingwei1", pingfen=with_wang), 422)
        assert "张建国、李明华" in refused["detail"]
        interview(api, {j: {"张建国": 84, "李明华": 88} for j in PINGWEI})
        state = data(api, instance_id)
        assert {e["xingming"]: e["defen"] for e in state["mianshi_chengji"]} == {"张建国": 84, "李明华": 88}
        assert state["kaocha_duixiang"] == "李明华"
        assert titles(api, "danggongbu") == ["组织考察"]


def test_receiving_company_refusing_the_proposal_ends_without_appointment(api):
    """JB-15: the committee's appointment proposal goes to 水泵公司党委, who decide; when they
    do not agree the diagram ends in 不予任命 — no 任前公示, no trial, nobody appointed."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller)
        interview(api, {j: {"张建国": 90, "李明华": 85, "王志强": 82} for j in PINGWEI})
        kaocha(api, "张建国")
        assert titles(api, "shuibeng") == []
        propose_appointment(api)
        assert titles(api, "shuibeng") == ["研究任职建议"]
        done = do(
            api,
            "shuibeng",
            "研究任职建议",
            shuibeng_tongyi=False,
            shuibeng_yijian="本公司营销部现阶段另有安排，不同意到岗试用。",
        )
        assert done["status"] == "completed" and done["open_tasks"] == []
        assert ended_at(api, instance_id) == "不予任命"
        state = data(api, instance_id)
        assert state["shuibeng_tongyi"] is False
        assert state["shuibeng_yijian"] == "本公司营销部现阶段另有安排，不同意到岗试用。"
        assert state["kaocha_duixiang"] == "张建国"
        assert "renzhi_riqi" not in state
        assert not state["gongshi_neirong"].startswith("拟任")  # still the list's publicity
        done_steps = steps(api, instance_id)
        assert "准备任前公示" not in done_steps and "任前公示" not in done_steps
        assert "安排到岗试用" not in done_steps
        assert due_timers(api, instance_id) == []
        for user in ("dangweigongzuobu", "shuibeng", "dangwei", "danggongbu"):
            assert titles(api, user) == []


def test_committee_leaves_the_post_vacant_after_inspecting_a_single_applicant(api):
    """JB-13: a single applicant is not automatically appointed — even with an interview score
    of 80 or more, after the inspection (JB-14) the committee's discussion (JB-15) may decide
    暂时空岗; nothing is proposed to 水泵公司党委 and the call ends as 暂时空岗."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = start_to_interview(api, traveller, names=["张建国"])
        interview(api, {j: {"张建国": 82} for j in PINGWEI})
        state = data(api, instance_id)
        assert state["quanbu_dibao"] is False and state["bingli_duixiang"] == []
        assert state["kaocha_duixiang"] == "张建国"
        assert titles(api, "dangwei") == []  # no 研究是否空岗: not the all-below-80 branch
        kaocha(api, "张建国")
        do(
            api,
            "dangwei",
            "党委研究讨论",
            taolun_riqi="2026-03-20",
            renmian_jianyi="暂时空岗",
            taolun_jiyao="揭榜对象仅一人，综合素质与岗位匹配程度不高，研究决定暂时空岗。",
        )
        assert ended_at(api, instance_id) == "暂时空岗"
        state = data(api, instance_id)
        assert state["renmian_jianyi"] == "暂时空岗"
        assert state["taolun_jiyao"].startswith("揭榜对象仅一人")
        done_steps = steps(api, instance_id)
        assert "研究是否空岗" not in done_steps
        assert "研究任职建议" not in done_steps and "准备任前公示" not in done_steps
        assert "shuibeng_tongyi" not in state
        assert due_timers(api, instance_id) == []
        for user in ("shuibeng", "dangwei", "dangweigongzuobu", "danggongbu"):
            assert titles(api, user) == []


@pytest.mark.live
def test_main_path_on_a_multi_worker_server(api):
    """Issue 8: the whole 揭榜挂帅 procedure over real HTTP against `xuanpin serve` with several
    worker processes."""
    test_main_path_from_call_to_formal_appointment(api)


def test_a_publication_date_that_would_close_the_window_at_once_is_refused(api):
    """JB-02, JB-03: on 3/20 a call dated 3/02 (its 5 working days ended on 3/09) would close as
    无人揭榜 the moment it is sent, with the JB-02 notice already out; it is refused on the date
    field, nothing is sent and 发榜 waits; a date in the future is refused too; the real date
    opens the window."""
    with time_machine.travel(at("2026-03-20"), tick=False):
        assert api.deploy(*files()).status_code == 201
        instance_id = api.start("jiebang_guashuai", user="gongzuozu").json["id"]
        do(api, "gongzuozu", "建榜", **BANGDAN)
        publish = task(api, "gongzuozu", "发榜")
        stale = assert_problem(
            api.complete(publish["id"], "gongzuozu", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站"),
            422,
        )
        assert "揭榜期已于 2026-03-09 23:59 届满" in stale["detail"] and "fabu_riqi" in stale["errors"]
        future = assert_problem(
            api.complete(publish["id"], "gongzuozu", fabu_riqi="2026-03-23", fabu_qudao="本溪市国资委网站"),
            422,
        )
        assert "fabu_riqi" in future["errors"]
        assert task(api, "gongzuozu", "发榜")["id"] == publish["id"]
        oa = api.post("/api/v1/tokens", json={"name": "集团门户网站"}).json["access_token"]
        events = api.client.get("/api/v1/events", headers={"Authorization": f"Bearer {oa}"}).json["items"]
        assert events == []
        do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-20", fabu_qudao="本溪市国资委网站")
        assert data(api, instance_id)["jiebang_jiezhi"] == "2026-03-27T23:59:59+08:00"
        assert titles(api, "dangweigongzuobu") == ["登记揭榜申请"]


def _seen(api, user: str, instance_id: str) -> dict[str, Any] | None:
    response = api.get(f"/api/v1/instances/{instance_id}", user=user)
    return response.json["data"] if response.status_code == 200 else None


def test_jb10_the_bank_is_set_by_the_designated_setter_and_sealed_until_drawn_on_site(api):
    """JB-10, JB-08, X-06: the 党委 names the setter with the panel (a panel without one, or a
    setter without the 命题人 role, is refused on mingti_ren); only the setter gets 封闭出题; until
    the applicants draw on site the bank is readable by the setter and the inspector only — the
    working group, the party work department and the judges read the case without it; the
    speaking order is the one drawn by lot on site (a list leaving an applicant out is refused),
    and from then on the bank and the draws are on record for everyone who sees the case."""
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = _to_list_publicity(api, traveller)
        traveller.move_to(at("2026-03-14", "00:00"))
        assert tick(api) == 1
        traveller.move_to(at("2026-03-16"))
        panel = task(api, "dangwei", "确定面试评审组")
        body = assert_problem(
            api.complete(panel["id"], "dangwei", pingwei_list=PINGWEI, dangwei_yanjiu_riqi="2026-03-16"), 422
        )
        assert list(body["errors"]) == ["mingti_ren"], body
        body = assert_problem(
            api.complete(
                panel["id"],
                "dangwei",
                pingwei_list=PINGWEI,
                dangwei_yanjiu_riqi="2026-03-16",
                mingti_ren="gongzuozu",
            ),
            422,
        )
        assert list(body["errors"]) == ["mingti_ren"], body
        do(
            api,
            "dangwei",
            "确定面试评审组",
            pingwei_list=PINGWEI,
            dangwei_yanjiu_riqi="2026-03-16",
            mingti_ren=MINGTI,
        )
        assert titles(api, "gongzuozu") == [] and titles(api, MINGTI) == ["封闭出题"]
        do(api, MINGTI, "封闭出题", tiku=TIKU, chouti_shu=4, chuti_ren="孟涛")

        for user in ("gongzuozu", "dangweigongzuobu", "pingwei1", "dangwei"):
            seen = _seen(api, user, instance_id)
            assert seen is None or ("tiku" not in seen and "chouti_jilu" not in seen), user
        assert _seen(api, "gongzuozu", instance_id) is not None  # the case itself, without the bank
        assert _seen(api, "jijian", instance_id)["tiku"] == TIKU
        draw = task(api, "gongzuozu", "现场抽签")
        detail = api.get(f"/api/v1/tasks/{draw['id']}", user="gongzuozu").json
        assert "tiku" not in detail["data"] and "tiku" not in (detail.get("context") or {})

        short = ["王志强", "张建国"]
        body = assert_problem(
            api.complete(draw["id"], "gongzuozu", chouqian_riqi="2026-03-16", chouqian_shunxu=short), 422
        )
        assert list(body["errors"]) == ["chouqian_shunxu"] and "李明华" in body["detail"], body
        assert "tiku" not in _seen(api, "gongzuozu", instance_id)
        drawn = ["王志强", "张建国", "李明华"]
        do(api, "gongzuozu", "现场抽签", chouqian_riqi="2026-03-16", chouqian_shunxu=drawn)
        state = _seen(api, "gongzuozu", instance_id)
        assert state["yanjiang_shunxu"] == drawn and state["chouqian_fangshi"] == "揭榜对象现场抽签"
        assert state["tiku"] == TIKU and [c["xingming"] for c in state["chouti_jilu"]] == drawn
        assert all(len(c["timu"]) == 4 and set(c["timu"]) <= set(TIKU) for c in state["chouti_jilu"])
