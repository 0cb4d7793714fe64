"""Unified to-do push (issue 14): e-cology 统一待办 payloads, reconciliation, Idempotency-Key,
e-mail notifications."""

from __future__ import annotations

import email
import email.policy

import pytest

from service.config import Settings
from service.services import webhook_delivery
from tests import bpmn
from tests.conftest import assert_problem, sql_count
from tests.receivers import http_receiver, smtp_server

BASE = "https://xp.example.cn"


@pytest.fixture()
def settings(migrated: str) -> Settings:
    return Settings(
        database_url=migrated,
        scheduler_enabled=False,
        script_time_limit_seconds=2.0,
        token_ttl_hours=24 * 365 * 5,
        webhook_retry_first_seconds=0.01,
        public_base_url=BASE,
    )


def _deploy(api) -> None:
    diagram = bpmn.linear(
        "shenhe", bpmn.user("资格审查", 'camunda:candidateGroups="工作组"'), name="资格审查流程"
    )
    assert api.deploy(("shenhe.bpmn", diagram)).status_code == 201


def _deliver(app) -> None:
    container = app.extensions["xuanpin"]
    for _ in range(5):
        webhook_delivery.deliver_due(container)


def test_ecology_payloads_for_create_cc_and_done(api, app):
    _deploy(api)
    assert api.put("/api/v1/contacts/gongzuozu", json={"oa_user_id": "OA1001"}).status_code == 200
    assert api.put("/api/v1/contacts/admin", json={"oa_user_id": "OA0001"}).status_code == 200
    assert api.put("/api/v1/contacts/jijian", json={"oa_user_id": "OA2002"}).status_code == 200
    events = ["task.created", "task.completed", "cc.created"]
    with http_receiver() as receiver:
        hook = {"url": receiver.url, "events": events, "format": "ecology", "options": {"syscode": "XPL"}}
        assert api.post("/api/v1/webhooks", json=hook).status_code == 201
        case = api.start("shenhe", user="admin", business_key="SC-9").json["id"]
        [task] = api.inbox("gongzuozu", instance_id=case)
        assert (
            api.post(
                f"/api/v1/tasks/{task['id']}/cc", user="gongzuozu", json={"users": ["jijian"]}
            ).status_code
            == 200
        )
        assert api.complete(task["id"], "gongzuozu", hege=True).status_code == 200
        _deliver(app)
    # Accounts outlive tests: other 工作组 members may receive their own copies; these are ours.
    ours = [r.json for r in receiver.requests if r.json["receiver"] in {"OA1001", "OA2002"}]
    created, cc, done = ours
    assert all(r.headers["webhook-signature"].startswith("v1,") for r in receiver.requests)
    assert set(created) == {
        "syscode", "flowid", "requestname", "workflowname", "nodename", "pcurl", "appurl", "isremark",
        "viewtype", "creator", "createdatetime", "receiver", "receivedatetime", "receivets",
    }  # fmt: skip
    assert created["syscode"] == "XPL" and created["flowid"] == task["id"]
    assert created["requestname"] == "资格审查流程：资格审查（SC-9）"
    assert (created["workflowname"], created["nodename"]) == ("资格审查流程", "资格审查")
    assert created["pcurl"] == f"{BASE}/tasks/{task['id']}"
    assert created["appurl"] == f"{BASE}/tasks/{task['id']}?client=mobile"
    assert (created["isremark"], created["viewtype"]) == ("0", "0")
    assert (created["creator"], created["receiver"]) == ("OA0001", "OA1001")
    assert len(created["createdatetime"]) == 19 and created["createdatetime"][10] == " "
    assert (cc["isremark"], cc["receiver"], cc["flowid"]) == ("8", "OA2002", task["id"])
    # The case ended with the task: 办结 (4), read.
    assert (done["isremark"], done["viewtype"], done["receiver"]) == ("4", "1", "OA1001")
    assert int(created["receivets"]) < int(cc["receivets"]) < int(done["receivets"])


