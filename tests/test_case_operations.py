"""Case operations of issue 10 through the HTTP API: cancel, suspend/resume, move (repair),
migrate to a corrected version; deactivating users and revoking tokens. Time is travelled and
timers fired with the scheduler's tick."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from service.scheduler import TimerScheduler
from service.timeutil import SHANGHAI, utcnow
from tests import bpmn
from tests import test_jiebang as jb
from tests.conftest import FIXTURES, PASSWORD, PROCESSES, assert_problem

TIMERS = FIXTURES / "timers.bpmn"


def _tick(api) -> int:
    return TimerScheduler(api.client.application.extensions["xuanpin"]).tick()


def _history(api, instance_id: str, user: str = "admin") -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/instances/{instance_id}/history", user=user)
    assert response.status_code == 200, response.json
    return response.json["events"]


def _event(api, instance_id: str, action: str) -> dict[str, Any]:
    found = [e for e in _history(api, instance_id) if e["action"] == action]
    assert found, [e["action"] for e in _history(api, instance_id)]
    return found[-1]


def _gongshi(api, days: int = 3) -> tuple[str, Any]:
    assert api.deploy(TIMERS).status_code == 201
    due = (utcnow() + timedelta(days=days)).astimezone(SHANGHAI).replace(microsecond=0)
    response = api.start("ceshi_gongshi", user="gongzuozu", gongshi_jiezhi=due.isoformat())
    assert response.status_code == 201, response.json
    return response.json["id"], due


# --- cancel ----------------------------------------------------------------------------------


def test_cancelled_case_ends_its_tasks_and_its_timers_never_fire(api):
    instance_id, due = _gongshi(api)
    assert len(api.get(f"/api/v1/instances/{instance_id}").json["timers"]) == 1
    response = api.post(
        f"/api/v1/instances/{instance_id}/cancel", json={"reason": "公示对象已调离，终止本次选聘"}
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "cancelled"
    assert response.json["error"] == "公示对象已调离，终止本次选聘"
    assert response.json["timers"] == [] and response.json["open_tasks"] == []
    with time_machine.travel(due + timedelta(minutes=1)):
        assert _tick(api) == 0
    assert api.inbox("gongzuozu") == []
    event = _event(api, instance_id, "instance.cancelled")
    assert event["action_label"] == "撤销流程实例"
    assert "公示对象已调离" in event["summary"]
    # Cancelled once is cancelled: a second request is a conflict, not a silent success.
    again = assert_problem(api.post(f"/api/v1/instances/{instance_id}/cancel", json={"reason": "再次"}), 409)
    assert "已撤销" in again["detail"]


def test_cancel_withdraws_open_tasks_with_their_boundary_timers(api):
    assert api.deploy(TIMERS).status_code == 201
    instance_id = api.start("ceshi_xianqi", user="renshi", banli_qixian="2099-01-01").json["id"]
    [task] = api.inbox("renshi")
    response = api.post(f"/api/v1/instances/{instance_id}/cancel", json={"reason": "备案事项撤回"})
    assert response.status_code == 200, response.json
    assert api.inbox("renshi") == []
    assert api.get(f"/api/v1/tasks/{task['id']}").json["status"] == "cancelled"
    with time_machine.travel(utcnow() + timedelta(days=4)):
        assert _tick(api) == 0
    assert api.inbox("guozi") == []
    assert_problem(api.complete(task["id"], "renshi"), 409)


def test_cancel_refusals(api):
    instance_id, _due = _gongshi(api)
    body = assert_problem(
        api.post(f"/api/v1/instances/{instance_id}/cancel", json={"reason": "x"}, user="gongzuozu"), 403
    )
    assert "管理员" in body["detail"]
    assert_problem(api.post(f"/api/v1/instances/{instance_id}/cancel", json={"reason": ""}), 422)
    assert_problem(api.post(f"/api/v1/instances/{instance_id}/cancel", json={}), 422)
    assert_problem(api.post(f"/api/v1/instances/{uuid.uuid4()}/cancel", json={"reason": "x"}), 404)


def test_starter_may_cancel_where_the_diagram_allows_it(api):
    allowed = bpmn.linear(
        "chexiao_yunxu",
        bpmn.user("办理", 'camunda:candidateGroups="企业人事"'),
        properties={"xuanpin:starterMayCancel": "true"},
    )
    closed = bpmn.linear("chexiao_buyunxu", bpmn.user("办理", 'camunda:candidateGroups="企业人事"'))
    assert api.deploy(("a.bpmn", allowed), ("b.bpmn", closed)).status_code == 201
    held = api.start("chexiao_yunxu", user="renshi").json["id"]
    assert api.post(f"/api/v1/instances/{held}/suspend", json={"reason": "核查举报"}).status_code == 200
    body = assert_problem(
        api.post(f"/api/v1/instances/{held}/cancel", json={"reason": "x"}, user="renshi"), 403
    )
    assert "挂起" in body["detail"]
    mine = api.start("chexiao_yunxu", user="renshi").json["id"]
    assert_problem(api.post(f"/api/v1/instances/{mine}/cancel", json={"reason": "填错"}, user="renshi2"), 403)
    response = api.post(f"/api/v1/instances/{mine}/cancel", json={"reason": "发起时选错岗位"}, user="renshi")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "cancelled"
    assert _event(api, mine, "instance.cancelled")["actor"] == "renshi"
    other = api.start("chexiao_buyunxu", user="renshi").json["id"]
    body = assert_problem(
        api.post(f"/api/v1/instances/{other}/cancel", json={"reason": "x"}, user="renshi"), 403
    )
    assert "xuanpin:starterMayCancel" in body["detail"]
    assert api.get("/api/v1/instances", query_string={"status": "cancelled"}).json["total"] == 1


# --- suspend / resume ------------------------------------------------------------------------


def test_suspended_case_refuses_completion_and_its_overdue_timer_fires_on_resume(api):
    instance_id, due = _gongshi(api)
    response = api.post(f"/api/v1/instances/{instance_id}/suspend", json={"reason": "收到举报，暂停核查"})
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["error"]) == ("suspended", "收到举报，暂停核查")
    with time_machine.travel(due + timedelta(minutes=1)):
        assert _tick(api) == 0  # fell due while suspended: waits
    assert api.inbox("gongzuozu") == []
    assert len(api.get(f"/api/v1/instances/{instance_id}").json["timers"]) == 1
    assert_problem(api.post(f"/api/v1/instances/{instance_id}/suspend", json={"reason": "再次"}), 409)
    with time_machine.travel(due + timedelta(minutes=2)):
        resumed = api.post(f"/api/v1/instances/{instance_id}/resume", json={"reason": "核查完毕"})
        assert resumed.status_code == 200, resumed.json
        assert resumed.json["status"] == "running" and resumed.json["error"] is None
        assert _tick(api) == 1
    assert [t["title"] for t in api.inbox("gongzuozu")] == ["确认公示结果"]
    actions = [e["action"] for e in _history(api, instance_id)]
    assert (
        actions.index("instance.suspended") < actions.index("instance.resumed") < actions.index("timer.fired")
    )
    assert _event(api, instance_id, "instance.resumed")["action_label"] == "恢复挂起的流程实例"
    assert_problem(api.post(f"/api/v1/instances/{instance_id}/resume", json={}), 409)


def test_no_task_of_a_suspended_case_can_be_completed(api):
    assert api.deploy(TIMERS).status_code == 201
    instance_id = api.start("ceshi_xianqi", user="renshi", banli_qixian="2099-01-01").json["id"]
    [task] = api.inbox("renshi")
    assert (
        api.post(f"/api/v1/instances/{instance_id}/suspend", json={"reason": "材料待补"}).status_code == 200
    )
    body = assert_problem(api.complete(task["id"], "renshi"), 409)
    assert "挂起" in body["detail"]
    with time_machine.travel(utcnow() + timedelta(hours=1, minutes=5)):
        assert _tick(api) == 0  # the reminder does not fire either
    assert api.inbox("guozi") == []
    assert_problem(
        api.post(f"/api/v1/instances/{instance_id}/suspend", json={"reason": "x"}, user="renshi"), 403
    )
    assert_problem(api.post(f"/api/v1/instances/{instance_id}/resume", json={}, user="renshi"), 403)
    assert api.post(f"/api/v1/instances/{instance_id}/resume", json={}).status_code == 200
    assert api.complete(task["id"], "renshi").status_code == 200


# --- move (repair) ---------------------------------------------------------------------------


def _three_steps(api) -> str:
    document = bpmn.linear(
        "xiufu",
        bpmn.user("第一步", 'camunda:candidateGroups="企业人事"'),
        bpmn.user("第二步", 'camunda:candidateGroups="企业人事"'),
        bpmn.user("第三步", 'camunda:candidateGroups="区属集团"'),
    )
    assert api.deploy(("xiufu.bpmn", document)).status_code == 201
    return api.start("xiufu", user="renshi").json["id"]


def test_move_cancels_the_activity_and_starts_another(api):
    instance_id = _three_steps(api)
    [first] = api.inbox("renshi")
    response = api.post(
        f"/api/v1/instances/{instance_id}/move",
        json={"from_element": "S1", "to_element": "S3", "reason": "第一、二步已线下办理"},
    )
    assert response.status_code == 200, response.json
    assert [t["title"] for t in response.json["open_tasks"]] == ["第三步"]
    assert api.inbox("renshi") == []
    assert api.get(f"/api/v1/tasks/{first['id']}").json["status"] == "cancelled"
    event = _event(api, instance_id, "instance.moved")
    assert event["action_label"] == "移动办理位置（修复）"
    assert "「第一步」移到「第三步」" in event["summary"]
    # Back again, and the case runs on to its end from there.
    back = api.post(
        f"/api/v1/instances/{instance_id}/move",
        json={"from_element": "S3", "to_element": "S2", "reason": "第二步需补办"},
    )
    assert [t["title"] for t in back.json["open_tasks"]] == ["第二步"]
    [second] = api.inbox("renshi")
    assert api.complete(second["id"], "renshi").status_code == 200
    [third] = api.inbox("jituan")
    assert api.complete(third["id"], "jituan").status_code == 200
    assert api.get(f"/api/v1/instances/{instance_id}").json["status"] == "completed"


def test_move_refusals(api):
    instance_id = _three_steps(api)
    url = f"/api/v1/instances/{instance_id}/move"
    missing = assert_problem(
        api.post(url, json={"from_element": "S1", "to_element": "S9", "reason": "x"}), 422
    )
    assert "S9" in missing["detail"]
    idle = assert_problem(api.post(url, json={"from_element": "S2", "to_element": "S3", "reason": "x"}), 422)
    assert "没有进行中的活动" in idle["detail"]
    assert_problem(
        api.post(url, json={"from_element": "S1", "to_element": "S3", "reason": "x"}, user="renshi"), 403
    )
    assert_problem(
        api.post(
            f"/api/v1/instances/{uuid.uuid4()}/move",
            json={"from_element": "S1", "to_element": "S3", "reason": "x"},
        ),
        404,
    )
    [task] = api.inbox("renshi")
    assert task["title"] == "第一步"  # nothing changed


# --- migrate to a corrected version ----------------------------------------------------------


def _jiebang_v2() -> list[Any]:
    content = (PROCESSES / "jiebang_guashuai.bpmn").read_text(encoding="utf-8")
    renamed = content.replace(
        '<bpmn:userTask id="Activity_jianbang" name="建榜"',
        '<bpmn:userTask id="Activity_jianbang" name="建立榜单"',
    )
    assert renamed != content
    return [("jiebang_guashuai.bpmn", renamed.encode()), *jb.files()[1:]]


def test_running_jiebang_case_migrates_to_a_version_with_a_renamed_task(api):
    assert api.deploy(*jb.files()).status_code == 201
    instance_id = api.start("jiebang_guashuai", user="gongzuozu", business_key="GT-JB-MIG").json["id"]
    assert [t["title"] for t in api.inbox("gongzuozu")] == ["建榜"]
    deployed = api.deploy(*_jiebang_v2())
    assert deployed.status_code == 201, deployed.json
    url = "/api/v1/definitions/jiebang_guashuai/migrate"
    dry = api.post(url, json={"from_version": 1, "to_version": 2, "dry_run": True})
    assert dry.status_code == 200, dry.json
    [item] = dry.json["items"]
    assert (item["instance_id"], item["status"]) == (instance_id, "would_migrate")
    assert any("「建榜」改为「建立榜单」" in change for change in item["changes"])
    # A dry run changes nothing.
    assert [t["title"] for t in api.inbox("gongzuozu")] == ["建榜"]
    assert api.get(f"/api/v1/instances/{instance_id}").json["version"] == 1
    done = api.post(url, json={"from_version": 1, "to_version": 2, "instance_ids": [instance_id]})
    assert done.status_code == 200, done.json
    assert done.json["items"][0]["status"] == "migrated"
    assert api.get(f"/api/v1/instances/{instance_id}").json["version"] == 2
    [task] = api.inbox("gongzuozu")
    assert task["title"] == "建立榜单"
    event = _event(api, instance_id, "instance.migrated")
    assert event["action_label"] == "迁移到新版本" and "第 1 版迁移到第 2 版" in event["summary"]
    # The case goes on in the new version.
    assert api.complete(task["id"], "gongzuozu", **jb.BANGDAN).status_code == 200
    assert [t["title"] for t in api.inbox("gongzuozu")] == ["发榜"]
    # Nothing is left on version 1.
    again = api.post(url, json={"from_version": 1, "to_version": 2, "instance_ids": [instance_id]})
    assert again.json["items"][0]["status"] == "refused"


def test_migration_reports_cases_that_cannot_move(api):
    steps = [
        bpmn.user("第一步", 'camunda:candidateGroups="企业人事"'),
        bpmn.user("第二步", 'camunda:candidateGroups="企业人事"'),
    ]
    assert api.deploy(("q.bpmn", bpmn.linear("qianyi", *steps))).status_code == 201
    instance_id = api.start("qianyi", user="renshi").json["id"]
    # Version 2 no longer has the step the case is at.
    shorter = bpmn.linear("qianyi", bpmn.user("第二步", 'camunda:candidateGroups="企业人事"'))
    assert (
        api.deploy(("q.bpmn", shorter.replace(b'id="S1"', b'id="S2"').replace(b'"S1"', b'"S2"'))).status_code
        == 201
    )
    report = api.post("/api/v1/definitions/qianyi/migrate", json={"from_version": 1, "to_version": 2})
    assert report.status_code == 200, report.json
    [item] = report.json["items"]
    assert item["status"] == "refused"
    assert any("第一步" in reason and "已删除" in reason for reason in item["reasons"])
    assert api.get(f"/api/v1/instances/{instance_id}").json["version"] == 1
    assert_problem(
        api.post("/api/v1/definitions/qianyi/migrate", json={"from_version": 1, "to_version": 7}), 404
    )
    assert_problem(
        api.post("/api/v1/definitions/qianyi/migrate", json={"from_version": 1, "to_version": 1}), 422
    )
    assert_problem(
        api.post(
            "/api/v1/definitions/qianyi/migrate", json={"from_version": 1, "to_version": 2}, user="renshi"
        ),
        403,
    )


# --- users and tokens ------------------------------------------------------------------------


def _new_user(api) -> str:
    username = f"tingyong_{uuid.uuid4().hex[:8]}"
    created = api.post(
        "/api/v1/users", json={"username": username, "password": PASSWORD, "roles": ["企业人事"]}
    )
    assert created.status_code == 201, created.json
    return username


def _login(api, username: str) -> Any:
    return api.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})


def test_deactivated_user_cannot_log_in_and_their_tokens_stop_working(api):
    username = _new_user(api)
    token = _login(api, username).json["access_token"]
    me = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/me", headers=me).status_code == 200
    response = api.post(f"/api/v1/users/{username}/deactivate")
    assert response.status_code == 200, response.json
    assert response.json["active"] is False
    assert_problem(api.client.get("/api/v1/me", headers=me), 401)
    assert_problem(_login(api, username), 401)
    assert_problem(api.post(f"/api/v1/users/{username}/deactivate"), 409)
    assert_problem(api.post(f"/api/v1/users/{username}/deactivate", user="renshi"), 403)
    assert_problem(api.post("/api/v1/users/nobody_here/deactivate"), 404)
    assert_problem(api.post("/api/v1/users/admin/deactivate"), 409)  # not oneself
    assert api.post(f"/api/v1/users/{username}/reactivate").json["active"] is True
    assert api.client.get("/api/v1/me", headers=me).status_code == 200
    events = api.get("/api/v1/audit", query_string={"action": "user.deactivated"}).json["items"]
    assert any(e["detail"]["username"] == username for e in events)


def test_tokens_are_listed_and_revoked(api):
    username = _new_user(api)
    token = _login(api, username).json["access_token"]
    mine = {"Authorization": f"Bearer {token}"}
    own = api.client.get("/api/v1/tokens", headers=mine)
    assert own.status_code == 200, own.json
    [listed] = own.json["items"]
    assert (listed["username"], listed["name"], listed["revoked"]) == (username, "login", False)
    assert "access_token" not in listed and "token_hash" not in listed
    everyone = api.get("/api/v1/tokens").json["items"]
    assert {t["username"] for t in everyone} >= {username, "admin"}
    # Another user may neither see nor revoke it.
    assert all(t["username"] == "renshi" for t in api.get("/api/v1/tokens", user="renshi").json["items"])
    assert_problem(api.delete(f"/api/v1/tokens/{listed['id']}", user="renshi"), 404)
    assert api.client.delete(f"/api/v1/tokens/{listed['id']}", headers=mine).status_code == 204
    assert_problem(api.client.get("/api/v1/me", headers=mine), 401)
    assert_problem(api.delete(f"/api/v1/tokens/{listed['id']}"), 409)
    assert_problem(api.delete("/api/v1/tokens/999999999"), 404)
    # An administrator revokes a system token.
    system = api.post("/api/v1/tokens", json={"name": f"oa_{uuid.uuid4().hex[:6]}"}).json
    [row] = [t for t in api.get("/api/v1/tokens").json["items"] if t["name"] == system["name"]]
    assert row["system"] is True
    assert api.delete(f"/api/v1/tokens/{row['id']}").status_code == 204
    revoked = api.get("/api/v1/tokens", query_string={"include_revoked": "true"}).json["items"]
    assert any(t["id"] == row["id"] and t["revoked"] for t in revoked)
    events = api.get("/api/v1/audit", query_string={"action": "token.revoked"}).json["items"]
    assert {e["detail"]["token_id"] for e in events} >= {listed["id"], row["id"]}


@pytest.mark.parametrize("path", ["cancel", "suspend", "resume", "move"])
def test_operations_are_documented(api, path):
    spec = api.get("/openapi.json", user=None).json
    operation = spec["paths"][f"/api/v1/instances/{{instance_id}}/{path}"]["post"]
    assert {"403", "404", "409", "422"} <= set(operation["responses"])


def test_move_away_from_a_task_with_boundary_timers_cancels_them(api):
    assert api.deploy(TIMERS).status_code == 201
    instance_id = api.start("ceshi_xianqi", user="renshi", banli_qixian="2099-01-01").json["id"]
    assert len(api.get(f"/api/v1/instances/{instance_id}").json["timers"]) == 2
    response = api.post(
        f"/api/v1/instances/{instance_id}/move",
        json={"from_element": "Task_beian", "to_element": "Task_duban", "reason": "已逾期，直接督办"},
    )
    assert response.status_code == 200, response.json
    assert [t["title"] for t in response.json["open_tasks"]] == ["逾期督办"]
    assert response.json["timers"] == []
    with time_machine.travel(utcnow() + timedelta(days=4)):
        assert _tick(api) == 0
    assert api.inbox("renshi") == []


def test_move_into_a_multi_instance_step_opens_one_task_per_element(api):
    document = bpmn.linear(
        "xiufu_huiqian",
        bpmn.user("准备", 'camunda:candidateGroups="企业人事"'),
        bpmn.multi_instance(),
    )
    assert api.deploy(("h.bpmn", document)).status_code == 201
    instance_id = api.start("xiufu_huiqian", user="renshi", pingwei_list=["pingwei1", "pingwei2"]).json["id"]
    response = api.post(
        f"/api/v1/instances/{instance_id}/move",
        json={"from_element": "S1", "to_element": "S2", "reason": "准备工作已线下完成"},
    )
    assert response.status_code == 200, response.json
    assert sorted(t["assignee"] for t in response.json["open_tasks"]) == ["pingwei1", "pingwei2"]
    # And out of it again, with both sheets withdrawn.
    back = api.post(
        f"/api/v1/instances/{instance_id}/move",
        json={"from_element": "S2", "to_element": "S1", "reason": "评委名单有误"},
    )
    assert back.status_code == 200, back.json
    assert [t["title"] for t in back.json["open_tasks"]] == ["准备"]
    assert api.inbox("pingwei1") == []


def test_migrated_case_keeps_its_waiting_window_timer_and_it_fires(api):
    """A case in the JB-03 registration window moves to the corrected version; the window's
    timer keeps its due time and closes the window on time in the new version."""
    with time_machine.travel(jb.at("2026-03-02"), tick=False) as traveller:
        assert api.deploy(*jb.files()).status_code == 201
        instance_id = api.start("jiebang_guashuai", user="gongzuozu").json["id"]
        jb.do(api, "gongzuozu", "建榜", **jb.BANGDAN)
        jb.do(api, "gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")
        [timer] = api.get(f"/api/v1/instances/{instance_id}").json["timers"]
        assert api.deploy(*_jiebang_v2()).status_code == 201
        report = api.post(
            "/api/v1/definitions/jiebang_guashuai/migrate", json={"from_version": 1, "to_version": 2}
        )
        assert [item["status"] for item in report.json["items"]] == ["migrated"]
        detail = api.get(f"/api/v1/instances/{instance_id}").json
        assert detail["version"] == 2
        assert detail["timers"] == [timer]
        jb.do(
            api, "dangweigongzuobu", "登记揭榜申请", shenqing=jb.shenqing("张建国"), shoudao_riqi="2026-03-05"
        )
        traveller.move_to(jb.at("2026-03-10", "00:00"))
        assert _tick(api) == 1
        assert jb.data(api, instance_id)["hege_mingdan"] == ["张建国"]
        assert jb.titles(api, "dangweigongzuobu") == ["审核并提出揭榜对象"]


def test_business_key_stays_taken_while_suspended_and_is_freed_by_cancel(api):
    document = bpmn.linear("bianhao", bpmn.user("办理", 'camunda:candidateGroups="企业人事"'))
    assert api.deploy(("k.bpmn", document)).status_code == 201
    first = api.start("bianhao", user="renshi", business_key="BH-1").json["id"]
    assert api.post(f"/api/v1/instances/{first}/suspend", json={"reason": "暂停"}).status_code == 200
    assert_problem(api.start("bianhao", user="renshi", business_key="BH-1"), 409)
    [version] = api.get("/api/v1/definitions/bianhao").json["versions"]
    assert version["running"] == 1
    assert api.post(f"/api/v1/instances/{first}/cancel", json={"reason": "编号录错"}).status_code == 200
    assert api.get("/api/v1/definitions/bianhao").json["versions"][0]["running"] == 0
    assert api.start("bianhao", user="renshi", business_key="BH-1").status_code == 201


def test_migrating_a_case_whose_open_task_changes_role_moves_it_to_the_new_role(api):
    """Regression: the task rows of a migrated case took their new grants from a throw-away row,
    which failed with a 500 when the open task's role changed between the versions."""
    key = f"qianyi_{uuid.uuid4().hex[:8]}"
    first = bpmn.linear(key, bpmn.user("审核", 'camunda:candidateGroups="企业人事"'))
    assert api.deploy((f"{key}.bpmn", first)).status_code == 201
    instance_id = api.start(key, user="renshi").json["id"]
    assert any(t["instance_id"] == instance_id for t in api.inbox("renshi"))
    second = first.replace("企业人事".encode(), "工作组".encode())
    assert second != first
    assert api.deploy((f"{key}.bpmn", second)).status_code == 201
    done = api.post(f"/api/v1/definitions/{key}/migrate", json={"from_version": 1, "to_version": 2})
    assert done.status_code == 200, done.json
    assert done.json["items"][0]["status"] == "migrated"
    assert not any(t["instance_id"] == instance_id for t in api.inbox("renshi"))
    [task] = [t for t in api.inbox("gongzuozu") if t["instance_id"] == instance_id]
    assert task["title"] == "审核"
    assert api.complete(task["id"], "gongzuozu").status_code == 200
