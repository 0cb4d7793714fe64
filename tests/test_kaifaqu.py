"""开发区两批次竞聘上岗 (KF) through the REST API: one instance per batch, batch 2 started
from batch 1's unfilled posts. Time is travelled (time_machine) and timers fired with
TimerScheduler.tick(); dates are relative to the day the tests run so they stay valid."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine

from service.domain.dates import age_on, months_between
from service.domain.retirement import statutory_retirement
from service.scheduler import TimerScheduler
from service.timeutil import SHANGHAI, utcnow
from tests.conftest import FORMS, PROCESSES, assert_problem

KEY = "kaifaqu_jingpin"
FUGUANZHANG = "投资促进局副局长"
GONGZUO = "党政办公室工作人员"
ZHUANZHI = "经济发展服务局专职人员"
POSTS = [
    {"mingcheng": FUGUANZHANG, "cengji": 2},
    {"mingcheng": GONGZUO, "cengji": 1},
    {"mingcheng": ZHUANZHI, "cengji": 1},
]
JUDGES5 = [f"pingwei{i}" for i in range(1, 6)]
KF_USERS = ["admin", "lingdaoban", "lingdaozu", "kaochazu", "danggongwei", "jijian", "pingwei"]
KF_USERS += [f"pingwei{i}" for i in range(1, 8)]

WANG = {
    "xingming": "王晓东",
    "shenfenzheng_hao": "210503198603152217",
    "xingbie": "男",
    "chusheng_riqi": "1986-03-15",
    "xueli": "本科",
    "renyuan_leibie": "公务员",
    "xian_danwei_zhiwu": "南芬区发展和改革局一级科员",
    "xian_cengji": 1,
    "shangnian_kaohe": "称职",
    "shou_shencha_chufen": False,
    "shi_lingdao_banzi": False,
    "yuan_tuixiu_nianling": 60,
    "baokao_gangwei": [FUGUANZHANG],
    "lianxi_dianhua": "024-44881234",
}
LIU = dict(
    WANG,
    xingming="刘佳",
    shenfenzheng_hao="210503199011080327",
    xingbie="女",
    chusheng_riqi="1990-11-08",
    xueli="硕士研究生",
    renyuan_leibie="事业编制人员",
    xian_danwei_zhiwu="南芬区政务服务中心科员",
    shangnian_kaohe="优秀",
    yuan_tuixiu_nianling=55,
    baokao_gangwei=[FUGUANZHANG, GONGZUO],
)
ZHAO = dict(
    WANG,
    xingming="赵静",
    shenfenzheng_hao="210503199205214421",
    xingbie="女",
    chusheng_riqi="1992-05-21",
    xueli="大专",
    renyuan_leibie="参公人员",
    xian_danwei_zhiwu="南芬区档案馆科员",
    yuan_tuixiu_nianling=55,
    baokao_gangwei=[GONGZUO],
)


@pytest.fixture()
def kf(api):
    for user in KF_USERS:  # tokens issued now, before any travel, stay valid at the travelled times
        api.token(user)
    files = [PROCESSES / "kaifaqu_jingpin.bpmn", PROCESSES / "kaifaqu_zige.dmn", PROCESSES / "gongshi.bpmn"]
    files += sorted(FORMS.glob("kf_*.schema.json")) + sorted(FORMS.glob("gongshi_*.schema.json"))
    response = api.deploy(*files)
    assert response.status_code == 201, response.json
    return api


@pytest.fixture()
def clock():
    """A Monday 09:00 (Beijing) at least a week ahead; the batch's timeline starts there."""
    day = utcnow().astimezone(SHANGHAI).date() + timedelta(days=7)
    day += timedelta(days=(7 - day.weekday()) % 7)
    start = datetime.combine(day, time(9, 0), SHANGHAI)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def _now() -> datetime:
    return utcnow().astimezone(SHANGHAI)


def _tick(api) -> int:
    return TimerScheduler(api.client.application.extensions["xuanpin"]).tick()


def _task(api, user: str, title: str, instance_id: str) -> dict[str, Any]:
    found = [t for t in api.inbox(user, instance_id=instance_id) if t["title"] == title]
    assert found, (user, title, [t["title"] for t in api.inbox(user, instance_id=instance_id)])
    return found[0]


def _do(api, user: str, title: str, instance_id: str, **data: Any) -> dict[str, Any]:
    task = _task(api, user, title, instance_id)
    response = api.complete(task["id"], user, **data)
    assert response.status_code == 200, response.json
    return response.json


def _data(api, instance_id: str, user: str = "lingdaoban") -> dict[str, Any]:
    response = api.get(f"/api/v1/instances/{instance_id}", user=user)
    assert response.status_code == 200, response.json
    return response.json["data"]


def _publish(api, posts=POSTS, pici: int = 1, **extra: Any) -> tuple[str, str]:
    """Starts a batch and publishes its announcement; returns (instance id, plan date)."""
    started = api.start(
        KEY, user="lingdaoban", business_key=f"NF-KF-2027-{pici}", pici=pici, gangwei_list=posts
    )
    assert started.status_code == 201, started.json
    iid = started.json["id"]
    today = _now().date()
    deadline = datetime.combine(today + timedelta(days=4), time(17, 0), SHANGHAI)
    _do(
        api,
        "lingdaoban",
        "发布竞聘公告",
        iid,
        fabu_riqi=today.isoformat(),
        gonggao_riqi=today.isoformat(),
        baoming_jiezhi=deadline.isoformat(),
        gonggao_fangshi="开发区公告栏、南芬区人民政府网站",
        **extra,
    )
    return iid, today.isoformat()


