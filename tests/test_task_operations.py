"""Task operations of issue 10 through the HTTP API: 转办 (transfer), 委派 (delegate / resolve),
抄送 (cc, 待阅), 催办 (urge) and 审批意见 (comments), each with its refusals, its audit rows in the
case's history and the answer (instance status, open tasks) the web UI and OA systems read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.config import Settings
from service.domain.task_operations import (
    Person,
    cc_recipients,
    delegation_refusal,
    may_urge,
    receiver_refusal,
    urge_wait_seconds,
)
from tests import bpmn
from tests.conftest import assert_problem, beian_files

OFFICE = "企业人事"
GROUP = "区属集团"


def _diagram(pid: str, anyone: bool = False) -> bytes:
    extension = (
        "<bpmn:extensionElements><camunda:properties>"
        '<camunda:property name="xuanpin:transferToAnyone" value="true" />'
        "</camunda:properties></bpmn:extensionElements>"
        if anyone
        else ""
    )
    groups = f'camunda:candidateGroups="{OFFICE}"'
    first = f'<bpmn:userTask id="{{id}}" name="审核" {groups}>{extension}</bpmn:userTask>'
    return bpmn.linear(
        pid,
        first,
        bpmn.user("复核", f'camunda:candidateGroups="{GROUP}"'),
        attrs=f'camunda:candidateStarterGroups="{OFFICE}"',
    )


@pytest.fixture()
def ops(api):
    for pid, anyone in (("ops_test", False), ("ops_anyone", True)):
        deployed = api.deploy((f"{pid}.bpmn", _diagram(pid, anyone)))
        assert deployed.status_code == 201, deployed.json
    return api


def _start(api, key="ops_test", user="renshi"):
    started = api.start(key, user=user)
    assert started.status_code == 201, started.json
    [task] = api.inbox(user, instance_id=started.json["id"])
    return started.json["id"], task["id"]


def _history(api, instance_id, user="admin"):
    response = api.get(f"/api/v1/instances/{instance_id}/history", user=user)
    assert response.status_code == 200, response.json
    return response.json["events"]


def _event(api, instance_id, action):
    return [event for event in _history(api, instance_id) if event["action"] == action]


# 转办 ---------------------------------------------------------------------------------------


def test_transfer_of_a_built_in_step_moves_it_to_a_colleague_of_the_role(api):
    """转办 in the FH-09 备案 procedure: 填报备案材料 goes from one 企业人事 clerk to the other;
    the transferor loses it, the history says who passed it to whom and why."""
    assert api.deploy(*beian_files()).status_code == 201
    started = api.start("fenghua_beian", user="renshi", business_key="FH-OPS-1")
    instance_id = started.json["id"]
    [task] = api.inbox("renshi", instance_id=instance_id)

    moved = api.post(
        f"/api/v1/tasks/{task['id']}/transfer",
        user="renshi",
        json={"to_user": "renshi2", "comment": "本人出差"},
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["status"] == "running" and moved.json["task"]["assignee"] == "renshi2"
    assert [t["id"] for t in moved.json["open_tasks"]] == [task["id"]]
    assert task["id"] not in [t["id"] for t in api.inbox("renshi")]
    assert task["id"] in [t["id"] for t in api.inbox("renshi2")]
    refused = assert_problem(api.complete(task["id"], "renshi", xingming="张三"), 403)
    assert "renshi2" in refused["detail"]

    [event] = _event(api, instance_id, "task.transferred")
    assert event["actor"] == "renshi" and event["action_label"] == "转办"
    assert event["detail"]["to_user"] == "renshi2" and event["detail"]["comment"] == "本人出差"
    assert "转办给renshi2" in event["summary"] and "本人出差" in event["summary"]
    # Those who may see the case read the summary too (the history's open sentence).
    [seen] = [e for e in _history(api, instance_id, user="renshi2") if e["action"] == "task.transferred"]
    assert "转办给renshi2" in seen["summary"]


def test_transfer_refusals_observer_candidate_outsider_and_not_the_holder(ops):
    """转办 only to someone holding the task's role, never to the observer (X-01) or an
    applicant; only the holder, one offered the task, or an admin transfers."""
    api = ops
    _instance_id, task_id = _start(api)
    path = f"/api/v1/tasks/{task_id}/transfer"
    body = assert_problem(api.post(path, user="renshi", json={"to_user": "jijian"}), 422)
    assert "X-01" in body["detail"] and body["errors"]["to_user"]
    assert (
        "应聘" in assert_problem(api.post(path, user="renshi", json={"to_user": "yingpin1"}), 422)["detail"]
    )
    assert OFFICE in assert_problem(api.post(path, user="renshi", json={"to_user": "jituan"}), 422)["detail"]
    assert (
        "不存在" in assert_problem(api.post(path, user="renshi", json={"to_user": "nobody"}), 422)["detail"]
    )
    assert_problem(api.post(path, user="renshi", json={}), 422)
    # the observer reads the task but does not hand it on.
    assert "X-01" in assert_problem(api.post(path, user="jijian", json={"to_user": "renshi2"}), 403)["detail"]
    assert_problem(api.post(path, user="jituan", json={"to_user": "renshi2"}), 404)
    assert_problem(api.post("/api/v1/tasks/nope/transfer", user="renshi", json={"to_user": "renshi2"}), 404)

    assert api.post(path, user="renshi", json={"to_user": "renshi2"}).status_code == 200
    # Now it is renshi2's: renshi may no longer pass it on, nor give it to its holder again.
    assert (
        "renshi2" in assert_problem(api.post(path, user="renshi", json={"to_user": "renshi"}), 403)["detail"]
    )
    assert_problem(api.post(path, user="renshi2", json={"to_user": "renshi2"}), 422)
    # An admin may move it back.
    back = api.post(path, user="admin", json={"to_user": "renshi", "comment": "重新分工"})
    assert back.status_code == 200 and back.json["task"]["assignee"] == "renshi"


def test_transfer_of_a_task_changed_meanwhile_is_a_conflict(ops):
    """409: the task was completed by a colleague between reading it and transferring it."""
    api = ops
    _instance_id, task_id = _start(api)
    assert api.complete(task_id, "renshi2").status_code == 200
    body = assert_problem(
        api.post(f"/api/v1/tasks/{task_id}/transfer", user="renshi", json={"to_user": "renshi2"}), 409
    )
    assert "已办结" in body["detail"]


def test_transfer_to_anyone_where_the_diagram_allows_it(ops):
    """`xuanpin:transferToAnyone` on the userTask: any active user, still never the observer."""
    api = ops
    instance_id, task_id = _start(api, "ops_anyone")
    path = f"/api/v1/tasks/{task_id}/transfer"
    assert "X-01" in assert_problem(api.post(path, user="renshi", json={"to_user": "jijian"}), 422)["detail"]
    moved = api.post(path, user="renshi", json={"to_user": "jituan"})
    assert moved.status_code == 200, moved.json
    assert task_id in [t["id"] for t in api.inbox("jituan")]
    done = api.complete(task_id, "jituan")
    assert done.status_code == 200 and [t["title"] for t in done.json["open_tasks"]] == ["复核"]
    assert _event(api, instance_id, "task.transferred")[0]["detail"]["to_user"] == "jituan"


def test_a_judges_sheet_follows_the_transfer_and_never_doubles_up(api):
    """转办 of a sheet the diagram gave one judge by name: only to another judge (the task's
    group), not to one who already has a sheet of the same sign-off (one person, one sheet);
    the transferor no longer reads it."""
    sheet = (
        '<bpmn:userTask id="{id}" name="评委打分" '
        'camunda:assignee="${pingwei}" camunda:candidateGroups="评委">'
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="pingwei_list" '
        'camunda:elementVariable="pingwei" />'
        "</bpmn:userTask>"
    )
    diagram = bpmn.linear("ops_sheets", sheet, attrs=f'camunda:candidateStarterGroups="{OFFICE}"')
    assert api.deploy(("ops_sheets.bpmn", diagram)).status_code == 201
    started = api.start("ops_sheets", user="renshi", pingwei_list=["pingwei1", "pingwei2"])
    assert started.status_code == 201, started.json
    [mine] = api.inbox("pingwei1")
    path = f"/api/v1/tasks/{mine['id']}/transfer"
    assert (
        "每人一份"
        in assert_problem(api.post(path, user="pingwei1", json={"to_user": "pingwei2"}), 422)["detail"]
    )
    assert (
        "评委" in assert_problem(api.post(path, user="pingwei1", json={"to_user": "renshi2"}), 422)["detail"]
    )
    moved = api.post(path, user="pingwei1", json={"to_user": "pingwei3", "comment": "回避"})
    assert moved.status_code == 200, moved.json
    assert api.inbox("pingwei1") == [] and [t["id"] for t in api.inbox("pingwei3")] == [mine["id"]]
    assert_problem(api.get(f"/api/v1/tasks/{mine['id']}", user="pingwei1"), 404)
    assert api.complete(mine["id"], "pingwei3", fen=90).status_code == 200
    # The other judge does not read the reason given with a sheet that is not theirs.
    summaries = [e["summary"] for e in _history(api, started.json["id"], user="renshi")]
    assert any("转办给pingwei3" in text and "回避" not in text for text in summaries)


# 委派 ---------------------------------------------------------------------------------------


def test_delegate_redelegate_resolve_then_the_owner_completes(ops):
    """委派: the delegate works on it and hands it back with a draft the owner sees prefilled;
    only the owner completes; re-delegation keeps the original owner."""
    api = ops
    instance_id, task_id = _start(api, "ops_anyone")
    assert api.post(f"/api/v1/tasks/{task_id}/claim", user="renshi").status_code == 200
    given = api.post(
        f"/api/v1/tasks/{task_id}/delegate", user="renshi", json={"to_user": "renshi2", "comment": "请代拟"}
    )
    assert given.status_code == 200, given.json
    assert (
        given.json["task"]["owner"],
        given.json["task"]["assignee"],
        given.json["task"]["delegation"],
    ) == (
        "renshi",
        "renshi2",
        "pending",
    )
    assert task_id in [t["id"] for t in api.inbox("renshi2")]
    assert task_id not in [t["id"] for t in api.inbox("renshi")]
    # The owner still reads it; nobody completes it while it is delegated.
    assert api.get(f"/api/v1/tasks/{task_id}", user="renshi").status_code == 200
    assert "resolve" in assert_problem(api.complete(task_id, "renshi2", yijian="同意"), 403)["detail"]
    assert_problem(api.complete(task_id, "renshi"), 403)
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/unclaim", user="renshi2"), 409)
    assert_problem(
        api.post(f"/api/v1/tasks/{task_id}/transfer", user="renshi2", json={"to_user": "guozi"}), 409
    )

    again = api.post(f"/api/v1/tasks/{task_id}/delegate", user="renshi2", json={"to_user": "guozi"})
    assert again.status_code == 200, again.json
    assert (again.json["task"]["owner"], again.json["task"]["assignee"]) == ("renshi", "guozi")
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/resolve", user="renshi2", json={}), 403)
    assert_problem(
        api.post(f"/api/v1/tasks/{task_id}/delegate", user="guozi", json={"to_user": "renshi"}), 422
    )

    back = api.post(
        f"/api/v1/tasks/{task_id}/resolve",
        user="guozi",
        json={"comment": "已拟好", "data": {"yijian": "拟同意"}},
    )
    assert back.status_code == 200, back.json
    assert (back.json["task"]["assignee"], back.json["task"]["delegation"]) == ("renshi", "resolved")
    # Handed back: nothing left to resolve; the delegate still reads it, but holds nothing.
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/resolve", user="renshi", json={}), 409)
    assert api.get(f"/api/v1/tasks/{task_id}", user="guozi").status_code == 200
    assert task_id not in [t["id"] for t in api.inbox("guozi")]
    assert_problem(api.complete(task_id, "guozi"), 403)
    assert api.get(f"/api/v1/tasks/{task_id}", user="renshi").json["data"]["yijian"] == "拟同意"

    done = api.complete(task_id, "renshi", yijian="同意")
    assert done.status_code == 200, done.json
    assert [t["title"] for t in done.json["open_tasks"]] == ["复核"]
    actions = [e["action"] for e in _history(api, instance_id)]
    assert actions.count("task.delegated") == 2 and "task.resolved" in actions
    [resolved] = _event(api, instance_id, "task.resolved")
    assert resolved["actor"] == "guozi" and resolved["detail"]["owner"] == "renshi"
    assert resolved["detail"]["fields"] == ["yijian"] and "交回" in resolved["summary"]


def test_delegate_refusals(ops):
    """委派 needs the holder (or one offered the task); never to the observer (X-01)."""
    api = ops
    _instance_id, task_id = _start(api)
    path = f"/api/v1/tasks/{task_id}/delegate"
    assert "X-01" in assert_problem(api.post(path, user="renshi", json={"to_user": "jijian"}), 422)["detail"]
    assert_problem(api.post(path, user="renshi", json={"to_user": "jituan"}), 422)
    assert_problem(api.post(path, user="jijian", json={"to_user": "renshi2"}), 403)
    assert_problem(api.post(path, user="outsider", json={"to_user": "renshi2"}), 404)
    # An admin cannot delegate a task nobody holds.
    assert_problem(api.post(path, user="admin", json={"to_user": "renshi2"}), 422)
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/resolve", user="renshi", json={}), 409)


# 抄送 ---------------------------------------------------------------------------------------


def test_cc_gives_read_only_items_and_they_can_be_marked_read(ops):
    """抄送: users and role members get a 待阅 item, may read the task and its case, not act."""
    api = ops
    instance_id, task_id = _start(api)
    sent = api.post(
        f"/api/v1/tasks/{task_id}/cc",
        user="renshi",
        json={"users": ["guozi"], "roles": [GROUP], "comment": "请知悉"},
    )
    assert sent.status_code == 200, sent.json
    assert sorted(item["recipient"] for item in sent.json["cc"]) == ["guozi", "jituan"]
    assert sent.json["status"] == "running" and sent.json["open_tasks"][0]["id"] == task_id

    unread = api.get("/api/v1/cc", user="guozi", query_string={"status": "unread"}).json
    assert unread["total"] == 1 and unread["page"] == 1
    [item] = unread["items"]
    assert (item["task_title"], item["sent_by"], item["comment"], item["status"]) == (
        "审核",
        "renshi",
        "请知悉",
        "unread",
    )
    assert item["created_at"].endswith("+08:00")
    # Read-only: the task and the case read, nothing to do in the inbox, no completing.
    assert api.get(f"/api/v1/tasks/{task_id}", user="guozi").status_code == 200
    assert api.get(f"/api/v1/instances/{instance_id}", user="guozi").status_code == 200
    assert task_id not in [t["id"] for t in api.inbox("guozi")]
    assert_problem(api.complete(task_id, "guozi"), 403)
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/claim", user="guozi"), 403)

    assert_problem(api.post(f"/api/v1/cc/{item['id']}/read", user="jituan"), 404)
    read = api.post(f"/api/v1/cc/{item['id']}/read", user="guozi")
    assert read.status_code == 200 and read.json["status"] == "read" and read.json["read_at"]
    assert api.get("/api/v1/cc", user="guozi", query_string={"status": "unread"}).json["total"] == 0
    assert api.get("/api/v1/cc", user="guozi", query_string={"status": "read"}).json["total"] == 1
    assert api.get("/api/v1/cc", user="guozi").json["total"] == 1
    assert_problem(api.get("/api/v1/cc", user="guozi", query_string={"status": "gone"}), 422)

    [event] = _event(api, instance_id, "task.cc")
    assert event["actor"] == "renshi" and sorted(event["detail"]["recipients"]) == ["guozi", "jituan"]
    assert _event(api, instance_id, "cc.read")[0]["actor"] == "guozi"


def test_cc_refusals(ops):
    """抄送 never to applicants nor unknown names; the observer only reads (X-01)."""
    api = ops
    _instance_id, task_id = _start(api)
    path = f"/api/v1/tasks/{task_id}/cc"
    assert_problem(api.post(path, user="renshi", json={}), 422)
    assert_problem(api.post(path, user="renshi", json={"users": ["yingpin1"]}), 422)
    assert_problem(api.post(path, user="renshi", json={"roles": ["应聘者"]}), 422)
    assert_problem(api.post(path, user="renshi", json={"roles": ["没有这个角色"]}), 422)
    assert_problem(api.post(path, user="renshi", json={"users": ["nobody"]}), 422)
    assert_problem(api.post(path, user="renshi", json={"users": ["renshi"]}), 422)
    assert "X-01" in assert_problem(api.post(path, user="jijian", json={"users": ["guozi"]}), 403)["detail"]
    assert_problem(api.post(path, user="outsider", json={"users": ["guozi"]}), 404)
    assert api.post(path, user="renshi", json={"users": ["guozi"]}).status_code == 200
    # Still unread: not copied twice.
    assert_problem(api.post(path, user="renshi", json={"users": ["guozi"]}), 422)


# 催办 ---------------------------------------------------------------------------------------


def test_urge_by_starter_is_rate_limited_and_published_as_an_event(ops):
    """催办 by the starter: recorded, put on the events feed as task.urged for the OA push, and
    once per task per XUANPIN_URGE_INTERVAL_MINUTES (default 30) — then 429 with Retry-After."""
    api = ops
    instance_id, task_id = _start(api)
    urged = api.post(f"/api/v1/tasks/{task_id}/urge", user="renshi", json={"message": "今天下班前办理"})
    assert urged.status_code == 200, urged.json
    assert urged.json["status"] == "running" and urged.json["open_tasks"][0]["id"] == task_id

    events = api.get("/api/v1/events", user="admin").json["items"]
    [event] = [e for e in events if e["name"] == "task.urged"]
    assert event["instance_id"] == instance_id
    assert event["payload"]["task_id"] == task_id and event["payload"]["message"] == "今天下班前办理"
    assert event["payload"]["urged_by"] == "renshi" and event["payload"]["candidate_roles"] == [OFFICE]

    again = api.post(f"/api/v1/tasks/{task_id}/urge", user="admin", json={})
    body = assert_problem(again, 429)
    assert "30 分钟" in body["detail"]
    assert 0 < int(again.headers["Retry-After"]) <= 30 * 60
    [recorded] = _event(api, instance_id, "task.urged")
    assert recorded["actor"] == "renshi" and "今天下班前办理" in recorded["summary"]


def test_urge_by_a_deciding_role_and_refusals(ops):
    """催办 by a role with a task in the case; not by the observer (X-01) nor a stranger; not on
    a finished task (409)."""
    api = ops
    _instance_id, task_id = _start(api)
    done = api.complete(task_id, "renshi")
    [review] = done.json["open_tasks"]
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/urge", user="renshi", json={}), 409)
    assert_problem(api.post(f"/api/v1/tasks/{review['id']}/urge", user="outsider", json={}), 404)
    assert (
        "发起人"
        in assert_problem(api.post(f"/api/v1/tasks/{review['id']}/urge", user="jijian", json={}), 403)[
            "detail"
        ]
    )
    # renshi2 started nothing, but 企业人事 decided a step of this case.
    assert api.post(f"/api/v1/tasks/{review['id']}/urge", user="renshi2", json={}).status_code == 200


def test_urge_interval_setting():
    assert Settings().urge_interval_minutes == 30
    assert Settings.from_env(urge_interval_minutes=5).urge_interval_minutes == 5


def test_urge_interval_from_environment(monkeypatch):
    monkeypatch.setenv("XUANPIN_URGE_INTERVAL_MINUTES", "10")
    assert Settings.from_env().urge_interval_minutes == 10


# 审批意见 -----------------------------------------------------------------------------------


def test_comments_on_a_task_and_the_case(ops):
    """审批意见: those who may see the task read and add; the observer reads, not adds (X-01);
    the case lists them with the reasons given with operations."""
    api = ops
    instance_id, task_id = _start(api)
    added = api.post(f"/api/v1/tasks/{task_id}/comments", user="renshi", json={"text": "  材料齐全，同意  "})
    assert added.status_code == 201, added.json
    comment = added.json
    assert (comment["author"], comment["author_name"], comment["text"], comment["task_title"]) == (
        "renshi",
        "renshi",
        "材料齐全，同意",
        "审核",
    )
    assert comment["created_at"].endswith("+08:00") and comment["kind"] == "comment"
    assert api.get(f"/api/v1/tasks/{task_id}/comments", user="renshi2").json["items"] == [comment]
    assert api.get(f"/api/v1/tasks/{task_id}/comments", user="jijian").json["items"] == [comment]
    assert (
        "X-01"
        in assert_problem(
            api.post(f"/api/v1/tasks/{task_id}/comments", user="jijian", json={"text": "看过"}), 403
        )["detail"]
    )
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/comments", user="outsider", json={"text": "x"}), 404)
    assert_problem(api.get(f"/api/v1/tasks/{task_id}/comments", user="outsider"), 404)
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/comments", user="renshi", json={"text": "   "}), 422)
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/comments", user="renshi", json={}), 422)

    api.post(
        f"/api/v1/tasks/{task_id}/transfer", user="renshi", json={"to_user": "renshi2", "comment": "请接手"}
    )
    case = api.get(f"/api/v1/instances/{instance_id}/comments", user="renshi").json["items"]
    assert [(c["kind"], c["text"]) for c in case] == [("comment", "材料齐全，同意"), ("transfer", "请接手")]
    assert case[1]["kind_label"] == "转办说明"
    assert api.get(f"/api/v1/instances/{instance_id}/comments", user="jijian").status_code == 200
    assert_problem(api.get(f"/api/v1/instances/{instance_id}/comments", user="outsider"), 404)
    assert _event(api, instance_id, "task.commented")[0]["actor"] == "renshi"


# Domain rules -------------------------------------------------------------------------------


def test_receiver_rules():
    """X-01: an observer never receives work; applicants neither; else the task's roles."""
    observers, candidates = ("纪检监督",), ("应聘者",)
    clerk = Person("a", frozenset({OFFICE}))
    assert receiver_refusal(clerk, "a", [OFFICE], False, observers, candidates, "转办") is None
    assert "X-01" in receiver_refusal(
        Person("j", frozenset({"纪检监督", OFFICE})), "j", [OFFICE], True, observers, candidates, "转办"
    )
    assert "应聘" in receiver_refusal(
        Person("y", frozenset({"应聘者"})), "y", [], True, observers, candidates, "委派"
    )
    assert OFFICE in receiver_refusal(
        Person("g", frozenset({GROUP})), "g", [OFFICE], False, observers, candidates, "转办"
    )
    assert (
        receiver_refusal(Person("g", frozenset({GROUP})), "g", [OFFICE], True, observers, candidates, "转办")
        is None
    )
    assert "停用" in receiver_refusal(
        Person("x", frozenset(), active=False), "x", [], True, observers, candidates, "转办"
    )
    assert "停用" in receiver_refusal(None, "x", [], True, observers, candidates, "转办")


def test_urge_wait_and_rights():
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert urge_wait_seconds(None, now, 30) == 0
    assert urge_wait_seconds(now - timedelta(minutes=10), now, 30) == 20 * 60
    assert urge_wait_seconds(now - timedelta(minutes=30), now, 30) == 0
    assert urge_wait_seconds(now, now, 0) == 0
    assert may_urge("a", [], False, "a", [])
    assert may_urge("b", [GROUP], False, "a", [GROUP, OFFICE])
    assert may_urge("c", [], True, "a", [])
    assert not may_urge("d", ["纪检监督"], False, "a", [OFFICE])


def test_cc_recipients_and_delegation_rule():
    assert cc_recipients("me", ["a", "b", "me"], ["b", "c"], ["c"]) == ["a", "b"]
    assert delegation_refusal(None, "a", None) is None
    assert delegation_refusal("resolved", "a", "a") is None
    assert "resolve" in (delegation_refusal("pending", "b", "a") or "")
