"""Working-day deadlines inside diagrams (timers and task due dates) on the PRC calendar,
provisional across years without official data, and moved when the calendar changes.
Working days back the statutory windows of JB-03, JB-16, KF-13, SS-07 and FH-09."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from service.scheduler import TimerScheduler
from service.timeutil import SHANGHAI
from tests.conftest import FIXTURES, sql_count


@pytest.fixture()
def timed(api):
    assert api.deploy(FIXTURES / "timers.bpmn").status_code == 201
    return api


def _timer(api, instance_id):
    [timer] = api.get(f"/api/v1/instances/{instance_id}").json["timers"]
    return timer


def test_five_working_days_across_national_day(timed):
    """JB-03: a 5-working-day window published 2026-09-28 closes at the end of Saturday 10/10 (调休)."""
    with time_machine.travel(datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)):
        instance = timed.start("ceshi_gongzuori", user="gongzuozu", fabu_riqi="2026-09-28").json
    timer = _timer(timed, instance["id"])
    assert (timer["title"], timer["due_at"], timer["provisional"]) == (
        "报名截止",
        "2026-10-10T23:59:59+08:00",
        False,
    )
    scheduler = TimerScheduler(timed.client.application.extensions["xuanpin"])
    with time_machine.travel(datetime(2026, 10, 10, 23, 59, 0, tzinfo=SHANGHAI)):
        assert scheduler.tick() == 0
    with time_machine.travel(datetime(2026, 10, 11, 0, 0, 1, tzinfo=SHANGHAI)):
        assert scheduler.tick() == 1
        [task] = timed.inbox("gongzuozu")
    # 8 working days: 9/29, 9/30, 10/8, 10/9, 10/10, 10/12, 10/13, 10/14.
    assert (task["title"], task["due_at"], task["due_provisional"]) == (
        "汇总报名",
        "2026-10-14T23:59:59+08:00",
        False,
    )


def test_deadline_into_a_year_without_data_is_provisional_then_exact(timed):
    with time_machine.travel(datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI)):
        instance = timed.start("ceshi_gongzuori", user="gongzuozu", fabu_riqi="2026-12-28").json
        timer = _timer(timed, instance["id"])
        # 12/29, 12/30, 12/31, then 2027 on weekdays only: 1/1 (Fri) and 1/4 (Mon).
        assert (timer["due_at"], timer["provisional"]) == ("2027-01-04T23:59:59+08:00", True)
        entered = timed.put("/api/v1/calendar/days/2027-01-01", json={"type": "holiday", "note": "元旦"})
        assert entered.status_code == 200
        timer = _timer(timed, instance["id"])
        assert (timer["due_at"], timer["provisional"]) == ("2027-01-05T23:59:59+08:00", False)
    db = timed.client.application.extensions["xuanpin"].db
    assert sql_count(db, "SELECT count(*) FROM audit_events WHERE action = 'deadlines.recomputed'") == 1


def test_task_due_date_moves_with_a_calendar_change_inside_its_period(timed):
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)):
        timed.start("ceshi_gongzuori", user="gongzuozu", fabu_riqi="2026-11-02")
    scheduler = TimerScheduler(timed.client.application.extensions["xuanpin"])
    with time_machine.travel(datetime(2026, 11, 10, 0, 0, 1, tzinfo=SHANGHAI)):
        assert scheduler.tick() == 1
    [task] = timed.inbox("gongzuozu")
    assert task["due_at"] == "2026-11-12T23:59:59+08:00"
    # An extraordinary day off declared inside the period pushes the due date by one working day.
    timed.put("/api/v1/calendar/days/2026-11-05", json={"type": "holiday", "note": "临时调整"})
    [task] = timed.inbox("gongzuozu")
    assert task["due_at"] == "2026-11-13T23:59:59+08:00"
    timed.delete("/api/v1/calendar/days/2026-11-05")
    assert timed.inbox("gongzuozu")[0]["due_at"] == "2026-11-12T23:59:59+08:00"


def test_unrelated_calendar_change_leaves_deadlines_alone(timed):
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)):
        instance = timed.start("ceshi_gongzuori", user="gongzuozu", fabu_riqi="2026-12-01").json
    before = _timer(timed, instance["id"])
    timed.put("/api/v1/calendar/days/2026-12-15", json={"type": "holiday"})
    assert _timer(timed, instance["id"]) == before
    db = timed.client.application.extensions["xuanpin"].db
    assert sql_count(db, "SELECT count(*) FROM audit_events WHERE action = 'deadlines.recomputed'") == 0


def test_helpers_reject_nonsense(timed):
    response = timed.start("ceshi_gongzuori", user="gongzuozu", fabu_riqi="明天")
    assert response.status_code == 422 and "报名截止" in response.json["detail"]


def test_calendar_helpers_in_scripts(api):
    from tests import bpmn

    document = bpmn.linear(
        "helpers",
        bpmn.script(
            "a = add_workdays('2026-02-13', 1)\n"
            "b = add_days('2026-01-31', 3)\n"
            "c = add_months('2026-01-31', 1)\n"
            "d = today()",
            name="计算期限",
        ),
        bpmn.user("查看", 'camunda:candidateGroups="工作组"'),
    )
    api.deploy(("helpers.bpmn", document))
    instance = api.start("helpers").json
    data = api.get(f"/api/v1/instances/{instance['id']}").json["data"]
    # 2/14 is a make-up Saturday (working day) before 春节.
    assert data["a"] == "2026-02-14T23:59:59+08:00"
    assert data["b"] == "2026-02-03T23:59:59+08:00"
    assert data["c"] == "2026-02-28T23:59:59+08:00"
    assert datetime.fromisoformat(data["d"] + "T00:00:00+08:00") <= datetime.now(SHANGHAI) + timedelta(days=1)


def test_a_provisional_deadline_stays_flagged_after_the_case_is_saved_again(app):
    """A deadline reaching into a year without official data stays provisional, with the start of
    its period, in every later save of the case (not only in the request that computed it)."""
    from datetime import date

    from service.engine.parser import SourceFile, parse_definitions

    engine = app.extensions["xuanpin"].engine
    parsed = parse_definitions([SourceFile("timers.bpmn", (FIXTURES / "timers.bpmn").read_bytes())])
    [process] = [p for p in parsed if p.key == "ceshi_gongzuori"]
    with time_machine.travel(datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI)):
        run = engine.start(990, process.spec, {"fabu_riqi": "2026-12-28"})
        state = run.dump()
    for _ in range(2):
        run = engine.load(990, process.spec, state)
        [timer] = run.waiting_timers()
        assert (timer.provisional, timer.period_start) == (True, date(2026, 12, 28))
        state = run.dump()


def test_a_deadline_kept_in_the_data_moves_with_the_calendar(api):
    """JB-03: the registration deadline a script keeps in the data (and the task due on it) is
    computed again when the calendar of its period changes, as the README promises."""
    from tests import bpmn

    document = bpmn.linear(
        "data_deadline",
        bpmn.script("jiezhi = add_workdays(fabu_riqi, 5)", "计算报名截止"),
        bpmn.user("登记报名", 'camunda:candidateGroups="工作组" camunda:dueDate="jiezhi"'),
    )
    assert api.deploy(("data_deadline.bpmn", document)).status_code == 201
    with time_machine.travel(datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI)):
        instance = api.start("data_deadline", user="gongzuozu", fabu_riqi="2026-12-28").json
        started = api.get(f"/api/v1/instances/{instance['id']}").json["data"]
        assert started["jiezhi"] == "2027-01-04T23:59:59+08:00"
        [task] = api.inbox("gongzuozu")
        assert (task["due_at"], task["due_provisional"]) == ("2027-01-04T23:59:59+08:00", True)
        entered = api.put("/api/v1/calendar/days/2027-01-01", json={"type": "holiday", "note": "元旦"})
        assert entered.status_code == 200
    data = api.get(f"/api/v1/instances/{instance['id']}").json["data"]
    assert data["jiezhi"] == "2027-01-05T23:59:59+08:00"
    [task] = api.inbox("gongzuozu")
    assert (task["due_at"], task["due_provisional"]) == ("2027-01-05T23:59:59+08:00", False)


def test_a_suspended_cases_timer_moves_with_the_calendar_and_fires_on_resume_by_the_new_date(timed):
    """A case suspended (issue 10) while the calendar changes keeps no stale deadline: its timer
    moves like any other, and on resume it fires by the new date, not the old one."""
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)):
        instance = timed.start("ceshi_gongzuori", user="gongzuozu", fabu_riqi="2026-11-02").json
        before = _timer(timed, instance["id"])["due_at"]
        suspended = timed.post(f"/api/v1/instances/{instance['id']}/suspend", json={"reason": "核实材料"})
        assert suspended.status_code == 200, suspended.json
        assert timed.put("/api/v1/calendar/days/2026-11-04", json={"type": "holiday"}).status_code == 200
        after = _timer(timed, instance["id"])["due_at"]
        assert after != before and after > before  # one working day later
        assert timed.post(f"/api/v1/instances/{instance['id']}/resume", json={}).status_code == 200
    scheduler = TimerScheduler(timed.client.application.extensions["xuanpin"])
    due = datetime.fromisoformat(after)
    with time_machine.travel(due - timedelta(hours=1)):
        assert scheduler.tick() == 0  # the old deadline has passed, the new one has not
    with time_machine.travel(due + timedelta(seconds=2)):
        assert scheduler.tick() == 1
