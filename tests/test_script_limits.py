"""A diagram can never hold a worker (issue 9, findings 1–4), over the HTTP API: a hostile
diagram is deployed as a designer would, a person completes the step before it, the step fails
as a diagram fault (422 problem+json naming the limit, nothing saved, the instance still waits
at the same task), and other instances and requests carry on."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from service.config import Settings
from tests import bpmn
from tests.conftest import assert_problem

OFFICE = 'camunda:candidateGroups="工作组"'
CATCHER = "try:\n    while True:\n        pass\nexcept Exception:\n    pass\nwhile True:\n    pass"


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    # A small multi-instance limit shows the setting reaches the engine.
    return replace(settings, max_instances_per_activity=5)


def _deploy(api, pid: str, *steps: str) -> None:
    response = api.deploy((f"{pid}.bpmn", bpmn.linear(pid, bpmn.user("登记", OFFICE), *steps)))
    assert response.status_code == 201, response.json


def _waiting_task(api, instance_id: str) -> dict:
    [task] = api.get(f"/api/v1/instances/{instance_id}").json["open_tasks"]
    return task


def _fails_at_the_next_step(api, pid: str) -> dict:
    """Start, complete 登记, and return the refusal; the instance must be exactly as before."""
    started = api.start(pid)
    assert started.status_code == 201, started.json
    instance_id = started.json["id"]
    before = _waiting_task(api, instance_id)
    body = assert_problem(api.complete(before["id"], "gongzuozu", note="提交"), 422)
    detail = api.get(f"/api/v1/instances/{instance_id}").json
    assert detail["status"] == "running"
    assert [t["id"] for t in detail["open_tasks"]] == [before["id"]]
    assert "note" not in detail["data"]
    return body


def _others_still_work(api) -> None:
    """A fresh login and a whole other case go through after the hostile step."""
    fresh = api.client.post("/api/v1/auth/token", json={"username": "renshi", "password": "test-pass-123"})
    assert fresh.status_code == 200
    _deploy(api, "benign", bpmn.script("done = True", "收尾"))
    instance_id = api.start("benign").json["id"]
    task = _waiting_task(api, instance_id)
    assert api.complete(task["id"], "gongzuozu").status_code == 200
    detail = api.get(f"/api/v1/instances/{instance_id}").json
    assert detail["status"] == "completed" and detail["data"]["done"] is True


def test_catching_the_time_limit_does_not_keep_the_step_running(api):
    """Finding 1: `except Exception` around an endless loop, then another loop, ran 65 s
    against a 1 s limit."""
    _deploy(
        api,
        "catcher",
        bpmn.script(
            "try:\n    while True:\n        pass\nexcept Exception:\n    pass\nwhile True:\n    pass",
            "吞掉超时",
        ),
    )
    body = _fails_at_the_next_step(api, "catcher")
    assert "吞掉超时" in body["detail"] and "脚本运行超过 2 秒" in body["detail"]
    assert body["element_id"] == "S2"
    _others_still_work(api)


def test_time_in_helpers_counts_against_the_limit(api):
    """Finding 2: 400 calls of add_workdays(…, 3650) ran 9 s against a 1 s limit."""
    _deploy(
        api,
        "helper_loop",
        bpmn.script("for i in range(400):\n    d = add_workdays('2026-01-05', 3650)", "反复算期限"),
    )
    body = _fails_at_the_next_step(api, "helper_loop")
    assert "反复算期限" in body["detail"] and "脚本运行超过 2 秒" in body["detail"]
    _others_still_work(api)


def _scoring(collection: str) -> str:
    return (
        '<bpmn:userTask id="{id}" name="评委打分" camunda:candidateGroups="评委">'
        f"{collection}</bpmn:userTask>"
    )


def test_a_multi_instance_collection_over_the_limit_creates_no_tasks(api, db):
    """Finding 3: a collection of 10**4 made 10,000 tasks in one step."""
    collection = (
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="pingwei_list" '
        'camunda:elementVariable="pingwei" />'
    )
    _deploy(
        api, "many_judges", bpmn.script("pingwei_list = list(range(10**4))", "名单"), _scoring(collection)
    )
    body = _fails_at_the_next_step(api, "many_judges")
    assert "多实例活动「评委打分」要创建 10000 个实例，超过上限 5" in body["detail"]
    assert "XUANPIN_MAX_INSTANCES_PER_ACTIVITY" in body["detail"]
    assert api.inbox("pingwei1") == []
    # Within the limit the same diagram works.
    _deploy(
        api,
        "few_judges",
        bpmn.script("pingwei_list = ['pingwei1', 'pingwei2']", "名单"),
        _scoring(collection),
    )
    instance_id = api.start("few_judges").json["id"]
    assert api.complete(_waiting_task(api, instance_id)["id"], "gongzuozu").status_code == 200
    assert len(api.get(f"/api/v1/instances/{instance_id}").json["open_tasks"]) == 2


@pytest.mark.parametrize(
    ("cardinality", "expected"),
    [("10**4", "要创建 10000 个实例，超过上限 5"), ("['a', 'b']", "应为整数，实际是集合")],
)
def test_a_cardinality_over_the_limit_or_not_a_number_is_refused(api, cardinality, expected):
    characteristics = (
        f"<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{cardinality}"
        "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"
    )
    _deploy(api, "counted", _scoring(characteristics))
    body = _fails_at_the_next_step(api, "counted")
    assert "评委打分" in body["detail"] and expected in body["detail"]
    assert body["element_id"] == "S2"


@pytest.mark.parametrize(
    ("code", "setting"),
    [
        ("x = sum(range(10**12))", "XUANPIN_SCRIPT_MAX_ITEMS"),
        ("x = 'a' * 10**10", "XUANPIN_SCRIPT_MAX_STRING"),
        ("x = [0] * 10**10", "XUANPIN_SCRIPT_MAX_ITEMS"),
    ],
)
def test_a_single_huge_c_call_is_refused_before_it_starts(api, code, setting):
    """Finding 4: `sum(range(10**12))` froze a worker until gunicorn killed it."""
    _deploy(api, "huge", bpmn.script(code, "大计算"))
    body = _fails_at_the_next_step(api, "huge")
    assert "大计算" in body["detail"] and setting in body["detail"] and "超过上限" in body["detail"]
    _others_still_work(api)


@pytest.mark.parametrize("code", ["raise SystemExit", "raise SystemExit(0)", "raise KeyboardInterrupt()"])
def test_exiting_the_interpreter_fails_the_step_not_the_worker(api, code):
    """Finding 4: `raise SystemExit` or `KeyboardInterrupt` killed the worker."""
    _deploy(api, "quitter", bpmn.script(code, "退出"))
    body = _fails_at_the_next_step(api, "quitter")
    name = code.split()[1].split("(")[0]
    assert "退出" in body["detail"] and name in body["detail"]
    _others_still_work(api)


@pytest.mark.parametrize(
    ("code", "word"),
    [
        ("try:\n    while True:\n        pass\nexcept BaseException:\n    pass", "BaseException"),
        ("try:\n    x = 1\nfinally:\n    while True:\n        pass", "finally"),
    ],
)
def test_handlers_that_could_outlive_the_limit_are_refused_at_deployment(api, code, word):
    document = bpmn.linear("outliver", bpmn.script(code, "赖着不走"))
    body = assert_problem(api.deploy(("outliver.bpmn", document)), 422)
    assert body["element_id"] == "S1" and "赖着不走" in body["detail"] and word in body["detail"]


@pytest.mark.live
@pytest.mark.parametrize(
    ("code", "name"),
    [
        (CATCHER, "吞掉超时"),
        ("for i in range(400):\n    d = add_workdays('2026-01-05', 3650)", "反复算期限"),
    ],
)
def test_a_hostile_step_on_a_real_server_holds_up_no_one_else(api, code, name):
    """Issue 9 findings 1, 2 on `xuanpin serve` with several workers: while one worker runs the
    hostile step, a login and a completion on another instance, sent at the same moment, go
    through; the hostile step answers 422 naming the limit and its instance still waits."""
    _deploy(api, "hostile", bpmn.script(code, name))
    _deploy(api, "benign", bpmn.script("done = True", "收尾"))
    hostile_id = api.start("hostile").json["id"]
    benign_id = api.start("benign").json["id"]
    hostile_task = _waiting_task(api, hostile_id)
    benign_task = _waiting_task(api, benign_id)
    api.token("gongzuozu")  # logged in beforehand: the concurrent login below is a fresh one
    start = threading.Barrier(3)

    def at_once(call):
        def run():
            start.wait()
            return call()

        return run

    calls = [
        at_once(lambda: api.complete(hostile_task["id"], "gongzuozu", note="提交")),
        at_once(
            lambda: api.client.post(
                "/api/v1/auth/token", json={"username": "renshi", "password": "test-pass-123"}
            )
        ),
        at_once(lambda: api.complete(benign_task["id"], "gongzuozu")),
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        hostile, login, benign = [future.result() for future in [pool.submit(c) for c in calls]]
    body = assert_problem(hostile, 422)
    assert name in body["detail"] and "脚本运行超过 2 秒" in body["detail"]
    assert login.status_code == 200, login.get_data(as_text=True)
    assert benign.status_code == 200, benign.get_data(as_text=True)
    assert benign.json["status"] == "completed"
    detail = api.get(f"/api/v1/instances/{hostile_id}").json
    assert detail["status"] == "running" and [t["id"] for t in detail["open_tasks"]] == [hostile_task["id"]]
