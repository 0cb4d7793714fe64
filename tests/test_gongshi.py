"""The shared publicity subprocess 「公示」 (processes/gongshi.bpmn), called from a tiny caller
that appoints (「任职」) only when the publicity passed: the period runs to its end whatever
the clerk confirms, real-name objections are investigated and fed back to the reporter, and an
open investigation holds the appointment (X-04, JB-16, KF-13, SS-07, JB-06)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from service.scheduler import TimerScheduler
from service.timeutil import SHANGHAI
from tests import bpmn
from tests.conftest import FIXTURES, FORMS, PROCESSES, assert_problem

CALLER = "ceshi_renqian_gongshi"
START = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)  # Monday before National Day
# 5 working days not counting 9/28: 9/29, 9/30, 10/8, 10/9 and Saturday 10/10 (调休上班).
FIVE_WORKDAYS_END = "2026-10-10T23:59:59+08:00"
JUST_BEFORE_END = datetime(2026, 10, 10, 23, 59, 0, tzinfo=SHANGHAI)
JUST_AFTER_END = datetime(2026, 10, 11, 0, 0, 1, tzinfo=SHANGHAI)

YIYI = {
    "you_yiyi": True,
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
        )
    assert response.status_code == 201, response.json
    return response.json


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


def test_no_objection_ends_after_five_working_days(gongshi):
    """KF-13, SS-07, JB-16: 5 working days from 9/28 end at 23:59:59 of Saturday 10/10;
    only then does the caller reach 任职, with 公示结果「无异议」."""
    api = gongshi
    instance = _start(api)
    detail = _detail(api, instance["id"])
    [timer] = detail["timers"]
    assert (timer["title"], timer["due_at"], timer["provisional"]) == ("公示期满", FIVE_WORKDAYS_END, False)
    task = _only(api, "gongzuozu", "受理公示异议")
    assert (task["role"], task["form_key"], task["due_at"]) == (
        "工作组",
        "gongshi_yiyi_dengji",
        FIVE_WORKDAYS_END,
    )
    assert detail["data"]["gongshi_neirong"] == "拟任人选：张三"

    assert _tick(api, JUST_BEFORE_END) == 0
    assert api.inbox("dangwei") == []
    assert _tick(api, JUST_AFTER_END) == 1
    _only(api, "dangwei", "任职")
    assert api.inbox("gongzuozu") == []
    data = _detail(api, instance["id"])["data"]
    assert (data["gongshi_jieguo"], data["gongshi_yiyi"]) == ("无异议", [])
    assert data["gongshi_jiezhi"] == FIVE_WORKDAYS_END
    assert data["gongshi_lishi"] == [
        {
            "gongshi_neirong": "拟任人选：张三",
            "gongshi_kaishi": "2026-09-28",
            "gongshi_jiezhi": FIVE_WORKDAYS_END,
            "gongshi_tianshu": 5,
            "gongshi_gongzuori": True,
            "gongshi_jieguo": "无异议",
            "gongshi_yiyi": [],
        }
    ]


def test_clerk_confirming_no_objection_does_not_end_the_period_early(gongshi):
    """X-04: "无异议" before the deadline only records that nothing was received yet; the
    period stays open to objections with the same deadline until it expires."""
    api = gongshi
    instance = _start(api)
    for _ in range(2):
        task = _only(api, "gongzuozu", "受理公示异议")
        with time_machine.travel(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)):
            done = _complete(api, task, "gongzuozu", you_yiyi=False)
        assert done["status"] == "running"
        [again] = done["open_tasks"]
        assert (again["title"], again["due_at"]) == ("受理公示异议", FIVE_WORKDAYS_END)
        assert again["id"] != task["id"]
        assert api.inbox("dangwei") == []
    [timer] = _detail(api, instance["id"])["timers"]
    assert timer["due_at"] == FIVE_WORKDAYS_END

    # Still open to a real-name objection after the clerk's confirmations.
    task = _only(api, "gongzuozu", "受理公示异议")
    with time_machine.travel(datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)):
        done = _complete(api, task, "gongzuozu", **YIYI)
    assert [t["title"] for t in done["open_tasks"]] == ["核查异议"]


def test_unfounded_objection_runs_to_the_deadline(gongshi):
    """X-04, JB-16: a real-name objection is investigated by 党工部, the result and the
    feedback to the reporter are recorded, and the period then runs on to its deadline:
    公示结果「异议不成立」."""
    api = gongshi
    instance = _start(api)
    task = _only(api, "gongzuozu", "受理公示异议")
    with time_machine.travel(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)):
        done = _complete(api, task, "gongzuozu", **YIYI)
    [hecha] = done["open_tasks"]
    assert (hecha["title"], hecha["role"], hecha["form_key"]) == (
        "核查异议",
        "党工部",
        "gongshi_yiyi_hecha",
    )
    assert _detail(api, instance["id"])["timers"] == []  # nothing can end the period meanwhile
    assert api.inbox("gongzuozu") == []

    with time_machine.travel(datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)):
        done = _complete(
            api,
            _only(api, "danggongbu", "核查异议"),
            "danggongbu",
            hecha_jieguo="异议不成立",
            hecha_shuoming="经核查工资发放记录，兼职已按规定报批，未取酬。",
            fankui_jubaoren="2026-09-30 电话告知举报人核查结果",
        )
    [shouli] = done["open_tasks"]
    assert (shouli["title"], shouli["due_at"]) == ("受理公示异议", FIVE_WORKDAYS_END)
    [timer] = _detail(api, instance["id"])["timers"]
    assert timer["due_at"] == FIVE_WORKDAYS_END
    assert api.inbox("dangwei") == []

    assert _tick(api, JUST_BEFORE_END) == 0
    assert _tick(api, JUST_AFTER_END) == 1
    _only(api, "dangwei", "任职")
    data = _detail(api, instance["id"])["data"]
    assert data["gongshi_jieguo"] == "异议不成立"
    assert data["gongshi_yiyi"] == [
        {
            "jubaoren": "李明",
            "lianxi_fangshi": "13805740000",
            "shishi": YIYI["shishi"],
            "hecha_jieguo": "异议不成立",
            "hecha_shuoming": "经核查工资发放记录，兼职已按规定报批，未取酬。",
            "fankui_jubaoren": "2026-09-30 电话告知举报人核查结果",
        }
    ]
    [jilu] = data["gongshi_lishi"]
    assert (jilu["gongshi_jieguo"], jilu["gongshi_yiyi"]) == ("异议不成立", data["gongshi_yiyi"])
    # The subprocess's working fields do not leak into the caller's data.
    assert not {"you_yiyi", "jubaoren", "shishi", "hecha_jieguo", "yiyi_chengli"} & set(data)


def test_sustained_objection_fails_the_publicity_and_blocks_appointment(gongshi):
    """X-04, JB-16: a sustained objection ends the publicity at once as 「异议成立」 and the
    caller does not reach 任职."""
    api = gongshi
    instance = _start(api)
    with time_machine.travel(datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)):
        done = _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", **YIYI)
        done = _complete(
            api,
            done["open_tasks"][0],
            "danggongbu",
            hecha_jieguo="异议成立",
            hecha_shuoming="查实违规兼职取酬 3 万元。",
            fankui_jubaoren="书面告知举报人",
        )
    assert (done["status"], done["open_tasks"]) == ("completed", [])
    detail = _detail(api, instance["id"])
    assert detail["timers"] == []
    assert detail["data"]["gongshi_jieguo"] == "异议成立"
    assert [y["hecha_jieguo"] for y in detail["data"]["gongshi_yiyi"]] == ["异议成立"]
    [jilu] = detail["data"]["gongshi_lishi"]
    assert (jilu["gongshi_jieguo"], jilu["gongshi_jiezhi"]) == ("异议成立", FIVE_WORKDAYS_END)
    assert jilu["gongshi_yiyi"] == detail["data"]["gongshi_yiyi"]
    assert "任职" not in [s["title"] for s in detail["completed_steps"]]
    assert _tick(api, JUST_AFTER_END) == 0
    assert api.inbox("dangwei") == [] and api.inbox("gongzuozu") == []


def test_investigation_outlasting_the_period_holds_the_appointment(gongshi):
    """X-04, JB-16: an objection still under investigation when the period expires keeps the
    publicity open; the caller is appointed only once the result is recorded."""
    api = gongshi
    instance = _start(api)
    with time_machine.travel(datetime(2026, 10, 10, 15, 0, tzinfo=SHANGHAI)):
        _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", **YIYI)
    assert _tick(api, JUST_AFTER_END) == 0
    assert _tick(api, datetime(2026, 10, 20, 9, 0, tzinfo=SHANGHAI)) == 0
    assert api.inbox("dangwei") == []
    assert _detail(api, instance["id"])["status"] == "running"

    with time_machine.travel(datetime(2026, 10, 21, 9, 0, tzinfo=SHANGHAI)):
        done = _complete(
            api,
            _only(api, "danggongbu", "核查异议"),
            "danggongbu",
            hecha_jieguo="异议不成立",
            hecha_shuoming="反映问题经核查不属实。",
            fankui_jubaoren="当面反馈举报人",
        )
    # The deadline has passed: the re-armed 公示期满 fires at once, no new 受理 task is offered.
    assert [t["title"] for t in done["open_tasks"]] == ["任职"]
    assert api.inbox("gongzuozu") == []
    assert _detail(api, instance["id"])["data"]["gongshi_jieguo"] == "异议不成立"


def test_anonymous_objection_is_refused_per_field(gongshi):
    """X-04: objections must be real-name and state facts; a form without the reporter (or with
    too short facts) is refused with an error per field and the task stays open."""
    api = gongshi
    instance = _start(api)
    task = _only(api, "gongzuozu", "受理公示异议")
    response = api.complete(task["id"], "gongzuozu", you_yiyi=True, shishi="有问题")
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"jubaoren", "lianxi_fangshi", "shishi"}
    assert all(body["errors"][name] for name in body["errors"])
    short_name = api.complete(task["id"], "gongzuozu", **{**YIYI, "jubaoren": "李"})
    assert set(assert_problem(short_name, 422)["errors"]) == {"jubaoren"}
    assert set(assert_problem(api.complete(task["id"], "gongzuozu"), 422)["errors"]) == {"you_yiyi"}
    assert _only(api, "gongzuozu", "受理公示异议")["id"] == task["id"]
    assert [t["title"] for t in _detail(api, instance["id"])["open_tasks"]] == ["受理公示异议"]


def test_calendar_day_publicity(gongshi):
    """JB-06: the list is publicised for 3 (calendar) days: from 9/28 to 23:59:59 on 10/1,
    holidays included."""
    api = gongshi
    instance = _start(api, tianshu=3, gongzuori=False)
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
        )
    body = assert_problem(response, 422)
    assert "计算公示截止时间" in body["detail"]


def test_calendar_change_moves_the_deadline(gongshi):
    """KF-13, SS-07: the period follows the working-day calendar; when a day inside it becomes a
    holiday the deadline (timer and the clerk's due date) moves one working day later."""
    api = gongshi
    instance = _start(api)
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


TWICE = "ceshi_liangci_gongshi"


def _two_publicities_caller() -> tuple[str, bytes]:
    """A caller that publicises a list, then (as after an upheld objection) publicises a
    corrected list in the same instance, then appoints: 公示 is called twice."""
    document = bpmn.linear(
        TWICE,
        bpmn.script('gongshi_neirong = "拟参与对象：张三、李四"\ngongshi_kaishi = today()', name="准备公示"),
        '<bpmn:callActivity id="{id}" name="公示" calledElement="gongshi" />',
        bpmn.script('gongshi_neirong = "拟参与对象：张三"\ngongshi_kaishi = today()', name="准备重新公示"),
        '<bpmn:callActivity id="{id}" name="重新公示" calledElement="gongshi" />',
        bpmn.user("任职", 'camunda:candidateGroups="党委"'),
        name="两次公示测试",
        properties={"xuanpin:startFields": "gongshi_shouli_juese, gongshi_hecha_juese"},
    )
    return ("gongshi_liangci.bpmn", document)


def test_history_keeps_every_publicity_and_its_objections(gongshi):
    """X-04, JB-18, X-01: each run of 公示 starts its own objection list afresh, but every
    publicity, when it ends, is appended to gongshi_lishi in the caller's data; a caller that
    publicises twice in one instance keeps both records, the first with its upheld objection,
    its findings and the feedback to the reporter."""
    api = gongshi
    deployed = api.deploy(
        PROCESSES / "gongshi.bpmn", *sorted(FORMS.glob("gongshi_*.schema.json")), _two_publicities_caller()
    )
    assert deployed.status_code == 201, deployed.json
    with time_machine.travel(START):
        response = api.start(
            TWICE,
            user="dangwei",
            gongshi_tianshu=5,
            gongshi_gongzuori=True,
            gongshi_shouli_juese="工作组",
            gongshi_hecha_juese="党工部",
        )
    assert response.status_code == 201, response.json
    instance_id = response.json["id"]
    with time_machine.travel(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)):
        _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", **YIYI)
    with time_machine.travel(datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)):
        done = _complete(
            api,
            _only(api, "danggongbu", "核查异议"),
            "danggongbu",
            hecha_jieguo="异议成立",
            hecha_shuoming="查实违规兼职取酬 3 万元。",
            fankui_jubaoren="书面告知举报人",
        )
    # The first publicity failed and the second one, from 9/30, is open.
    assert [t["title"] for t in done["open_tasks"]] == ["受理公示异议"]
    data = _detail(api, instance_id)["data"]
    assert (data["gongshi_neirong"], data["gongshi_kaishi"]) == ("拟参与对象：张三", "2026-09-30")
    assert [j["gongshi_jieguo"] for j in data["gongshi_lishi"]] == ["异议成立"]

    with time_machine.travel(datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)):
        _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", you_yiyi=False)
    # 5 working days from 9/30: 10/8, 10/9, Saturday 10/10 (调休), 10/12, 10/13.
    assert _tick(api, datetime(2026, 10, 13, 23, 59, 0, tzinfo=SHANGHAI)) == 0
    assert _tick(api, datetime(2026, 10, 14, 0, 0, 1, tzinfo=SHANGHAI)) == 1
    _only(api, "dangwei", "任职")
    data = _detail(api, instance_id)["data"]
    # The second run reset gongshi_yiyi to its own (empty) list; the first objection survives
    # only in the history.
    assert (data["gongshi_jieguo"], data["gongshi_yiyi"]) == ("无异议", [])
    assert data["gongshi_lishi"] == [
        {
            "gongshi_neirong": "拟参与对象：张三、李四",
            "gongshi_kaishi": "2026-09-28",
            "gongshi_jiezhi": FIVE_WORKDAYS_END,
            "gongshi_tianshu": 5,
            "gongshi_gongzuori": True,
            "gongshi_jieguo": "异议成立",
            "gongshi_yiyi": [
                {
                    "jubaoren": "李明",
                    "lianxi_fangshi": "13805740000",
                    "shishi": YIYI["shishi"],
                    "hecha_jieguo": "异议成立",
                    "hecha_shuoming": "查实违规兼职取酬 3 万元。",
                    "fankui_jubaoren": "书面告知举报人",
                }
            ],
        },
        {
            "gongshi_neirong": "拟参与对象：张三",
            "gongshi_kaishi": "2026-09-30",
            "gongshi_jiezhi": "2026-10-13T23:59:59+08:00",
            "gongshi_tianshu": 5,
            "gongshi_gongzuori": True,
            "gongshi_jieguo": "无异议",
            "gongshi_yiyi": [],
        },
    ]
    # Neither run leaves its working fields behind in the caller's data.
    working = {"you_yiyi", "jubaoren", "lianxi_fangshi", "shishi", "hecha_jieguo", "hecha_shuoming"}
    assert not (working | {"fankui_jubaoren", "yiyi_chengli"}) & set(data)


def test_stray_reporter_fields_with_no_objection_do_not_stay_in_the_data(gongshi):
    """A clerk's last confirmation of "无异议" that also carries reporter fields (the form only
    requires them for an objection) leaves none of them in the data when the period ends."""
    api = gongshi
    instance = _start(api)
    with time_machine.travel(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)):
        _complete(api, _only(api, "gongzuozu", "受理公示异议"), "gongzuozu", **{**YIYI, "you_yiyi": False})
    assert _tick(api, JUST_AFTER_END) == 1
    _only(api, "dangwei", "任职")
    data = _detail(api, instance["id"])["data"]
    assert not {"you_yiyi", "jubaoren", "lianxi_fangshi", "shishi", "yiyi_chengli"} & set(data)
    assert [j["gongshi_yiyi"] for j in data["gongshi_lishi"]] == [[]]