def test_todos_reconcile_by_version(api):
    _deploy(api)
    case = api.start("shenhe", user="admin").json["id"]
    token = api.post("/api/v1/tokens", json={"name": "OA"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    page = api.client.get("/api/v1/todos", headers=headers, query_string={"receiver": "gongzuozu"}).json
    [todo] = page["items"]
    assert (todo["state"], todo["instance_id"], todo["pc_url"]) == (
        "pending",
        case,
        f"{BASE}/tasks/{todo['task_id']}",
    )
    api.complete(todo["task_id"], "gongzuozu")
    later = api.client.get(
        "/api/v1/todos", headers=headers, query_string={"receiver": "gongzuozu", "since": page["next_since"]}
    ).json
    assert [(t["task_id"], t["state"], t["finished"]) for t in later["items"]] == [
        (todo["task_id"], "done", True)
    ]
    assert later["items"][0]["version"] > todo["version"]
    # People read their own to-dos only.
    assert (
        api.get("/api/v1/todos", user="gongzuozu", query_string={"receiver": "gongzuozu"}).status_code == 200
    )
    assert_problem(api.get("/api/v1/todos", user="gongzuozu", query_string={"receiver": "jijian"}), 403)


def test_the_same_start_with_one_idempotency_key_creates_one_case(api, db):
    _deploy(api)
    body = {"definition_key": "shenhe", "business_key": "ID-1", "data": {"a": 1}}
    headers = {**api.headers("admin"), "Idempotency-Key": "start-ID-1"}
    first = api.client.post("/api/v1/instances", headers=headers, json=body)
    again = api.client.post("/api/v1/instances", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotency-Replayed"] == "true"
    assert sql_count(db, "SELECT count(*) FROM instances WHERE business_key = 'ID-1'") == 1
    other = api.client.post("/api/v1/instances", headers=headers, json={**body, "data": {"a": 2}})
    assert_problem(other, 422)
    # Completing a task with a key: the retry answers the first response, nothing is done twice.
    [task] = api.inbox("gongzuozu", instance_id=first.json["id"])
    done_headers = {**api.headers("gongzuozu"), "Idempotency-Key": "done-1"}
    url = f"/api/v1/tasks/{task['id']}/complete"
    ok = api.client.post(url, headers=done_headers, json={"data": {}})
    replay = api.client.post(url, headers=done_headers, json={"data": {}})
    assert ok.status_code == replay.status_code == 200 and replay.json == ok.json
    # Another caller's key of the same text is another key.
    assert api.client.post(
        "/api/v1/instances", headers={**api.headers("renshi"), "Idempotency-Key": "start-ID-1"}, json=body
    ).status_code in (403, 409)


def test_email_for_a_new_task_and_an_urge(api, app, migrated):
    from dataclasses import replace

    _deploy(api)
    assert api.put("/api/v1/contacts/gongzuozu", json={"email": "gzz@example.cn"}).status_code == 200
    assert_problem(api.put("/api/v1/contacts/gongzuozu", json={"email": "not-an-address"}), 422)
    container = app.extensions["xuanpin"]
    with smtp_server() as mailbox:
        container.settings = replace(container.settings, smtp_host="127.0.0.1", smtp_port=mailbox.port)
        webhook_delivery.tick(container)  # the e-mail channel appears with the SMTP setting
        case = api.start("shenhe", user="admin", business_key="EM-1").json["id"]
        [task] = api.inbox("gongzuozu", instance_id=case)
        assert api.post(f"/api/v1/tasks/{task['id']}/urge", json={"message": "请今日办理"}).status_code == 200
        for _ in range(3):
            webhook_delivery.tick(container)
    assert [m["to"] for m in mailbox.messages] == [["gzz@example.cn"], ["gzz@example.cn"]]
    new, urged = (email.message_from_bytes(m["data"], policy=email.policy.default) for m in mailbox.messages)
    assert new["Subject"] == "【新待办】资格审查流程：资格审查"
    assert f"{BASE}/tasks/{task['id']}" in new.get_content()
    assert urged["Subject"] == "【催办】资格审查流程：资格审查"
    assert "请今日办理" in urged.get_content()
