"""Issue 9: what only a process boundary can stop is stopped there. A step stuck in one C call
(a modular power of two 14,000-bit numbers runs for seconds without giving up the interpreter)
gets its worker killed by gunicorn's timeout; the case it was advancing keeps its last good
state, is told of the interruption, and — interrupted again with nothing done in between — is put
in `error`, so that neither a person retrying nor a timer firing again kills more workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from service.config import Settings
from service.services.interruptions import INTERRUPTED, recover_interrupted
from service.services.unit_of_work import HOST
from service.store.models import Instance, WorkInFlight
from service.timeutil import utcnow
from tests import bpmn
from tests.conftest import assert_problem

OFFICE = 'camunda:candidateGroups="工作组"'


def _case(api, pid: str = "stuck", code: str = "done = True") -> tuple[str, dict]:
    diagram = bpmn.linear(
        pid, bpmn.user("登记", OFFICE), bpmn.script(code, "核算"), bpmn.user("复核", OFFICE)
    )
    assert api.deploy((f"{pid}.bpmn", diagram)).status_code == 201
    instance_id = api.start(pid).json["id"]
    [task] = api.get(f"/api/v1/instances/{instance_id}").json["open_tasks"]
    return instance_id, task


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _in_flight(container, instance_id: str, pid: int, host: str = HOST, age: float = 0.0) -> None:
    with container.db.transaction(write=True) as session:
        session.add(
            WorkInFlight(
                instance_id=instance_id,
                host=host,
                pid=pid,
                doing="办理「登记」",
                actor="gongzuozu",
                started_at=utcnow() - timedelta(seconds=age),
            )
        )


def _rows(container) -> list[WorkInFlight]:
    with container.db.transaction() as session:
        return list(session.scalars(select(WorkInFlight)))


def _interruptions(api, instance_id: str) -> list[dict]:
    events = api.get(f"/api/v1/instances/{instance_id}/history").json["events"]
    return [event for event in events if event["action"] == INTERRUPTED]


def test_work_in_flight_is_gone_after_success_and_after_a_refusal(api, app):
    container = app.extensions["xuanpin"]
    _, task = _case(api, "refusing", code="x = 1 / 0")
    assert_problem(api.complete(task["id"], "gongzuozu"), 422)
    assert _rows(container) == []
    _, task = _case(api, "fine")
    assert api.complete(task["id"], "gongzuozu").status_code == 200
    assert _rows(container) == []


def test_a_case_interrupted_twice_in_a_row_is_put_in_error_and_an_admin_retries_it(api, app):
    container = app.extensions["xuanpin"]
    instance_id, task = _case(api)

    _in_flight(container, instance_id, _dead_pid())
    [first] = recover_interrupted(container)
    assert not first.put_in_error  # maybe a bystander of another request's death: runs on
    assert api.get(f"/api/v1/instances/{instance_id}").json["status"] == "running"
    [event] = _interruptions(api, instance_id)
    assert event["action_label"] == "工作进程被终止，办理中断"
    assert "登记" in str(event) and _rows(container) == []

    _in_flight(container, instance_id, _dead_pid())
    [second] = recover_interrupted(container)
    assert second.put_in_error
    detail = api.get(f"/api/v1/instances/{instance_id}").json
    assert detail["status"] == "error"
    assert "工作进程超时被终止" in detail["error"] and "上一次成功保存的状态" in detail["error"]
    assert [t["id"] for t in detail["open_tasks"]] == [task["id"]]  # the last good state

    refused = assert_problem(api.complete(task["id"], "gongzuozu"), 409)
    assert "出错" in refused["detail"]
    retried = api.post(f"/api/v1/instances/{instance_id}/retry")
    assert retried.status_code == 200, retried.json
    assert retried.json["status"] == "running"
    assert api.complete(task["id"], "gongzuozu").status_code == 200


def test_work_that_finished_in_between_makes_the_next_interruption_a_first_one(api, app):
    container = app.extensions["xuanpin"]
    instance_id, task = _case(api)
    _in_flight(container, instance_id, _dead_pid())
    recover_interrupted(container)
    assert api.complete(task["id"], "gongzuozu").status_code == 200
    _in_flight(container, instance_id, _dead_pid())
    [again] = recover_interrupted(container)
    assert not again.put_in_error
    assert api.get(f"/api/v1/instances/{instance_id}").json["status"] == "running"


def test_live_work_is_left_alone_and_dead_work_elsewhere_is_known_by_its_age(api, app):
    container = app.extensions["xuanpin"]
    instance_id, _ = _case(api)
    settings = container.settings
    longest = settings.worker_timeout_seconds + 2 * settings.db_busy_timeout_seconds
    _in_flight(container, instance_id, os.getpid())  # this very process, at it now
    _in_flight(container, instance_id, 4242, host="other-replica")  # another machine, recent
    assert recover_interrupted(container) == []
    assert len(_rows(container)) == 2
    _in_flight(container, instance_id, 4343, host="other-replica", age=longest + 60)
    [settled] = recover_interrupted(container)
    assert settled.instance_id == instance_id
    assert len(_rows(container)) == 2


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    # Long enough for the test to find and kill the worker while the step runs.
    return replace(settings, script_time_limit_seconds=60.0)


def _kill_the_worker_at_it(live, container, instance_id: str, meanwhile=lambda: None) -> None:
    """Play gunicorn's timeout: SIGKILL the worker whose work-in-flight row names the case, once
    `meanwhile` has run while the step was at it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with container.db.transaction() as session:
            row = session.scalar(select(WorkInFlight).where(WorkInFlight.instance_id == instance_id))
        if row is not None:
            meanwhile()
            os.kill(row.pid, signal.SIGKILL)
            live.killed_workers += 1
            return
        time.sleep(0.05)
    raise AssertionError("the step never started")


