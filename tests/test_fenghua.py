"""奉化区国企公开招聘（processes/fenghua_zhaopin.bpmn + fenghua_zige.dmn），driven over REST
as each role's user would, time travelled with time_machine and timers fired by the scheduler.

Rule IDs proved here: FH-01, FH-02, FH-03, FH-04, FH-05, FH-06, FH-07, FH-08, FH-09, FH-10, X-02
(examiners' 回避), X-04 (publicity through the shared 公示 subprocess).

Every test runs on a pinned clock (`fh_clock`: 2026-11-20 09:00 Beijing time, while registration
is open), so the fixed dates below hold whatever the real date is."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from service.scheduler import TimerScheduler
from service.store.models import AuditEvent
from service.timeutil import SHANGHAI
from tests.conftest import FORMS, PROCESSES, assert_problem

KEY = "fenghua_zhaopin"

# Registration closes at the end of 2026-11-30; everything after happens in December 2026.
GONGGAO_RIQI = "2026-11-20"
BAOMING_JIEZHI = "2026-11-30"
AFTER_DEADLINE = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
RUZHI_RIQI = "2026-12-10"
# The day the announcement is published, registration open: where every FH test starts.
FH_START = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
KAOGUAN = ["kaoguan1", "kaoguan2", "kaoguan3"]


def _applicant(
    xingming, sfz, chusheng, xueli="大学本科", zhicheng="无", quanrizhi=True, zhuanye="会计学", zaizhi=()
):
    """An applicant's registration: the degree `xueli` (full-time unless quanrizhi=False) and any
    in-service degrees `zaizhi` besides it (FH-02: each degree with its study mode)."""
    degrees = [{"xueli": xueli, "xuexi_xingshi": "全日制" if quanrizhi else "在职"}]
    degrees += [{"xueli": level, "xuexi_xingshi": "在职"} for level in zaizhi]
    return {
        "xingming": xingming,
        "shenfenzheng_hao": sfz,
        "xingbie": "男" if int(sfz[16]) % 2 else "女",
        "chusheng_riqi": chusheng,
        "xueli_lie": degrees,
        "zhicheng": zhicheng,
        "biye_yuanxiao": "宁波大学",
        "zhuanye": zhuanye,
        "lianxi_dianhua": "13805740" + sfz[-3:].replace("X", "0"),
    }


# Seven applicants, six of them qualified (6:1 for one post → the written exam is held).
SIX_QUALIFIED = [
    _applicant("王晓东", "330283199503120012", "1995-03-12"),
    _applicant("李静怡", "330283199807250027", "1998-07-25", xueli="硕士研究生", zhuanye="财务管理"),
    _applicant("陈浩然", "330283199211080031", "1992-11-08"),
    _applicant("周敏", "330283200001150048", "2000-01-15"),
    _applicant("毛佳琪", "330283198802020067", "1988-02-02", zhicheng="中级"),
    _applicant("蒋文博", "330283199609300059", "1996-09-30", xueli="博士研究生", zhuanye="审计学"),
    _applicant("胡建国", "330283198805050073", "1988-05-05"),  # 38, no title → rejected
]


@pytest.fixture()
def fh_clock():
    """The clock pinned to FH_START (ticking), so the recruitment's fixed dates (announcement
    11/20, registration closing 11/30) never depend on the real date. Tests travel further
    with nested time_machine.travel calls. Modules importing `fh` request this by name."""
    with time_machine.travel(FH_START, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fh_pinned_clock(fh_clock):
    """Every test of this module runs on fh_clock (not autouse where fh_clock is imported)."""
    return fh_clock


@pytest.fixture()
def fh(api):
    files = [
        PROCESSES / "fenghua_niandu_jihua.bpmn",
        *sorted(FORMS.glob("fh_jh_*.schema.json")),
        PROCESSES / "fenghua_zhaopin.bpmn",
        PROCESSES / "fenghua_zige.dmn",
        PROCESSES / "gongshi.bpmn",
        PROCESSES / "fenghua_beian.bpmn",
        *sorted(FORMS.glob("fh_zp_*.schema.json")),
        *sorted(FORMS.glob("fh_beian_*.schema.json")),
        *sorted(FORMS.glob("gongshi_*.schema.json")),
    ]
    response = api.deploy(*files)
    assert response.status_code == 201, response.json
    return api


def _tick(api):
    return TimerScheduler(api.client.application.extensions["xuanpin"]).tick()


def _task(api, user, title, instance_id):
    found = [t for t in api.inbox(user, instance_id=instance_id) if t["title"] == title]
    assert found, (title, [t["title"] for t in api.inbox(user, instance_id=instance_id)])
    return found[0]


def _do(api, user, title, instance_id, **data):
    task = _task(api, user, title, instance_id)
    response = api.complete(task["id"], user, **data)
    assert response.status_code == 200, response.json
    return response.json


def _data(api, instance_id):
    return api.get(f"/api/v1/instances/{instance_id}", user="jijian").json


def _titles(api, user, instance_id):
    return sorted(t["title"] for t in api.inbox(user, instance_id=instance_id))


QIYE = "宁波市奉化区交通投资集团有限公司"
_PLAN_NUMBERS = itertools.count(1)
WENLÜ = "宁波市奉化区文化旅游集团有限公司"


def annual_plan(api, posts=(), laowu=(), qiye=QIYE, hezhun=True, business_key=None, year=2026):
    """FH-01: the enterprise files its annual plan (fenghua_niandu_jihua) and 区国资管理中心
    approves it (hezhun=False: sends it back; None: not decided yet). Returns the plan's id."""
    key = business_key or f"{qiye}-{year}-{next(_PLAN_NUMBERS)}"
    plan = api.start(
        "fenghua_niandu_jihua", user="renshi", business_key=key, jihua_niandu=year, qiye_mingcheng=qiye
    )
    assert plan.status_code == 201, plan.json
    _do(
        api,
        "renshi",
        "报送年度用工计划",
        plan.json["id"],
        guanli_jishu_gangwei=list(posts) or [dict(CAIWU)],
        laowu_liudong_gangwei=list(laowu),
        jihua_liyou="新增财务共享中心，按工作量测算需增配财务人员。",
    )
    if hezhun is not None:
        _do(
            api,
            "guozi",
            "核准年度用工计划",
            plan.json["id"],
            hezhun=hezhun,
            hezhun_yijian="同意按计划组织招聘" if hezhun else "超出核定编制数，请修改",
        )
    return plan.json["id"]


CAIWU = {
    "gangwei_mingcheng": "财务会计",
    "renshu": 2,
    "xueli_yaoqiu": "全日制大学本科及以上",
    "zhuanye_yaoqiu": "会计学、财务管理、审计学等相关专业",
}


def start_recruitment(api, plan_id, business_key, **body):
    return api.post(
        "/api/v1/instances",
        user="renshi",
        json={"definition_key": KEY, "business_key": business_key, "source_instance_id": plan_id, **body},
    )


def start_plan(
    api,
    jihua_renshu=1,
    fangkuan_dazhuan=False,
    bianhao="001",
    business_key=None,
    gangwei_mingcheng="财务会计",
    gangwei_leibie="管理技术岗",
    qiye_mingcheng=QIYE,
    zhuanye_yaoqiu="会计学、财务管理、审计学等相关专业",
):
    """FH-01: an approved annual plan with the post, then a recruitment of `jihua_renshu` for it
    started from that plan. Returns the recruitment's id."""
    if gangwei_leibie == "劳务流动岗":  # the plan lists its management posts too (at least one)
        posts = [dict(CAIWU)]
        laowu = [{"gangwei_mingcheng": gangwei_mingcheng, "renshu": jihua_renshu, "zhaopin_fangshi": "自聘"}]
    else:
        xueli = "全日制大专及以上" if fangkuan_dazhuan else "全日制大学本科及以上"
        posts = [
            {
                "gangwei_mingcheng": gangwei_mingcheng,
                "renshu": jihua_renshu,
                "xueli_yaoqiu": xueli,
                "zhuanye_yaoqiu": zhuanye_yaoqiu,
            }
        ]
        laowu = []
    plan_id = annual_plan(api, posts, laowu, qiye=qiye_mingcheng)
    started = start_recruitment(api, plan_id, business_key or f"FHJT-ZP-2026-{bianhao}")
    assert started.status_code == 201, started.json
    instance_id = started.json["id"]
    _do(
        api,
        "renshi",
        "确定招聘岗位",
        instance_id,
        gangwei_mingcheng=gangwei_mingcheng,
        gangwei_leibie=gangwei_leibie,
        jihua_renshu=jihua_renshu,
    )
    return instance_id


def announce_and_register(api, instance_id, applicants, bishi_quanzhong=40):
    _do(
        api,
        "renshi",
        "发布招聘公告",
        instance_id,
        gonggao_biaoti="宁波市奉化区交通投资集团有限公司2026年公开招聘公告",
        gonggao_riqi=GONGGAO_RIQI,
        baoming_jiezhi=BAOMING_JIEZHI,
        bishi_quanzhong=bishi_quanzhong,
    )
    for person in applicants:
        _do(api, "renshi", "登记报名", instance_id, **person)


