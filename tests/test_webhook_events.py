"""Webhook events of issue 14 not covered by test_webhooks.py: every to-do operation (claim,
transfer, delegate, return, cc, read, urge) with the fields an OA to-do needs, task.overdue
(webhook and e-mail), instance.error / cancelled, message.thrown, the case's organisation in
every payload, and the pruning of delivered events."""

from __future__ import annotations

import base64
import email
import email.policy
import time
import uuid
from dataclasses import replace
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import text

from service.config import Settings
from service.scheduler import TimerScheduler
from service.services import webhook_delivery
from service.services.outbox import EVENT_TYPES
from service.timeutil import SHANGHAI
from tests import bpmn
from tests.conftest import sql_count
from tests.receivers import http_receiver, smtp_server

BASE = "https://xp.example.cn"
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
# Subscribed to every event the service sends.
ALL = list(EVENT_TYPES)


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
        urge_interval_minutes=0,
        public_base_url=BASE,
    )


def _container(app):
    return app.extensions["xuanpin"]


def _subscribe(api, url: str, events: list[str] = ALL, **extra) -> dict:
    response = api.post("/api/v1/webhooks", json={"url": url, "events": events, "secret": SECRET, **extra})
    assert response.status_code == 201, response.json
    return response.json


def _deliver(app, until=lambda: True, rounds: int = 100) -> None:
    for _ in range(rounds):
        webhook_delivery.deliver_due(_container(app))
        if until():
            return
        time.sleep(0.02)
    raise AssertionError("delivery did not finish")


def _of(receiver, instance_id: str, type_: str | None = None) -> list[dict]:
    bodies = [r.json for r in receiver.requests]
    return [
        b
        for b in bodies
        if (b["data"].get("instance") or {}).get("id") == instance_id and type_ in (None, b["type"])
    ]


def _mine(body: dict, receiver: str, kind: str = "todo") -> dict:
    [todo] = [t for t in body["data"]["todos"] if t["receiver"] == receiver and t["kind"] == kind]
    return todo


# To-do operations, table-driven --------------------------------------------------------------

OPS = bpmn.linear(
    "wh_ops",
    bpmn.user("起草", 'camunda:candidateGroups="企业人事"'),
    bpmn.user("审核", 'camunda:candidateGroups="企业人事"'),
    name="事件测试流程",
)


