"""Message correlation (issue 14): an OA system's outside event reaches the waiting case."""

from __future__ import annotations

from tests.conftest import assert_problem

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D_{pid}" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)

# 补材料: wait for 材料已补齐 (intermediate catch), then 省国资委意见 (receive task), then the
# review, which the applicant's withdrawal (interrupting boundary) or a reminder (not) reaches.
WAITING = (
    HEADER.format(pid="buliao")
    + """<bpmn:message id="M1" name="材料已补齐" /><bpmn:message id="M2" name="省国资委意见已出" />
<bpmn:message id="M3" name="撤回申请" /><bpmn:message id="M4" name="提醒" />
<bpmn:process id="buliao" name="补材料" isExecutable="true">
<bpmn:startEvent id="s" />
<bpmn:intermediateCatchEvent id="c" name="等待材料">
<bpmn:messageEventDefinition messageRef="M1" /></bpmn:intermediateCatchEvent>
<bpmn:receiveTask id="r" name="等待省国资委意见" messageRef="M2" />
<bpmn:userTask id="u" name="审核" camunda:candidateGroups="工作组" />
<bpmn:boundaryEvent id="b" attachedToRef="u" cancelActivity="true">
<bpmn:messageEventDefinition messageRef="M3" /></bpmn:boundaryEvent>
<bpmn:boundaryEvent id="n" attachedToRef="u" cancelActivity="false">
<bpmn:messageEventDefinition messageRef="M4" /></bpmn:boundaryEvent>
<bpmn:userTask id="t" name="知悉提醒" camunda:candidateGroups="工作组" />
<bpmn:endEvent id="e" /><bpmn:endEvent id="e2" name="已撤回" /><bpmn:endEvent id="e3" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="c" />
<bpmn:sequenceFlow id="f2" sourceRef="c" targetRef="r" />
<bpmn:sequenceFlow id="f3" sourceRef="r" targetRef="u" />
<bpmn:sequenceFlow id="f4" sourceRef="u" targetRef="e" />
<bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="e2" />
<bpmn:sequenceFlow id="f6" sourceRef="n" targetRef="t" />
<bpmn:sequenceFlow id="f7" sourceRef="t" targetRef="e3" />
</bpmn:process></bpmn:definitions>"""
).encode()

STARTED = (
    HEADER.format(pid="shenbao")
    + """<bpmn:message id="MS" name="收到申报" />
<bpmn:process id="shenbao" name="申报受理" isExecutable="true">
<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="MS" /></bpmn:startEvent>
<bpmn:userTask id="u" name="受理申报" camunda:candidateGroups="工作组" />
<bpmn:endEvent id="e" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u" />
<bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="e" />
</bpmn:process></bpmn:definitions>"""
).encode()