def close_registration(api):
    with time_machine.travel(datetime(2026, 12, 1, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1


def scores(pairs):
    return [
        {"shenfenzheng_hao": p["shenfenzheng_hao"], "xingming": p["xingming"], "fenshu": s} for p, s in pairs
    ]


def sheet(people, values):
    """One examiner's 面试评分 sheet: a score per person, or a relationship (str) to declare 回避."""
    rows = []
    for person, value in zip(people, values, strict=True):
        row = {"shenfenzheng_hao": person["shenfenzheng_hao"], "xingming": person["xingming"]}
        if isinstance(value, str):
            row.update(huibi=True, huibi_guanxi=value)
        else:
            row.update(huibi=False, fenshu=value)
        rows.append(row)
    return rows


def organise_interview(api, instance_id, kaoguan=KAOGUAN, xingshi="结构化面试"):
    _do(
        api,
        "renshi",
        "组织面试",
        instance_id,
        mianshi_xingshi=xingshi,
        kaoguan_list=list(kaoguan),
        mianshi_riqi="2026-12-01",
        mianshi_didian="集团本部三楼会议室",
    )


def interview(api, instance_id, people, values, kaoguan=KAOGUAN, xingshi="结构化面试"):
    """企业人事 sets up the panel, then each examiner submits their own sheet. values: one per
    person, either the score every examiner gives or a list with one entry per examiner (a
    relationship string for 回避)."""
    organise_interview(api, instance_id, kaoguan, xingshi)
    for index, examiner in enumerate(kaoguan):
        mine = [v[index] if isinstance(v, list) else v for v in values]
        _do(api, examiner, "录入面试成绩", instance_id, pingfen=sheet(people, mine))


def to_hiring_decision(api, instance_id):
    """Main path from the closed registration to the hiring decision (one post, 6:1)."""
    _to_publicity(api, instance_id)
    # 公示 5 working days from 12/1: 12/2 … 12/8; objections are received by 企业人事.
    assert "受理公示异议" in _titles(api, "renshi", instance_id)
    with time_machine.travel(datetime(2026, 12, 8, 23, 59, 0, tzinfo=SHANGHAI)):
        assert _tick(api) == 0
    with time_machine.travel(datetime(2026, 12, 9, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
    with time_machine.travel(datetime(2026, 12, 9, 10, 0, tzinfo=SHANGHAI)):
        _do(
            api,
            "jituan",
            "作出聘用决定",
            instance_id,
            pinyong_wenhao="奉交投人〔2026〕58号",
            ruzhi_riqi=RUZHI_RIQI,
        )


def _to_publicity(api, instance_id):
    """Exams, physical exam and inspection on 12/1 (one post, 6:1): 王晓东 ranks first and passes
    both checks, so the publicity of 12/2 … 12/8 starts."""
    qualified = SIX_QUALIFIED[:6]
    written = [80, 92, 75, 70, 85, 60]
    # Each of the three examiners' scores; the interview score is their average (FH-05).
    mianshi = [[89, 90, 91], 78, [88, 86, 90], 85, [80, 80, 80], [70, 71, 69]]
    first = SIX_QUALIFIED[0]
    with time_machine.travel(AFTER_DEADLINE):
        _do(
            api,
            "kaoguan1",
            "录入笔试成绩",
            instance_id,
            bishi_chengji=scores(zip(qualified, written, strict=True)),
        )
        interview(api, instance_id, qualified, mianshi)
        _do(
            api,
            "renshi",
            "组织体检",
            instance_id,
            tijian_riqi="2026-12-01",
            tijian_jieguo=[
                {"shenfenzheng_hao": first["shenfenzheng_hao"], "xingming": first["xingming"], "hege": True}
            ],
        )
        _do(
            api,
            "jituan",
            "组织考察",
            instance_id,
            kaocha_jieguo=[
                {
                    "shenfenzheng_hao": first["shenfenzheng_hao"],
                    "xingming": first["xingming"],
                    "hege": True,
                    "yijian": "政治素质好，业务能力强，廉洁从业无不良记录",
                }
            ],
        )
        api.post_publicity("renshi", instance_id=instance_id)  # posted on 12/1


def test_main_path_plan_to_hire_filing_and_archive(fh):
    """FH-01 started from the approved annual plan → announcement → registration with FH-02
    review → 6:1 written and interview (FH-05 weights 40/60) → physical exam, inspection,
    publicity (X-04) → hire → contract (FH-08) and filing (FH-09, via fenghua_beian) side by
    side → archive (FH-07); FH-06 steps in order."""
    api = fh
    instance_id = start_plan(api)
    announce_and_register(api, instance_id, SIX_QUALIFIED)
    close_registration(api)
    data = _data(api, instance_id)["data"]
    assert (data["hege_renshu"], data["bili_jieguo"], data["juxing_bishi"]) == (6, "normal", True)
    assert _titles(api, "renshi", instance_id) == []  # no "确定是否笔试" at 6:1 (FH-04)
    to_hiring_decision(api, instance_id)

    data = _data(api, instance_id)["data"]
    # FH-05: 王晓东 80×40% + 90×60% = 86.0 beats 李静怡 92×40% + 78×60% = 83.6.
    assert [(c["xingming"], c["zongchengji"], c["mingci"]) for c in data["chengji"][:2]] == [
        ("王晓东", 86.0, 1),
        ("李静怡", 83.6, 2),
    ]
    assert [p["xingming"] for p in data["luyong_mingdan"]] == ["王晓东"]
    assert data["gongshi_jieguo"] == "无异议"

    contract = _task(api, "renshi", "签订劳动合同", instance_id)
    assert contract["due_at"] == "2027-01-10T23:59:59+08:00"  # FH-08: one month from 12/10
    # FH-09: the filing opens with the contract (it does not wait for it), due 15 working days
    # after the start date 12/10.
    filing_task = _task(api, "renshi", "填报备案材料", instance_id)
    assert filing_task["due_at"] == "2026-12-31T23:59:59+08:00" and filing_task["overdue"] is False
    timers = {t["title"]: t["due_at"] for t in _data(api, instance_id)["timers"]}
    assert timers == {
        "合同期限届满": "2027-01-10T23:59:59+08:00",
        "备案期限届满": "2026-12-31T23:59:59+08:00",
        "填报期限届满": "2026-12-31T23:59:59+08:00",
    }
    with time_machine.travel(datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)):
        filing = api.get(f"/api/v1/tasks/{filing_task['id']}", user="renshi")
        assert filing.json["data"]["xingming"] == "王晓东"
        assert filing.json["data"]["biandong_riqi"] == RUZHI_RIQI
        _do(
            api,
            "renshi",
            "填报备案材料",
            instance_id,
            beian_leixing="入职",
            xingming="王晓东",
            shenfenzheng_hao="330283199503120012",
            gangwei="财务会计",
            gangwei_leibie="管理岗位",
            xueli="大学本科",
            quanrizhi=True,
            biandong_riqi=RUZHI_RIQI,
        )
        review = _task(api, "jituan", "集团审核", instance_id)
        assert review["due_at"] == "2026-12-31T23:59:59+08:00"
        _do(api, "jituan", "集团审核", instance_id, jituan_tongguo=True, jituan_yijian="材料齐全，同意报备")
        _do(api, "guozi", "国资中心备案", instance_id, beian_jieguo="准予备案", beian_yijian="准予备案")
        # Filed before the contract: the contract is still open, the archive waits for both.
        assert _titles(api, "renshi", instance_id) == ["签订劳动合同"]
        api.complete(contract["id"], "renshi", hetong_riqi="2026-12-10", hetong_qixian_nian=3)
        assert _data(api, instance_id)["timers"] == []
        _do(
            api,
            "renshi",
            "招聘资料归档",
            instance_id,
            dangan_bianhao="FHJT-ZP-2026-007",
            guidang_riqi="2026-12-10",
            baoguan_qixian="永久",
        )
    detail = _data(api, instance_id)
    assert detail["status"] == "completed"
    archive = detail["data"]["guidang_cailiao"]  # FH-07
    assert archive["gonggao"]["riqi"] == GONGGAO_RIQI
    assert len(archive["baoming"]) == 7 and len(archive["chengji"]) == 6
    assert [p["xingming"] for p in archive["luyong"]] == ["王晓东"]
    [hire] = detail["data"]["luyong_mingdan"]
    assert (hire["beian_jieguo"], hire["beian_bianhao"], hire["beian_yuqi"]) == (
        "准予备案",
        "奉化备案-120012",
        False,
    )
    assert (hire["hetong_riqi"], hire["hetong_qixian_nian"], hire["hetong_yuqi"]) == ("2026-12-10", 3, False)
    assert (detail["data"]["beian_yuqi"], detail["data"]["hetong_yuqi"]) == (False, False)
    steps = [s["title"] for s in detail["completed_steps"]]
    order = [
        "核对年度用工计划",
        "确定招聘岗位",
        "发布招聘公告",
        "资格审查",
        "录入笔试成绩",
        "组织面试",
        "录入面试成绩",
        "组织体检",
        "组织考察",
    ]
    order += ["拟聘人员公示", "作出聘用决定", "办理人员备案", "签订劳动合同", "招聘资料归档"]
    assert [steps.index(title) for title in order] == sorted(steps.index(title) for title in order)  # FH-06


def test_eligibility_decision_table(fh):
    """FH-02: full-time bachelor+, age ≤35; ≤40 with an intermediate title; ≤45 with a full-time
    master's or a senior title; ages on the announcement date; 大专 only where the post relaxes it.
    A registration after the deadline is refused."""
    api = fh
    instance_id = start_plan(api)
    people = [
        _applicant("沈立军", "330283199011200019", "1990-11-20"),  # 36 on 2026-11-20 → no
        _applicant("孙海燕", "330283199011210022", "1990-11-21"),  # still 35 on 2026-11-20 → yes
        _applicant("邬国平", "330283198203150037", "1982-03-15", zhicheng="副高级"),  # 44 senior → yes
        _applicant("俞红梅", "330283198607070044", "1986-07-07", zhicheng="中级"),  # 40 intermediate → yes
        _applicant("竺志强", "330283198502010051", "1985-02-01", zhicheng="中级"),  # 41 intermediate → no
        _applicant("应丽萍", "330283198406060068", "1984-06-06", xueli="硕士研究生"),  # 42 master → yes
        _applicant(
            "楼建华", "330283198009090075", "1980-09-09", xueli="硕士研究生", zhicheng="正高级"
        ),  # 46 → no
        _applicant("汪小燕", "330283199605050084", "1996-05-05", quanrizhi=False),  # in-service → no
        _applicant("张伟", "330283199707070091", "1997-07-07", xueli="大专"),  # 大专, not relaxed → no
    ]
    announce_and_register(api, instance_id, people)
    verdicts = {
        a["xingming"]: (a["nianling"], a["hege"], a["liyou"])
        for a in _data(api, instance_id)["data"]["yingpin_mingdan"]
    }
    assert verdicts["沈立军"] == (36, False, "年龄超过35周岁且无中级及以上职称")
    assert verdicts["孙海燕"][:2] == (35, True)
    assert verdicts["邬国平"] == (44, True, "具有高级职称，年龄在45周岁及以下")
    assert verdicts["俞红梅"][:2] == (40, True)
    assert verdicts["竺志强"][:2] == (41, False)
    assert verdicts["应丽萍"][:2] == (42, True)
    assert verdicts["楼建华"] == (46, False, "年龄超过45周岁")
    assert verdicts["汪小燕"][1] is False and verdicts["汪小燕"][2].startswith("非全日制学历")
    assert verdicts["张伟"][1] is False and "大专" in verdicts["张伟"][2]

    late = _task(api, "renshi", "登记报名", instance_id)
    close_registration(api)
    response = api.complete(late["id"], "renshi", **_applicant("迟到者", "330283199901010010", "1999-01-01"))
    assert response.status_code == 409
    assert _data(api, instance_id)["data"]["hege_renshu"] == 4


def test_post_relaxed_to_dazhuan(fh):
    """FH-02: a post set to accept full-time 大专 accepts it; in-service 大专 still fails."""
    api = fh
    instance_id = start_plan(api, fangkuan_dazhuan=True)
    announce_and_register(
        api,
        instance_id,
        [
            _applicant("张伟", "330283199707070091", "1997-07-07", xueli="大专"),
            _applicant("徐丹", "330283199808080082", "1998-08-08", xueli="大专", quanrizhi=False),
        ],
    )
    verdicts = [a["hege"] for a in _data(api, instance_id)["data"]["yingpin_mingdan"]]
    assert verdicts == [True, False]


def _verdicts(api, instance_id):
    return {
        a["xingming"]: (a["hege"], a["liyou"]) for a in _data(api, instance_id)["data"]["yingpin_mingdan"]
    }


def test_fh02_full_time_and_in_service_degrees_are_separate(fh):
    """FH-02: education is a list of degrees, each full-time or in-service: a full-time bachelor
    with an in-service master meets 全日制大学本科及以上 (it was refused when only the highest
    degree and one flag were kept), but the in-service master does not raise the age limit to
    45; an in-service bachelor alone does not meet a full-time requirement. The record keeps
    every degree and the highest full-time one."""
    api = fh
    instance_id = start_plan(api)
    people = [
        _applicant("方磊", "330283199405050013", "1994-05-05", zaizhi=["硕士研究生"]),
        _applicant("钱婷", "330283198406060020", "1984-06-06", zaizhi=["硕士研究生"]),  # 42
        _applicant("应丽萍", "330283198406060068", "1984-06-06", xueli="硕士研究生"),  # 42, full-time
        _applicant("邵军", "330283199601010039", "1996-01-01", quanrizhi=False),
    ]
    announce_and_register(api, instance_id, people)
    verdicts = _verdicts(api, instance_id)
    assert verdicts["方磊"] == (True, "年龄在35周岁及以下")
    assert verdicts["钱婷"] == (False, "年龄超过40周岁且无高级职称或全日制硕士研究生及以上学历")
    assert verdicts["应丽萍"] == (True, "具有全日制硕士研究生及以上学历，年龄在45周岁及以下")
    assert verdicts["邵军"][0] is False and verdicts["邵军"][1].startswith("非全日制学历")
    [fang] = [a for a in _data(api, instance_id)["data"]["yingpin_mingdan"] if a["xingming"] == "方磊"]
    assert fang["xueli_lie"] == people[0]["xueli_lie"]
    assert (fang["xueli"], fang["quanrizhi_xueli"], fang["quanrizhi"]) == ("硕士研究生", "大学本科", False)


def test_fh02_in_service_dazhuan_only_for_the_listed_posts(fh):
    """FH-02 (第三十条（一）): an annual plan may accept in-service 大专 for 养老服务管理, 殡葬管理,
    商贸市场管理 and 酒店管理 posts; for another post the plan is refused on the post's field
    (nothing filed). A 酒店管理 post of the approved plan accepts an in-service 大专 and still
    refuses a high-school applicant."""
    api = fh
    plan = api.start(
        "fenghua_niandu_jihua",
        user="renshi",
        business_key="文旅-2026",
        jihua_niandu=2026,
        qiye_mingcheng=WENLÜ,
    ).json["id"]
    post = {
        "gangwei_mingcheng": "出纳",
        "renshu": 1,
        "xueli_yaoqiu": "在职大专及以上",
        "zhuanye_yaoqiu": "不限",
    }
    task = _task(api, "renshi", "报送年度用工计划", plan)
    body = dict(laowu_liudong_gangwei=[], jihua_liyou="新开业酒店需配备前厅与财务人员。")
    refused = assert_problem(api.complete(task["id"], "renshi", guanli_jishu_gangwei=[post], **body), 422)
    assert (
        "guanli_jishu_gangwei.0.fangkuan_gangwei_lei" in refused["errors"] and "酒店管理" in refused["detail"]
    )
    wrong_kind = dict(post, fangkuan_gangwei_lei="财务管理")
    assert_problem(api.complete(task["id"], "renshi", guanli_jishu_gangwei=[wrong_kind], **body), 422)
    hotel = dict(post, gangwei_mingcheng="酒店前厅主管", fangkuan_gangwei_lei="酒店管理")
    _do(api, "renshi", "报送年度用工计划", plan, guanli_jishu_gangwei=[hotel], **body)
    _do(api, "guozi", "核准年度用工计划", plan, hezhun=True, hezhun_yijian="同意")
    instance_id = start_recruitment(api, plan, "FHWL-ZP-2026-010").json["id"]
    _do(
        api,
        "renshi",
        "确定招聘岗位",
        instance_id,
        gangwei_mingcheng="酒店前厅主管",
        gangwei_leibie="管理技术岗",
        jihua_renshu=1,
    )
    announce_and_register(
        api,
        instance_id,
        [
            _applicant(
                "俞晓", "330283199801010024", "1998-01-01", xueli="大专", quanrizhi=False, zhuanye="酒店管理"
            ),
            _applicant("王强", "330283199701010035", "1997-01-01", xueli="高中及以下", zhuanye="无"),
        ],
    )
    verdicts = _verdicts(api, instance_id)
    assert verdicts["俞晓"] == (True, "年龄在35周岁及以下")
    assert verdicts["王强"][0] is False and "在职大专及以上" in verdicts["王强"][1]


def test_fh02_a_relaxation_the_centre_approved_with_the_plan(fh):
    """FH-02: beyond 第三十条's own relaxations, a 特殊岗位 may relax the conditions only with
    区国资管理中心's approval: the plan states the relaxed age limit (50) and the reason, the
    centre approves the plan, and the recruitment applies it — 48 without a title passes with
    that reason, 51 does not. A relaxation without a reason cannot be filed."""
    api = fh
    post = {
        "gangwei_mingcheng": "桥梁检测工程师",
        "renshu": 1,
        "xueli_yaoqiu": "全日制大学本科及以上",
        "zhuanye_yaoqiu": "土木工程",
        "teshu_fangkuan": {"nianling_shangxian": 50, "liyou": "桥梁检测紧缺人才，连续两年公开招聘未招到"},
    }
    plan = api.start(
        "fenghua_niandu_jihua",
        user="renshi",
        business_key="交投-特殊-2026",
        jihua_niandu=2026,
        qiye_mingcheng=QIYE,
    ).json["id"]
    task = _task(api, "renshi", "报送年度用工计划", plan)
    no_reason = dict(post, teshu_fangkuan={"nianling_shangxian": 50})
    body = dict(laowu_liudong_gangwei=[], jihua_liyou="桥梁养护任务增加，需增配检测人员。")
    assert_problem(api.complete(task["id"], "renshi", guanli_jishu_gangwei=[no_reason], **body), 422)
    _do(api, "renshi", "报送年度用工计划", plan, guanli_jishu_gangwei=[post], **body)
    _do(api, "guozi", "核准年度用工计划", plan, hezhun=True, hezhun_yijian="同意该岗位年龄放宽至50周岁")
    instance_id = start_recruitment(api, plan, "FHJT-ZP-2026-020").json["id"]
    _do(
        api,
        "renshi",
        "确定招聘岗位",
        instance_id,
        gangwei_mingcheng="桥梁检测工程师",
        gangwei_leibie="管理技术岗",
        jihua_renshu=1,
    )
    announce_and_register(
        api,
        instance_id,
        [
            _applicant("陈刚", "330283197805050011", "1978-05-05", zhuanye="土木工程"),  # 48
            _applicant("鲍勇", "330283197505050015", "1975-05-05", zhuanye="土木工程"),  # 51
        ],
    )
    verdicts = _verdicts(api, instance_id)
    assert verdicts["陈刚"] == (True, "经区国资管理中心同意，本岗位年龄放宽至50周岁")
    assert verdicts["鲍勇"] == (False, "年龄超过45周岁")


def test_ratio_below_two_to_one_reduce_then_cancel(fh):
    """FH-03, FH-01: 3 qualified for 3 planned (<2:1) → 区属集团 reduces the plan: to the same
    number or more than the plan is refused (field hejian_hou_renshu, nothing saved); to 2 still
    misses 2:1 and comes back; to 1 (3:1, FH-04 then applies). With 1 qualified for 1 planned the
    post is cancelled."""
    api = fh
    instance_id = start_plan(api, jihua_renshu=3)
    announce_and_register(api, instance_id, SIX_QUALIFIED[:3])
    close_registration(api)
    assert _data(api, instance_id)["data"]["bili_jieguo"] == "reduce_or_cancel"
    task = _task(api, "jituan", "核减计划或取消招聘", instance_id)
    for more in (3, 4):
        body = assert_problem(
            api.complete(
                task["id"],
                "jituan",
                chuli_fangshi="核减招聘计划",
                hejian_hou_renshu=more,
                chuli_yijian="核减",
            ),
            422,
        )
        assert "hejian_hou_renshu" in body["errors"] and "少于当前计划的 3 人" in body["detail"]
    assert _data(api, instance_id)["data"]["jihua_renshu"] == 3
    # Reducing to a plan that still misses 2:1 is sent back.
    _do(
        api,
        "jituan",
        "核减计划或取消招聘",
        instance_id,
        chuli_fangshi="核减招聘计划",
        hejian_hou_renshu=2,
        chuli_yijian="核减为2人",
    )
    assert _data(api, instance_id)["data"]["jihua_renshu"] == 2
    _do(
        api,
        "jituan",
        "核减计划或取消招聘",
        instance_id,
        chuli_fangshi="核减招聘计划",
        hejian_hou_renshu=1,
        chuli_yijian="核减为1人",
    )
    data = _data(api, instance_id)["data"]
    assert (data["jihua_renshu"], data["bili_jieguo"]) == (1, "skip_written_allowed")
    assert _titles(api, "renshi", instance_id) == ["确定是否笔试"]

    other = start_plan(api, bianhao="002")
    announce_and_register(api, other, SIX_QUALIFIED[:1])
    close_registration(api)
    _do(
        api,
        "jituan",
        "核减计划或取消招聘",
        other,
        chuli_fangshi="取消招聘",
        chuli_yijian="报名人数不足，取消本岗位招聘",
    )
    detail = _data(api, other)
    assert detail["status"] == "completed" and detail["open_tasks"] == []
    assert "录入面试成绩" not in [s["title"] for s in detail["completed_steps"]]


def test_ratio_below_six_to_one_skips_written_exam(fh):
    """FH-04: 3 qualified for 1 post (<6:1) → 企业人事 may skip the written exam; the total is then
    the interview score (FH-05)."""
    api = fh
    instance_id = start_plan(api)
    announce_and_register(api, instance_id, SIX_QUALIFIED[:3])
    close_registration(api)
    _do(
        api,
        "renshi",
        "确定是否笔试",
        instance_id,
        juxing_bishi=False,
        bishi_shuoming="报名比例低于6:1，不组织笔试",
    )
    assert _titles(api, "renshi", instance_id) == ["组织面试"]
    assert _titles(api, "kaoguan1", instance_id) == []
    interview(api, instance_id, SIX_QUALIFIED[:3], [81.5, 88, 79], xingshi="专业技能实操测试")
    chengji = _data(api, instance_id)["data"]["chengji"]
    assert [(c["xingming"], c["zongchengji"], c["bishi"]) for c in chengji] == [
        ("李静怡", 88.0, None),
        ("王晓东", 81.5, None),
        ("陈浩然", 79.0, None),
    ]
    assert _titles(api, "renshi", instance_id) == ["组织体检"]


def test_weights_per_post(fh):
    """FH-05: the post's written share (here 70%) decides the ranking."""
    api = fh
    instance_id = start_plan(api)
    announce_and_register(api, instance_id, SIX_QUALIFIED[:6], bishi_quanzhong=70)
    close_registration(api)
    written = [80, 92, 75, 70, 85, 60]
    mianshi = [90, 78, 88, 85, 80, 70]
    _do(
        api,
        "kaoguan1",
        "录入笔试成绩",
        instance_id,
        bishi_chengji=scores(zip(SIX_QUALIFIED[:6], written, strict=True)),
    )
    interview(api, instance_id, SIX_QUALIFIED[:6], mianshi)
    data = _data(api, instance_id)["data"]
    assert data["mianshi_quanzhong"] == 30
    # 李静怡 92×70% + 78×30% = 87.8 now beats 王晓东 80×70% + 90×30% = 83.0.
    assert [(c["xingming"], c["zongchengji"]) for c in data["chengji"][:3]] == [
        ("李静怡", 87.8),
        ("毛佳琪", 83.5),
        ("王晓东", 83.0),
    ]
    assert [c["xingming"] for c in data["ni_pinyong"]] == ["李静怡"]


def _hired(api):
    instance_id = start_plan(api)
    announce_and_register(api, instance_id, SIX_QUALIFIED)
    close_registration(api)
    to_hiring_decision(api, instance_id)
    return instance_id


def test_overdue_filing_is_flagged_and_escalated(fh):
    """FH-09: the filing is due 15 working days after the start date (12/10 → 12/31), whatever
    else is pending; not filed by then → 区国资管理中心 gets one 督办 task, the filing task shows
    overdue in the inbox list and its detail, and stays open. Filed late, the hire's record and
    the instance keep beian_yuqi after the filing and the 督办 are done."""
    api = fh
    instance_id = _hired(api)
    with time_machine.travel(datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)):
        _do(api, "renshi", "签订劳动合同", instance_id, hetong_riqi="2026-12-10", hetong_qixian_nian=3)
    with time_machine.travel(datetime(2026, 12, 31, 23, 59, 0, tzinfo=SHANGHAI)):
        assert _tick(api) == 0
        assert api.inbox("renshi", instance_id=instance_id, overdue="true") == []
    with time_machine.travel(datetime(2027, 1, 1, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) >= 1
        [late] = api.inbox("renshi", instance_id=instance_id, overdue="true")
        assert (late["title"], late["overdue"]) == ("填报备案材料", True)
        assert api.get(f"/api/v1/tasks/{late['id']}", user="renshi").json["overdue"] is True
        # One escalation: the called filing process leaves it to the recruitment.
        [duban] = [t for t in api.inbox("guozi", instance_id=instance_id) if t["title"] == "督办逾期备案"]
        detail = api.get(f"/api/v1/tasks/{duban['id']}", user="guozi").json
        assert detail["data"]["beian_yuqi"] is True and detail["data"]["beian_yuqi_renyuan"] == "王晓东"
        done = api.complete(duban["id"], "guozi", duban_qingkuang="已电话督促企业3个工作日内补办备案")
        assert done.status_code == 200
    with time_machine.travel(datetime(2027, 1, 5, 10, 0, tzinfo=SHANGHAI)):
        _file(api, instance_id, SIX_QUALIFIED[0])
        _do(
            api,
            "renshi",
            "招聘资料归档",
            instance_id,
            dangan_bianhao="FHJT-ZP-2026-009",
            guidang_riqi="2027-01-05",
            baoguan_qixian="永久",
        )
    detail = _data(api, instance_id)
    assert detail["status"] == "completed"
    [hire] = detail["data"]["guidang_cailiao"]["luyong"]
    assert (hire["beian_jieguo"], hire["beian_yuqi"], hire["hetong_yuqi"]) == ("准予备案", True, False)
    assert hire["beian_jiezhi"] == "2026-12-31T23:59:59+08:00"
    assert (detail["data"]["beian_yuqi"], detail["data"]["hetong_yuqi"]) == (True, False)


LIZHI = {
    "beian_leixing": "离职",
    "xingming": "俞晓红",
    "shenfenzheng_hao": "330283199203040026",
    "gangwei": "出纳",
    "gangwei_leibie": "管理岗位",
    "xueli": "大学本科",
    "quanrizhi": True,
}


def _beian_tasks(api, user, instance_id, title):
    return [t for t in api.inbox(user, instance_id=instance_id) if t["title"] == title]


def test_a_departure_has_the_15_working_day_deadline_and_is_escalated_once(fh):
    """FH-09 for a departure filed on its own (fenghua_beian): until the date is entered the
    filing task is due 15 working days after the case starts (11/20 → 12/11); the departure of
    11/16 makes the review due 12/07. Still under review on 12/08 → one 督办 task for 区国资管理中心,
    the review is overdue in list and detail; sent back for correction after that, no second
    督办. Done late, the filing record keeps beian_yuqi."""
    api = fh
    instance_id = api.start("fenghua_beian", user="renshi", business_key="FH-LZ-2026-01").json["id"]
    [filing] = _beian_tasks(api, "renshi", instance_id, "填报备案材料")
    assert filing["due_at"] == "2026-12-11T23:59:59+08:00"
    _do(api, "renshi", "填报备案材料", instance_id, **LIZHI, biandong_riqi="2026-11-16")
    [review] = _beian_tasks(api, "jituan", instance_id, "集团审核")
    assert review["due_at"] == "2026-12-07T23:59:59+08:00"
    with time_machine.travel(datetime(2026, 12, 7, 23, 59, tzinfo=SHANGHAI)):
        assert _tick(api) == 0
    with time_machine.travel(datetime(2026, 12, 8, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
        [review] = _beian_tasks(api, "jituan", instance_id, "集团审核")
        assert review["overdue"] is True
        assert api.get(f"/api/v1/tasks/{review['id']}", user="jituan").json["overdue"] is True
        [duban] = _beian_tasks(api, "guozi", instance_id, "督办逾期备案")
        assert api.get(f"/api/v1/tasks/{duban['id']}", user="guozi").json["data"]["beian_yuqi"] is True
    with time_machine.travel(datetime(2026, 12, 9, 10, 0, tzinfo=SHANGHAI)):
        _do(api, "jituan", "集团审核", instance_id, jituan_tongguo=False, jituan_yijian="缺离职证明")
        # Back for correction past the deadline: its timer fires at once, but does not escalate again.
        assert len(_beian_tasks(api, "guozi", instance_id, "督办逾期备案")) == 1
        [again] = _beian_tasks(api, "renshi", instance_id, "填报备案材料")
        assert again["due_at"] == "2026-12-07T23:59:59+08:00" and again["overdue"] is True
        _do(api, "guozi", "督办逾期备案", instance_id, duban_qingkuang="已书面通知企业立即补报离职证明")
        _do(api, "renshi", "填报备案材料", instance_id, **LIZHI, biandong_riqi="2026-11-16")
        _do(api, "jituan", "集团审核", instance_id, jituan_tongguo=True, jituan_yijian="材料齐全")
        _do(api, "guozi", "国资中心备案", instance_id, beian_jieguo="准予备案")
    detail = _data(api, instance_id)
    assert detail["status"] == "completed" and detail["timers"] == []
    record = detail["data"]["beian_jilu"]
    assert (record["beian_leixing"], record["biandong_riqi"], record["beian_jiezhi"]) == (
        "离职",
        "2026-11-16",
        "2026-12-07T23:59:59+08:00",
    )
    assert (record["beian_jieguo"], record["beian_yuqi"]) == ("准予备案", True)
    assert detail["data"]["beian_yuqi"] is True


def test_a_departure_filed_after_its_deadline_is_escalated_at_once_and_one_in_time_is_not(fh):
    """FH-09: a case opened on 12/20 for a departure of 11/16 (due 12/07) is escalated as soon as
    the date is entered; a departure filed and decided the day it happens has no 督办 and is
    recorded on time."""
    api = fh
    with time_machine.travel(datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI)):
        late = api.start("fenghua_beian", user="renshi", business_key="FH-LZ-2026-02").json["id"]
        _do(
            api, "renshi", "填报备案材料", late, **LIZHI, biandong_riqi="2026-11-16"
        )  # the timer fires at once
        assert len(_beian_tasks(api, "guozi", late, "督办逾期备案")) == 1
        [review] = _beian_tasks(api, "jituan", late, "集团审核")
        assert review["due_at"] == "2026-12-07T23:59:59+08:00" and review["overdue"] is True

        on_time = api.start("fenghua_beian", user="renshi", business_key="FH-LZ-2026-03").json["id"]
        _do(api, "renshi", "填报备案材料", on_time, **LIZHI, biandong_riqi="2026-12-18")
        _do(api, "jituan", "集团审核", on_time, jituan_tongguo=True, jituan_yijian="同意")
        _do(api, "guozi", "国资中心备案", on_time, beian_jieguo="准予备案")
        assert _tick(api) == 0
    detail = _data(api, on_time)
    assert detail["status"] == "completed"
    assert detail["data"]["beian_jilu"]["beian_yuqi"] is False and detail["data"]["beian_yuqi"] is False
    assert detail["data"]["beian_jilu"]["beian_jiezhi"] == "2027-01-08T23:59:59+08:00"
    assert _beian_tasks(api, "guozi", on_time, "督办逾期备案") == []


def test_contract_deadline_escalates(fh):
    """FH-08: no written contract within one month of the start date (12/10 → 2027-01-10) →
    区属集团 is asked to follow up; the contract task stays open and is overdue (list and
    detail). Signed late, the hire's record and the instance keep hetong_yuqi."""
    api = fh
    instance_id = _hired(api)
    with time_machine.travel(datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI)):
        _file(api, instance_id, SIX_QUALIFIED[0])  # FH-09 on time, without the contract
    with time_machine.travel(datetime(2027, 1, 10, 23, 0, tzinfo=SHANGHAI)):
        assert _tick(api) == 0
        assert "督办劳动合同签订" not in _titles(api, "jituan", instance_id)
    with time_machine.travel(datetime(2027, 1, 11, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
        [contract] = [t for t in api.inbox("renshi", instance_id=instance_id) if t["title"] == "签订劳动合同"]
        assert contract["overdue"] is True
        # The detail agrees with the list (it used to say false for the same task).
        assert api.get(f"/api/v1/tasks/{contract['id']}", user="renshi").json["overdue"] is True
    duban = _task(api, "jituan", "督办劳动合同签订", instance_id)
    assert api.get(f"/api/v1/tasks/{duban['id']}", user="jituan").json["data"]["hetong_yuqi"] is True
    with time_machine.travel(datetime(2027, 1, 12, 10, 0, tzinfo=SHANGHAI)):
        assert api.complete(duban["id"], "jituan", duban_qingkuang="已督促企业当日签订").status_code == 200
        _do(api, "renshi", "签订劳动合同", instance_id, hetong_riqi="2027-01-12", hetong_qixian_nian=3)
        _do(
            api,
            "renshi",
            "招聘资料归档",
            instance_id,
            dangan_bianhao="FHJT-ZP-2026-010",
            guidang_riqi="2027-01-12",
            baoguan_qixian="永久",
        )
    data = _data(api, instance_id)["data"]
    [hire] = data["guidang_cailiao"]["luyong"]
    assert (hire["hetong_riqi"], hire["hetong_yuqi"], hire["beian_yuqi"]) == ("2027-01-12", True, False)
    assert (data["hetong_yuqi"], data["beian_yuqi"]) == (True, False)


def test_a_recruitment_starts_only_from_an_approved_plan_of_the_year(fh):
    """FH-01: recruiting starts only after 区国资管理中心 has approved the year's plan: without a
    plan, from a plan still waiting for approval or sent back, from a case of another process, or
    from another year's plan the start is refused (422, field source_instance_id) and no instance
    is created; from the approved plan it starts, with the plan's year and enterprise."""
    api = fh

    def refused(plan_id, why):
        response = start_recruitment(api, plan_id, "FHJT-ZP-2026-099")
        body = assert_problem(response, 422)
        assert "source_instance_id" in body["errors"] and why in body["detail"], body
        return body

    refused(None, "已核准的本年度用工计划")
    refused(
        annual_plan(api, hezhun=None, business_key="计划-待核准"),
        "尚未经区国资管理中心核准（当前状态：待核准）",
    )
    refused(annual_plan(api, hezhun=False, business_key="计划-退回"), "当前状态：退回修改")
    other = api.start("fenghua_beian", user="renshi", business_key="FH-BA-1").json["id"]
    refused(other, "不是年度用工计划")
    assert_problem(start_recruitment(api, "00000000-0000-0000-0000-000000000000", "X"), 422)
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI)):
        last_year = annual_plan(api, business_key="计划-2027", year=2027)
    refused(last_year, "2027 年度")
    assert api.get("/api/v1/instances", user="admin", query_string={"definition_key": KEY}).json["total"] == 0

    plan_id = annual_plan(api, business_key="计划-已核准")
    started = start_recruitment(api, plan_id, "FHJT-ZP-2026-003")
    assert started.status_code == 201, started.json
    data = _data(api, started.json["id"])["data"]
    assert (data["jihua_niandu"], data["qiye_mingcheng"]) == (2026, QIYE)
    assert data["niandu_jihua"]["shili_id"] == plan_id and "laiyuan_shili" not in data
    assert _titles(api, "renshi", started.json["id"]) == ["确定招聘岗位"]
    # The snapshot is the service's: start data cannot carry it.
    forged = start_recruitment(api, None, "FHJT-ZP-2026-004", data={"laiyuan_shili": {"status": "completed"}})
    assert "data.laiyuan_shili" in assert_problem(forged, 422)["errors"]


def test_the_post_comes_from_the_plan_and_is_not_approved_again(fh):
    """FH-01: the recruitment fills a post of the approved plan with at most its planned number;
    the plan's education and major requirements apply; there is no second approval step for the
    post — the next step is the announcement. A post not in the plan, the wrong category or more
    hires than planned are refused on the field and nothing is saved."""
    api = fh
    plan_id = annual_plan(
        api, [CAIWU], [{"gangwei_mingcheng": "公交驾驶员", "renshu": 5, "zhaopin_fangshi": "自聘"}]
    )
    instance_id = start_recruitment(api, plan_id, "FHJT-ZP-2026-005").json["id"]
    task = _task(api, "renshi", "确定招聘岗位", instance_id)
    detail = api.get(f"/api/v1/tasks/{task['id']}", user="renshi").json
    assert [p["gangwei_mingcheng"] for p in detail["context"]["niandu_jihua"]["guanli_jishu_gangwei"]] == [
        "财务会计"
    ]
    for fields, field in [
        (
            dict(gangwei_mingcheng="工程管理", gangwei_leibie="管理技术岗", jihua_renshu=1),
            "gangwei_mingcheng",
        ),
        (
            dict(gangwei_mingcheng="财务会计", gangwei_leibie="劳务流动岗", jihua_renshu=1),
            "gangwei_mingcheng",
        ),
        (dict(gangwei_mingcheng="财务会计", gangwei_leibie="管理技术岗", jihua_renshu=3), "jihua_renshu"),
    ]:
        body = assert_problem(api.complete(task["id"], "renshi", **fields), 422)
        assert field in body["errors"], body
    assert _task(api, "renshi", "确定招聘岗位", instance_id)["id"] == task["id"]
    _do(
        api,
        "renshi",
        "确定招聘岗位",
        instance_id,
        gangwei_mingcheng="财务会计",
        gangwei_leibie="管理技术岗",
        jihua_renshu=2,
    )
    data = _data(api, instance_id)["data"]
    assert (data["jihua_renshu"], data["xueli_yaoqiu"], data["zhuanye_yaoqiu"]) == (
        2,
        "全日制大学本科及以上",
        "会计学、财务管理、审计学等相关专业",
    )
    assert _titles(api, "renshi", instance_id) == ["发布招聘公告"]
    assert api.inbox("guozi", instance_id=instance_id) == []  # no per-post approval
    steps = [s["title"] for s in _data(api, instance_id)["completed_steps"]]
    assert "核准年度用工计划" not in steps


def _file(api, instance_id, person, jieguo="准予备案", **changes):
    """The hire's filing, through the group to the district centre's decision `jieguo`."""
    filing = {
        "beian_leixing": "入职",
        "xingming": person["xingming"],
        "shenfenzheng_hao": person["shenfenzheng_hao"],
        "gangwei": "财务会计",
        "gangwei_leibie": "管理岗位",
        "biandong_riqi": RUZHI_RIQI,
        "hetong_riqi": RUZHI_RIQI,
    }
    _do(api, "renshi", "填报备案材料", instance_id, **{**filing, **changes})
    _do(api, "jituan", "集团审核", instance_id, jituan_tongguo=True, jituan_yijian="同意")
    _do(api, "guozi", "国资中心备案", instance_id, beian_jieguo=jieguo, beian_yijian=f"{jieguo}：经审查")


def _recruit_two(api, people, bianhao="002", fangkuan_dazhuan=False, refused=()):
    """A post with 2 planned hires, no written exam, the first two of `people` hired and filed
    (the filing of those named in `refused` is refused by the district centre)."""
    instance_id = start_plan(api, jihua_renshu=2, fangkuan_dazhuan=fangkuan_dazhuan, bianhao=bianhao)
    announce_and_register(api, instance_id, people)
    close_registration(api)
    with time_machine.travel(AFTER_DEADLINE):
        _do(api, "renshi", "确定是否笔试", instance_id, juxing_bishi=False)
        interview(api, instance_id, people, [90, 88, 86, 70, 60])
        verdicts = [
            {"shenfenzheng_hao": p["shenfenzheng_hao"], "xingming": p["xingming"], "hege": True}
            for p in people[:2]
        ]
        _do(api, "renshi", "组织体检", instance_id, tijian_riqi="2026-12-01", tijian_jieguo=verdicts)
        _do(api, "jituan", "组织考察", instance_id, kaocha_jieguo=verdicts)
        api.post_publicity("renshi", instance_id=instance_id)
    with time_machine.travel(datetime(2026, 12, 9, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
    with time_machine.travel(datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)):
        _do(
            api,
            "jituan",
            "作出聘用决定",
            instance_id,
            pinyong_wenhao=f"奉交投人〔2026〕{bianhao}号",
            ruzhi_riqi=RUZHI_RIQI,
        )
        for person in people[:2]:
            _do(api, "renshi", "签订劳动合同", instance_id, hetong_riqi=RUZHI_RIQI, hetong_qixian_nian=3)
            _file(api, instance_id, person, "不予备案" if person["xingming"] in refused else "准予备案")
        _do(
            api,
            "renshi",
            "招聘资料归档",
            instance_id,
            dangan_bianhao=f"FHJT-ZP-2026-{bianhao}",
            guidang_riqi="2026-12-10",
            baoguan_qixian="永久",
        )
    return instance_id


def test_two_hires_each_get_contract_and_filing(fh):
    """FH-08, FH-09 per hire: a post with 2 planned hires (5 qualified, 2.5:1, no written exam by
    FH-04) signs a contract and files each hire in turn."""
    api = fh
    instance_id = _recruit_two(api, SIX_QUALIFIED[:5])
    detail = _data(api, instance_id)
    assert detail["status"] == "completed"
    filed = [s["title"] for s in detail["completed_steps"]].count("办理人员备案")
    assert filed == 2 and [p["xingming"] for p in detail["data"]["guidang_cailiao"]["luyong"]] == [
        "王晓东",
        "李静怡",
    ]


def test_yearly_share_of_bachelor_hires_warns_below_75_percent(fh):
    """FH-10: of the year's management/technical hires, ≥75 % full-time bachelor or higher;
    the district centre's report warns when the share falls below."""
    api = fh
    report = "/api/v1/reports/fenghua/bachelor-share"
    empty = api.get(report, user="guozi", query_string={"year": 2026}).json
    assert (empty["total"], empty["below_minimum"], empty["warning"]) == (0, False, None)
    _recruit_two(api, SIX_QUALIFIED[:5], bianhao="011")
    with_dazhuan = [
        _applicant("应晓峰", "330283199701010016", "1997-01-01", xueli="大专"),
        _applicant("俞婷", "330283199902020025", "1999-02-02", xueli="大专"),
        *SIX_QUALIFIED[2:5],
    ]
    _recruit_two(api, with_dazhuan, bianhao="012", fangkuan_dazhuan=True)
    body = api.get(report, user="guozi", query_string={"year": 2026}).json
    assert (body["recruitments"], body["total"], body["full_time_bachelor_or_higher"]) == (2, 4, 2)
    assert body["share"] == 0.5 and body["below_minimum"] is True
    assert "低于 75%" in body["warning"]
    assert api.get(report, user="guozi", query_string={"year": 2025}).json["total"] == 0
    assert api.get(report, user="renshi", query_string={"year": 2026}).status_code == 403
    assert api.get(report, user="guozi", query_string={"year": "abc"}).status_code == 422


def test_a_hire_whose_filing_is_refused_is_archived_as_such_and_not_counted(fh):
    """FH-09, FH-10: the archive records each hire's filing result; one the district centre
    refused to file is not among the year's hires in the bachelor-share report."""
    api = fh
    instance_id = _recruit_two(api, SIX_QUALIFIED[:5], bianhao="013", refused=("李静怡",))
    luyong = _data(api, instance_id)["data"]["guidang_cailiao"]["luyong"]
    assert [(p["xingming"], p["beian_jieguo"]) for p in luyong] == [
        ("王晓东", "准予备案"),
        ("李静怡", "不予备案"),
    ]
    body = api.get("/api/v1/reports/fenghua/bachelor-share", user="guozi", query_string={"year": 2026}).json
    assert (body["recruitments"], body["total"]) == (1, 1)


def _checks(people, hege=True):
    return [
        {"shenfenzheng_hao": p["shenfenzheng_hao"], "xingming": p["xingming"], "hege": hege} for p in people
    ]


def _ranked_three(api, bianhao):
    """One place, three qualified applicants ranked 王晓东 90, 李静怡 80, 陈浩然 70 (no written
    exam): the recruitment waits at 组织体检 for 王晓东."""
    instance_id = start_plan(api, bianhao=bianhao)
    announce_and_register(api, instance_id, SIX_QUALIFIED[:3])
    close_registration(api)
    with time_machine.travel(AFTER_DEADLINE):
        _do(api, "renshi", "确定是否笔试", instance_id, juxing_bishi=False)
        interview(api, instance_id, SIX_QUALIFIED[:3], [90, 80, 70])
    return instance_id


def test_nobody_passes_physical_exam(fh):
    """FH-06: each one who fails the physical exam is replaced by the next-ranked (递补) until the
    ranking is used up; without a candidate passing both checks nothing is publicised."""
    api = fh
    instance_id = _ranked_three(api, "031")
    with time_machine.travel(AFTER_DEADLINE):
        for person in SIX_QUALIFIED[:3]:
            _do(
                api,
                "renshi",
                "组织体检",
                instance_id,
                tijian_riqi="2026-12-01",
                tijian_jieguo=_checks([person], False),
            )
            assert "组织考察" not in _titles(api, "jituan", instance_id)  # nobody fit: no inspection
    detail = _data(api, instance_id)
    assert detail["status"] == "completed" and "无合格拟聘人员" in [
        s["title"] for s in detail["completed_steps"]
    ]
    assert "拟聘人员公示" not in [s["title"] for s in detail["completed_steps"]]
    record = detail["data"]["jianyan_jilu"]
    assert [(r["xingming"], r["lunci"], r["dibu"], r["tijian_hege"]) for r in record] == [
        ("王晓东", 1, False, False),
        ("李静怡", 2, True, False),
        ("陈浩然", 3, True, False),
    ]


def test_fh06_dibu_next_ranked_replaces_a_failed_physical_exam_or_inspection(fh):
    """FH-06 递补 (第三十四条, by the civil-service recruitment rules; diagram setting `dibu`,
    default true): 王晓东 (first) fails the physical exam, so 李静怡 (second) is brought forward and
    examined; she fails the inspection, so 陈浩然 (third) is brought forward, passes both and is
    publicised. Verdicts for anyone but the round's people are refused (422, nothing recorded),
    and so is a round's sheet that leaves one of them out."""
    api = fh
    instance_id = _ranked_three(api, "032")
    wang, li, chen = SIX_QUALIFIED[:3]
    with time_machine.travel(AFTER_DEADLINE):
        task = _task(api, "renshi", "组织体检", instance_id)
        body = assert_problem(
            api.complete(task["id"], "renshi", tijian_riqi="2026-12-01", tijian_jieguo=_checks([li])), 422
        )
        assert "tijian_jieguo.0.shenfenzheng_hao" in body["errors"], body  # 李静怡 is not proposed yet
        _do(
            api,
            "renshi",
            "组织体检",
            instance_id,
            tijian_riqi="2026-12-01",
            tijian_jieguo=_checks([wang], False),
        )
        data = _data(api, instance_id)["data"]
        assert [c["xingming"] for c in data["dibu_renyuan"]] == ["李静怡"]
        assert [c["xingming"] for c in data["ni_pinyong"]] == ["李静怡"]
        # The next round's sheet opens with the one brought forward; 王晓东 cannot be examined again.
        again = _task(api, "renshi", "组织体检", instance_id)
        shown = api.get(f"/api/v1/tasks/{again['id']}", user="renshi").json["data"]["tijian_jieguo"]
        assert [r["xingming"] for r in shown] == ["李静怡"]
        body = assert_problem(
            api.complete(again["id"], "renshi", tijian_riqi="2026-12-02", tijian_jieguo=_checks([wang])),
            422,
        )
        assert "tijian_jieguo.0.shenfenzheng_hao" in body["errors"], body
        _do(api, "renshi", "组织体检", instance_id, tijian_riqi="2026-12-02", tijian_jieguo=_checks([li]))
        inspection = _task(api, "jituan", "组织考察", instance_id)
        body = assert_problem(api.complete(inspection["id"], "jituan", kaocha_jieguo=_checks([chen])), 422)
        assert "kaocha_jieguo.0.shenfenzheng_hao" in body["errors"], body
        _do(api, "jituan", "组织考察", instance_id, kaocha_jieguo=_checks([li], False))
        assert [c["xingming"] for c in _data(api, instance_id)["data"]["dibu_renyuan"]] == ["陈浩然"]
        _do(api, "renshi", "组织体检", instance_id, tijian_riqi="2026-12-03", tijian_jieguo=_checks([chen]))
        _do(api, "jituan", "组织考察", instance_id, kaocha_jieguo=_checks([chen]))
    data = _data(api, instance_id)["data"]
    assert data["dibu_renyuan"] == []
    assert [p["xingming"] for p in data["luyong_mingdan"]] == ["陈浩然"]
    assert [(r["xingming"], r["tijian_hege"], r["kaocha_hege"], r["hege"]) for r in data["jianyan_jilu"]] == [
        ("王晓东", False, None, False),
        ("李静怡", True, False, False),
        ("陈浩然", True, True, True),
    ]
    assert "登记公示张贴" in _titles(api, "renshi", instance_id)


def test_fh06_a_round_sheet_missing_a_proposed_hire_is_refused(fh):
    """FH-06: with two places both proposed hires need a physical-exam verdict; a sheet with one
    is refused and names the one left out."""
    api = fh
    instance_id = start_plan(api, jihua_renshu=2, bianhao="033")
    announce_and_register(api, instance_id, SIX_QUALIFIED[:4])
    close_registration(api)
    with time_machine.travel(AFTER_DEADLINE):
        _do(api, "renshi", "确定是否笔试", instance_id, juxing_bishi=False)
        interview(api, instance_id, SIX_QUALIFIED[:4], [90, 80, 70, 60])
        task = _task(api, "renshi", "组织体检", instance_id)
        body = assert_problem(
            api.complete(
                task["id"], "renshi", tijian_riqi="2026-12-01", tijian_jieguo=_checks(SIX_QUALIFIED[:1])
            ),
            422,
        )
        assert "李静怡" in body["errors"]["tijian_jieguo"][0], body


YIYI = {
    "jubaoren": "林国强",
    "lianxi_fangshi": "13805741234",
    "shishi": "王晓东报名所附会计从业经历证明系伪造，原单位未出具过该证明，附原单位人事部门书面说明。",
}


def test_upheld_objection_stops_the_hire(fh):
    """X-04: a real-name objection to 王晓东 received by 企业人事 during the publicity is
    investigated by 企业人事 and decided by 区属集团; while it is open the period's end does not
    close the publicity and nobody is offered the hiring decision; sustained (「异议成立」) by
    区属集团 after the finding, the recruitment ends at
    「异议成立，不予聘用」 with the objection, the finding and the feedback to the reporter
    recorded: no hire, no contract, no filing, no archive, and the runner-up is not moved up."""
    api = fh
    instance_id = start_plan(api)
    announce_and_register(api, instance_id, SIX_QUALIFIED)
    close_registration(api)
    _to_publicity(api, instance_id)
    assert "王晓东" in _data(api, instance_id)["data"]["gongshi_neirong"]

    with time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)):
        _do(api, "renshi", "受理公示异议", instance_id, **YIYI)
    # 企业人事 investigates and may register further objections until the period ends.
    assert sorted(_titles(api, "renshi", instance_id)) == sorted(["受理公示异议", "核查异议"])
    assert _titles(api, "jituan", instance_id) == []
    assert _titles(api, "guozi", instance_id) == [] and _titles(api, "kaoguan1", instance_id) == []

    # The period (12/2 … 12/8) runs out while the objection is investigated: receiving stops, the
    # instance waits on the investigation and no hiring decision is offered.
    with time_machine.travel(datetime(2026, 12, 9, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
    detail = _data(api, instance_id)
    assert detail["status"] == "running" and [t["title"] for t in detail["open_tasks"]] == ["核查异议"]
    assert "gongshi_jieguo" not in detail["data"]

    with time_machine.travel(datetime(2026, 12, 10, 15, 0, tzinfo=SHANGHAI)):
        _do(
            api,
            "renshi",
            "核查异议",
            instance_id,
            hecha_jieguo="异议成立",
            hecha_shuoming="经向原单位核实，所附从业经历证明非原单位出具，异议属实。",
            fankui_jubaoren="2026年12月10日电话告知举报人核查结论",
        )
        assert _titles(api, "jituan", instance_id) == ["决定异议处理"]  # JB-16: the finding decides nothing
        done = _do(
            api,
            "jituan",
            "决定异议处理",
            instance_id,
            yiyi_jueding="异议成立",
            yiyi_jueding_shuoming="集团党委会议研究，异议成立。",
        )
    assert (done["status"], done["open_tasks"]) == ("completed", [])

    detail = _data(api, instance_id)
    assert detail["status"] == "completed" and detail["open_tasks"] == [] and detail["timers"] == []
    data = detail["data"]
    assert data["gongshi_jieguo"] == "异议成立"
    [yiyi] = data["gongshi_yiyi"]
    assert (yiyi["yiyi_bianhao"], yiyi["hecha_yuqi"]) == ("YY-001", False)
    assert (yiyi["hecha_jiezhi"], yiyi["yiyi_jueding"]) == ("2026-12-17T23:59:59+08:00", "异议成立")
    assert yiyi["yiyi_jueding_shuoming"] == "集团党委会议研究，异议成立。"
    kept = ("jubaoren", "lianxi_fangshi", "shishi", "hecha_jieguo", "hecha_shuoming", "fankui_jubaoren")
    assert [{k: yiyi[k] for k in kept}] == [
        {
            "jubaoren": "林国强",
            "lianxi_fangshi": "13805741234",
            "shishi": YIYI["shishi"],
            "hecha_jieguo": "异议成立",
            "hecha_shuoming": "经向原单位核实，所附从业经历证明非原单位出具，异议属实。",
            "fankui_jubaoren": "2026年12月10日电话告知举报人核查结论",
        }
    ]
    assert not {"pinyong_wenhao", "ruzhi_riqi", "hetong_riqi", "beian_jieguo", "guidang_cailiao"} & set(data)
    steps = [s["title"] for s in detail["completed_steps"]]
    assert steps[-1] == "异议成立，不予聘用"
    assert steps.index("核查异议") < steps.index("决定异议处理") < steps.index("确定公示结果")
    assert steps.index("确定公示结果") < steps.index("拟聘人员公示")
    assert not {"作出聘用决定", "签订劳动合同", "办理人员备案", "招聘资料归档", "招聘完成"} & set(steps)
    for user in ("renshi", "jituan", "guozi", "kaoguan1"):
        assert api.inbox(user, instance_id=instance_id) == []

    # The finding and the decision are also in the append-only audit trail, under the names of
    # the investigator (企业人事) and of the deciding body (区属集团).
    with api.client.application.extensions["xuanpin"].db.transaction() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
        ).all()
    finding = [e for e in events if e.action == "task.completed" and e.detail["title"] == "核查异议"]
    assert [(e.actor, e.detail["data"]["hecha_jieguo"]) for e in finding] == [("renshi", "异议成立")]
    decision = [e for e in events if e.action == "task.completed" and e.detail["title"] == "决定异议处理"]
    assert [(e.actor, e.detail["data"]["yiyi_jueding"]) for e in decision] == [("jituan", "异议成立")]
    assert (events[-1].actor, events[-1].action) == ("jituan", "instance.completed")

    # Nobody was hired, so the year's bachelor-share report counts no hire from this recruitment.
    report = api.get("/api/v1/reports/fenghua/bachelor-share", user="guozi", query_string={"year": 2026})
    assert (report.json["recruitments"], report.json["total"]) == (0, 0)


def test_labour_post_goes_straight_to_interview_and_is_left_out_of_the_bachelor_share(fh):
    """第二十八条、第三十三条 (FH-02, FH-03, FH-04, FH-10): a 劳务流动岗 (scenic-area 秩序维护员)
    is recruited by direct interview: its applicants are not held to the open-recruitment
    degree/age conditions (a 46-year-old with 高中 education is accepted, the reason recorded),
    there is no ratio decision although 3 applicants for 2 posts is below 2:1, and no written
    exam; physical exam, inspection, publicity, hiring, contract and filing run as for any post.
    Its category is archived, so its hires are left out of the year's ≥75 % bachelor share while
    the management hires of the same year are counted."""
    api = fh
    gaozhong = _applicant(
        "邬国平", "330283198005050031", "1980-05-05", xueli="高中及以下", quanrizhi=False, zhuanye="无"
    )
    people = [
        _applicant("应晓峰", "330283199701010016", "1997-01-01", xueli="大专", zhuanye="旅游管理"),
        gaozhong,
        _applicant("王晓东", "330283199503120012", "1995-03-12", zhuanye="旅游管理"),
    ]
    instance_id = start_plan(
        api,
        jihua_renshu=2,
        business_key="FHWL-ZP-2026-001",
        qiye_mingcheng="宁波市奉化区文化旅游集团有限公司",
        gangwei_mingcheng="景区秩序维护员",
        gangwei_leibie="劳务流动岗",
        zhuanye_yaoqiu="身体健康，能适应户外工作",
    )
    announce_and_register(api, instance_id, people)
    verdicts = {
        a["xingming"]: (a["hege"], a["liyou"]) for a in _data(api, instance_id)["data"]["yingpin_mingdan"]
    }
    assert verdicts == {p["xingming"]: (True, "劳务流动岗不适用学历年龄条件") for p in people}

    close_registration(api)
    data = _data(api, instance_id)["data"]
    assert data["hege_renshu"] == 3 and data["juxing_bishi"] is False
    assert "bili_jieguo" not in data  # no FH-03/FH-04 ratio decision
    assert _titles(api, "renshi", instance_id) == ["组织面试"]
    assert _titles(api, "jituan", instance_id) == []  # no 核减计划或取消招聘 although 3:2 < 2:1
    with time_machine.travel(AFTER_DEADLINE):
        interview(api, instance_id, people, [91, 88, 80], xingshi="面谈甄选")
        hires = [
            {"shenfenzheng_hao": p["shenfenzheng_hao"], "xingming": p["xingming"], "hege": True}
            for p in people[:2]
        ]
        _do(api, "renshi", "组织体检", instance_id, tijian_riqi="2026-12-01", tijian_jieguo=hires)
        _do(api, "jituan", "组织考察", instance_id, kaocha_jieguo=hires)
        api.post_publicity("renshi", instance_id=instance_id)
    with time_machine.travel(datetime(2026, 12, 9, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1  # 公示期满 (12/2 … 12/8)
    with time_machine.travel(datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)):
        _do(
            api,
            "jituan",
            "作出聘用决定",
            instance_id,
            pinyong_wenhao="奉文旅人〔2026〕9号",
            ruzhi_riqi=RUZHI_RIQI,
        )
        for person in people[:2]:
            _do(api, "renshi", "签订劳动合同", instance_id, hetong_riqi=RUZHI_RIQI, hetong_qixian_nian=1)
            _file(
                api,
                instance_id,
                person,
                gangwei="景区秩序维护员",
                gangwei_leibie="其他用工",
                xueli=person["xueli_lie"][0]["xueli"],
                quanrizhi=person["xueli_lie"][0]["xuexi_xingshi"] == "全日制",
            )
        _do(
            api,
            "renshi",
            "招聘资料归档",
            instance_id,
            dangan_bianhao="FHWL-ZP-2026-001",
            guidang_riqi="2026-12-10",
            baoguan_qixian="永久",
        )
    detail = _data(api, instance_id)
    assert detail["status"] == "completed"
    steps = [s["title"] for s in detail["completed_steps"]]
    assert not {"资格审查", "核算报名比例", "确定是否笔试", "核减计划或取消招聘", "录入笔试成绩"} & set(steps)
    assert "劳务流动岗直接面试" in steps and steps[-1] == "招聘完成"
    assert steps.count("办理人员备案") == 2
    archive = detail["data"]["guidang_cailiao"]
    assert archive["gangwei_leibie"] == "劳务流动岗"  # the plan's category, not the filing form's 其他用工
    assert archive["juxing_bishi"] is False
    assert [(p["xingming"], p["zongchengji"], p["bishi"]) for p in archive["luyong"]] == [
        ("应晓峰", 91.0, None),
        ("邬国平", 88.0, None),
    ]

    report = "/api/v1/reports/fenghua/bachelor-share"
    body = api.get(report, user="guozi", query_string={"year": 2026}).json
    assert (body["recruitments"], body["total"], body["below_minimum"]) == (0, 0, False)
    _recruit_two(api, SIX_QUALIFIED[:5], bianhao="021")
    body = api.get(report, user="guozi", query_string={"year": 2026}).json
    assert (body["recruitments"], body["total"], body["full_time_bachelor_or_higher"]) == (1, 2, 2)
    assert body["share"] == 1.0 and body["below_minimum"] is False and body["warning"] is None


def test_labour_post_without_applicants_goes_to_the_group(fh):
    """第三十三条: only a labour post with applicants goes straight to interview; with nobody
    registered there is nobody to interview, and 区属集团 decides as for any post (FH-03)."""
    api = fh
    instance_id = start_plan(
        api,
        business_key="FHWL-ZP-2026-002",
        qiye_mingcheng="宁波市奉化区文化旅游集团有限公司",
        gangwei_mingcheng="景区保洁员",
        gangwei_leibie="劳务流动岗",
    )
    announce_and_register(api, instance_id, [])
    close_registration(api)
    assert _titles(api, "renshi", instance_id) == []
    assert _titles(api, "jituan", instance_id) == ["核减计划或取消招聘"]
    _do(api, "jituan", "核减计划或取消招聘", instance_id, chuli_fangshi="取消招聘", chuli_yijian="无人报名")
    assert _data(api, instance_id)["status"] == "completed"


def test_x02_recused_examiner_does_not_score_in_the_interview(fh):
    """X-02, FH-05: 企业人事 names the examiner panel; each examiner scores every qualified
    applicant in their own task, or declares 回避 with the relationship. A recused examiner's
    score does not count: the interview score is the average of the others, and who recused is
    recorded per applicant (huibi_pingwei, hidden from the applicant, X-03). (An applicant whom
    every examiner recused from: test_x02_all_examiners_recused_the_interview_is_organised_again.)"""
    api = fh
    people = SIX_QUALIFIED[:3]
    instance_id = start_plan(api)
    announce_and_register(api, instance_id, people)
    close_registration(api)
    _do(api, "renshi", "确定是否笔试", instance_id, juxing_bishi=False, bishi_shuoming="不足6:1")
    task = _task(api, "renshi", "组织面试", instance_id)
    refused = api.complete(
        task["id"],
        "renshi",
        mianshi_xingshi="结构化面试",
        kaoguan_list=["kaoguan1"],
        mianshi_riqi="2026-12-01",
    )
    assert "kaoguan_list" in assert_problem(refused, 422)["errors"]  # a panel, not one examiner
    organise_interview(api, instance_id)

    tasks = {
        k: [t for t in api.inbox(k, instance_id=instance_id) if t["title"] == "录入面试成绩"] for k in KAOGUAN
    }
    assert all(len(found) == 1 and found[0]["assignee"] == k for k, found in tasks.items())
    assert len({found[0]["id"] for found in tasks.values()}) == 3
    mine = tasks["kaoguan1"][0]["id"]
    # Nobody scores in another examiner's place.
    assert api.complete(mine, "kaoguan2", pingfen=sheet(people, [90, 80, 70])).status_code in (403, 404)
    # 回避 needs the relationship and gives no score; a sheet must cover every applicant once.
    both = sheet(people, ["近姻亲", 80, 70])
    both[0]["fenshu"] = 95
    assert_problem(api.complete(mine, "kaoguan1", pingfen=both), 422)
    bare = sheet(people, ["近姻亲", 80, 70])
    del bare[0]["huibi_guanxi"]
    assert_problem(api.complete(mine, "kaoguan1", pingfen=bare), 422)
    short = api.complete(mine, "kaoguan1", pingfen=sheet(people[:2], [90, 80]))
    assert "陈浩然" in assert_problem(short, 422)["detail"]

    # kaoguan2 is 王晓东's 近姻亲; nobody but kaoguan3 may score 陈浩然.
    _do(api, "kaoguan1", "录入面试成绩", instance_id, pingfen=sheet(people, [90, 80, "直系血亲"]))
    _do(api, "kaoguan2", "录入面试成绩", instance_id, pingfen=sheet(people, ["近姻亲", 84, "配偶"]))
    _do(api, "kaoguan3", "录入面试成绩", instance_id, pingfen=sheet(people, [80, 88, 75]))

    data = _data(api, instance_id)["data"]
    rows = {r["xingming"]: r for r in data["mianshi_chengji"]}
    assert rows["王晓东"]["kaoguan_defen"] == [90, 80]  # kaoguan2's score does not exist, nor count
    assert rows["王晓东"]["fenshu"] == 85.0
    assert rows["王晓东"]["huibi_pingwei"] == [{"pingwei": "kaoguan2", "guanxi": "近姻亲"}]
    assert (rows["李静怡"]["fenshu"], rows["李静怡"]["huibi_pingwei"]) == (84.0, [])
    assert rows["陈浩然"]["fenshu"] == 75.0 and [h["pingwei"] for h in rows["陈浩然"]["huibi_pingwei"]] == [
        "kaoguan1",
        "kaoguan2",
    ]
    assert data["kaoguan_list"] == KAOGUAN and data["mianshi_xingshi"] == "结构化面试"
    assert [(c["xingming"], c["zongchengji"]) for c in data["chengji"]] == [
        ("王晓东", 85.0),
        ("李静怡", 84.0),
        ("陈浩然", 75.0),
    ]
    # the applicant sees their own interview score, not who recused.
    [own] = api.get("/api/v1/me/applications", "yingpin1").json["items"]
    [result] = [g for g in own["results"] if g["label"] == "面试成绩"]
    assert [r["fenshu"] for r in result["records"]] == [85.0]
    assert "huibi_pingwei" not in result["records"][0] and "kaoguan2" not in str(own)


def test_x02_all_examiners_recused_the_interview_is_organised_again(fh):
    """X-02, FH-05: when every examiner of the panel declares 回避 for an applicant, that applicant
    has no valid interview score. The last examiner's sheet is still accepted; no interview score
    is computed, the applicant is named in pingfen_buzu and 组织面试 goes back to 企业人事, who
    sets up another panel. The new panel's sheets replace the first round's (nothing is counted
    twice), pingfen_buzu is cleared and the recruitment goes on to the physical exam."""
    api = fh
    people = SIX_QUALIFIED[:3]
    chen = people[2]
    instance_id = start_plan(api)
    announce_and_register(api, instance_id, people)
    close_registration(api)
    _do(api, "renshi", "确定是否笔试", instance_id, juxing_bishi=False, bishi_shuoming="不足6:1")

    # Round one: all three examiners recuse from 陈浩然; the last sheet is accepted all the same.
    interview(
        api,
        instance_id,
        people,
        [[90, "近姻亲", 80], [80, 84, 88], ["直系血亲", "配偶", "其他"]],
    )
    data = _data(api, instance_id)["data"]
    assert data["pingfen_buzu"] == [{"shenfenzheng_hao": chen["shenfenzheng_hao"], "xingming": "陈浩然"}]
    assert "mianshi_chengji" not in data and "chengji" not in data
    assert data["kaoguan_list"] == KAOGUAN and len(data["kaoguan_pingfen"]) == 3
    assert all(_titles(api, k, instance_id) == [] for k in KAOGUAN)
    assert _titles(api, "renshi", instance_id) == ["组织面试"]
    again = api.get(f"/api/v1/tasks/{_task(api, 'renshi', '组织面试', instance_id)['id']}", user="renshi")
    assert again.status_code == 200
    assert [p["xingming"] for p in again.json["data"]["pingfen_buzu"]] == ["陈浩然"]

    # Round two: another panel, on which kaoguan3 no longer recuses from 陈浩然.
    interview(
        api,
        instance_id,
        people,
        [["近姻亲", 90], [70, 72], [60, 66]],
        kaoguan=["kaoguan2", "kaoguan3"],
    )
    assert _titles(api, "kaoguan1", instance_id) == []
    data = _data(api, instance_id)["data"]
    assert data["pingfen_buzu"] == []
    assert data["kaoguan_list"] == ["kaoguan2", "kaoguan3"]
    assert [p["kaoguan"] for p in data["kaoguan_pingfen"]] == ["kaoguan2", "kaoguan3"]
    rows = {r["xingming"]: r for r in data["mianshi_chengji"]}
    # Only the second round counts: round one's 90, 80 for 王晓东 and 84, 88 for 李静怡 are gone.
    assert (rows["王晓东"]["kaoguan_defen"], rows["王晓东"]["fenshu"]) == ([90], 90.0)
    assert rows["王晓东"]["huibi_pingwei"] == [{"pingwei": "kaoguan2", "guanxi": "近姻亲"}]
    assert (rows["李静怡"]["kaoguan_defen"], rows["李静怡"]["fenshu"]) == ([70, 72], 71.0)
    assert (rows["陈浩然"]["kaoguan_defen"], rows["陈浩然"]["fenshu"]) == ([60, 66], 63.0)
    assert rows["陈浩然"]["huibi_pingwei"] == []
    assert [(c["xingming"], c["zongchengji"], c["mingci"]) for c in data["chengji"]] == [
        ("王晓东", 90.0, 1),
        ("李静怡", 71.0, 2),
        ("陈浩然", 63.0, 3),
    ]
    assert [p["xingming"] for p in data["ni_pinyong"]] == ["王晓东"]
    assert "组织体检" in _titles(api, "renshi", instance_id)
    steps = [s["title"] for s in _data(api, instance_id)["completed_steps"]]
    assert steps.count("组织面试") == 2 and steps.count("录入面试成绩") == 5


# Names the diagram's scripts use only while they run (loop variables, working dictionaries),
# and the registrant's own fields, which belong in yingpin_mingdan once recorded.
SCRIPT_TEMPORARIES = {
    "a", "c", "e", "h", "p", "r", "sfz", "zong", "bishi", "mianshi", "mingci", "tijian_ok", "kaocha_ok",
    "dangqian", "defen", "defen_lie", "huibi", "yingping", "tianbao", "queshao", "pingfen", "kaoguan",
    "laiyuan", "laiyuan_shili", "zige_yaosu",
}  # fmt: skip
REGISTRANT_FIELDS = {*SIX_QUALIFIED[0], "nianling", "zige_hege", "zige_liyou"}


def test_scripts_leave_no_temporaries_in_the_instance_data(fh):
    """FH-07: the instance data is the recruitment's record. Script temporaries are deleted by
    the scripts that create them, and each registrant's fields end up only in their row of
    yingpin_mingdan (which keeps them all), not in the data where the next registration or
    step would find them."""
    api = fh
    instance_id = start_plan(api)
    announce_and_register(api, instance_id, SIX_QUALIFIED)
    data = _data(api, instance_id)["data"]
    assert not REGISTRANT_FIELDS & set(data)
    first = data["yingpin_mingdan"][0]
    assert {k: first[k] for k in SIX_QUALIFIED[0]} == SIX_QUALIFIED[0]
    assert (first["nianling"], first["hege"]) == (31, True)
    form = api.get(f"/api/v1/tasks/{_task(api, 'renshi', '登记报名', instance_id)['id']}", user="renshi")
    assert not REGISTRANT_FIELDS & set(form.json["data"])  # the next registrant starts blank

    close_registration(api)
    _to_publicity(api, instance_id)
    data = _data(api, instance_id)["data"]
    assert not (SCRIPT_TEMPORARIES | REGISTRANT_FIELDS) & set(data)
    assert data["kaoguan_list"] == KAOGUAN and len(data["kaoguan_pingfen"]) == 3

    filed = {"xingming", "shenfenzheng_hao", "xueli", "quanrizhi"}  # set for the hire's filing
    with time_machine.travel(datetime(2026, 12, 9, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
    with time_machine.travel(datetime(2026, 12, 9, 10, 0, tzinfo=SHANGHAI)):
        _do(
            api,
            "jituan",
            "作出聘用决定",
            instance_id,
            pinyong_wenhao="奉交投人〔2026〕59号",
            ruzhi_riqi=RUZHI_RIQI,
        )
    data = _data(api, instance_id)["data"]
    assert not (SCRIPT_TEMPORARIES | REGISTRANT_FIELDS - filed) & set(data)

    with time_machine.travel(datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)):
        _do(api, "renshi", "签订劳动合同", instance_id, hetong_riqi=RUZHI_RIQI, hetong_qixian_nian=3)
        filing = api.get(
            f"/api/v1/tasks/{_task(api, 'renshi', '填报备案材料', instance_id)['id']}", user="renshi"
        )
        assert (filing.json["data"]["xingming"], filing.json["data"]["xueli"]) == ("王晓东", "大学本科")
        _file(api, instance_id, SIX_QUALIFIED[0])
        _do(
            api,
            "renshi",
            "招聘资料归档",
            instance_id,
            dangan_bianhao="FHJT-ZP-2026-008",
            guidang_riqi="2026-12-10",
            baoguan_qixian="永久",
        )
    detail = _data(api, instance_id)
    assert detail["status"] == "completed"
    assert not SCRIPT_TEMPORARIES & set(detail["data"])
    # Only the filing's own fields (the hire's name, ID number, education) remain.
    assert not (REGISTRANT_FIELDS - filed) & set(detail["data"])


@pytest.mark.live
def test_main_path_on_a_multi_worker_server(fh):
    """Issue 8: the whole 奉化 recruitment, examiners' multi-instance included, over real HTTP
    against `xuanpin serve` with several worker processes."""
    test_main_path_plan_to_hire_filing_and_archive(fh)


def test_a_filing_sent_back_and_withdrawn_runs_on_to_its_record(fh):
    """退回 and 撤回 on the real filing procedure, whose steps carry FH-09 deadline timers: the
    group sends 集团审核 back to 填报备案材料 (the review's 督办 timer goes with it), the clerk
    files again, withdraws and files once more, and the filing is recorded."""
    api = fh
    instance_id = api.start("fenghua_beian", user="renshi", business_key="FH-LZ-TH").json["id"]
    _do(api, "renshi", "填报备案材料", instance_id, **LIZHI, biandong_riqi="2026-11-16")
    [review] = _beian_tasks(api, "jituan", instance_id, "集团审核")
    targets = api.get(f"/api/v1/tasks/{review['id']}/return-targets", user="jituan").json
    assert [t["title"] for t in targets] == ["填报备案材料"]
    returned = api.post(
        f"/api/v1/tasks/{review['id']}/return",
        user="jituan",
        json={"target": targets[0]["element_id"], "comment": "缺离职证明"},
    )
    assert returned.status_code == 200, returned.json
    assert [t["title"] for t in returned.json["open_tasks"]] == ["填报备案材料"]
    assert _beian_tasks(api, "jituan", instance_id, "集团审核") == []
    _do(api, "renshi", "填报备案材料", instance_id, **LIZHI, biandong_riqi="2026-11-16")
    [filed] = [
        t
        for t in api.get("/api/v1/tasks", user="renshi", query_string={"status": "completed"}).json["items"]
        if t["instance_id"] == instance_id
    ][:1]
    withdrawn = api.post(f"/api/v1/tasks/{filed['id']}/withdraw", user="renshi", json={"comment": "补充材料"})
    assert withdrawn.status_code == 200, withdrawn.json
    _do(api, "renshi", "填报备案材料", instance_id, **LIZHI, biandong_riqi="2026-11-16")
    _do(api, "jituan", "集团审核", instance_id, jituan_tongguo=True, jituan_yijian="材料齐全")
    _do(api, "guozi", "国资中心备案", instance_id, beian_jieguo="准予备案")
    detail = _data(api, instance_id)
    assert detail["status"] == "completed" and detail["timers"] == []
    assert detail["data"]["beian_jilu"]["beian_jieguo"] == "准予备案"