def test_each_to_do_operation_is_delivered_with_what_an_oa_to_do_needs(api, app):
    """Claim, transfer, delegate, cc, read, urge and return each reach a subscribed receiver
    with the receivers' to-do rows (receiver, state, version in ms) and the generic envelope."""
    assert api.deploy(("wh_ops.bpmn", OPS)).status_code == 201
    for user, oa in (("renshi", "OA-RS1"), ("renshi2", "OA-RS2"), ("guozi", "OA-GZ"), ("jijian", "OA-JJ")):
        assert api.put(f"/api/v1/contacts/{user}", json={"oa_user_id": oa}).status_code == 200
    with http_receiver() as receiver:
        _subscribe(api, receiver.url)
        case = api.start("wh_ops", user="admin", business_key="OPS-1").json["id"]
        [task] = api.inbox("renshi", instance_id=case)
        path = f"/api/v1/tasks/{task['id']}"
        steps = [
            ("task.assigned", api.post(f"{path}/claim", user="renshi")),
            ("task.delegated", api.post(f"{path}/delegate", user="renshi", json={"to_user": "renshi2"})),
            ("task.resolved", api.post(f"{path}/resolve", user="renshi2", json={})),
            ("task.transferred", api.post(f"{path}/transfer", user="renshi", json={"to_user": "renshi2"})),
        ]
        steps.append(("cc.created", api.post(f"{path}/cc", user="renshi2", json={"users": ["jijian"]})))
        [item] = api.get("/api/v1/cc", user="jijian", query_string={"status": "unread"}).json["items"]
        steps.append(("cc.read", api.post(f"/api/v1/cc/{item['id']}/read", user="jijian")))
        steps.append(("task.urged", api.post(f"{path}/urge", json={"message": "请今日办理"})))
        steps.append(("task.completed", api.complete(task["id"], "renshi2")))
        [review] = api.inbox("renshi", instance_id=case)
        api.post(f"/api/v1/tasks/{review['id']}/claim", user="renshi")
        returned = api.post(f"/api/v1/tasks/{review['id']}/return", user="renshi", json={"target": "S1"})
        steps.append(("task.returned", returned))
        for name, response in steps:
            assert response.status_code == 200, (name, response.json)
        _deliver(app, lambda: any(b["type"] == "task.returned" for b in _of(receiver, case)))
        _deliver(app)  # the events after the return (the new 起草 task)
    bodies = _of(receiver, case)
    versions = [b["version"] for b in bodies]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    first = {}
    for body in bodies:
        first.setdefault((body["type"], body["data"]["task"]["id"] if "task" in body["data"] else None), body)

    def event(type_: str, task_id: str = task["id"]) -> dict:
        return first[(type_, task_id)]

    # Claimed: the claimant's to-do is pending, a colleague's goes done.
    claimed = event("task.assigned")
    assert claimed["data"]["actor"] == "renshi" and claimed["data"]["task"]["assignee"] == "renshi"
    assert _mine(claimed, "renshi2")["state"] == "done"  # the claimant's stays pending (unchanged)
    assert "done" not in {t["state"] for t in claimed["data"]["todos"] if t["receiver"] == "renshi"}
    # Transferred: the old holder's to-do done, the new one's pending, each with its OA id.
    moved = event("task.transferred")
    assert moved["data"]["detail"]["to_user"] == "renshi2"
    assert (_mine(moved, "renshi")["state"], _mine(moved, "renshi")["receiver_oa_id"]) == ("done", "OA-RS1")
    assert (_mine(moved, "renshi2")["state"], _mine(moved, "renshi2")["receiver_oa_id"]) == (
        "pending",
        "OA-RS2",
    )
    # Delegated: the delegate holds it now.
    delegated = event("task.delegated")
    assert (
        delegated["data"]["task"]["assignee"] == "renshi2"
        and delegated["data"]["detail"]["to_user"] == "renshi2"
    )
    assert _mine(delegated, "renshi2")["state"] == "pending" and _mine(delegated, "renshi")["state"] == "done"
    # Copied and read: a 待阅 (state cc), viewed once read.
    copied, read = event("cc.created"), event("cc.read")
    cc = _mine(copied, "jijian", "cc")
    assert (cc["state"], cc["viewed"], cc["receiver_oa_id"]) == ("cc", False, "OA-JJ")
    assert _mine(read, "jijian", "cc")["viewed"] is True
    assert _mine(read, "jijian", "cc")["version"] > cc["version"]
    # Urged: the holder's to-do, as it stands, and the message.
    urged = event("task.urged")
    assert urged["data"]["detail"]["message"] == "请今日办理" and urged["data"]["actor"] == "admin"
    assert _mine(urged, "renshi2")["state"] == "pending"
    # Returned: the review's to-do done; 起草 again, with the one who did it before.
    back = event("task.returned", review["id"])
    assert back["data"]["detail"]["target"] == "S1" and back["data"]["actor"] == "renshi"
    assert _mine(back, "renshi")["state"] == "done"
    [again] = [
        b
        for b in bodies
        if b["type"] == "task.created"
        and b["data"]["task"]["title"] == "起草"
        and b["version"] > back["version"]
    ]
    assert _mine(again, "renshi2")["state"] == "pending"
    for body in (claimed, moved, delegated, copied, read, urged, back):
        for todo in body["data"]["todos"]:
            assert todo["version"] >= 1_700_000_000_000  # a millisecond timestamp
            assert todo["pc_url"] == f"{BASE}/tasks/{todo['task_id']}"
            assert todo["title"] == f"事件测试流程：{todo['step_name']}（OPS-1）"


def _receivers(body: dict) -> set[str]:
    return {t["receiver"] for t in body["data"]["todos"]}