def _system(api) -> dict[str, str]:
    token = api.post("/api/v1/tokens", json={"name": "OA"}).json["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _send(api, headers, **body):
    return api.client.post("/api/v1/messages", headers=headers, json=body)


def _titles(api, instance_id):
    return sorted(t["title"] for t in api.inbox("gongzuozu", instance_id=instance_id))


def test_a_message_reaches_exactly_the_instance_of_its_business_key(api):
    assert api.deploy(("buliao.bpmn", WAITING)).status_code == 201
    headers = _system(api)
    first = api.start("buliao", user="admin", business_key="BL-1").json
    second = api.start("buliao", user="admin", business_key="BL-2").json
    answer = _send(api, headers, name="材料已补齐", business_key="BL-2", data={"cailiao": "学历证明"})
    assert answer.status_code == 200, answer.json
    assert [(i["id"], i["started"]) for i in answer.json["instances"]] == [(second["id"], False)]
    # The receive task waits next; the first case still waits for its material.
    answer = _send(api, headers, name="省国资委意见已出", business_key="BL-2", data={"yijian": "同意"})
    assert [i["id"] for i in answer.json["instances"]] == [second["id"]]
    detail = api.get(f"/api/v1/instances/{second['id']}").json
    assert detail["data"]["cailiao"] == "学历证明" and detail["data"]["yijian"] == "同意"
    assert _titles(api, second["id"]) == ["审核"]
    assert _titles(api, first["id"]) == []
    # Nobody of BL-1 waits for the opinion yet: 404, and the case is unchanged.
    assert_problem(_send(api, headers, name="省国资委意见已出", business_key="BL-1"), 404)


def test_an_ambiguous_message_is_refused_unless_all(api):
    assert api.deploy(("buliao.bpmn", WAITING)).status_code == 201
    headers = _system(api)
    ids = [api.start("buliao", user="admin", business_key=f"BL-{i}").json["id"] for i in (1, 2)]
    body = assert_problem(_send(api, headers, name="材料已补齐"), 409)
    assert sorted(body["instances"]) == sorted(ids)
    for instance_id in ids:  # nothing was delivered
        waits = api.get(f"/api/v1/instances/{instance_id}").json
        assert waits["status"] == "running"
    answer = _send(api, headers, name="材料已补齐", all=True)
    assert sorted(i["id"] for i in answer.json["instances"]) == sorted(ids)


def test_correlation_keys_choose_by_case_data(api):
    assert api.deploy(("buliao.bpmn", WAITING)).status_code == 201
    headers = _system(api)
    a = api.start("buliao", user="admin", bianhao="A").json["id"]
    api.start("buliao", user="admin", bianhao="B")
    answer = _send(api, headers, name="材料已补齐", correlation_keys={"bianhao": "A"})
    assert [i["id"] for i in answer.json["instances"]] == [a]


def test_boundary_messages_interrupt_or_not_a_waiting_task(api):
    assert api.deploy(("buliao.bpmn", WAITING)).status_code == 201
    headers = _system(api)
    case = api.start("buliao", user="admin", business_key="BL-9").json["id"]
    _send(api, headers, name="材料已补齐", business_key="BL-9")
    _send(api, headers, name="省国资委意见已出", business_key="BL-9")
    assert _titles(api, case) == ["审核"]
    # Not interrupting: the reminder adds a task, the review stays.
    assert _send(api, headers, name="提醒", business_key="BL-9").status_code == 200
    assert _titles(api, case) == ["审核", "知悉提醒"]
    # Interrupting: the withdrawal cancels the waiting review.
    withdrawal = _send(api, headers, name="撤回申请", business_key="BL-9", data={"liyou": "本人撤回"})
    assert withdrawal.status_code == 200
    assert _titles(api, case) == ["知悉提醒"]
    detail = api.get(f"/api/v1/instances/{case}").json
    assert detail["data"]["liyou"] == "本人撤回"
    assert_problem(_send(api, headers, name="撤回申请", business_key="BL-9"), 404)


def test_a_message_start_event_starts_a_case(api):
    assert api.deploy(("shenbao.bpmn", STARTED)).status_code == 201
    headers = _system(api)
    answer = _send(api, headers, name="收到申报", business_key="SB-1", data={"danwei": "水泵公司"})
    assert answer.status_code == 200, answer.json
    [reached] = answer.json["instances"]
    assert reached["started"] and reached["business_key"] == "SB-1"
    detail = api.get(f"/api/v1/instances/{reached['id']}").json
    assert detail["data"]["danwei"] == "水泵公司"
    assert _titles(api, reached["id"]) == ["受理申报"]


def test_messages_come_from_integrations_and_are_checked(api):
    assert api.deploy(("buliao.bpmn", WAITING)).status_code == 201
    assert_problem(api.post("/api/v1/messages", user="gongzuozu", json={"name": "材料已补齐"}), 403)
    headers = _system(api)
    assert_problem(_send(api, headers, name="无人等待"), 404)
    assert_problem(_send(api, headers, name="材料已补齐", data={"_x": 1}), 422)
    assert_problem(_send(api, headers), 422)
