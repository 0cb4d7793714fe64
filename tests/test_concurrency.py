"""One instance has one writer at a time: racing requests never corrupt it or lose a completion."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from tests.conftest import FIXTURES


def _race(api, calls: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    """Fire the calls at the same moment from separate threads, each with its own client."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    headers = [api.headers(user) for _, user, _ in calls]

    def worker(index: int) -> None:
        path, _, body = calls[index]
        client = api.client.application.test_client()
        barrier.wait()
        results[index] = client.post(path, headers=headers[index], json=body)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _parallel_tasks(api) -> dict[str, dict[str, Any]]:
    api.deploy(FIXTURES / "assignment.bpmn", FIXTURES / "ceshi_dengji.schema.json")
    instance = api.start("ceshi_fenpai", user="gongzuozu").json
    [register] = api.inbox("gongzuozu", instance_id=instance["id"])
    result = api.complete(register["id"], "gongzuozu", fuheren="renshi", beiyong="renshi2")
    return {t["title"]: t for t in result.json["open_tasks"]}


def test_same_task_completed_twice_at_once_one_wins_one_gets_409(api):
    for _round in range(3):
        tasks = _parallel_tasks(api)
        task_id = tasks["评委打分"]["id"]
        path = f"/api/v1/tasks/{task_id}/complete"
        results = _race(api, [(path, "pingwei", {"data": {"n": 1}}), (path, "pingwei", {"data": {"n": 2}})])
        assert Counter(r.status_code for r in results) == {200: 1, 409: 1}, [r.json for r in results]
        loser = next(r for r in results if r.status_code == 409)
        assert loser.content_type.startswith("application/problem+json")
        detail = api.get(f"/api/v1/tasks/{task_id}", user="pingwei").json
        winner = next(r for r in results if r.status_code == 200)
        assert detail["status"] == "completed" and detail["data"]["n"] in (1, 2)
        assert winner.json["instance"]["id"] == detail["instance_id"]


def test_parallel_branches_completed_at_once_lose_nothing(api):
    for _round in range(3):
        tasks = _parallel_tasks(api)
        calls = [
            (f"/api/v1/tasks/{tasks['评委打分']['id']}/complete", "pingwei", {"data": {"dafen": 90}}),
            (f"/api/v1/tasks/{tasks['指定人复核']['id']}/complete", "renshi", {"data": {"fuhe": "通过"}}),
            (f"/api/v1/tasks/{tasks['点名办理']['id']}/complete", "li", {"data": {"banli": "完成"}}),
        ]
        results = _race(api, calls)
        assert [r.status_code for r in results] == [200, 200, 200], [r.json for r in results]
        instance_id = results[0].json["instance"]["id"]
        detail = api.get(f"/api/v1/instances/{instance_id}").json
        assert detail["status"] == "completed"
        titles = [s["title"] for s in detail["completed_steps"]]
        assert {"评委打分", "指定人复核", "点名办理", "结束"} <= set(titles)
        assert detail["open_tasks"] == []