def test_ecology_requests_for_transfer_and_cc_field_by_field(api, app):
    """统一待办: a transfer makes the old receiver's to-do 已办 (isremark 2) and the new one's
    待办 (0); a copy is 抄送 (8), unread (viewtype 0) then read (1)."""
    assert api.deploy(("wh_ops.bpmn", OPS)).status_code == 201
    for user, oa in (("renshi", "OA-RS1"), ("renshi2", "OA-RS2"), ("jijian", "OA-JJ"), ("admin", "OA-AD")):
        assert api.put(f"/api/v1/contacts/{user}", json={"oa_user_id": oa}).status_code == 200
    events = ["task.assigned", "task.transferred", "cc.created", "cc.read", "task.urged"]
    with http_receiver() as receiver:
        hook = {"url": receiver.url, "events": events, "format": "ecology", "options": {"syscode": "XPL"}}
        assert api.post("/api/v1/webhooks", json=hook).status_code == 201
        case = api.start("wh_ops", user="admin", business_key="EC-T").json["id"]
        [task] = api.inbox("renshi", instance_id=case)
        path = f"/api/v1/tasks/{task['id']}"
        assert api.post(f"{path}/claim", user="renshi").status_code == 200
        _deliver(app)
        claimed = len(receiver.requests)
        assert api.post(f"{path}/transfer", user="renshi", json={"to_user": "renshi2"}).status_code == 200
        _deliver(app)
        transferred = len(receiver.requests)
        assert api.post(f"{path}/cc", user="renshi2", json={"users": ["jijian"]}).status_code == 200
        [item] = api.get("/api/v1/cc", user="jijian", query_string={"status": "unread"}).json["items"]
        assert api.post(f"/api/v1/cc/{item['id']}/read", user="jijian").status_code == 200
        _deliver(app)
        copied_and_read = len(receiver.requests)
        # An urge changes no to-do: e-cology is sent nothing (an old receivets would be stale).
        assert api.post(f"{path}/urge", json={"message": "请今日办理"}).status_code == 200
        _deliver(app)
        assert len(receiver.requests) == copied_and_read
    bodies = [r.json for r in receiver.requests]
    # The transfer is an assignment too: each changed to-do is sent once, not once per event.
    assert sorted(b["receiver"] for b in bodies[claimed:transferred]) == ["OA-RS1", "OA-RS2"]
    moved = {b["receiver"]: b for b in bodies[claimed:transferred]}
    old, new = moved["OA-RS1"], moved["OA-RS2"]
    assert (old["isremark"], old["viewtype"], old["flowid"]) == ("2", "1", task["id"])
    assert (new["isremark"], new["viewtype"], new["flowid"]) == ("0", "0", task["id"])
    assert int(new["receivets"]) == int(old["receivets"]) > max(int(b["receivets"]) for b in bodies[:claimed])
    copied, read = [b for b in bodies[transferred:] if b["receiver"] == "OA-JJ"]
    for body in (old, new, copied, read):
        assert len(body["createdatetime"]) == len(body["receivedatetime"]) == 19
        assert (body["syscode"], body["requestname"]) == ("XPL", "事件测试流程：起草（EC-T）")
        assert (body["workflowname"], body["nodename"], body["creator"]) == ("事件测试流程", "起草", "OA-AD")
        assert body["pcurl"] == f"{BASE}/tasks/{task['id']}"
        assert body["appurl"] == f"{BASE}/tasks/{task['id']}?client=mobile"
    assert (copied["isremark"], copied["viewtype"], copied["flowid"]) == ("8", "0", task["id"])
    assert (read["isremark"], read["viewtype"]) == ("8", "1")
    assert copied["requestname"] == "事件测试流程：起草（EC-T）" and copied["creator"] == "OA-AD"
    assert int(read["receivets"]) > int(copied["receivets"])


# Overdue ---------------------------------------------------------------------------------------

DUE = bpmn.linear(
    "wh_due",
    bpmn.user("资格审查", 'camunda:candidateGroups="工作组" camunda:dueDate="2026-12-01T09:00:00+08:00"'),
    name="期限测试流程",
)


def test_an_overdue_task_is_told_once_by_webhook_and_by_e_mail(api, app):
    """task.overdue: one event per overdue task however often the sweep runs, with the task, its
    due time and the to-dos it is about; the holder with an address gets the 超期 e-mail."""
    assert api.deploy(("wh_due.bpmn", DUE)).status_code == 201
    assert api.put("/api/v1/contacts/gongzuozu", json={"email": "gzz@example.cn"}).status_code == 200
    container = _container(app)
    with http_receiver() as receiver, smtp_server() as mailbox:
        container.settings = replace(container.settings, smtp_host="127.0.0.1", smtp_port=mailbox.port)
        _subscribe(api, receiver.url, ["task.overdue"])
        with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
            webhook_delivery.tick(container)  # the e-mail channel appears with the SMTP setting
            case = api.start("wh_due", user="admin", business_key="DUE-1").json["id"]
            [task] = api.inbox("gongzuozu", instance_id=case)
            for _ in range(2):
                webhook_delivery.tick(container)
            assert _of(receiver, case) == []  # not yet due
        with time_machine.travel(datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI), tick=False):
            for _ in range(3):
                webhook_delivery.tick(container)
        with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
            webhook_delivery.tick(container)
    [overdue] = _of(receiver, case, "task.overdue")
    data = overdue["data"]
    assert data["task"]["id"] == task["id"] and data["task"]["due_at"] == "2026-12-01T09:00:00+08:00"
    assert data["task"]["links"]["pc"] == f"{BASE}/tasks/{task['id']}"
    assert _mine(overdue, "gongzuozu")["state"] == "pending"
    assert _mine(overdue, "gongzuozu")["due_at"] == "2026-12-01T09:00:00+08:00"
    mails = [email.message_from_bytes(m["data"], policy=email.policy.default) for m in mailbox.messages]
    late = [m for m in mails if m["Subject"].startswith("【待办已超期】")]
    assert [m["Subject"] for m in late] == ["【待办已超期】期限测试流程：资格审查"]
    assert f"{BASE}/tasks/{task['id']}" in late[0].get_content()
    assert "期限：2026-12-01 09:00" in late[0].get_content()
    # The new task was mailed too, before it was late.
    assert "【新待办】期限测试流程：资格审查" in [m["Subject"] for m in mails]


