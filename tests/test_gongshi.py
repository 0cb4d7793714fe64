"""The shared publicity subprocess 「公示」 (processes/gongshi.bpmn), called from a tiny caller
that appoints (「任职」) only when the publicity passed: the period is counted from the posting
date the clerk enters, several real-name objections can be open at once, each is investigated
(with a deadline and an overdue flag) and decided by the deciding body, and the publicity is
settled only after the period ends with every objection decided (X-04, JB-16, KF-13, SS-07, JB-06)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from service.scheduler import TimerScheduler
from service.timeutil import SHANGHAI
from tests.conftest import FIXTURES, FORMS, PROCESSES, assert_problem

CALLER = "ceshi_renqian_gongshi"
START = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)  # Monday before National Day
# 5 working days not counting 9/28: 9/29, 9/30, 10/8, 10/9 and Saturday 10/10 (调休上班).
FIVE_WORKDAYS_END = "2026-10-10T23:59:59+08:00"
JUST_BEFORE_END = datetime(2026, 10, 10, 23, 59, 0, tzinfo=SHANGHAI)
JUST_AFTER_END = datetime(2026, 10, 11, 0, 0, 1, tzinfo=SHANGHAI)

YIYI = {
    "jubaoren": "李明",
    "lianxi_fangshi": "13805740000",
    "shishi": "拟任人选在原单位任职期间存在违规兼职取酬的问题，附有相关工资条。",
}


@pytest.fixture()
def gongshi(api):
    files = [
        PROCESSES / "gongshi.bpmn",
        *sorted(FORMS.glob("gongshi_*.schema.json")),
        FIXTURES / "gongshi_caller.bpmn",
    ]
    response = api.deploy(*files)
    assert response.status_code == 201, response.json
    # Load the working-day calendar now: the first read hits the database inside the script's
    # 0.5 s budget (see report: helper time counts against the sandbox limit).
    api.client.application.extensions["xuanpin"].calendar.get()
    return api


def _start(api, tianshu=5, gongzuori=True):
    with time_machine.travel(START):
        response = api.start(
            CALLER,
            user="dangwei",
            nirenxuan="张三",
            gongshi_tianshu=tianshu,
            gongshi_gongzuori=gongzuori,
            gongshi_shouli_juese="工作组",
            gongshi_hecha_juese="党工部",
            gongshi_jueding_juese="党委",
        )
    assert response.status_code == 201, response.json
    return response.json


def _posted(api, tianshu=5, gongzuori=True, riqi="2026-09-28"):
    """Started on 9/28 and the notice registered as posted on `riqi` (X-04)."""
    instance = _start(api, tianshu, gongzuori)
    with time_machine.travel(START):
        api.post_publicity("gongzuozu", riqi)
    return instance


def _detail(api, instance_id):
    return api.get(f"/api/v1/instances/{instance_id}").json


def _tick(api, moment) -> int:
    with time_machine.travel(moment):
        return TimerScheduler(api.client.application.extensions["xuanpin"]).tick()


def _only(api, user, title):
    [task] = api.inbox(user)
    assert task["title"] == title, task
    return task


def _complete(api, task, user, **data):
    response = api.complete(task["id"], user, **data)
    assert response.status_code == 200, response.json
    return response.json


FINDING = {
    "hecha_shuoming": "经核查工资发放记录，兼职已按规定报批，未取酬。",
    "fankui_jubaoren": "2026-09-30 电话告知举报人核查结果",
}


def _investigate(api, moment, jieguo="异议不成立", task=None):
    with time_machine.travel(moment):
        task = task or _only(api, "danggongbu", "核查异议")
        return _complete(api, task, "danggongbu", hecha_jieguo=jieguo, **FINDING)


def _decide(api, moment, jueding="异议不成立", task=None):
    with time_machine.travel(moment):
        task = task or _only(api, "dangwei", "决定异议处理")
        return _complete(
            api, task, "dangwei", yiyi_jueding=jueding, yiyi_jueding_shuoming="党委会议研究决定。"
        )


def test_no_objection_ends_five_working_days_after_posting(gongshi):
    """KF-13, SS-07, JB-16, X-04: the clerk registers the posting on 9/28; 5 working days from
    it end at 23:59:59 of Saturday 10/10; only then does the caller reach 任职, 「无异议」."""
    api = gongshi
    instance = _start(api)
    zhangtie = _only(api, "gongzuozu", "登记公示张贴")
    assert (zhangtie["role"], zhangtie["form_key"]) == ("工作组", "gongshi_zhangtie")
    assert _detail(api, instance["id"])["timers"] == []  # nothing runs before the posting
    with time_machine.travel(START):
        api.post_publicity("gongzuozu", "2026-09-28")
    detail = _detail(api, instance["id"])
    [timer] = detail["timers"]
    assert (timer["title"], timer["due_at"], timer["provisional"]) == ("公示期满", FIVE_WORKDAYS_END, False)
    task = _only(api, "gongzuozu", "受理公示异议")
    assert (task["role"], task["form_key"], task["due_at"]) == (
        "工作组",
        "gongshi_yiyi_dengji",
        FIVE_WORKDAYS_END,
    )

    assert _tick(api, JUST_BEFORE_END) == 0
    assert api.inbox("dangwei") == []
    assert _tick(api, JUST_AFTER_END) == 1
    _only(api, "dangwei", "任职")
    assert api.inbox("gongzuozu") == []
    data = _detail(api, instance["id"])["data"]
    assert (data["gongshi_jieguo"], data["gongshi_yiyi"], data["gongshi_yiyi_jilu"]) == ("无异议", [], {})
    assert (data["gongshi_zhangtie_riqi"], data["gongshi_kaiqi_riqi"]) == ("2026-09-28", "2026-09-28")
    assert data["gongshi_jiezhi"] == FIVE_WORKDAYS_END
    [jilu] = data["gongshi_lishi"]
    assert (jilu["gongshi_kaiqi_riqi"], jilu["gongshi_jiezhi"], jilu["gongshi_jieguo"]) == (
        "2026-09-28",
        FIVE_WORKDAYS_END,
        "无异议",
    )
    assert not {"yiyi_bianhao", "hecha_jiezhi", "gongshi_dengji_kaishi"} & set(data)


def test_period_counts_from_the_posting_date_not_today(gongshi):
    """X-04, JB-16, KF-13: the notice posted on 9/29 (registered that day): the period is counted
    from 9/29 on the working-day calendar: 9/30, 10/8, 10/9, Saturday 10/10 (调休), 10/12."""
    api = gongshi
    instance = _start(api)
    with time_machine.travel(datetime(2026, 9, 29, 17, 0, tzinfo=SHANGHAI)):
        api.post_publicity("gongzuozu", "2026-09-29")
    [timer] = _detail(api, instance["id"])["timers"]
    assert timer["due_at"] == "2026-10-12T23:59:59+08:00"
    assert _tick(api, JUST_AFTER_END) == 0
    assert _tick(api, datetime(2026, 10, 13, 0, 0, 1, tzinfo=SHANGHAI)) == 1
    data = _detail(api, instance["id"])["data"]
    assert (data["gongshi_kaiqi_riqi"], data["gongshi_jiezhi"]) == ("2026-09-29", "2026-10-12T23:59:59+08:00")


def test_posting_date_in_the_future_or_before_the_decision_is_refused(gongshi):
    """X-04, JB-16: a posting date after today (margin 0, the diagram's setting) or before the
    decision being publicised is refused as problem+json on the field; the step stays open."""
    api = gongshi
    instance = _start(api)
    task = _only(api, "gongzuozu", "登记公示张贴")
    with time_machine.travel(START):
        future = api.complete(task["id"], "gongzuozu", gongshi_zhangtie_riqi="2026-09-29")
        body = assert_problem(future, 422)
        assert "gongshi_zhangtie_riqi" in body["errors"] and "尚未到来" in body["detail"]
        early = assert_problem(api.complete(task["id"], "gongzuozu", gongshi_zhangtie_riqi="2026-09-27"), 422)
        assert "早于" in early["errors"]["gongshi_zhangtie_riqi"][0]
    assert _only(api, "gongzuozu", "登记公示张贴")["id"] == task["id"]
    assert _detail(api, instance["id"])["timers"] == []


def test_two_objections_at_once_each_investigated_and_decided(gongshi):
    """X-04, JB-16: a second objection can be registered while the first is investigated; each is
    kept in gongshi_yiyi_jilu by its id, investigated by 党工部 and decided by 党委 (the deciding
    body); both unfounded → the period runs to its end and the result is 「异议不成立」."""
    api = gongshi
    instance = _posted(api)
    with time_machine.travel(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)):
        done = _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", **YIYI)
        assert sorted(t["title"] for t in done["open_tasks"]) == ["受理公示异议", "核查异议"]
        second = {**YIYI, "jubaoren": "王芳", "shishi": "拟任人选的学历证书与档案记载的毕业时间不一致。"}
        _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", **second)
    hecha = api.inbox("danggongbu")
    assert [t["title"] for t in hecha] == ["核查异议", "核查异议"]
    # 10 working days after 9/29: 9/30, 10/8–10/10, 10/12–10/16, 10/19.
    assert {t["due_at"] for t in hecha} == {"2026-10-19T23:59:59+08:00"}
    for task in hecha:
        _investigate(api, datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), task=task)
    decisions = api.inbox("dangwei")
    assert [t["title"] for t in decisions] == ["决定异议处理", "决定异议处理"]
    for task in decisions:
        _decide(api, datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI), task=task)
    assert _only(api, "gongzuozu", "受理公示异议")
    assert _tick(api, JUST_AFTER_END) == 1
    _only(api, "dangwei", "任职")
    data = _detail(api, instance["id"])["data"]
    assert data["gongshi_jieguo"] == "异议不成立"
    assert sorted(data["gongshi_yiyi_jilu"]) == ["YY-001", "YY-002"]
    assert [
        (y["yiyi_bianhao"], y["jubaoren"], y["hecha_jieguo"], y["yiyi_jueding"], y["hecha_yuqi"])
        for y in data["gongshi_yiyi"]
    ] == [
        ("YY-001", "李明", "异议不成立", "异议不成立", False),
        ("YY-002", "王芳", "异议不成立", "异议不成立", False),
    ]
    assert data["gongshi_yiyi"][0]["fankui_jubaoren"] == FINDING["fankui_jubaoren"]
    working = {"jubaoren", "shishi", "hecha_jieguo", "yiyi_jueding", "yiyi_bianhao", "hecha_jiezhi"}
    assert not working & set(data)


def test_decision_belongs_to_the_deciding_body_not_the_investigator(gongshi):
    """JB-16, X-01: the investigator (党工部) reports a finding but cannot decide; the observer
    纪检监督 works no task; only 党委 (gongshi_jueding_juese) decides."""
    api = gongshi
    _posted(api)
    with time_machine.travel(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)):
        _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", **YIYI)
    assert_problem(
        api.complete(
            _only(api, "danggongbu", "核查异议")["id"], "jijian", hecha_jieguo="异议成立", **FINDING
        ),
        403,
    )
    _investigate(api, datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), jieguo="异议成立")
    [task] = [t for t in api.inbox("dangwei") if t["title"] == "决定异议处理"]
    assert task["role"] == "党委"
    assert "决定异议处理" not in [t["title"] for t in api.inbox("danggongbu")]
    # The investigator does not even see the decision; the observer sees it but cannot work it.
    for user, status in (("danggongbu", 404), ("jijian", 403)):
        refused = api.complete(
            task["id"], user, yiyi_jueding="异议不成立", yiyi_jueding_shuoming="核查人员自行决定"
        )
        assert_problem(refused, status)
    _decide(api, datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI), jueding="异议成立", task=task)


def test_sustained_objection_settles_only_after_the_period(gongshi):
    """X-04, JB-16: an objection the deciding body sustains on 9/30 fails the publicity, but the
    period still runs (other objections may come) and the result is settled when it ends."""
    api = gongshi
    instance = _posted(api)
    with time_machine.travel(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)):
        _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", **YIYI)
    _investigate(api, datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), jieguo="异议成立")
    done = _decide(api, datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI), jueding="异议成立")
    assert done["status"] == "running"
    assert _only(api, "gongzuozu", "受理公示异议")
    assert "gongshi_jieguo" not in _detail(api, instance["id"])["data"]
    assert _tick(api, JUST_AFTER_END) == 1
    detail = _detail(api, instance["id"])
    assert (detail["status"], detail["data"]["gongshi_jieguo"]) == ("completed", "异议成立")
    assert "任职" not in [s["title"] for s in detail["completed_steps"]]
    [jilu] = detail["data"]["gongshi_lishi"]
    assert (jilu["gongshi_jieguo"], jilu["gongshi_yiyi"]) == ("异议成立", detail["data"]["gongshi_yiyi"])


def test_investigation_overdue_flag_and_open_objection_holds_the_appointment(gongshi):
    """X-04, JB-16: an investigation not done within hecha_gongzuori (10) working days is flagged
    overdue at its deadline, in the inbox and in the record (hecha_yuqi stays true); the period's
    end waits for the decision, and only then does the caller reach 任职."""
    api = gongshi
    instance = _posted(api)
    with time_machine.travel(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)):
        _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", **YIYI)
    assert _tick(api, JUST_AFTER_END) == 1  # the period ends; the objection is still open
    assert api.inbox("dangwei") == [] and api.inbox("gongzuozu") == []
    with time_machine.travel(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)):
        [task] = api.inbox("danggongbu")
    assert (task["due_at"], task["overdue"]) == ("2026-10-19T23:59:59+08:00", False)
    assert _tick(api, datetime(2026, 10, 19, 23, 59, 0, tzinfo=SHANGHAI)) == 0
    assert _tick(api, datetime(2026, 10, 20, 0, 0, 1, tzinfo=SHANGHAI)) == 1
    with time_machine.travel(datetime(2026, 10, 20, 9, 0, tzinfo=SHANGHAI)):
        [task] = api.inbox("danggongbu")
        assert task["overdue"] is True
    _investigate(api, datetime(2026, 10, 21, 9, 0, tzinfo=SHANGHAI), task=task)
    assert _detail(api, instance["id"])["status"] == "running"
    done = _decide(api, datetime(2026, 10, 22, 9, 0, tzinfo=SHANGHAI))
    assert [t["title"] for t in done["open_tasks"]] == ["任职"]
    data = _detail(api, instance["id"])["data"]
    assert data["gongshi_jieguo"] == "异议不成立"
    [yiyi] = data["gongshi_yiyi"]
    assert (yiyi["hecha_yuqi"], yiyi["hecha_jiezhi"]) == (True, "2026-10-19T23:59:59+08:00")


def test_anonymous_objection_is_refused_per_field(gongshi):
    """X-04: objections must be real-name and state facts; a form without the reporter (or with
    too short facts) is refused with an error per field and the task stays open."""
    api = gongshi
    instance = _posted(api)
    task = _only(api, "gongzuozu", "受理公示异议")
    body = assert_problem(api.complete(task["id"], "gongzuozu", shishi="有问题"), 422)
    assert set(body["errors"]) == {"jubaoren", "lianxi_fangshi", "shishi"}
    short_name = api.complete(task["id"], "gongzuozu", **{**YIYI, "jubaoren": "李"})
    assert set(assert_problem(short_name, 422)["errors"]) == {"jubaoren"}
    assert _only(api, "gongzuozu", "受理公示异议")["id"] == task["id"]
    assert [t["title"] for t in _detail(api, instance["id"])["open_tasks"]] == ["受理公示异议"]


def test_calendar_day_publicity(gongshi):
    """JB-06: the list is publicised for 3 (calendar) days: from 9/28 to 23:59:59 on 10/1,
    holidays included."""
    api = gongshi
    instance = _posted(api, tianshu=3, gongzuori=False)
    [timer] = _detail(api, instance["id"])["timers"]
    assert timer["due_at"] == "2026-10-01T23:59:59+08:00"
    assert _tick(api, datetime(2026, 10, 1, 23, 59, 0, tzinfo=SHANGHAI)) == 0
    assert _tick(api, datetime(2026, 10, 2, 0, 0, 1, tzinfo=SHANGHAI)) == 1
    _only(api, "dangwei", "任职")
    assert _detail(api, instance["id"])["data"]["gongshi_jieguo"] == "无异议"


def test_period_of_zero_days_is_refused(gongshi):
    """A publicity must last at least one day; the caller is told which step refused it."""
    with time_machine.travel(START):
        response = gongshi.start(
            CALLER,
            user="dangwei",
            nirenxuan="张三",
            gongshi_tianshu=0,
            gongshi_gongzuori=True,
            gongshi_shouli_juese="工作组",
            gongshi_hecha_juese="党工部",
            gongshi_jueding_juese="党委",
        )
    body = assert_problem(response, 422)
    assert "准备公示" in body["detail"]


def test_calendar_change_moves_the_deadline(gongshi):
    """KF-13, SS-07: the period follows the working-day calendar; when a day inside it becomes a
    holiday the deadline (timer and the clerk's due date) moves one working day later."""
    api = gongshi
    instance = _posted(api)
    with time_machine.travel(datetime(2026, 9, 29, 9, 0, tzinfo=SHANGHAI)):
        changed = api.put("/api/v1/calendar/days/2026-09-30", json={"type": "holiday", "note": "临时调整"})
    assert changed.status_code == 200, changed.json
    [timer] = _detail(api, instance["id"])["timers"]
    assert timer["due_at"] == "2026-10-12T23:59:59+08:00"
    assert _only(api, "gongzuozu", "受理公示异议")["due_at"] == "2026-10-12T23:59:59+08:00"
    assert _tick(api, JUST_AFTER_END) == 0
    assert _tick(api, datetime(2026, 10, 13, 0, 0, 1, tzinfo=SHANGHAI)) == 1
    _only(api, "dangwei", "任职")
    assert _detail(api, instance["id"])["data"]["gongshi_jiezhi"] == "2026-10-12T23:59:59+08:00"
