"""A case's data is bounded (issue 9, finding 8): a 100 MB string or 200,000 items were stored.

The limits are settings (XUANPIN_MAX_INSTANCE_DATA_BYTES, XUANPIN_MAX_INSTANCE_DATA_KEYS; 2 MB
and 10,000 by default); this module runs with small ones so the cases stay small. What the
client sends is checked before anything runs, what the case would hold after the step is
checked before it is saved; both answer 422 naming the limit, and nothing is saved."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.config import Settings
from tests import bpmn
from tests.conftest import assert_problem

MAX_BYTES = 4096
MAX_KEYS = 20


@pytest.fixture()
def settings(settings):
    return replace(settings, max_instance_data_bytes=MAX_BYTES, max_instance_data_keys=MAX_KEYS)


def _deploy_two_steps(api, script: str = "x = 1") -> None:
    document = bpmn.linear(
        "limits",
        bpmn.user("登记", 'camunda:candidateGroups="工作组"'),
        bpmn.script(script, "汇总"),
        bpmn.user("复核", 'camunda:candidateGroups="工作组"'),
    )
    assert api.deploy(("limits.bpmn", document)).status_code == 201


def test_start_data_over_the_byte_limit_is_422_naming_it(api):
    _deploy_two_steps(api)
    problem = assert_problem(api.start("limits", user="gongzuozu", fujian="x" * MAX_BYTES), 422)
    assert problem["limit"] == "XUANPIN_MAX_INSTANCE_DATA_BYTES" and problem["max"] == MAX_BYTES
    assert "4.0 KB" in problem["detail"] and "data" in problem["errors"]
    assert api.get("/api/v1/instances").json["total"] == 0


def test_start_data_with_too_many_items_is_422_naming_it(api):
    _deploy_two_steps(api)
    items = {f"x{i}": i for i in range(MAX_KEYS + 1)}
    problem = assert_problem(api.start("limits", user="gongzuozu", **items), 422)
    assert problem["limit"] == "XUANPIN_MAX_INSTANCE_DATA_KEYS" and problem["max"] == MAX_KEYS
    assert f"{MAX_KEYS + 1} 个" in problem["detail"]
    # Exactly at the limit is fine.
    items.pop(f"x{MAX_KEYS}")
    assert api.start("limits", user="gongzuozu", **items).status_code == 201


def test_a_completion_growing_the_case_beyond_the_limit_is_422_and_the_task_stays_open(api):
    _deploy_two_steps(api)
    started = api.start("limits", user="gongzuozu", beizhu="a" * (MAX_BYTES // 2)).json
    task = api.inbox("gongzuozu")[0]
    # Small enough on its own, too large together with what the case already holds.
    problem = assert_problem(api.complete(task["id"], "gongzuozu", yijian="b" * (MAX_BYTES // 2)), 422)
    assert problem["limit"] == "XUANPIN_MAX_INSTANCE_DATA_BYTES"
    assert [t["id"] for t in api.inbox("gongzuozu")] == [task["id"]]
    detail = api.get(f"/api/v1/instances/{started['id']}").json
    assert "yijian" not in detail["data"] and detail["status"] == "running"
    assert api.complete(task["id"], "gongzuozu", yijian="同意").status_code == 200


def test_a_submission_over_the_limit_is_422_before_the_form_is_read(api):
    _deploy_two_steps(api)
    api.start("limits", user="gongzuozu")
    task = api.inbox("gongzuozu")[0]
    problem = assert_problem(api.complete(task["id"], "gongzuozu", fujian="x" * MAX_BYTES), 422)
    assert problem["limit"] == "XUANPIN_MAX_INSTANCE_DATA_BYTES"


def test_a_script_growing_the_case_beyond_the_limit_is_refused(api):
    _deploy_two_steps(api, script=f"mingdan = ['张三'] * {MAX_BYTES}")
    api.start("limits", user="gongzuozu")
    task = api.inbox("gongzuozu")[0]
    problem = assert_problem(api.complete(task["id"], "gongzuozu"), 422)
    assert problem["limit"] == "XUANPIN_MAX_INSTANCE_DATA_BYTES"
    assert [t["id"] for t in api.inbox("gongzuozu")] == [task["id"]]


def test_the_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("XUANPIN_MAX_INSTANCE_DATA_BYTES", "1000")
    monkeypatch.setenv("XUANPIN_MAX_INSTANCE_DATA_KEYS", "7")
    settings = Settings.from_env()
    assert (settings.max_instance_data_bytes, settings.max_instance_data_keys) == (1000, 7)
    monkeypatch.delenv("XUANPIN_MAX_INSTANCE_DATA_BYTES")
    monkeypatch.delenv("XUANPIN_MAX_INSTANCE_DATA_KEYS")
    defaults = Settings.from_env()
    assert (defaults.max_instance_data_bytes, defaults.max_instance_data_keys) == (2 * 1024 * 1024, 10_000)
