"""Messages a process throws for the outside world reach OA systems once, in order."""

from __future__ import annotations

from tests import bpmn
from tests.conftest import assert_problem

THROW = (
    '<bpmn:intermediateThrowEvent id="{id}" name="通知门户">'
    '<bpmn:messageEventDefinition messageRef="Message_tongzhi" '
    "camunda:expression=\"{'bianhao': bianhao}\" /></bpmn:intermediateThrowEvent>"
)


def _deploy(api):
    document = bpmn.linear("tongzhi", THROW, bpmn.user("确认", 'camunda:candidateGroups="工作组"'))
    document = document.replace(
        b'<bpmn:process id="tongzhi"',
        '<bpmn:message id="Message_tongzhi" name="通知门户" />\n<bpmn:process id="tongzhi"'.encode(),
    )
    assert api.deploy(("tongzhi.bpmn", document)).status_code == 201


def test_thrown_messages_are_read_in_order_and_only_once(api):
    _deploy(api)
    token = api.post("/api/v1/tokens", json={"name": "门户"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    first = api.start("tongzhi", user="gongzuozu", business_key="TZ-1", bianhao="A-1").json
    api.start("tongzhi", user="gongzuozu", business_key="TZ-2", bianhao="A-2")
    page = api.client.get("/api/v1/events", headers=headers, query_string={"limit": 1}).json
    [event] = page["items"]
    assert (event["name"], event["business_key"], event["payload"]) == (
        "通知门户",
        "TZ-1",
        {"bianhao": "A-1"},
    )
    rest = api.client.get("/api/v1/events", headers=headers, query_string={"after": page["next_after"]}).json
    assert [e["payload"]["bianhao"] for e in rest["items"]] == ["A-2"]
    # Later saves of the instance do not hand the message out again.
    [task] = api.inbox("gongzuozu", instance_id=first["id"])
    api.complete(task["id"], "gongzuozu")
    everything = api.client.get("/api/v1/events", headers=headers).json["items"]
    assert [e["payload"]["bianhao"] for e in everything] == ["A-1", "A-2"]


def test_events_are_for_systems_admins_and_observers(api):
    _deploy(api)
    assert_problem(api.get("/api/v1/events", user="gongzuozu"), 403)
    assert api.get("/api/v1/events", user="jijian").status_code == 200
    assert_problem(api.get("/api/v1/events", query_string={"after": -1}), 422)


def test_a_hostile_payload_expression_is_refused_at_deployment(api):
    document = bpmn.linear("evil_msg", THROW.replace("{'bianhao': bianhao}", "().__class__"))
    document = document.replace(
        b'<bpmn:process id="evil_msg"',
        b'<bpmn:message id="Message_tongzhi" name="x" />\n<bpmn:process id="evil_msg"',
    )
    body = assert_problem(api.deploy(("evil.bpmn", document)), 422)
    assert body["element_id"] == "S1"
