"""Signed webhooks from the transactional outbox (issue 14): signatures, retries with the same
id, 410, dead letters and redelivery, order per instance across two delivering workers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time

import pytest

from service.config import Settings
from service.services import webhook_delivery
from tests import bpmn
from tests.conftest import assert_problem, sql_count
from tests.receivers import http_receiver

BASE = "https://xp.example.cn"
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.fixture()
def settings(migrated: str) -> Settings:
    return Settings(
        database_url=migrated,
        scheduler_enabled=False,
        script_time_limit_seconds=2.0,
        token_ttl_hours=24 * 365 * 5,
        webhook_retry_first_seconds=0.01,
        webhook_retry_period_seconds=30.0,
        webhook_timeout_seconds=5.0,
        public_base_url=BASE,
    )


def _deploy(api, key: str = "shenhe") -> None:
    diagram = bpmn.linear(key, bpmn.user("资格审查", 'camunda:candidateGroups="工作组"'), name="资格审查流程")
    assert api.deploy((f"{key}.bpmn", diagram)).status_code == 201


def _subscribe(api, url: str, events: list[str], **extra) -> dict:
    response = api.post("/api/v1/webhooks", json={"url": url, "events": events, "secret": SECRET, **extra})
    assert response.status_code == 201, response.json
    return response.json


def _deliver(app, until=lambda: True, rounds: int = 200) -> None:
    """Run delivery ticks until `until()` holds (retries wait a few milliseconds)."""
    container = app.extensions["xuanpin"]
    for _ in range(rounds):
        webhook_delivery.deliver_due(container)
        if until():
            return
        time.sleep(0.02)
    raise AssertionError("delivery did not finish")


def _verify(received, secret: str = SECRET) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return expected in received.headers["webhook-signature"].split(" ")


def _run_case(api, business_key: str) -> str:
    case = api.start("shenhe", user="admin", business_key=business_key).json["id"]
    [task] = api.inbox("gongzuozu", instance_id=case)
    assert api.complete(task["id"], "gongzuozu", hege=True).status_code == 200
    return case


def test_events_are_signed_ordered_and_describe_the_task(api, app):
    _deploy(api)
    events = ["instance.started", "task.created", "task.completed", "instance.completed"]
    with http_receiver() as receiver:
        _subscribe(api, receiver.url, events)
        case = _run_case(api, "SC-1")
        _deliver(app, lambda: len(receiver.requests) == 4)
    bodies = [r.json for r in receiver.requests]
    assert [b["type"] for b in bodies] == events
    assert all(_verify(r) for r in receiver.requests)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [b["id"] for b in bodies]
    assert len({b["id"] for b in bodies}) == 4
    versions = [b["version"] for b in bodies]
    assert versions == sorted(versions) and len(set(versions)) == 4
    created = bodies[1]["data"]
    assert created["instance"]["id"] == case and created["instance"]["business_key"] == "SC-1"
    assert created["instance"]["process_name"] == "资格审查流程"
    assert created["task"]["title"] == "资格审查" and created["task"]["candidate_roles"] == ["工作组"]
    assert created["task"]["links"]["pc"] == f"{BASE}/tasks/{created['task']['id']}"
    # Accounts outlive tests: another test's 工作组 member may hold a to-do of it too.
    todo = next(t for t in created["todos"] if t["receiver"] == "gongzuozu")
    assert todo["state"] == "pending"
    assert todo["title"] == "资格审查流程：资格审查（SC-1）"
    completed = bodies[2]["data"]
    assert completed["actor"] == "gongzuozu" and completed["task"]["completed_by"] == "gongzuozu"
    assert {t["state"] for t in completed["todos"]} == {"done"}
    assert any(t["receiver"] == "gongzuozu" for t in completed["todos"])
    # A wrong secret does not verify.
    other = "whsec_" + base64.b64encode(b"another-secret-of-32-bytes-long!").decode()
    assert not _verify(receiver.requests[0], other)


def test_a_failing_receiver_gets_the_same_event_id_until_it_succeeds(api, app):
    _deploy(api)
    with http_receiver((500, "busy"), (503, "down")) as receiver:
        hook = _subscribe(api, receiver.url, ["instance.started"])
        api.start("shenhe", user="admin", business_key="SC-2")
        _deliver(app, lambda: len(receiver.requests) == 3)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == 3 and len(set(ids)) == 1
    assert all(_verify(r) for r in receiver.requests)
    [delivery] = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json["items"]
    assert (delivery["status"], delivery["attempts"], delivery["event_id"]) == ("delivered", 3, ids[0])
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}").json["log"]
    assert [entry["status_code"] for entry in log] == [500, 503, 200]


def test_gone_disables_the_subscription_and_dead_letters_can_be_redelivered(api, app, settings):
    _deploy(api)
    with http_receiver((410, "gone")) as receiver:
        hook = _subscribe(api, receiver.url, ["instance.started"])
        api.start("shenhe", user="admin", business_key="SC-3")
        _deliver(app, lambda: len(receiver.requests) == 1)
        detail = api.get(f"/api/v1/webhooks/{hook['id']}").json
        assert detail["active"] is False and "410" in detail["disabled_reason"]
        [dead] = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json["items"]
        assert dead["status"] == "dead"
        # Later events are not even queued for a disabled subscription.
        api.start("shenhe", user="admin", business_key="SC-4")
        assert len(api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json["items"]) == 1
        # Switched on again, the dead letter goes out with its original id.
        assert api.put(f"/api/v1/webhooks/{hook['id']}/active", json={"active": True}).status_code == 200
        again = api.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{dead['id']}/redeliver")
        assert again.status_code == 200 and again.json["status"] == "pending"
        _deliver(app, lambda: len(receiver.requests) == 2)
    assert receiver.requests[1].headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]
    assert api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json["items"][0]["status"] == "delivered"


def test_retries_stop_after_the_period(api, app, db):
    _deploy(api)
    with http_receiver(*[(500, "no")] * 1000) as receiver:
        hook = _subscribe(api, receiver.url, ["instance.started"])
        api.start("shenhe", user="admin")
        # The period is over: the next failure makes the delivery a dead letter.
        with db.transaction(write=True) as session:
            from sqlalchemy import text

            session.execute(text("UPDATE webhook_deliveries SET retry_from = '2000-01-01 00:00:00'"))
        dead = "SELECT count(*) FROM webhook_deliveries WHERE status = 'dead'"
        _deliver(app, lambda: sql_count(db, dead) == 1)
    assert len(receiver.requests) == 1
    listed = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries", query_string={"status": "dead"})
    assert [item["last_status"] for item in listed.json["items"]] == [500]


def test_key_rotation_signs_with_both_secrets(api, app):
    _deploy(api)
    with http_receiver() as receiver:
        hook = _subscribe(api, receiver.url, ["instance.started"])
        rotated = api.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", json={}).json
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != SECRET
        api.start("shenhe", user="admin")
        _deliver(app, lambda: len(receiver.requests) == 1)
    [received] = receiver.requests
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert _verify(received, SECRET) and _verify(received, rotated["secret"])


def test_order_per_instance_is_kept_across_two_delivering_workers(api, app):
    """Two workers (replicas) deliver at once; each instance's events arrive in order."""
    _deploy(api)
    events = ["instance.started", "task.created", "task.completed", "instance.completed"]

    def slow(_received):  # widen the window in which the other worker could overtake
        time.sleep(0.01)

    with http_receiver() as receiver:
        receiver.on_request = slow
        _subscribe(api, receiver.url, events)
        cases = [_run_case(api, f"SC-P{i}") for i in range(5)]
        container = app.extensions["xuanpin"]
        done = threading.Event()

        def worker(name: str) -> None:
            while not done.is_set():
                webhook_delivery.deliver_due(container, name, rounds=1)
                time.sleep(0.005)

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in (1, 2)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + 60
            while len(receiver.requests) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            done.set()
            for thread in threads:
                thread.join()
    bodies = [r.json for r in receiver.requests]
    assert len(bodies) == 20  # each event exactly once here (no failures)
    for case in cases:
        mine = [b for b in bodies if b["data"]["instance"]["id"] == case]
        assert [b["type"] for b in mine] == events
        assert [b["version"] for b in mine] == sorted(b["version"] for b in mine)


def test_webhooks_are_for_admins_and_checked(api):
    body = {"url": "http://127.0.0.1:9/x", "events": ["task.created"]}
    assert_problem(api.post("/api/v1/webhooks", user="gongzuozu", json=body), 403)
    assert_problem(api.get("/api/v1/webhooks", user="gongzuozu"), 403)
    assert_problem(api.post("/api/v1/webhooks", json={**body, "url": "ftp://x"}), 422)
    assert_problem(api.post("/api/v1/webhooks", json={**body, "events": ["task.eaten"]}), 422)
    assert_problem(api.post("/api/v1/webhooks", json={**body, "format": "ecology"}), 422)
    created = api.post("/api/v1/webhooks", json=body).json
    assert created["secret"].startswith("whsec_")
    assert "secret" not in api.get("/api/v1/webhooks").json["items"][0]
    assert api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert_problem(api.get(f"/api/v1/webhooks/{created['id']}"), 404)
    assert_problem(api.post(f"/api/v1/webhooks/{created['id']}/deliveries/1/redeliver"), 404)