# Instance ends and thrown messages -------------------------------------------------------------

WAIT_THEN_ASSIGN = bpmn.linear(
    "wh_error",
    '<bpmn:intermediateCatchEvent id="{id}" name="等待"><bpmn:timerEventDefinition>'
    '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">2026-12-01T09:00:00+08:00</bpmn:timeDate>'
    "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
    bpmn.user("指定人复核", 'camunda:assignee="${fuheren}"'),
    properties={"xuanpin:startFields": "fuheren"},
    name="出错测试流程",
)
THROW = (
    '<bpmn:intermediateThrowEvent id="{id}" name="通知门户">'
    '<bpmn:messageEventDefinition messageRef="Message_tongzhi" '
    "camunda:expression=\"{'bianhao': bianhao}\" /></bpmn:intermediateThrowEvent>"
)


def _thrower() -> bytes:
    document = bpmn.linear("wh_throw", THROW, bpmn.user("确认", 'camunda:candidateGroups="工作组"'))
    return document.replace(
        b'<bpmn:process id="wh_throw"',
        '<bpmn:message id="Message_tongzhi" name="通知门户" />\n<bpmn:process id="wh_throw"'.encode(),
    )


def test_instance_error_cancelled_and_thrown_messages_are_delivered(api, app):
    """instance.error with the error, instance.cancelled with the reason, message.thrown with
    the message and its payload, as GET /api/v1/events shows it."""
    assert api.deploy(("wh_error.bpmn", WAIT_THEN_ASSIGN), ("wh_throw.bpmn", _thrower())).status_code == 201
    events = ["instance.error", "instance.cancelled", "message.thrown"]
    with http_receiver() as receiver:
        _subscribe(api, receiver.url, events)
        nobody = f"nobody-{uuid.uuid4().hex[:8]}"
        with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)):
            failing = api.start("wh_error", fuheren=nobody).json["id"]
        with time_machine.travel(datetime(2026, 12, 1, 9, 0, 1, tzinfo=SHANGHAI)):
            TimerScheduler(_container(app)).tick()
        assert api.get(f"/api/v1/instances/{failing}").json["status"] == "error"
        thrown = api.start("wh_throw", user="gongzuozu", business_key="TZ-W", bianhao="A-9").json["id"]
        cancelled = api.post(f"/api/v1/instances/{thrown}/cancel", json={"reason": "公示对象已调离"})
        assert cancelled.status_code == 200, cancelled.json
        _deliver(app, lambda: len(receiver.requests) >= 3)
    [error] = _of(receiver, failing, "instance.error")
    assert error["data"]["instance"]["status"] == "error" and nobody in error["data"]["instance"]["error"]
    [message] = _of(receiver, thrown, "message.thrown")
    assert message["data"]["detail"]["name"] == "通知门户"
    assert message["data"]["detail"]["payload"] == {"bianhao": "A-9"}
    assert message["data"]["instance"]["business_key"] == "TZ-W"
    [ended] = _of(receiver, thrown, "instance.cancelled")
    assert ended["data"]["instance"]["status"] == "cancelled" and ended["data"]["actor"] == "admin"
    assert ended["data"]["detail"]["reason"] == "公示对象已调离"
    assert ended["version"] > message["version"]
    token = api.post("/api/v1/tokens", json={"name": "门户"}).json["access_token"]
    polled = api.client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"}).json["items"]
    [same] = [e for e in polled if e["instance_id"] == thrown]
    assert same["name"] == "通知门户" and same["payload"] == {"bianhao": "A-9"}


# The case's organisation -----------------------------------------------------------------------


