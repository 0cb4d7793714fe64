"""Timers fire on time, once, from any number of schedulers; time is travelled, not slept."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from service.scheduler import TimerScheduler
from service.services import timers as timer_service
from service.timeutil import SHANGHAI, utcnow
from tests.conftest import FIXTURES, assert_problem, sql_count

TIMERS = FIXTURES / "timers.bpmn"


@pytest.fixture()
def timed(api):
    assert api.deploy(TIMERS).status_code == 201
    return api


def _container(api):
    return api.client.application.extensions["xuanpin"]


def _scheduler(api, name="s1") -> TimerScheduler:
    scheduler = TimerScheduler(_container(api))
    scheduler.worker = name
    return scheduler


def _titles(api, user, **query):
    return sorted(t["title"] for t in api.inbox(user, **query))


def test_intermediate_timer_waits_then_fires(timed):
    due = (utcnow() + timedelta(days=3)).astimezone(SHANGHAI).replace(microsecond=0)
    instance = timed.start("ceshi_gongshi", user="gongzuozu", gongshi_jiezhi=due.isoformat()).json
    detail = timed.get(f"/api/v1/instances/{instance['id']}").json
    [timer] = detail["timers"]
    assert (timer["title"], timer["kind"]) == ("公示期满", "date")
    assert datetime.fromisoformat(timer["due_at"]) == due
    scheduler = _scheduler(timed)
    assert scheduler.tick() == 0
    with time_machine.travel(due - timedelta(minutes=1)):
        assert scheduler.tick() == 0
    assert _titles(timed, "gongzuozu") == []
    with time_machine.travel(due + timedelta(seconds=1)):
        assert scheduler.tick() == 1
        assert scheduler.tick() == 0
    assert _titles(timed, "gongzuozu") == ["确认公示结果"]
    assert timed.get(f"/api/v1/instances/{instance['id']}").json["timers"] == []


def test_non_interrupting_cycle_reminds_without_cancelling_the_task(timed):
    timed.start("ceshi_xianqi", user="renshi", banli_qixian="2099-01-01")
    scheduler = _scheduler(timed)
    start = utcnow()
    with time_machine.travel(start + timedelta(hours=1, minutes=1)):
        assert scheduler.tick() == 1
    assert _titles(timed, "guozi") == ["催办提醒"]
    assert _titles(timed, "renshi") == ["报送备案"]
    with time_machine.travel(start + timedelta(hours=2, minutes=2)):
        assert scheduler.tick() == 1
    assert _titles(timed, "guozi") == ["催办提醒", "催办提醒"]
    with time_machine.travel(start + timedelta(hours=5)):
        assert scheduler.tick() == 0  # R2: two reminders only
    assert _titles(timed, "renshi") == ["报送备案"]


def test_interrupting_boundary_timer_withdraws_the_task_and_escalates(timed):
    instance = timed.start("ceshi_xianqi", user="renshi", banli_qixian="2099-01-01").json
    [task] = timed.inbox("renshi")
    scheduler = _scheduler(timed)
    with time_machine.travel(utcnow() + timedelta(days=3, minutes=1)):
        scheduler.tick()
    assert "逾期督办" in _titles(timed, "guozi")
    assert _titles(timed, "renshi") == []
    late = timed.complete(task["id"], "renshi")
    assert late.status_code == 409 and "撤销" in late.json["detail"]
    assert timed.get(f"/api/v1/instances/{instance['id']}").json["timers"] == []


def test_completing_the_task_cancels_its_boundary_timers(timed):
    instance = timed.start("ceshi_xianqi", user="renshi", banli_qixian="2099-01-01").json
    [task] = timed.inbox("renshi")
    assert timed.complete(task["id"], "renshi").json["status"] == "completed"
    db = _container(timed).db
    assert sql_count(db, "SELECT count(*) FROM timers WHERE status = 'waiting'") == 0
    assert sql_count(db, "SELECT count(*) FROM timers WHERE status = 'cancelled'") == 2
    with time_machine.travel(utcnow() + timedelta(days=4)):
        assert _scheduler(timed).tick() == 0
    assert timed.get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"


def test_timer_start_event(timed):
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)):
        instance = timed.start("ceshi_dingshi", user="renshi").json
    assert instance["status"] == "running" and _titles(timed, "renshi") == []
    with time_machine.travel(datetime(2027, 1, 4, 9, 0, 1, tzinfo=SHANGHAI)):
        assert _scheduler(timed).tick() == 1
    assert _titles(timed, "renshi") == ["报送年度招聘计划"]


def test_due_dates_and_overdue_flag(timed):
    timed.start("ceshi_xianqi", user="renshi", banli_qixian="2026-12-03")
    [task] = timed.inbox("renshi")
    assert task["due_at"] == "2026-12-03T23:59:59+08:00"
    with time_machine.travel(datetime(2026, 12, 3, 23, 0, tzinfo=SHANGHAI)):
        assert timed.inbox("renshi")[0]["overdue"] is False
        assert timed.inbox("renshi", overdue="true") == []
    with time_machine.travel(datetime(2026, 12, 4, 0, 0, 1, tzinfo=SHANGHAI)):
        [late] = timed.inbox("renshi", overdue="true")
        assert late["overdue"] is True and late["id"] == task["id"]
        assert timed.inbox("renshi", overdue="false") == []


def test_bad_due_date_value_names_the_task(timed):
    response = timed.start("ceshi_xianqi", user="renshi", banli_qixian="下周一")
    assert response.status_code == 422
    assert "报送备案" in response.json["detail"]


def test_overdue_timers_fire_right_after_start_up(timed):
    """A timer that fell due while the service was down fires as soon as the scheduler starts."""
    past = (utcnow() + timedelta(seconds=1)).astimezone(SHANGHAI)
    timed.start("ceshi_gongshi", user="gongzuozu", gongshi_jiezhi=past.isoformat())
    time.sleep(1.1)
    scheduler = TimerScheduler(_container(timed), sweep_seconds=30)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _titles(timed, "gongzuozu"):
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert _titles(timed, "gongzuozu") == ["确认公示结果"]


def test_running_scheduler_wakes_exactly_for_a_new_timer(timed):
    container = _container(timed)
    scheduler = TimerScheduler(container, sweep_seconds=30)
    container.scheduler = scheduler
    scheduler.start()
    try:
        time.sleep(0.2)  # let the start-up sweep pass: only the wake-up can fire the timer
        due = (utcnow() + timedelta(seconds=1)).astimezone(SHANGHAI)
        timed.start("ceshi_gongshi", user="gongzuozu", gongshi_jiezhi=due.isoformat())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _titles(timed, "gongzuozu"):
            time.sleep(0.05)
        fired_at = utcnow()
    finally:
        scheduler.shutdown()
        container.scheduler = None
    assert _titles(timed, "gongzuozu") == ["确认公示结果"]
    assert fired_at - due < timedelta(seconds=5)


def test_two_schedulers_fire_200_due_timers_exactly_once(timed):
    due = (utcnow() + timedelta(hours=1)).astimezone(SHANGHAI)
    container = _container(timed)
    for _ in range(200):
        timed.start("ceshi_gongshi", user="gongzuozu", gongshi_jiezhi=due.isoformat())
    replicas = [_scheduler(timed, f"replica-{i}") for i in range(2)]
    fired: list[int] = []
    with time_machine.travel(due + timedelta(seconds=1), tick=True):
        barrier = threading.Barrier(len(replicas))

        def run(scheduler: TimerScheduler) -> None:
            barrier.wait()
            fired.append(scheduler.tick())

        threads = [threading.Thread(target=run, args=(replica,)) for replica in replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    db = container.db
    assert sum(fired) == 200 and len(fired) == 2
    assert sql_count(db, "SELECT count(*) FROM audit_events WHERE action = 'timer.fired'") == 200
    assert sql_count(db, "SELECT count(*) FROM tasks WHERE title = '确认公示结果'") == 200
    assert sql_count(db, "SELECT count(*) FROM timers WHERE status = 'fired'") == 200
    assert sql_count(db, "SELECT count(*) FROM timers WHERE status = 'waiting'") == 0


def _race_completion_with_deadline(timed, task_id: str) -> dict[str, int]:
    container = _container(timed)
    headers = timed.headers("renshi")
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def complete():
        client = timed.client.application.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={"data": {}})
        results["user"] = response.status_code

    def fire():
        barrier.wait()
        results["timer"] = timer_service.fire_due(container, "racer")

    with time_machine.travel(utcnow() + timedelta(days=3, minutes=1), tick=True):
        threads = [threading.Thread(target=complete), threading.Thread(target=fire)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return results


def test_timer_racing_a_user_completion_has_one_outcome(timed):
    for _round in range(4):
        instance = timed.start("ceshi_xianqi", user="renshi", banli_qixian="2099-01-01").json
        [task] = timed.inbox("renshi", instance_id=instance["id"])
        results = _race_completion_with_deadline(timed, task["id"])
        detail = timed.get(f"/api/v1/instances/{instance['id']}").json
        steps = {s["title"] for s in detail["completed_steps"]}
        escalated = any(t["title"] == "逾期督办" for t in detail["open_tasks"])
        if results["user"] == 200:
            assert detail["status"] == "completed" and "按期办结" in steps and not escalated
        else:
            assert results["user"] == 409 and escalated and "按期办结" not in steps


def test_fire_due_skips_timers_claimed_by_a_live_replica(timed):
    due = (utcnow() + timedelta(minutes=5)).astimezone(SHANGHAI)
    timed.start("ceshi_gongshi", user="gongzuozu", gongshi_jiezhi=due.isoformat())
    container = _container(timed)
    with time_machine.travel(due + timedelta(seconds=1)):
        claimed = timer_service.claim_due(container, "replica-a", utcnow(), 10)
        assert len(claimed) == 1
        assert timer_service.claim_due(container, "replica-b", utcnow(), 10) == []
        assert timer_service.fire(container, claimed[0], "replica-b") is False
        assert timer_service.fire(container, claimed[0], "replica-a") is True


def test_now_is_utc_aware():
    assert utcnow().tzinfo is UTC


class _RecordingScheduler:
    def __init__(self):
        self.runs = []

    def add_job(self, func, trigger, run_date, id, replace_existing):
        self.runs.append(run_date)


def test_wake_up_is_planned_for_the_exact_due_time(timed):
    """A timer falling due just after a tick is not pushed back by the retry delay."""
    scheduler = _scheduler(timed)
    scheduler._scheduler = _RecordingScheduler()
    soon = utcnow() + timedelta(milliseconds=50)
    scheduler.notify(soon)
    assert scheduler._scheduler.runs == [soon]
    earlier = soon - timedelta(milliseconds=20)
    scheduler.notify(earlier)
    scheduler.notify(soon)  # later than the planned wake-up: nothing to change
    assert scheduler._scheduler.runs == [soon, earlier]
    past = utcnow() - timedelta(seconds=1)
    scheduler._wake_at = None
    scheduler.notify(past)
    assert scheduler._scheduler.runs[-1] > utcnow()  # already due: retried shortly, not in the past


def test_timers_held_by_another_replica_do_not_set_the_next_wake_up(timed):
    due = (utcnow() + timedelta(minutes=5)).astimezone(SHANGHAI)
    timed.start("ceshi_gongshi", user="gongzuozu", gongshi_jiezhi=due.isoformat())
    container = _container(timed)
    with time_machine.travel(due + timedelta(seconds=1)):
        assert timer_service.next_due(container) is not None
        timer_service.claim_due(container, "replica-a", utcnow(), 10)
        assert timer_service.next_due(container) is None


def test_instance_in_error_is_retried_by_an_admin_once_the_cause_is_mended(api):
    """A timer leads to a task assigned to an account that does not exist yet: the instance is
    marked in error with its last good state (the timer failed, nothing retries forever); once
    the account exists, an admin retries it and it goes on from there."""
    from uuid import uuid4

    from tests import bpmn

    wait = (
        '<bpmn:intermediateCatchEvent id="{id}" name="等待复核"><bpmn:timerEventDefinition>'
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">2026-12-01T09:00:00+08:00</bpmn:timeDate>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    document = bpmn.linear(
        "ceshi_chongshi",
        wait,
        bpmn.user("指定人复核", 'camunda:assignee="${fuheren}"'),
        properties={"xuanpin:startFields": "fuheren"},
    )
    assert api.deploy(("ceshi_chongshi.bpmn", document)).status_code == 201
    fuheren = f"fuhe-{uuid4().hex[:8]}"
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)):
        instance_id = api.start("ceshi_chongshi", fuheren=fuheren).json["id"]
        assert_problem(api.post(f"/api/v1/instances/{instance_id}/retry"), 409)  # nothing to retry
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, 1, tzinfo=SHANGHAI)):
        assert _scheduler(api).tick() == 0
        assert _scheduler(api).tick() == 0  # failed once, not retried by the scheduler
        failed = api.get(f"/api/v1/instances/{instance_id}").json
        assert failed["status"] == "error" and fuheren in failed["error"]
        assert failed["open_tasks"] == []

        again = assert_problem(api.post(f"/api/v1/instances/{instance_id}/retry"), 422)
        assert fuheren in again["detail"]
        assert api.get(f"/api/v1/instances/{instance_id}").json["status"] == "error"
        assert_problem(api.post(f"/api/v1/instances/{instance_id}/retry", user="renshi"), 403)

        created = api.post("/api/v1/users", json={"username": fuheren, "password": "fuhe-pass-123"})
        assert created.status_code == 201, created.json
        retried = api.post(f"/api/v1/instances/{instance_id}/retry")
    assert retried.status_code == 200, retried.json
    body = retried.json
    assert (body["status"], body["error"], body["timers"]) == ("running", None, [])
    [task] = body["open_tasks"]
    assert (task["title"], task["assignee"]) == ("指定人复核", fuheren)
    db = _container(api).db
    assert sql_count(db, "SELECT count(*) FROM timers WHERE status = 'fired'") == 1
    assert sql_count(db, "SELECT count(*) FROM audit_events WHERE action = 'instance.retried'") == 1


def test_a_failing_timer_leaves_every_row_as_it_was_before_it_fired(api):
    """The unit of work rolls a failed firing back as a whole: an interrupting boundary timer
    withdraws 「办理」 and leads to a step assigned to an account that does not exist; the instance
    goes into error and 「办理」 is still open in the inbox, matching the engine state kept."""
    from uuid import uuid4

    from tests import bpmn

    escalation = (
        '<bpmn:boundaryEvent id="Overdue" name="办理超期" attachedToRef="S1">'
        "<bpmn:timerEventDefinition>"
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">2026-12-01T09:00:00+08:00</bpmn:timeDate>'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:userTask id="Duban" name="督办" camunda:assignee="${duban_ren}" />'
        '<bpmn:endEvent id="EndEvent_2" name="督办结束" />'
        '<bpmn:sequenceFlow id="Fo1" sourceRef="Overdue" targetRef="Duban" />'
        '<bpmn:sequenceFlow id="Fo2" sourceRef="Duban" targetRef="EndEvent_2" />'
        "</bpmn:process>"
    )
    document = bpmn.linear(
        "ceshi_duban_shibai",
        bpmn.user("办理", 'camunda:candidateGroups="工作组"'),
        properties={"xuanpin:startFields": "duban_ren"},
    ).replace(b"</bpmn:process>", escalation.encode())
    assert api.deploy(("ceshi_duban_shibai.bpmn", document)).status_code == 201
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)):
        started = api.start("ceshi_duban_shibai", duban_ren=f"nobody-{uuid4().hex[:6]}")
        instance_id = started.json["id"]
        [before] = api.get(f"/api/v1/instances/{instance_id}").json["open_tasks"]
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, 1, tzinfo=SHANGHAI)):
        assert _scheduler(api).tick() == 0
        detail = api.get(f"/api/v1/instances/{instance_id}").json
        assert detail["status"] == "error" and "nobody-" in detail["error"]
        assert [t["id"] for t in detail["open_tasks"]] == [before["id"]]
        assert [t["title"] for t in api.inbox("gongzuozu")] == ["办理"]
        db = _container(api).db
        assert sql_count(db, "SELECT count(*) FROM tasks WHERE status = 'cancelled'") == 0
        assert sql_count(db, "SELECT count(*) FROM audit_events WHERE action = 'timer.fired'") == 0
        assert sql_count(db, "SELECT count(*) FROM audit_events WHERE action = 'timer.failed'") == 1


def test_timers_fired_together_keep_a_failing_instance_apart_from_the_others(api):
    """XUANPIN_TIMER_BATCH: timers due together fire in one transaction, each instance in its
    own savepoint. One of them leads to an assignee who does not exist: that instance goes into
    error as it would alone, and the others in the same transaction fire exactly once."""
    from uuid import uuid4

    from tests import bpmn

    wait = (
        '<bpmn:intermediateCatchEvent id="{id}" name="等待复核"><bpmn:timerEventDefinition>'
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">2026-12-01T09:00:00+08:00</bpmn:timeDate>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    document = bpmn.linear(
        "ceshi_piliang",
        wait,
        bpmn.user("指定人复核", 'camunda:assignee="${fuheren}"'),
        properties={"xuanpin:startFields": "fuheren"},
    )
    assert api.deploy(("ceshi_piliang.bpmn", document)).status_code == 201
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)):
        good = [api.start("ceshi_piliang", fuheren="renshi").json["id"] for _ in range(5)]
        broken = api.start("ceshi_piliang", fuheren=f"nobody-{uuid4().hex[:6]}").json["id"]
        good += [api.start("ceshi_piliang", fuheren="renshi").json["id"] for _ in range(2)]
    container = _container(api)
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, 1, tzinfo=SHANGHAI)):
        assert timer_service.fire_due(container, "replica-a", batch=10) == 7
        assert timer_service.fire_due(container, "replica-a", batch=10) == 0
    assert api.get(f"/api/v1/instances/{broken}").json["status"] == "error"
    for instance_id in good:
        detail = api.get(f"/api/v1/instances/{instance_id}").json
        assert [t["title"] for t in detail["open_tasks"]] == ["指定人复核"]
    db = container.db
    assert sql_count(db, "SELECT count(*) FROM audit_events WHERE action = 'timer.fired'") == 7
    assert sql_count(db, "SELECT count(*) FROM audit_events WHERE action = 'timer.failed'") == 1
    assert sql_count(db, "SELECT count(*) FROM work_in_flight") == 0