def _register(api, iid: str, person: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return _do(api, "lingdaoban", "登记报名", iid, **dict(person, **changes))


def _close_registration_and_confirm(api, iid: str, **shencha: Any) -> None:
    _do(api, "lingdaoban", "登记报名", iid, jieshu_dengji=True)
    _do(
        api, "lingdaoban", "资格审查", iid, quxiao_zige=[], shencha_yijian="材料齐全，符合资格条件", **shencha
    )
    _do(
        api,
        "lingdaozu",
        "认定竞聘人员名单",
        iid,
        rending_jieguo="认定",
        rending_yijian="同意认定并公布",
        gongbu_riqi=_now().date().isoformat(),
    )


def _interview(api, iid: str, judges: list[str], scores: dict[str, list[Any]]) -> None:
    """scores: "身份证号|岗位" -> one value per judge (None = 回避)."""
    _do(
        api,
        "lingdaoban",
        "组织面试",
        iid,
        pingwei_list=judges,
        mianshi_riqi=_now().date().isoformat(),
        mianshi_didian="开发区管委会三楼会议室",
    )
    numbers = {r["shenfenzheng_hao"]: r["bianhao"] for r in _data(api, iid)["jingpin_renyuan"]}
    for index, judge in enumerate(judges):
        _do(api, judge, "面试评分", iid, pingfen=_filled_sheet(api, judge, iid, numbers, scores, index))


def _sheet(api, judge: str, iid: str) -> dict[str, Any]:
    """The judge's task detail: the pre-filled sheet in data, the interview in context."""
    task = _task(api, judge, "面试评分", iid)
    detail = api.get(f"/api/v1/tasks/{task['id']}", user=judge)
    assert detail.status_code == 200, detail.json
    return detail.json


def _filled_sheet(
    api, judge: str, iid: str, numbers: dict[str, str], scores: dict[str, list[Any]], index: int
) -> list[dict[str, Any]]:
    """The judge's pre-filled sheet with the `index`-th value of each line of `scores`
    ("身份证号|岗位" -> values; None = 回避); lines not in `scores` are left out."""
    wanted = {}
    for pair, values in scores.items():
        sfz, gangwei = pair.split("|")
        wanted[(numbers[sfz], gangwei)] = values[index]
    entries = []
    for line in _sheet(api, judge, iid)["data"]["pingfen"]:
        key = (line["bianhao"], line["gangwei"])
        if key not in wanted:
            continue
        value = wanted[key]
        if value is None:
            entries.append(dict(line, huibi=True, huibi_guanxi="近姻亲"))
        else:
            entries.append(dict(line, huibi=False, defen=value))
    return entries


def _confirm_scores(api, iid: str, pairs: list[str]) -> None:
    queren = [
        {"shenfenzheng_hao": p.split("|")[0], "gangwei": p.split("|")[1], "qianzi_queren": True}
        for p in pairs
    ]
    _do(api, "lingdaoban", "成绩签字确认", iid, chengji_queren=queren)


def _appoint(api, iid: str, people: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """办理聘用手续 for `people`, contracts signed and terms starting today."""
    qishi = _now().date().isoformat()
    shouxu = [
        {
            "shenfenzheng_hao": p["shenfenzheng_hao"],
            "hetong_qianding_riqi": qishi,
            "pinqi_qishi": qishi,
            "pinshu_bianhao": f"南芬开聘〔2027〕{i}号",
        }
        for i, p in enumerate(people, start=1)
    ]
    return _do(api, "lingdaoban", "办理聘用手续", iid, pinyong_shouxu=shouxu)


def _decide_proposal(
    api,
    iid: str,
    nominees: list[dict[str, Any]],
    jianyi_shuoming: str,
    yanjiu_yijian: str = "同意提交党工委会议",
    jueding: str = "同意",
    huiyi_jiyao: str = "党工委会议同意",
) -> dict[str, Any]:
    """KF-12: the office proposes, the leading group studies (never straight to the committee),
    the 党工委 decides; returns the decision's completion."""
    _do(api, "lingdaoban", "提出拟聘用人选建议", iid, nipin_renxuan=nominees, jianyi_shuoming=jianyi_shuoming)
    assert _inbox(api, "danggongwei", iid) == []
    assert _inbox(api, "lingdaozu", iid) == ["研究拟聘用人选"]
    _do(api, "lingdaozu", "研究拟聘用人选", iid, yanjiu_tongguo=True, yanjiu_yijian=yanjiu_yijian)
    assert _inbox(api, "danggongwei", iid) == ["讨论决定拟聘用人选"]
    return _do(
        api, "danggongwei", "讨论决定拟聘用人选", iid, danggongwei_jueding=jueding, huiyi_jiyao=huiyi_jiyao
    )


def _inspect_all_four(api, iid: str) -> None:
    """考察组 finds every suggested target of the main scores fit (KF-11)."""
    targets = [(WANG, FUGUANZHANG), (LIU, FUGUANZHANG), (LIU, GONGZUO), (ZHAO, GONGZUO)]
    _do(api, "kaochazu", "组织考察", iid, kaocha_jieguo=[_inspection_entry(p, g) for p, g in targets])


def _key(person: dict[str, Any], gangwei: str) -> str:
    return f"{person['shenfenzheng_hao']}|{gangwei}"


MAIN_SCORES = {
    _key(WANG, FUGUANZHANG): [88, 86, 85, 90, 80],  # drop 90, 80 → 86.33
    _key(LIU, FUGUANZHANG): [84, 82, 83, 79, 88],  # drop 88, 79 → 83
    _key(LIU, GONGZUO): [81, 80, 79, 78, 90],  # → 80
    _key(ZHAO, GONGZUO): [75, 74, 76, 70, 77],  # → 75
}


def _inspection_entry(person: dict[str, Any], gangwei: str, hege: bool = True) -> dict[str, Any]:
    return {
        "shenfenzheng_hao": person["shenfenzheng_hao"],
        "gangwei": gangwei,
        "dangan_bishen": True,
        "geren_shixiang_bicha": True,
        "jijian_yijian_biting": True,
        "xinfang_jubao_bicha": True,
        "jijian_yijian": "区纪委监委无反映问题",
        "kaocha_fangshi": ["民主征求意见", "个别谈话"],
        "kaocha_yijian": "政治素质好，工作实绩突出，群众认可度高",
        "kaocha_hege": hege,
    }


def _run_batch_one(api, clock) -> tuple[str, dict[str, Any]]:
    """Batch 1 from publication to appointment: 王晓东 → 副局长, 刘佳 → 工作人员, 赵静 落聘,
    nobody applies for 经济发展服务局专职人员."""
    iid = _batch_one_to_publicity(api, clock)
    _task(api, "lingdaoban", "受理公示异议", iid)
    assert _tick(api) == 0
    clock.move_to(_now() + timedelta(days=25))
    assert _tick(api) == 1
    done = _appoint(api, iid, (WANG, LIU))
    assert done["status"] == "completed"
    return iid, _data(api, iid)


def _batch_one_to_publicity(api, clock) -> str:
    iid, _fabu = _publish(api, chae_bili=1.5)
    for person in (WANG, LIU, ZHAO):
        _register(api, iid, person)
    assert _data(api, iid)["baoming_tongji"] == {FUGUANZHANG: 2, GONGZUO: 2, ZHUANZHI: 0}

    # 报名截止 (boundary timer) withdraws the registration task
    clock.move_to(datetime.combine(_now().date() + timedelta(days=4), time(17, 1), SHANGHAI))
    assert _tick(api) == 1
    assert [t["title"] for t in api.inbox("lingdaoban", instance_id=iid)] == ["资格审查"]
    _do(api, "lingdaoban", "资格审查", iid, quxiao_zige=[], shencha_yijian="3 人材料齐全，符合资格条件")
    data = _data(api, iid)
    assert [r["xingming"] for r in data["jingpin_renyuan"]] == ["王晓东", "刘佳", "赵静"]
    _do(api, "lingdaozu", "认定竞聘人员名单", iid, rending_jieguo="认定", rending_yijian="同意认定，予以公布")

    _interview(api, iid, JUDGES5, MAIN_SCORES)
    data = _data(api, iid)
    assert "pingwei" not in data and data["pingwei_list"] == JUDGES5
    scores = {_key(c, c["gangwei"]): c["mianshi_defen"] for c in data["mianshi_chengji"]}
    assert scores == {
        _key(WANG, FUGUANZHANG): 86.33,
        _key(LIU, FUGUANZHANG): 83.0,
        _key(LIU, GONGZUO): 80.0,
        _key(ZHAO, GONGZUO): 75.0,
    }
    _confirm_scores(api, iid, list(MAIN_SCORES))
    data = _data(api, iid)
    assert [(c["xingming"], c["rank"]) for c in data["paiming"][FUGUANZHANG]] == [("王晓东", 1), ("刘佳", 2)]
    assert [c["xingming"] for c in data["kaocha_jianyi"][GONGZUO]] == ["刘佳", "赵静"]  # ⌈1 × 1.5⌉ = 2

    _do(api, "lingdaozu", "确定考察对象", iid, huiyi_yijian="同意按差额比例确定考察对象")
    targets = _data(api, iid)["kaocha_duixiang"]
    assert len(targets) == 4
    _inspect_all_four(api, iid)
    nominees = [
        {"shenfenzheng_hao": WANG["shenfenzheng_hao"], "gangwei": FUGUANZHANG, "xingming": "王晓东"},
        {"shenfenzheng_hao": LIU["shenfenzheng_hao"], "gangwei": GONGZUO, "xingming": "刘佳"},
    ]
    _decide_proposal(api, iid, nominees, "按总成绩及考察结果提出")

    # KF-13: 公示 5 working days (shared subprocess gongshi)
    gongshi = _data(api, iid)
    assert gongshi["gongshi_tianshu"] == 5 and gongshi["gongshi_gongzuori"] is True
    assert "王晓东，拟聘投资促进局副局长" in gongshi["gongshi_neirong"]
    api.post_publicity("lingdaoban", instance_id=iid)  # the notice is posted today
    return iid


def test_kf_main_path_batch_one_publication_to_appointment(kf, clock):
    """KF-01 KF-04 KF-05 KF-06 KF-07 KF-08 KF-09 KF-10 KF-11 KF-12 KF-13: batch 1 end to end."""
    iid, data = _run_batch_one(kf, clock)
    assert data["gongshi_jieguo"] == "无异议"
    result = {p["xingming"]: p for p in data["pinyong_jieguo"]}
    assert set(result) == {"王晓东", "刘佳"}
    wang = result["王晓东"]
    qishi = date.fromisoformat(wang["pinqi_qishi"])
    assert wang["pinqi_nian"] == 2
    end = date.fromisoformat(wang["pinqi_zhongzhi"])
    assert end == date(qishi.year + 2, qishi.month, qishi.day) - timedelta(days=1) or (
        qishi.month,
        qishi.day,
    ) == (2, 29)
    assert data["weitianbu_gangwei"] == [{"mingcheng": ZHUANZHI, "cengji": 1}]
    assert [p["xingming"] for p in data["piyi_luoxuan"]] == ["赵静"]
    shown = kf.get(f"/api/v1/instances/{iid}", user="jijian").json  # the inspector reads it all
    titles = [s["title"] for s in shown["completed_steps"]]
    for step in (
        "发布竞聘公告",
        "资格条件判定",
        "面试评分",
        "成绩签字确认",
        "组织考察",
        "讨论决定拟聘用人选",
        "任前公示",
    ):
        assert step in titles


def _start_from(api, source: str | None, business_key: str = "NF-KF-2027-2", **data: Any):
    body: dict[str, Any] = {"definition_key": KEY, "business_key": business_key, "data": data}
    if source is not None:
        body["source_instance_id"] = source
    return api.post("/api/v1/instances", user="lingdaoban", json=body)


def _start_batch_two(api, source: str | None, **data: Any):
    return _start_from(api, source, pici=2, **data)


def test_kf14_batch_two_starts_from_batch_one_with_exactly_its_unfilled_posts(kf, clock):
    """KF-14, KF-02: batch 2 starts from batch 1's case (source_instance_id) and offers exactly
    the posts batch 1 left unfilled, open to society, where a batch-1 loser may apply again; a
    post batch 1 filled is refused at the start and at registration."""
    iid1, batch1 = _run_batch_one(kf, clock)
    assert batch1["pici"] == 1 and batch1["kaifaqu_mingcheng"] == "本溪南芬经济开发区"

    filled = _start_batch_two(kf, iid1, gangwei_list=[{"mingcheng": ZHUANZHI, "cengji": 1}, POSTS[1]])
    body = assert_problem(filled, 422)
    assert list(body["errors"]) == ["gangwei_list.1.mingcheng"] and GONGZUO in body["detail"], body
    assert kf.get("/api/v1/instances", user="admin").json["total"] == 1  # nothing was started

    started = _start_batch_two(kf, iid1)
    assert started.status_code == 201, started.json
    iid2 = started.json["id"]
    data = _data(kf, iid2)
    assert data["pici"] == 2 and data["diyi_pici"] == iid1
    assert data["gangwei_list"] == [{"mingcheng": ZHUANZHI, "cengji": 1}]
    assert data["baoming_tongji"] == {ZHUANZHI: 0}
    assert [p["xingming"] for p in data["diyi_pici_luoxuan"]] == ["赵静"]
    assert "laiyuan_shili" not in data and "laiyuan" not in data
    today = _now().date().isoformat()
    _do(
        kf,
        "lingdaoban",
        "发布竞聘公告",
        iid2,
        fabu_riqi=today,
        gonggao_riqi=today,
        baoming_jiezhi=datetime.combine(_now().date() + timedelta(days=4), time(17, 0), SHANGHAI).isoformat(),
        gonggao_fangshi="开发区公告栏、南芬区人民政府网站",
    )
    _register(kf, iid2, ZHAO, baokao_gangwei=[ZHUANZHI])
    society = dict(
        WANG,
        xingming="孙立伟",
        shenfenzheng_hao="210502198812120635",
        renyuan_leibie="社会人员",
        xian_danwei_zhiwu="本溪某科技公司项目经理",
        xian_cengji=0,
        shangnian_kaohe="未参加考核",
        baokao_gangwei=[ZHUANZHI],
    )
    _register(kf, iid2, society)
    data = _data(kf, iid2)
    assert {r["xingming"]: r["zige_hege"] for r in data["baoming_renyuan"]} == {"赵静": True, "孙立伟": True}
    assert data["baoming_tongji"] == {ZHUANZHI: 2}
    # A post that batch 1 filled is not on offer in batch 2
    wrong = _task(kf, "lingdaoban", "登记报名", iid2)
    assert_problem(kf.complete(wrong["id"], "lingdaoban", **dict(ZHAO, baokao_gangwei=[GONGZUO])), 422)
    assert _data(kf, iid2)["baoming_tongji"] == {ZHUANZHI: 2}


def test_kf14_batch_two_is_refused_without_a_completed_batch_one(kf, clock):
    """KF-14: batch 2 without a source case, from a batch 1 still running, from another batch 2
    or from another process's case is refused on source_instance_id; batch 1 takes no source."""
    body = assert_problem(_start_batch_two(kf, None), 422)
    assert list(body["errors"]) == ["source_instance_id"] and "第一批次" in body["detail"], body
    iid1, _ = _publish(kf)
    body = assert_problem(_start_batch_two(kf, iid1), 422)
    assert list(body["errors"]) == ["source_instance_id"] and "尚未结束" in body["detail"], body
    body = assert_problem(_start_from(kf, iid1, business_key="NF-KF-X"), 422)
    assert list(body["errors"]) == ["source_instance_id"], body  # no pici: a source means batch 2
    assert "尚未结束" in body["detail"]
    body = assert_problem(_start_from(kf, iid1, business_key="NF-KF-Y", pici=1), 422)
    assert list(body["errors"]) == ["source_instance_id"] and "第一批次不依据" in body["detail"], body
    body = assert_problem(_start_from(kf, None, business_key="NF-KF-Z", pici=3), 422)
    assert list(body["errors"]) == ["pici"], body


def test_kf14_batch_two_offers_only_the_places_left(kf, clock):
    """KF-14 (domain): a post with two places of which batch 1 filled one goes to batch 2 with
    one place; a filled post does not."""
    from service.domain.kaifaqu import kf_unfilled_posts

    posts = [{"mingcheng": "甲", "cengji": 1, "renshu": 2}, {"mingcheng": "乙", "cengji": 1}]
    assert kf_unfilled_posts(posts, [{"gangwei": "甲"}, {"gangwei": "乙"}]) == [
        {"mingcheng": "甲", "cengji": 1, "renshu": 1}
    ]
    assert kf_unfilled_posts(posts, []) == posts


def test_kf07_x05_judge_sheet_lists_the_candidates_and_refuses_gaps(kf, clock):
    """KF-07, X-02, X-05: a judge's sheet opens pre-filled with every competitor and post they
    must score (number, name, post; no ID numbers, phone or birth date anywhere a judge reads);
    a sheet leaving one out or naming one twice is refused per field and nothing is saved."""
    iid = _to_interview(kf)
    _do(
        kf,
        "lingdaoban",
        "组织面试",
        iid,
        pingwei_list=JUDGES5,
        mianshi_riqi="2027-03-15",
        mianshi_didian="管委会会议室",
    )
    detail = _sheet(kf, "pingwei1", iid)
    assert detail["data"] == {
        "pingfen": [
            {"bianhao": "01", "xingming": "王晓东", "gangwei": FUGUANZHANG, "huibi": False},
            {"bianhao": "02", "xingming": "赵静", "gangwei": GONGZUO, "huibi": False},
        ]
    }
    assert detail["context"] == {"mianshi_riqi": "2027-03-15", "mianshi_didian": "管委会会议室"}
    seen = kf.get(f"/api/v1/instances/{iid}", user="pingwei1")
    assert seen.status_code == 200, seen.json
    for personal in (WANG["shenfenzheng_hao"], WANG["lianxi_dianhua"], WANG["chusheng_riqi"]):
        assert personal not in str(detail) and personal not in str(seen.json)
    assert WANG["shenfenzheng_hao"] in str(_data(kf, iid, user="lingdaoban"))  # the office reads it

    task = _task(kf, "pingwei1", "面试评分", iid)
    lines = [dict(line, defen=80) for line in detail["data"]["pingfen"]]
    body = assert_problem(kf.complete(task["id"], "pingwei1", pingfen=lines[:1]), 422)
    assert list(body["errors"]) == ["pingfen"] and "赵静" in body["detail"], body
    assert body["title"] == "不符合规定，未予办理"
    body = assert_problem(kf.complete(task["id"], "pingwei1", pingfen=[lines[0], lines[0], lines[1]]), 422)
    assert list(body["errors"]) == ["pingfen.1.bianhao"], body
    other_post = dict(lines[1], gangwei=FUGUANZHANG, bianhao="02")
    body = assert_problem(kf.complete(task["id"], "pingwei1", pingfen=[lines[0], other_post]), 422)
    assert list(body["errors"]) == ["pingfen.1.bianhao"], body  # 赵静 did not apply for that post
    assert _task(kf, "pingwei1", "面试评分", iid)["id"] == task["id"]
    _do(kf, "pingwei1", "面试评分", iid, pingfen=lines)


def test_kf03_ineligible_candidates_are_recorded_with_reasons(kf, clock):
    """KF-03 (DMN kaifaqu_zige), KF-02: 学历、退休期限（按方案公布之日）、考核等次限制上一层级、批次范围."""
    iid, fabu = _publish(kf)
    fabu_day = date.fromisoformat(fabu)
    near_retirement = _born_months_before_retirement(fabu_day, 12, "女", 55)
    _register(kf, iid, dict(WANG, xueli="中专"))
    _register(kf, iid, dict(LIU, chusheng_riqi=near_retirement.isoformat()))
    _register(kf, iid, dict(ZHAO, shangnian_kaohe="基本称职", baokao_gangwei=[FUGUANZHANG]))
    under_review = dict(
        ZHAO,
        xingming="钱峰",
        shenfenzheng_hao="210503198701013319",
        shou_shencha_chufen=True,
        baokao_gangwei=[GONGZUO],
    )
    _register(kf, iid, under_review)  # same level: allowed
    _register(
        kf, iid, dict(WANG, xingming="周敏", shenfenzheng_hao="210503199303036628", renyuan_leibie="社会人员")
    )
    data = _data(kf, iid)
    reasons = {r["xingming"]: r["buhege_yuanyin"] for r in data["baoming_renyuan"]}
    assert reasons == {
        "王晓东": ["学历低于大专"],
        "刘佳": ["距法定退休年龄不足一个聘期（2年）"],
        "赵静": ["上一年度考核为基本称职及以下，不得竞聘上一层级岗位"],
        "钱峰": [],
        "周敏": ["第一批次仅限在编在职人员报名"],
    }
    assert data["baoming_tongji"] == {FUGUANZHANG: 0, GONGZUO: 1, ZHUANZHI: 0}
    _register(kf, iid, dict(under_review, baokao_gangwei=[FUGUANZHANG]))  # under review → not a higher post
    data = _data(kf, iid)
    [qian] = [r for r in data["baoming_renyuan"] if r["xingming"] == "钱峰"]
    assert qian["buhege_yuanyin"] == ["正在接受审查调查或处分期内，不得竞聘上一层级岗位"]
    _close_registration_and_confirm(kf, iid)
    assert _data(kf, iid)["jingpin_renyuan"] == []


def _born_months_before_retirement(on: date, months: int, gender: str, original: int) -> date:
    """A birth date whose statutory retirement (2025 reform table) is `months` whole months
    after `on`, and is not on the same day of the month as `on` (so whole years mislead)."""
    day = on.replace(year=on.year - original - 10)
    while day < on.replace(year=on.year - original + 5):
        retirement = statutory_retirement(day.isoformat(), gender, original)["riqi"]
        if months_between(on, retirement) == months and day.day != on.day:
            return day
        day += timedelta(days=1)
    raise AssertionError(f"no birth date {months} months before retirement")


def test_kf03_retirement_is_counted_in_months_to_the_reformed_date(kf, clock):
    """KF-03: "one term (2 years) before statutory retirement" is measured from the birth date to
    the statutory retirement date of the 2025 reform (years and months, by birth month), as of the
    plan's publication date: 13 and 23 months left are refused, 24 months left is eligible. The
    record keeps the retirement age, date and the months left. An original age the reform does not
    list (a man at 55) is refused on the spot, naming the field."""
    iid, fabu = _publish(kf)
    fabu_day = date.fromisoformat(fabu)
    thirteen = _born_months_before_retirement(fabu_day, 13, "男", 60)
    # Whole-year age would have said 2 years to a retirement age of 63 entered as a number.
    assert 63 - age_on(thirteen.isoformat(), fabu) >= 2
    people = {
        "孙刚": (thirteen, 13),
        "李强": (_born_months_before_retirement(fabu_day, 23, "男", 60), 23),
        "周杰": (_born_months_before_retirement(fabu_day, 24, "男", 60), 24),
    }
    for index, (name, (born, _)) in enumerate(people.items()):
        _register(
            kf,
            iid,
            dict(
                WANG,
                xingming=name,
                shenfenzheng_hao=f"21050319600101{index:03d}1",
                chusheng_riqi=born.isoformat(),
            ),
        )
    records = {r["xingming"]: r for r in _data(kf, iid)["baoming_renyuan"]}
    for name, (born, left) in people.items():
        record = records[name]
        expected = statutory_retirement(born.isoformat(), "男", 60)
        assert record["juli_tuixiu_yue"] == left
        assert record["fading_tuixiu"] == expected and expected["sui"] in (60, 61, 62, 63)
    assert records["孙刚"]["buhege_yuanyin"] == ["距法定退休年龄不足一个聘期（2年）"]
    assert records["李强"]["buhege_yuanyin"] == ["距法定退休年龄不足一个聘期（2年）"]
    assert records["周杰"]["buhege_yuanyin"] == [] and records["周杰"]["zige_hege"] is True
    task = _task(kf, "lingdaoban", "登记报名", iid)
    wrong = kf.complete(task["id"], "lingdaoban", **dict(WANG, yuan_tuixiu_nianling=55))
    body = assert_problem(wrong, 422)
    assert "yuan_tuixiu_nianling" in body["errors"] and "原法定退休年龄" in body["detail"]
    assert len(_data(kf, iid)["baoming_renyuan"]) == 3


def test_kf04_switching_posts_updates_the_live_count(kf, clock):
    """KF-04: 1–2 posts per candidate, re-registration with the same ID switches, live count per post."""
    iid, _ = _publish(kf)
    _register(kf, iid, WANG)
    assert _data(kf, iid)["baoming_tongji"] == {FUGUANZHANG: 1, GONGZUO: 0, ZHUANZHI: 0}
    _register(kf, iid, LIU)
    assert _data(kf, iid)["baoming_tongji"] == {FUGUANZHANG: 2, GONGZUO: 1, ZHUANZHI: 0}
    _register(kf, iid, WANG, baokao_gangwei=[ZHUANZHI, GONGZUO])  # 改报
    data = _data(kf, iid)
    assert data["baoming_tongji"] == {FUGUANZHANG: 1, GONGZUO: 2, ZHUANZHI: 1}
    assert [r["xingming"] for r in data["baoming_renyuan"]] == ["刘佳", "王晓东"]
    task = _task(kf, "lingdaoban", "登记报名", iid)
    three = kf.complete(
        task["id"], "lingdaoban", **dict(ZHAO, baokao_gangwei=[FUGUANZHANG, GONGZUO, ZHUANZHI])
    )
    assert "baokao_gangwei" in assert_problem(three, 422)["errors"]
    assert_problem(kf.complete(task["id"], "lingdaoban", **dict(ZHAO, baokao_gangwei=[])), 422)
    # registration closes at the deadline: the task is withdrawn, no more switching
    clock.move_to(datetime.combine(_now().date() + timedelta(days=4), time(16, 59), SHANGHAI))
    assert _tick(kf) == 0
    clock.move_to(_now() + timedelta(minutes=2))
    assert _tick(kf) == 1
    assert [t["title"] for t in kf.inbox("lingdaoban", instance_id=iid)] == ["资格审查"]
    assert _data(kf, iid)["baoming_tongji"] == {FUGUANZHANG: 1, GONGZUO: 2, ZHUANZHI: 1}


def _to_interview(api, posts=POSTS, people=(WANG, ZHAO)) -> str:
    iid, _ = _publish(api, posts=posts)
    for person in people:
        _register(api, iid, person)
    _close_registration_and_confirm(api, iid)
    return iid


@pytest.mark.parametrize(
    ("judges", "values", "expected"),
    [
        (5, [90, 70, 80, 85, 75], 80.0),  # drop 90 and 70
        (7, [91, 60, 88, 86, 84, 82, 79], 83.8),  # drop 91 and 60: (88+86+84+82+79)/5
    ],
)
def test_kf07_trimmed_mean_with_five_and_seven_judges(kf, clock, judges, values, expected):
    """KF-07: the highest and the lowest score are dropped, the rest averaged; each judge
    gets an instance of their own (camunda:assignee="${pingwei}")."""
    iid = _to_interview(kf, people=(WANG,))
    panel = [f"pingwei{i}" for i in range(1, judges + 1)]
    _do(
        kf,
        "lingdaoban",
        "组织面试",
        iid,
        pingwei_list=panel,
        mianshi_riqi="2027-03-15",
        mianshi_didian="管委会会议室",
    )
    tasks = {j: [t for t in kf.inbox(j, instance_id=iid) if t["title"] == "面试评分"] for j in panel}
    assert all(len(v) == 1 and v[0]["assignee"] == j for j, v in tasks.items())
    assert tasks["pingwei1"][0]["id"] != tasks["pingwei2"][0]["id"]
    # another judge cannot score in pingwei1's place
    [line] = _sheet(kf, "pingwei1", iid)["data"]["pingfen"]
    entry = dict(line, huibi=False, defen=99)
    assert kf.complete(tasks["pingwei1"][0]["id"], "pingwei2", pingfen=[entry]).status_code in (403, 404)
    for judge, value in zip(panel, values, strict=True):
        _do(kf, judge, "面试评分", iid, pingfen=[dict(entry, defen=value)])
    [chengji] = _data(kf, iid)["mianshi_chengji"]
    assert chengji["pingwei_defen"] == values
    assert chengji["mianshi_defen"] == expected
    assert math.isclose(expected, sum(sorted(values)[1:-1]) / (judges - 2), abs_tol=0.005)


@pytest.mark.parametrize("count", [4, 8])
def test_kf07_panel_outside_five_to_seven_is_rejected(kf, clock, count):
    """KF-07: the panel has 5–7 judges."""
    iid = _to_interview(kf, people=(WANG,))
    task = _task(kf, "lingdaoban", "组织面试", iid)
    panel = (
        [f"pingwei{i}" for i in range(1, count + 1)]
        if count <= 7
        else [*JUDGES5, "pingwei6", "pingwei7", "pingwei"]
    )
    body = assert_problem(
        kf.complete(
            task["id"], "lingdaoban", pingwei_list=panel, mianshi_riqi="2027-03-15", mianshi_didian="会议室"
        ),
        422,
    )
    assert "pingwei_list" in body["errors"]
    assert _task(kf, "lingdaoban", "组织面试", iid)["id"] == task["id"]


def test_x02_judge_declares_conflict_and_does_not_score(kf, clock):
    """X-02, KF-07: a judge who declares 回避 gives no score for that candidate; the trimmed
    mean is taken over the remaining judges."""
    iid = _to_interview(kf)
    task_values = {
        _key(WANG, FUGUANZHANG): [88, 86, None, 90, 80],  # pingwei3 回避: drop 90, 80 → (88+86)/2
        _key(ZHAO, GONGZUO): [75, 74, 76, 70, 77],
    }
    _do(
        kf,
        "lingdaoban",
        "组织面试",
        iid,
        pingwei_list=JUDGES5,
        mianshi_riqi="2027-03-15",
        mianshi_didian="会议室",
    )
    judge3 = _task(kf, "pingwei3", "面试评分", iid)
    sheet = _sheet(kf, "pingwei3", iid)["data"]["pingfen"]
    both = dict(sheet[0], huibi=True, huibi_guanxi="近姻亲", defen=95)
    assert_problem(kf.complete(judge3["id"], "pingwei3", pingfen=[both, sheet[1]]), 422)  # 回避 and a score
    numbers = {r["shenfenzheng_hao"]: r["bianhao"] for r in _data(kf, iid)["jingpin_renyuan"]}
    for index, judge in enumerate(JUDGES5):
        _do(kf, judge, "面试评分", iid, pingfen=_filled_sheet(kf, judge, iid, numbers, task_values, index))
    chengji = {c["xingming"]: c for c in _data(kf, iid)["mianshi_chengji"]}
    assert chengji["王晓东"]["pingwei_defen"] == [88, 86, 90, 80]
    assert chengji["王晓东"]["huibi_pingwei"] == [{"pingwei": "pingwei3", "guanxi": "近姻亲"}]
    assert chengji["王晓东"]["mianshi_defen"] == 87.0
    assert chengji["赵静"]["huibi_pingwei"] == [] and chengji["赵静"]["mianshi_defen"] == 75.0


def test_kf07_x02_too_few_valid_scores_sends_the_interview_back_to_the_office(kf, clock):
    """KF-07, X-02: three of five judges declare 回避 for one candidate, leaving two valid
    scores — too few to drop the highest and the lowest. The last judge's sheet is still
    accepted; the office gets 组织面试 back with the short (candidate, post) pairs in
    pingfen_buzu, organises the interview again with another panel, and only the new round's
    sheets count."""
    iid = _to_interview(kf)
    wang, zhao = _key(WANG, FUGUANZHANG), _key(ZHAO, GONGZUO)
    # pingwei1-3 回避 for 王晓东: 2 valid scores; the last judge's completion is not refused
    _interview(kf, iid, JUDGES5, {wang: [None, None, None, 86, 80], zhao: [75, 74, 76, 70, 77]})
    assert _inbox(kf, "lingdaoban", iid) == ["组织面试"]
    assert all(_inbox(kf, judge, iid) == [] for judge in JUDGES5)
    data = _data(kf, iid)
    assert data["pingfen_buzu"] == [
        {
            "shenfenzheng_hao": WANG["shenfenzheng_hao"],
            "xingming": "王晓东",
            "gangwei": FUGUANZHANG,
            "youxiao_pingfen_shu": 2,
        }
    ]
    assert "mianshi_chengji" not in data
    again = kf.get(f"/api/v1/tasks/{_task(kf, 'lingdaoban', '组织面试', iid)['id']}", user="lingdaoban")
    assert again.status_code == 200, again.json
    assert "pingfen_buzu" in again.json["documentation"]
    assert again.json["data"]["pingfen_buzu"] == data["pingfen_buzu"]
    # a new, enlarged-by-replacement panel: pingwei3 still 回避; the first round's sheets are void
    panel = [f"pingwei{i}" for i in range(3, 8)]
    _interview(kf, iid, panel, {wang: [None, 90, 70, 80, 85], zhao: [60, 62, 64, 66, 68]})
    data = _data(kf, iid)
    assert data["pingfen_buzu"] == []
    assert data["pingwei_list"] == panel
    assert [p["pingwei"] for p in data["pingfen_jilu"]] == panel
    chengji = {c["xingming"]: c for c in data["mianshi_chengji"]}
    assert chengji["王晓东"]["pingwei_defen"] == [90, 70, 80, 85]
    assert chengji["王晓东"]["huibi_pingwei"] == [{"pingwei": "pingwei3", "guanxi": "近姻亲"}]
    assert chengji["王晓东"]["mianshi_defen"] == 82.5  # drop 90, 70 → (80+85)/2
    assert chengji["赵静"]["pingwei_defen"] == [60, 62, 64, 66, 68]
    assert chengji["赵静"]["mianshi_defen"] == 64.0  # not mixed with round one's 74–77
    assert _inbox(kf, "lingdaoban", iid) == ["成绩签字确认"]
    _confirm_scores(kf, iid, [wang, zhao])
    assert _inbox(kf, "lingdaozu", iid) == ["确定考察对象"]


def test_kf09_total_below_sixty_is_not_inspected(kf, clock):
    """KF-09, KF-10: ranked by total (interview as tiebreak); total < 60 never becomes an
    inspection target even when the 差额 ratio would take them."""
    low = dict(LIU, baokao_gangwei=[GONGZUO])
    iid = _to_interview(kf, people=(ZHAO, low))
    _interview(
        kf,
        iid,
        JUDGES5,
        {_key(ZHAO, GONGZUO): [72, 70, 71, 69, 75], _key(low, GONGZUO): [58, 55, 57, 60, 50]},
    )
    _confirm_scores(kf, iid, [_key(ZHAO, GONGZUO), _key(low, GONGZUO)])
    data = _data(kf, iid)
    ranked = data["paiming"][GONGZUO]
    assert [(c["xingming"], c["rank"], c["zong_chengji"], c["ruwei_zige"]) for c in ranked] == [
        ("赵静", 1, 71.0, True),
        ("刘佳", 2, 56.67, False),
    ]
    assert [c["xingming"] for c in data["kaocha_jianyi"][GONGZUO]] == ["赵静"]
    _do(kf, "lingdaozu", "确定考察对象", iid, huiyi_yijian="同意")
    assert [t["xingming"] for t in _data(kf, iid)["kaocha_duixiang"]] == ["赵静"]


def test_x04_upheld_objection_blocks_appointment_and_returns_to_the_proposal(kf, clock):
    """X-04, KF-13, KF-12: a real-name objection during publicity is checked by the inspection
    group and decided by the 党工委; sustained, nobody is appointed and, once the period is over,
    the office proposes again."""
    iid = _batch_one_to_publicity(kf, clock)
    _do(
        kf,
        "lingdaoban",
        "受理公示异议",
        iid,
        jubaoren="陈立新",
        lianxi_fangshi="13904141234",
        shishi="反映王晓东报名材料中的工作经历与档案记载不一致",
    )
    clock.move_to(_now() + timedelta(days=25))
    assert _tick(kf) == 1  # the period ends (receiving stops), the objection is still open
    assert [t["title"] for t in kf.inbox("lingdaoban", instance_id=iid)] == []
    _do(
        kf,
        "kaochazu",
        "核查异议",
        iid,
        hecha_jieguo="异议成立",
        hecha_shuoming="经查档案，工作经历填报不实",
        fankui_jubaoren="已电话反馈举报人",
    )
    assert "gongshi_jieguo" not in _data(kf, iid)  # the open objection holds the publicity open
    _decide_objection(kf, iid)
    data = _data(kf, iid)
    assert data["gongshi_jieguo"] == "异议成立" and "pinyong_jieguo" not in data
    assert [t["title"] for t in kf.inbox("lingdaoban", instance_id=iid)] == ["提出拟聘用人选建议"]


def _decide_objection(api, iid: str, jueding: str = "异议成立") -> dict[str, Any]:
    """KF-13, X-04: the 党工委 decides the objection on the inspection group's finding."""
    return _do(
        api,
        "danggongwei",
        "决定异议处理",
        iid,
        yiyi_jueding=jueding,
        yiyi_jueding_shuoming="党工委会议研究决定",
    )


def _inbox(api, user: str, instance_id: str) -> list[str]:
    return [t["title"] for t in api.inbox(user, instance_id=instance_id)]


def _steps(api, instance_id: str) -> list[str]:
    detail = api.get(f"/api/v1/instances/{instance_id}", user="jijian").json
    return [s["title"] for s in detail["completed_steps"]]


def _submitted(api, user: str, title: str, instance_id: str) -> list[dict[str, Any]]:
    """The data each completed task of that title was submitted with, oldest first (the clock
    must have moved between them: tasks done at the same instant have no order)."""
    done = api.get(
        "/api/v1/tasks", user=user, query_string={"instance_id": instance_id, "status": "completed"}
    )
    assert done.status_code == 200, done.json
    tasks = sorted((t for t in done.json["items"] if t["title"] == title), key=lambda t: t["completed_at"])
    assert len({t["completed_at"] for t in tasks}) == len(tasks)
    return [api.get(f"/api/v1/tasks/{t['id']}", user=user).json["data"] for t in tasks]


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["shenfenzheng_hao"] for r in rows]


def test_kf05_cancelled_qualification_leaves_the_competition_list(kf, clock):
    """KF-05, KF-06: the office cancels a registered, otherwise eligible candidate's
    qualification for falsified material; the reason is recorded, the person is not on the
    list the leading group confirms and is not interviewed or ranked."""
    iid, _ = _publish(kf)
    for person in (WANG, LIU, ZHAO):
        _register(kf, iid, person)
    _do(kf, "lingdaoban", "登记报名", iid, jieshu_dengji=True)
    assert _inbox(kf, "lingdaoban", iid) == ["资格审查"]
    assert _inbox(kf, "lingdaozu", iid) == []
    # A mistyped ID number cancels nobody silently: the review is refused and nothing is saved.
    review = _task(kf, "lingdaoban", "资格审查", iid)
    typo = [{"shenfenzheng_hao": "210503199011080328", "yuanyin": "弄虚作假"}]
    refused = kf.complete(review["id"], "lingdaoban", quxiao_zige=typo, shencha_yijian="取消资格")
    assert refused.status_code == 422 and "210503199011080328" in refused.json["detail"]
    quxiao = [{"shenfenzheng_hao": LIU["shenfenzheng_hao"], "yuanyin": "弄虚作假"}]
    _do(
        kf,
        "lingdaoban",
        "资格审查",
        iid,
        quxiao_zige=quxiao,
        shencha_yijian="刘佳报名表所填学历与档案记载不符，取消竞聘资格",
    )
    data = _data(kf, iid)
    assert [r["xingming"] for r in data["jingpin_renyuan"]] == ["王晓东", "赵静"]
    assert _ids(data["quxiao_renyuan"]) == [LIU["shenfenzheng_hao"]]
    assert data["quxiao_renyuan"][0]["quxiao_yuanyin"] == "弄虚作假"
    assert data["quxiao_zige"] == quxiao  # the reason, by ID number
    assert data["shencha_yijian"] == "刘佳报名表所填学历与档案记载不符，取消竞聘资格"
    # she passed the eligibility table: only the review removed her
    [liu] = [r for r in data["baoming_renyuan"] if r["xingming"] == "刘佳"]
    assert liu["zige_hege"] is True
    # the review is recorded with what was submitted (X-01 audit of the step)
    assert [d["quxiao_zige"] for d in _submitted(kf, "lingdaoban", "资格审查", iid)] == [quxiao]

    assert _inbox(kf, "lingdaoban", iid) == []
    _do(kf, "lingdaozu", "认定竞聘人员名单", iid, rending_jieguo="认定", rending_yijian="同意认定并公布")
    assert _inbox(kf, "lingdaoban", iid) == ["组织面试"]
    # KF-05, KF-07: the judges' sheets no longer list her, and a line added for her is refused
    scores = {_key(WANG, FUGUANZHANG): [88, 86, 85, 90, 80], _key(ZHAO, GONGZUO): [75, 74, 76, 70, 77]}
    _do(
        kf,
        "lingdaoban",
        "组织面试",
        iid,
        pingwei_list=JUDGES5,
        mianshi_riqi=_now().date().isoformat(),
        mianshi_didian="开发区管委会三楼会议室",
    )
    sheet = _sheet(kf, "pingwei1", iid)["data"]["pingfen"]
    assert [line["xingming"] for line in sheet] == ["王晓东", "赵静"]
    added = dict(sheet[0], bianhao="03", xingming="刘佳", defen=95)
    filled = [dict(line, defen=90) for line in sheet]
    body = assert_problem(
        kf.complete(_task(kf, "pingwei1", "面试评分", iid)["id"], "pingwei1", pingfen=[*filled, added]), 422
    )
    assert list(body["errors"]) == ["pingfen.2.bianhao"], body
    numbers = {r["shenfenzheng_hao"]: r["bianhao"] for r in _data(kf, iid)["jingpin_renyuan"]}
    for index, judge in enumerate(JUDGES5):
        _do(kf, judge, "面试评分", iid, pingfen=_filled_sheet(kf, judge, iid, numbers, scores, index))
    data = _data(kf, iid)
    assert sorted((c["xingming"], c["gangwei"]) for c in data["mianshi_chengji"]) == [
        ("王晓东", FUGUANZHANG),
        ("赵静", GONGZUO),
    ]
    _confirm_scores(kf, iid, [_key(WANG, FUGUANZHANG), _key(ZHAO, GONGZUO)])
    data = _data(kf, iid)
    assert [c["xingming"] for c in data["paiming"][FUGUANZHANG]] == ["王晓东"]
    assert [c["xingming"] for c in data["paiming"][GONGZUO]] == ["赵静"]


def test_kf06_leading_group_sends_the_list_back_for_re_review(kf, clock):
    """KF-06, KF-05: the leading group does not confirm the reviewed list but sends it back
    (退回重审); the office reviews again, seeing why, the list is regenerated from the new
    review and only a confirmed list reaches the interview."""
    iid, _ = _publish(kf)
    for person in (WANG, LIU, ZHAO):
        _register(kf, iid, person)
    _do(kf, "lingdaoban", "登记报名", iid, jieshu_dengji=True)
    _do(kf, "lingdaoban", "资格审查", iid, quxiao_zige=[], shencha_yijian="3 人材料齐全，符合资格条件")
    assert [r["xingming"] for r in _data(kf, iid)["jingpin_renyuan"]] == ["王晓东", "刘佳", "赵静"]
    assert _inbox(kf, "lingdaoban", iid) == []
    reason = "赵静报名材料缺少学历证书复印件，请重新审查"
    _do(kf, "lingdaozu", "认定竞聘人员名单", iid, rending_jieguo="退回重审", rending_yijian=reason)

    detail = kf.get(f"/api/v1/instances/{iid}", user="lingdaoban").json
    assert detail["status"] == "running"
    assert [t["title"] for t in detail["open_tasks"]] == ["资格审查"]
    assert _inbox(kf, "lingdaozu", iid) == []
    assert _inbox(kf, "lingdaoban", iid) == ["资格审查"]
    assert "gongbu_riqi" not in detail["data"]  # nothing was published
    again = _task(kf, "lingdaoban", "资格审查", iid)
    shown = kf.get(f"/api/v1/tasks/{again['id']}", user="lingdaoban").json["data"]
    assert shown["rending_jieguo"] == "退回重审" and shown["rending_yijian"] == reason

    clock.move_to(_now() + timedelta(days=1))  # the office reviews again the next day
    quxiao = [{"shenfenzheng_hao": ZHAO["shenfenzheng_hao"], "yuanyin": "材料不齐全"}]
    _do(kf, "lingdaoban", "资格审查", iid, quxiao_zige=quxiao, shencha_yijian="赵静未补齐学历证书，取消资格")
    data = _data(kf, iid)
    assert [r["xingming"] for r in data["jingpin_renyuan"]] == ["王晓东", "刘佳"]
    assert _ids(data["quxiao_renyuan"]) == [ZHAO["shenfenzheng_hao"]]
    assert _inbox(kf, "lingdaozu", iid) == ["认定竞聘人员名单"]
    gongbu = _now().date().isoformat()
    _do(
        kf,
        "lingdaozu",
        "认定竞聘人员名单",
        iid,
        rending_jieguo="认定",
        rending_yijian="同意认定并公布",
        gongbu_riqi=gongbu,
    )
    data = _data(kf, iid)
    assert data["rending_jieguo"] == "认定" and data["gongbu_riqi"] == gongbu
    assert _inbox(kf, "lingdaoban", iid) == ["组织面试"]
    assert _steps(kf, iid).count("资格审查") == 2
    assert [d["rending_jieguo"] for d in _submitted(kf, "lingdaozu", "认定竞聘人员名单", iid)] == [
        "退回重审",
        "认定",
    ]


def test_kf06_leading_group_ends_the_batch_without_a_list(kf, clock):
    """KF-06: without the leading group's confirmation there is no competition; it ends the
    batch (终止本批次) at the 名单未认定 end event, nobody is interviewed or appointed."""
    iid, _ = _publish(kf)
    for person in (WANG, ZHAO):
        _register(kf, iid, person)
    _do(kf, "lingdaoban", "登记报名", iid, jieshu_dengji=True)
    _do(kf, "lingdaoban", "资格审查", iid, quxiao_zige=[], shencha_yijian="2 人材料齐全，符合资格条件")
    done = _do(
        kf,
        "lingdaozu",
        "认定竞聘人员名单",
        iid,
        rending_jieguo="终止本批次",
        rending_yijian="报名人数过少，不具备竞争性，本批次终止",
    )
    assert done["status"] == "completed" and done["open_tasks"] == []
    detail = kf.get(f"/api/v1/instances/{iid}", user="jijian").json
    assert detail["status"] == "completed" and detail["completed_at"]
    assert detail["open_tasks"] == [] and detail["timers"] == []
    ends = [s["title"] for s in detail["completed_steps"] if s["kind"] == "EndEvent"]
    assert ends == ["名单未认定"]
    assert "组织面试" not in _steps(kf, iid)
    data = detail["data"]
    assert data["rending_jieguo"] == "终止本批次"
    assert data["rending_yijian"] == "报名人数过少，不具备竞争性，本批次终止"
    assert not {"mianshi_chengji", "nipin_renxuan", "pinyong_jieguo"} & set(data)
    # KF-14: what a next batch starts from — every post unfilled, both competitors free to apply.
    assert data["weitianbu_gangwei"] == POSTS
    assert sorted(p["xingming"] for p in data["piyi_luoxuan"]) == ["王晓东", "赵静"]
    for user in ("lingdaoban", "lingdaozu", "pingwei1", "kaochazu", "danggongwei"):
        assert _inbox(kf, user, iid) == [], user
    listed = kf.get("/api/v1/instances", user="jijian", query_string={"status": "completed"}).json
    assert iid in [i["id"] for i in listed["items"]]


def _to_proposal(api, chae_bili: float = 1.5) -> str:
    """Batch 1 up to 提出拟聘用人选建议: 王晓东 and 刘佳 inspected for 副局长, 刘佳 and 赵静 for
    工作人员 (scores of the main path), every inspection passed."""
    iid, _ = _publish(api, chae_bili=chae_bili)
    for person in (WANG, LIU, ZHAO):
        _register(api, iid, person)
    _close_registration_and_confirm(api, iid)
    _interview(api, iid, JUDGES5, MAIN_SCORES)
    _confirm_scores(api, iid, list(MAIN_SCORES))
    _do(api, "lingdaozu", "确定考察对象", iid, huiyi_yijian="同意按差额比例确定考察对象")
    _inspect_all_four(api, iid)
    return iid


def _nominee(person: dict[str, Any], gangwei: str) -> dict[str, Any]:
    return {
        "shenfenzheng_hao": person["shenfenzheng_hao"],
        "gangwei": gangwei,
        "xingming": person["xingming"],
    }


def test_kf12_leading_group_sends_the_proposal_back_to_the_office(kf, clock):
    """KF-12: the leading group studies the office's proposal; sent back (不同意), it returns to
    the office, not to the party working committee; the revised proposal is studied again and
    only then decided by the committee and publicised."""
    iid = _to_proposal(kf)
    assert _inbox(kf, "lingdaoban", iid) == ["提出拟聘用人选建议"]
    _do(
        kf,
        "lingdaoban",
        "提出拟聘用人选建议",
        iid,
        nipin_renxuan=[_nominee(WANG, FUGUANZHANG)],
        jianyi_shuoming="按总成绩及考察结果提出副局长人选",
    )
    assert _inbox(kf, "lingdaoban", iid) == []
    yijian = "党政办公室工作人员岗位有考察合格人选，未提出建议，退回补充"
    _do(kf, "lingdaozu", "研究拟聘用人选", iid, yanjiu_tongguo=False, yanjiu_yijian=yijian)

    data = _data(kf, iid)
    assert data["yanjiu_tongguo"] is False and data["yanjiu_yijian"] == yijian
    assert "gongshi_neirong" not in data
    assert _inbox(kf, "lingdaoban", iid) == ["提出拟聘用人选建议"]
    assert _inbox(kf, "lingdaozu", iid) == []
    assert _inbox(kf, "danggongwei", iid) == []
    assert "讨论决定拟聘用人选" not in _steps(kf, iid)

    clock.move_to(_now() + timedelta(days=1))
    both = [_nominee(WANG, FUGUANZHANG), _nominee(LIU, GONGZUO)]
    _decide_proposal(kf, iid, both, "补充工作人员岗位人选")

    data = _data(kf, iid)
    assert data["nipin_renxuan"] == both
    assert data["gongshi_neirong"].endswith("王晓东，拟聘投资促进局副局长；刘佳，拟聘党政办公室工作人员")
    assert _inbox(kf, "lingdaoban", iid) == ["登记公示张贴"]
    steps = _steps(kf, iid)
    assert steps.count("提出拟聘用人选建议") == 2 and steps.count("研究拟聘用人选") == 2
    assert [d["yanjiu_tongguo"] for d in _submitted(kf, "lingdaozu", "研究拟聘用人选", iid)] == [False, True]


def test_kf12_party_committee_rejects_the_proposal_and_it_goes_round_again(kf, clock):
    """KF-12, KF-13, KF-14: the party working committee decides; 不同意 sends the proposal back
    to the office and the revised one passes the leading group again before the committee.
    Only the finally decided nominees are publicised and appointed."""
    iid = _to_proposal(kf)
    first = [_nominee(WANG, FUGUANZHANG), _nominee(LIU, GONGZUO)]
    jiyao = "刘佳已被借调区政务服务中心，工作人员岗位改由考察合格的赵静拟聘"
    done = _decide_proposal(kf, iid, first, "按总成绩及考察结果提出", jueding="不同意", huiyi_jiyao=jiyao)
    assert done["status"] == "running"

    data = _data(kf, iid)
    assert data["danggongwei_jueding"] == "不同意" and data["huiyi_jiyao"] == jiyao
    assert "gongshi_neirong" not in data and "gongshi_jieguo" not in data  # no publicity started
    assert _inbox(kf, "lingdaoban", iid) == ["提出拟聘用人选建议"]
    assert _inbox(kf, "lingdaozu", iid) == []
    assert _inbox(kf, "danggongwei", iid) == []

    # an uninspected or failed nominee is still refused (核对拟聘用人选), nothing is saved
    task = _task(kf, "lingdaoban", "提出拟聘用人选建议", iid)
    wrong = [_nominee(WANG, FUGUANZHANG), _nominee(ZHAO, FUGUANZHANG)]
    refused = kf.complete(task["id"], "lingdaoban", nipin_renxuan=wrong, jianyi_shuoming="误报")
    assert "考察合格" in assert_problem(refused, 422)["detail"]
    assert _task(kf, "lingdaoban", "提出拟聘用人选建议", iid)["id"] == task["id"]

    clock.move_to(_now() + timedelta(days=1))
    second = [_nominee(WANG, FUGUANZHANG), _nominee(ZHAO, GONGZUO)]
    _decide_proposal(kf, iid, second, "按党工委会议意见调整", yanjiu_yijian="同意调整后的人选")

    data = _data(kf, iid)
    assert "赵静，拟聘党政办公室工作人员" in data["gongshi_neirong"]
    assert "刘佳" not in data["gongshi_neirong"]
    assert [d["danggongwei_jueding"] for d in _submitted(kf, "danggongwei", "讨论决定拟聘用人选", iid)] == [
        "不同意",
        "同意",
    ]
    kf.post_publicity("lingdaoban", instance_id=iid)  # the new proposal is posted
    clock.move_to(_now() + timedelta(days=25))
    assert _tick(kf) == 1
    done = _appoint(kf, iid, (WANG, ZHAO))
    assert done["status"] == "completed"
    data = _data(kf, iid)
    assert [(p["xingming"], p["gangwei"]) for p in data["pinyong_jieguo"]] == [
        ("王晓东", FUGUANZHANG),
        ("赵静", GONGZUO),
    ]
    assert [p["xingming"] for p in data["piyi_luoxuan"]] == ["刘佳"]
    assert data["weitianbu_gangwei"] == [{"mingcheng": ZHUANZHI, "cengji": 1}]


def test_kf10_leading_group_excludes_a_suggested_inspection_target(kf, clock):
    """KF-10, KF-05: the leading group confirms the inspection targets; the diagram has no
    send-back here, it may only strike a suggested target (资格审查贯穿全过程). The struck
    person is inspected for none of their posts and cannot be proposed."""
    iid, _ = _publish(kf, chae_bili=1.5)
    for person in (WANG, LIU, ZHAO):
        _register(kf, iid, person)
    _close_registration_and_confirm(kf, iid)
    _interview(kf, iid, JUDGES5, MAIN_SCORES)
    _confirm_scores(kf, iid, list(MAIN_SCORES))
    data = _data(kf, iid)
    assert [c["xingming"] for c in data["kaocha_jianyi"][FUGUANZHANG]] == ["王晓东", "刘佳"]
    assert [c["xingming"] for c in data["kaocha_jianyi"][GONGZUO]] == ["刘佳", "赵静"]
    assert _inbox(kf, "kaochazu", iid) == []
    choose = _task(kf, "lingdaozu", "确定考察对象", iid)
    refused = kf.complete(
        choose["id"], "lingdaozu", paichu_renyuan=["210503199011080328"], huiyi_yijian="排除"
    )
    assert refused.status_code == 422 and "不在建议的考察对象中" in refused.json["detail"]
    _do(
        kf,
        "lingdaozu",
        "确定考察对象",
        iid,
        paichu_renyuan=[LIU["shenfenzheng_hao"]],
        huiyi_yijian="刘佳个人有关事项报告漏报，取消其考察对象资格",
    )
    data = _data(kf, iid)
    assert [(t["xingming"], t["gangwei"]) for t in data["kaocha_duixiang"]] == [
        ("王晓东", FUGUANZHANG),
        ("赵静", GONGZUO),
    ]
    assert data["huiyi_yijian"] == "刘佳个人有关事项报告漏报，取消其考察对象资格"
    assert _inbox(kf, "kaochazu", iid) == ["组织考察"]
    assert _inbox(kf, "lingdaozu", iid) == []
    _do(
        kf,
        "kaochazu",
        "组织考察",
        iid,
        kaocha_jieguo=[_inspection_entry(WANG, FUGUANZHANG), _inspection_entry(ZHAO, GONGZUO)],
    )
    task = _task(kf, "lingdaoban", "提出拟聘用人选建议", iid)
    refused = kf.complete(
        task["id"], "lingdaoban", nipin_renxuan=[_nominee(LIU, GONGZUO)], jianyi_shuoming="拟聘刘佳"
    )
    assert "考察合格" in assert_problem(refused, 422)["detail"]


def test_kf12_after_an_upheld_objection_the_new_proposal_is_decided_and_publicised_again(kf, clock):
    """X-04, KF-12, KF-13: an upheld objection sends the proposal back to the office; the new
    proposal passes the leading group and the party working committee again and is publicised
    for a new 5 working days before anyone is appointed; the objected nominee is not."""
    iid = _batch_one_to_publicity(kf, clock)
    _do(
        kf,
        "lingdaoban",
        "受理公示异议",
        iid,
        jubaoren="陈立新",
        lianxi_fangshi="13904141234",
        shishi="反映王晓东报名材料中的工作经历与档案记载不一致",
    )
    _do(
        kf,
        "kaochazu",
        "核查异议",
        iid,
        hecha_jieguo="异议成立",
        hecha_shuoming="经查档案，工作经历填报不实",
        fankui_jubaoren="已电话反馈举报人",
    )
    _decide_objection(kf, iid)
    assert _inbox(kf, "lingdaoban", iid) == ["受理公示异议"]  # the period runs on
    clock.move_to(_now() + timedelta(days=8))
    assert _tick(kf) == 1
    assert _inbox(kf, "lingdaoban", iid) == ["提出拟聘用人选建议"]
    second = [_nominee(LIU, FUGUANZHANG), _nominee(ZHAO, GONGZUO)]
    _decide_proposal(
        kf, iid, second, "王晓东公示异议成立，副局长岗位由考察合格的刘佳递补", yanjiu_yijian="同意递补人选"
    )

    data = _data(kf, iid)
    assert data["gongshi_neirong"].endswith("刘佳，拟聘投资促进局副局长；赵静，拟聘党政办公室工作人员")
    assert "王晓东" not in data["gongshi_neirong"]
    assert _inbox(kf, "lingdaoban", iid) == ["登记公示张贴"]
    kf.post_publicity("lingdaoban", instance_id=iid)
    assert _steps(kf, iid).count("任前公示") == 1  # the first call is done, the second is open
    # the upheld objection of the first publicity stays on record in the task history
    [hecha] = _submitted(kf, "kaochazu", "核查异议", iid)
    assert hecha["hecha_jieguo"] == "异议成立" and hecha["hecha_shuoming"] == "经查档案，工作经历填报不实"

    clock.move_to(_now() + timedelta(days=25))
    assert _tick(kf) == 1
    assert _data(kf, iid)["gongshi_jieguo"] == "无异议"
    done = _appoint(kf, iid, (LIU, ZHAO))
    assert done["status"] == "completed"
    data = _data(kf, iid)
    assert [(p["xingming"], p["gangwei"]) for p in data["pinyong_jieguo"]] == [
        ("刘佳", FUGUANZHANG),
        ("赵静", GONGZUO),
    ]
    assert [p["xingming"] for p in data["piyi_luoxuan"]] == ["王晓东"]
    assert _steps(kf, iid).count("任前公示") == 2


@pytest.mark.live
def test_kf_main_path_on_a_multi_worker_server(kf, clock):
    """Issue 8: the whole first batch over real HTTP against `xuanpin serve` with several worker
    processes, the seven judges' sheets landing on whichever worker accepts them."""
    test_kf_main_path_batch_one_publication_to_appointment(kf, clock)
