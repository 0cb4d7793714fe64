"""奉化国企年度用工计划（processes/fenghua_niandu_jihua.bpmn, FH-01), driven over REST as each
role's user would, time travelled with time_machine and timers fired by the scheduler.

FH-01 (细则第二十八条): each January the enterprise files the year's plan — management/technical
posts, and separately the labour/flexible posts — with 区国资管理中心; management/technical hiring
starts only after approval, the labour plan is filed (备案) only. The plan task opens at 09:00 on
the first working day of January of the plan year and is due 31 January 23:59:59 (Beijing time);
still unfiled then → 区国资管理中心 gets a 督办 task while the plan task stays open.

Every test runs on a pinned clock (2026-12-15 10:00 Beijing time unless it travels further), so
the fixed dates below hold whatever the real date is. The test calendar has official data up to
2026 only: 2027 is provisional (weekdays only). 元旦 is a statutory holiday every year, so the
process counts from 1 January: the first working day of January 2027 is Monday 4 January."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from service.scheduler import TimerScheduler
from service.timeutil import SHANGHAI
from tests.conftest import FORMS, PROCESSES, assert_problem

KEY = "fenghua_niandu_jihua"
QIYE = "宁波市奉化区交通投资发展集团有限公司"
DECEMBER = datetime(2026, 12, 15, 10, 0, tzinfo=SHANGHAI)
FIRST_WORKDAY_2027 = "2027-01-04T09:00:00+08:00"
DUE_2027 = "2027-01-31T23:59:59+08:00"

PLAN = {
    "guanli_jishu_gangwei": [
        {
            "gangwei_mingcheng": "财务会计",
            "renshu": 2,
            "xueli_yaoqiu": "全日制大学本科及以上",
            "zhuanye_yaoqiu": "会计学、财务管理",
        },
        {
            "gangwei_mingcheng": "工程管理",
            "renshu": 1,
            "xueli_yaoqiu": "全日制硕士研究生及以上",
            "zhuanye_yaoqiu": "土木工程",
        },
    ],
    "laowu_liudong_gangwei": [
        {"gangwei_mingcheng": "公交驾驶员", "renshu": 12, "zhaopin_fangshi": "自聘"},
        {"gangwei_mingcheng": "保洁", "renshu": 5, "zhaopin_fangshi": "服务外包"},
    ],
    "jihua_liyou": "新增两条公交线路及城东停车场项目开工，按工作量配置比测算用工需求。",
}


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(DECEMBER, tick=True) as traveller:
        yield traveller


@pytest.fixture()
def jh(api):
    files = [PROCESSES / "fenghua_niandu_jihua.bpmn", *sorted(FORMS.glob("fh_jh_*.schema.json"))]
    response = api.deploy(*files)
    assert response.status_code == 201, response.json
    return api


def _tick(api):
    return TimerScheduler(api.client.application.extensions["xuanpin"]).tick()


def _tasks(api, user, instance_id, **query):
    return api.inbox(user, instance_id=instance_id, **query)


def _task(api, user, title, instance_id):
    found = [t for t in _tasks(api, user, instance_id) if t["title"] == title]
    assert found, (title, [t["title"] for t in _tasks(api, user, instance_id)])
    return found[0]


def _do(api, user, title, instance_id, **data):
    task = _task(api, user, title, instance_id)
    response = api.complete(task["id"], user, **data)
    assert response.status_code == 200, response.json
    return response.json


def _detail(api, instance_id):
    return api.get(f"/api/v1/instances/{instance_id}", user="jijian").json


def _start(api, year=2027, business_key=None):
    response = api.start(
        KEY,
        user="renshi",
        business_key=business_key or f"{QIYE}-{year}",
        jihua_niandu=year,
        qiye_mingcheng=QIYE,
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def _approve(api, instance_id, yijian="同意该年度用工计划，按计划组织招聘。"):
    return _do(api, "guozi", "核准年度用工计划", instance_id, hezhun=True, hezhun_yijian=yijian)


def test_plan_waits_for_january_then_filed_and_approved(jh):
    """FH-01: started in December 2026 for 2027, the plan waits for the first working day of January
    2027 (09:00); the task is due 31 January; filed and approved by 区国资管理中心 → completed with the
    state recorded, the labour/flexible plan only filed (备案)."""
    api = jh
    instance_id = _start(api)
    detail = _detail(api, instance_id)
    assert detail["status"] == "running" and detail["open_tasks"] == []
    assert detail["data"]["jihua_kaishi"] == FIRST_WORKDAY_2027
    assert detail["data"]["jihua_zhuangtai"] == "待报送"
    [timer] = detail["timers"]
    assert timer["title"] == "等待1月首个工作日" and timer["due_at"] == FIRST_WORKDAY_2027

    # 1 January 2027 (元旦) and the weekend are not working days: nothing opens before Monday 4th 09:00.
    with time_machine.travel(datetime(2027, 1, 4, 8, 59, 0, tzinfo=SHANGHAI)):
        assert _tick(api) == 0
        assert _tasks(api, "renshi", instance_id) == []
    with time_machine.travel(datetime(2027, 1, 4, 9, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
        task = _task(api, "renshi", "报送年度用工计划", instance_id)
        assert task["due_at"] == DUE_2027 and task["overdue"] is False
        assert task["role"] == "企业人事" and task["form_key"] == "fh_jh_baosong"
        timers = _detail(api, instance_id)["timers"]
        assert [(t["title"], t["due_at"]) for t in timers] == [("1月底未报送", DUE_2027)]

    with time_machine.travel(datetime(2027, 1, 12, 10, 0, tzinfo=SHANGHAI)):
        _do(api, "renshi", "报送年度用工计划", instance_id, **PLAN)
        hezhun = _task(api, "guozi", "核准年度用工计划", instance_id)
        data = api.get(f"/api/v1/tasks/{hezhun['id']}", user="guozi").json["data"]
        assert data["jihua_zhuangtai"] == "待核准"
        assert data["laowu_jihua_zhuangtai"] == "已备案" and data["laowu_beian_riqi"] == "2027-01-12"
        assert data["guanli_renshu_heji"] == 3 and data["laowu_renshu_heji"] == 17
        assert _detail(api, instance_id)["timers"] == []  # filed in time: no escalation pending

    with time_machine.travel(datetime(2027, 1, 15, 15, 0, tzinfo=SHANGHAI)):
        result = _approve(api, instance_id)
    assert result["status"] == "completed" and result["open_tasks"] == []
    detail = _detail(api, instance_id)
    assert detail["status"] == "completed" and detail["timers"] == []
    assert detail["data"]["jihua_zhuangtai"] == "已核准"
    assert detail["data"]["hezhun_riqi"] == "2027-01-15"
    assert detail["data"]["baosong_cishu"] == 1
    assert detail["data"]["guanli_jishu_gangwei"] == PLAN["guanli_jishu_gangwei"]
    assert [s["title"] for s in detail["completed_steps"]][-1] == "计划已核准"
    assert _tasks(api, "guozi", instance_id) == []


def test_first_workday_follows_official_calendar(jh):
    """FH-01 on an official year: 1–3 January 2026 are 元旦 holidays and Sunday 4 January 2026 is a
    make-up working day (调休), so the 2026 plan opens on Sunday 4 January at 09:00."""
    api = jh
    with time_machine.travel(datetime(2025, 12, 20, 10, 0, tzinfo=SHANGHAI)):
        instance_id = _start(api, year=2026)
        detail = _detail(api, instance_id)
    assert detail["data"]["jihua_kaishi"] == "2026-01-04T09:00:00+08:00"
    assert [t["due_at"] for t in detail["timers"]] == ["2026-01-04T09:00:00+08:00"]
    with time_machine.travel(datetime(2026, 1, 4, 9, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
        task = _task(api, "renshi", "报送年度用工计划", instance_id)
    assert task["due_at"] == "2026-01-31T23:59:59+08:00" and task["due_provisional"] is False


def test_unfiled_plan_escalates_after_january(jh):
    """FH-01 overdue: started in January (no wait), still unfiled at 2027-02-01 00:00:01 → the
    non-interrupting boundary timer opens 督办年度用工计划 for 区国资管理中心; the plan task stays open,
    is flagged overdue, and can still be filed and approved."""
    api = jh
    with time_machine.travel(datetime(2027, 1, 6, 10, 0, tzinfo=SHANGHAI)):
        instance_id = _start(api)
        task = _task(api, "renshi", "报送年度用工计划", instance_id)  # already January: straight on
        assert task["due_at"] == DUE_2027
        assert _detail(api, instance_id)["data"]["jihua_kaishi"] == FIRST_WORKDAY_2027
    with time_machine.travel(datetime(2027, 1, 31, 23, 59, 0, tzinfo=SHANGHAI)):
        assert _tick(api) == 0
        assert _tasks(api, "renshi", instance_id, overdue="true") == []
        assert _tasks(api, "guozi", instance_id) == []
    with time_machine.travel(datetime(2027, 2, 1, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
        [late] = _tasks(api, "renshi", instance_id, overdue="true")
        assert late["title"] == "报送年度用工计划" and late["overdue"] is True and late["id"] == task["id"]
        duban = _task(api, "guozi", "督办年度用工计划", instance_id)
        assert duban["role"] == "区国资管理中心"
        duban_data = api.get(f"/api/v1/tasks/{duban['id']}", user="guozi").json["data"]
        assert duban_data["jihua_yuqi"] is True and duban_data["qiye_mingcheng"] == QIYE
    with time_machine.travel(datetime(2027, 2, 1, 9, 30, tzinfo=SHANGHAI)):
        bad = api.complete(duban["id"], "guozi", duban_yijian="已电话督促", duban_riqi="2027-02-30")
        assert "duban_riqi" in assert_problem(bad, 422)["errors"]
        _do(
            api,
            "guozi",
            "督办年度用工计划",
            instance_id,
            duban_yijian="已电话督促企业于2月5日前报送年度用工计划",
            duban_riqi="2027-02-01",
        )
    with time_machine.travel(datetime(2027, 2, 3, 10, 0, tzinfo=SHANGHAI)):
        _do(api, "renshi", "报送年度用工计划", instance_id, **PLAN)
        _approve(api, instance_id)
        assert _tick(api) == 0
    detail = _detail(api, instance_id)
    assert detail["status"] == "completed" and detail["data"]["jihua_zhuangtai"] == "已核准"
    assert detail["data"]["hezhun_riqi"] == "2027-02-03"


def test_late_escalation_does_not_write_back_a_stale_plan(jh):
    """Issue 8: a 督办 completed after the plan was filed and approved records its own opinion
    and nothing else; the approved plan does not go back to 待报送."""
    api = jh
    with time_machine.travel(datetime(2027, 1, 6, 10, 0, tzinfo=SHANGHAI)):
        instance_id = _start(api)
    with time_machine.travel(datetime(2027, 2, 1, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
        duban = _task(api, "guozi", "督办年度用工计划", instance_id)
    with time_machine.travel(datetime(2027, 2, 3, 10, 0, tzinfo=SHANGHAI)):
        _do(api, "renshi", "报送年度用工计划", instance_id, **PLAN)
        _approve(api, instance_id)
        assert _detail(api, instance_id)["data"]["jihua_zhuangtai"] == "已核准"
        response = api.complete(
            duban["id"], "guozi", duban_yijian="企业已于2月3日报送，督办结束", duban_riqi="2027-02-03"
        )
        assert response.status_code == 200, response.json
    detail = _detail(api, instance_id)
    assert detail["status"] == "completed"
    assert detail["data"]["jihua_zhuangtai"] == "已核准" and detail["data"]["hezhun_riqi"] == "2027-02-03"
    assert detail["data"]["duban_yijian"] == "企业已于2月3日报送，督办结束"


def test_not_approved_goes_back_with_opinion(jh):
    """FH-01: not approved → back to 企业人事 with 区国资管理中心's opinion visible; revised,
    resubmitted and approved. A revision running past 31 January is overdue but, having been filed
    once, is not escalated again."""
    api = jh
    with time_machine.travel(datetime(2027, 1, 6, 10, 0, tzinfo=SHANGHAI)):
        instance_id = _start(api)
        _do(api, "renshi", "报送年度用工计划", instance_id, **PLAN)
    yijian = "工程管理岗超出核定编制，请核减后重新报送。"
    with time_machine.travel(datetime(2027, 1, 29, 16, 0, tzinfo=SHANGHAI)):
        _do(api, "guozi", "核准年度用工计划", instance_id, hezhun=False, hezhun_yijian=yijian)
        back = _task(api, "renshi", "报送年度用工计划", instance_id)
        assert back["due_at"] == DUE_2027
        data = api.get(f"/api/v1/tasks/{back['id']}", user="renshi").json["data"]
        assert data["hezhun"] is False and data["hezhun_yijian"] == yijian
        assert data["jihua_zhuangtai"] == "退回修改"
        assert data["tuihui_jilu"] == [
            {"baosong_cishu": 1, "tuihui_riqi": "2027-01-29", "hezhun_yijian": yijian}
        ]
        assert data["guanli_jishu_gangwei"] == PLAN["guanli_jishu_gangwei"]  # the filed plan, to revise
        assert data["laowu_jihua_zhuangtai"] == "已备案"  # the labour plan stays filed
    with time_machine.travel(datetime(2027, 2, 1, 0, 0, 1, tzinfo=SHANGHAI)):
        assert _tick(api) == 1
        assert [t["title"] for t in _tasks(api, "renshi", instance_id, overdue="true")] == [
            "报送年度用工计划"
        ]
        assert _tasks(api, "guozi", instance_id) == []  # filed once already: no 督办
    revised = {**PLAN, "guanli_jishu_gangwei": PLAN["guanli_jishu_gangwei"][:1]}
    with time_machine.travel(datetime(2027, 2, 2, 10, 0, tzinfo=SHANGHAI)):
        _do(api, "renshi", "报送年度用工计划", instance_id, **revised)
        result = _approve(api, instance_id)
    assert result["status"] == "completed"
    data = _detail(api, instance_id)["data"]
    assert data["jihua_zhuangtai"] == "已核准" and data["hezhun_riqi"] == "2027-02-02"
    assert data["baosong_cishu"] == 2 and data["guanli_renshu_heji"] == 2
    assert data["guanli_jishu_gangwei"] == revised["guanli_jishu_gangwei"]


def test_plan_form_is_validated(jh):
    """FH-01: the plan needs at least one management/technical post with a positive head count and a
    known education requirement; labour posts name one of the article 28 employment forms."""
    api = jh
    with time_machine.travel(datetime(2027, 1, 6, 10, 0, tzinfo=SHANGHAI)):
        instance_id = _start(api)
        task = _task(api, "renshi", "报送年度用工计划", instance_id)
        bad = {
            "guanli_jishu_gangwei": [
                {
                    "gangwei_mingcheng": "财务会计",
                    "renshu": 0,
                    "xueli_yaoqiu": "本科",
                    "zhuanye_yaoqiu": "会计",
                }
            ],
            "laowu_liudong_gangwei": [
                {"gangwei_mingcheng": "保安", "renshu": 3, "zhaopin_fangshi": "临时工"}
            ],
            "jihua_liyou": "太短",
            "jihua_niandu": 2030,
        }
        errors = assert_problem(api.complete(task["id"], "renshi", **bad), 422)["errors"]
        assert {
            "guanli_jishu_gangwei.0.renshu",
            "guanli_jishu_gangwei.0.xueli_yaoqiu",
            "laowu_liudong_gangwei.0.zhaopin_fangshi",
            "jihua_liyou",
        } <= set(errors)
        empty = {**PLAN, "guanli_jishu_gangwei": []}
        assert (
            "guanli_jishu_gangwei"
            in assert_problem(api.complete(task["id"], "renshi", **empty), 422)["errors"]
        )
        # No labour/flexible posts this year is a valid plan.
        _do(api, "renshi", "报送年度用工计划", instance_id, **{**PLAN, "laowu_liudong_gangwei": []})
        hezhun = _task(api, "guozi", "核准年度用工计划", instance_id)
        data = api.get(f"/api/v1/tasks/{hezhun['id']}", user="guozi").json["data"]
        assert data["laowu_jihua_zhuangtai"] == "本年度无劳务流动岗计划" and data["jihua_niandu"] == 2027


@pytest.mark.parametrize("user", ["jituan", "guozi", "outsider"])
def test_only_enterprise_hr_can_start(jh, user):
    """FH-01: the enterprise files its own plan — only 企业人事 may start it (403 for others)."""
    api = jh
    response = api.start(KEY, user=user, jihua_niandu=2027, qiye_mingcheng=QIYE)
    assert "企业人事" in assert_problem(response, 403)["detail"]
    assert api.get("/api/v1/instances", user="admin", query_string={"definition_key": KEY}).json["total"] == 0


@pytest.mark.parametrize(
    "data",
    [
        {"jihua_niandu": 2019, "qiye_mingcheng": QIYE},
        {"jihua_niandu": "2027", "qiye_mingcheng": QIYE},
        {"jihua_niandu": 2029, "qiye_mingcheng": QIYE},  # neither this year nor next
        {"jihua_niandu": 2025, "qiye_mingcheng": QIYE},  # a past year
        {"jihua_niandu": 2027, "qiye_mingcheng": " "},
        {"jihua_niandu": 2027},
    ],
)
def test_start_data_is_checked(jh, data):
    """FH-01: one instance per enterprise and plan year — the year must be this or next year (an
    integer between 2020 and 2100) and the enterprise named."""
    response = jh.start(KEY, user="renshi", **data)
    assert "流程无法启动" in assert_problem(response, 422)["detail"]


def test_one_running_plan_per_enterprise_and_year(jh):
    """FH-01: the business key 企业名称-年度 keeps a second running plan of the same year out."""
    api = jh
    _start(api)
    again = api.start(
        KEY, user="renshi2", business_key=f"{QIYE}-2027", jihua_niandu=2027, qiye_mingcheng=QIYE
    )
    assert_problem(again, 409)