def _complete_in_background(api, task_id: str) -> threading.Thread:
    def run() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the worker dies under it: the connection drops
            api.complete(task_id, "gongzuozu")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _wait_for(predicate, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.live
def test_a_worker_killed_under_a_step_leaves_its_case_at_the_last_good_state(api, app):
    """On `xuanpin serve`: the worker advancing a stuck step is killed twice (as gunicorn's
    timeout would); the replacement worker settles the case at start-up — first told, then put in
    error with the last good state — while another case and a login go through meanwhile."""
    container = app.extensions["xuanpin"]
    live = api.client
    instance_id, task = _case(api, "stuck", code="while True:\n    pass")
    other_id, other_task = _case(api, "bystander")
    api.token("gongzuozu")
    during: list[int] = []

    def others_carry_on() -> None:
        # SQLite has one write lock for the whole file, held by the stuck step until its worker
        # dies; PostgreSQL locks only that case's row, so others go through meanwhile.
        if container.db.is_sqlite:
            return
        login = live.post("/api/v1/auth/token", json={"username": "renshi", "password": "test-pass-123"})
        during.extend([login.status_code, api.complete(other_task["id"], "gongzuozu").status_code])

    for attempt in (1, 2):
        request = _complete_in_background(api, task["id"])
        _kill_the_worker_at_it(
            live, container, instance_id, others_carry_on if attempt == 1 else lambda: None
        )
        request.join(timeout=90)
        _wait_for(lambda n=attempt: len(_interruptions(api, instance_id)) == n)

    detail = api.get(f"/api/v1/instances/{instance_id}").json
    assert detail["status"] == "error" and "工作进程超时被终止" in detail["error"]
    assert [t["id"] for t in detail["open_tasks"]] == [task["id"]]
    assert "登记" not in str(detail["data"])  # nothing of the killed completion was saved
    with container.db.transaction() as session:
        assert session.get(Instance, other_id).status == "running"
        assert session.scalars(select(WorkInFlight)).all() == []
    assert during == ([] if container.db.is_sqlite else [200, 200])
    login = live.post("/api/v1/auth/token", json={"username": "renshi", "password": "test-pass-123"})
    assert login.status_code == 200
    if container.db.is_sqlite:
        assert api.complete(other_task["id"], "gongzuozu").status_code == 200
    assert_problem(api.complete(task["id"], "gongzuozu"), 409)