def test_payloads_name_the_cases_organisation(api, app):
    """An OA serving several enterprises routes each event by data.instance.organisation."""
    created = api.post(
        "/api/v1/organisations", json={"code": "t-whq", "name": "测试事件企业", "kind": "企业"}
    )
    assert created.status_code == 201, created.json
    assert api.deploy(("wh_ops.bpmn", OPS)).status_code == 201
    with http_receiver() as receiver:
        _subscribe(api, receiver.url, ["instance.started", "task.created"])
        started = api.post(
            "/api/v1/instances",
            json={"definition_key": "wh_ops", "business_key": "ORG-1", "organisation": "t-whq"},
        )
        assert started.status_code == 201, started.json
        elsewhere = api.start("wh_ops", user="admin", business_key="ORG-2").json["id"]
        _deliver(
            app, lambda: len(_of(receiver, elsewhere)) == 2 and len(_of(receiver, started.json["id"])) == 2
        )
    for body in _of(receiver, started.json["id"]):
        assert body["data"]["instance"]["organisation"] == {"code": "t-whq", "name": "测试事件企业"}
    for body in _of(receiver, elsewhere):
        assert body["data"]["instance"]["organisation"]["code"] == "default"


# Retention -------------------------------------------------------------------------------------


def test_delivered_events_are_pruned_after_the_retention_period_undelivered_never(api, app, db, monkeypatch):
    """XUANPIN_WEBHOOK_RETENTION_DAYS (default 30): the scheduler's webhook job removes delivered
    deliveries, their logs and the events nothing refers to any more; a pending delivery keeps
    its event, an overdue task still open keeps its task.overdue (it is not announced again),
    and the to-do rows stay for GET /api/v1/todos."""
    monkeypatch.setenv("XUANPIN_WEBHOOK_RETENTION_DAYS", "45")
    assert Settings(database_url="sqlite://").webhook_retention_days == 30
    assert Settings.from_env().webhook_retention_days == 45
    assert api.deploy(("wh_due.bpmn", DUE)).status_code == 201
    container = _container(app)
    with http_receiver() as good, http_receiver(*[(500, "down")] * 1000) as bad:
        kept_hook = _subscribe(api, good.url, ["instance.started", "task.created", "task.overdue"])
        failing_hook = _subscribe(api, bad.url, ["instance.started"])
        with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
            case = api.start("wh_due", user="admin", business_key="RET-1").json["id"]
        with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
            webhook_delivery.tick(container)
            _deliver(app, lambda: len(_of(good, case)) == 3)
        [overdue_id] = [b["id"] for b in _of(good, case, "task.overdue")]
        events = f"SELECT count(*) FROM webhook_events WHERE instance_id = '{case}'"
        assert sql_count(db, events) == 3
        # 29 days on nothing goes; 31 days on the delivered deliveries and the created event go.
        with time_machine.travel(datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI), tick=False):
            webhook_delivery.tick(container)
            assert sql_count(db, events) == 3
        with time_machine.travel(datetime(2027, 1, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
            webhook_delivery.tick(container)
            recent = api.start("wh_due", user="admin", business_key="RET-2").json["id"]
            _deliver(app, lambda: len(_of(good, recent)) >= 2)
            webhook_delivery.prune(container)
    with db.transaction() as session:
        left = set(session.scalars(text(f"SELECT type FROM webhook_events WHERE instance_id = '{case}'")))
    # instance.started: the failing receiver has not had it; task.overdue: the task is open.
    assert left == {"instance.started", "task.overdue"}
    assert (
        len(_of(good, case, "task.overdue")) == 1 and _of(good, case, "task.overdue")[0]["id"] == overdue_id
    )
    delivered = api.get(f"/api/v1/webhooks/{kept_hook['id']}/deliveries").json["items"]
    assert {d["event_id"] for d in delivered} >= {b["id"] for b in _of(good, recent)}
    assert not {d["event_id"] for d in delivered} & {b["id"] for b in _of(good, case)}
    [started] = _of(good, case, "instance.started")
    failing = api.get(f"/api/v1/webhooks/{failing_hook['id']}/deliveries").json["items"]
    [waiting] = [d for d in failing if d["event_id"] == started["id"]]
    assert waiting["status"] == "dead" and waiting["attempts"] >= 1  # a dead letter, redeliverable
    assert sql_count(db, f"SELECT count(*) FROM webhook_events WHERE instance_id = '{recent}'") >= 2
    todos = api.get("/api/v1/todos", query_string={"receiver": "gongzuozu"}).json["items"]
    assert case in {t["instance_id"] for t in todos}
