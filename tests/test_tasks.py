"""The inbox of each role over REST: who sees what, claim/unclaim, completion with form
validation, and the errors a person gets when something is off."""

from __future__ import annotations

import pytest

from service.timeutil import SHANGHAI, utcnow
from tests.conftest import FIXTURES, assert_problem, beian_files, sql_count

TIANBAO = {
    "beian_leixing": "入职",
    "xingming": "张三",
    "shenfenzheng_hao": "33028319900101123X",
    "gangwei": "财务会计",
    "gangwei_leibie": "管理岗位",
    "xueli": "大学本科",
    "quanrizhi": True,
    # Today: a change filed the day it happens is within FH-09's 15 working days (no 督办 task).
    "biandong_riqi": utcnow().astimezone(SHANGHAI).date().isoformat(),
}


@pytest.fixture()
def beian(api):
    assert api.deploy(*beian_files()).status_code == 201
    return api


def _start(api, business_key="FH-2026-001"):
    response = api.start("fenghua_beian", user="renshi", business_key=business_key)
    assert response.status_code == 201, response.json
    return response.json


def test_main_path_through_three_roles(beian):
    """FH-09: an enterprise files a hire; the group reviews, returns once, then the centre files it."""
    api = beian
    instance = _start(api)
    [task] = api.inbox("renshi")
    assert (task["title"], task["role"], task["form_key"]) == ("填报备案材料", "企业人事", "fh_beian_tianbao")
    assert task["business_key"] == "FH-2026-001" and task["instance_id"] == instance["id"]
    assert api.inbox("jituan") == [] and api.inbox("guozi") == []

    done = api.complete(task["id"], "renshi", **TIANBAO)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "running"
    [review] = done.json["open_tasks"]
    assert (review["title"], review["role"]) == ("集团审核", "区属集团")

    returned = api.complete(review["id"], "jituan", jituan_tongguo=False, jituan_yijian="身份证号需核对")
    [again] = returned.json["open_tasks"]
    assert again["title"] == "填报备案材料"
    detail = api.get(f"/api/v1/tasks/{again['id']}", user="renshi").json
    assert detail["data"]["jituan_yijian"] == "身份证号需核对"
    assert detail["form"]["title"] and "xingming" in detail["form"]["properties"]

    review2 = api.complete(again["id"], "renshi", **TIANBAO).json["open_tasks"][0]
    centre = api.complete(review2["id"], "jituan", jituan_tongguo=True, jituan_yijian="同意").json
    final = api.complete(centre["open_tasks"][0]["id"], "guozi", beian_jieguo="准予备案")
    assert final.status_code == 200
    assert final.json["status"] == "completed" and final.json["open_tasks"] == []

    shown = api.get(f"/api/v1/instances/{instance['id']}", user="renshi").json
    assert shown["status"] == "completed" and shown["completed_at"]
    assert shown["data"]["beian_bianhao"] == "奉化备案-01123X"
    titles = [step["title"] for step in shown["completed_steps"]]
    assert titles[0] == "发起备案" and titles[-1] == "备案办结" and "已备案" in titles
    assert titles.count("填报备案材料") == 2 and "生成备案编号" in titles


def test_form_violations_come_back_per_field_and_nothing_is_saved(beian):
    api = beian
    _start(api)
    [task] = api.inbox("renshi")
    bad = dict(TIANBAO, shenfenzheng_hao="123", biandong_riqi="2026-02-30", xueli="小学")
    del bad["gangwei"]
    body = assert_problem(api.complete(task["id"], "renshi", **bad), 422)
    assert body["errors"] == {
        "biandong_riqi": ["「入职或离职日期」不是有效的日期（YYYY-MM-DD）"],
        "gangwei": ["「岗位」为必填项"],
        "shenfenzheng_hao": ["「身份证号」格式不正确"],
        "xueli": ["「最高学历」只能是：博士研究生、硕士研究生、大学本科、大专、高中及以下"],
    }
    assert [t["id"] for t in api.inbox("renshi")] == [task["id"]]
    assert sql_count(api_db(api), "SELECT count(*) FROM tasks WHERE status = 'completed'") == 0


def test_a_submission_cannot_set_fields_its_form_does_not_declare(beian):
    """Users act only within their roles: completing a task must not let anyone overwrite
    instance data the task's form does not offer (another step's result, a deadline)."""
    api = beian
    _start(api)
    [task] = api.inbox("renshi")
    review = api.complete(task["id"], "renshi", **TIANBAO).json["open_tasks"][0]
    body = assert_problem(
        api.complete(review["id"], "jituan", jituan_tongguo=True, jituan_yijian="同意", xingming="张冒名"),
        422,
    )
    assert body["errors"] == {"xingming": ["表单中没有字段「xingming」，不能提交；请只提交表单上的字段"]}
    assert [t["title"] for t in api.inbox("jituan")] == ["集团审核"]
    data = api.get(f"/api/v1/instances/{review['instance_id']}", user="renshi").json["data"]
    assert data["xingming"] == TIANBAO["xingming"]


def api_db(api):
    return api.client.application.extensions["xuanpin"].db


def test_conditional_form_rule(beian):
    api = beian
    _start(api)
    task = api.inbox("renshi")[0]
    review = api.complete(task["id"], "renshi", **TIANBAO).json["open_tasks"][0]
    body = assert_problem(api.complete(review["id"], "jituan", jituan_tongguo=False, jituan_yijian=""), 422)
    assert body["errors"] == {"jituan_yijian": ["「审核意见」至少 2 个字"]}


def test_completion_body_must_be_an_object_with_plain_names(beian):
    api = beian
    _start(api)
    task = api.inbox("renshi")[0]
    path = f"/api/v1/tasks/{task['id']}/complete"
    assert_problem(api.post(path, user="renshi", json={"data": [1, 2]}), 422)
    body = assert_problem(api.post(path, user="renshi", json={"data": {"__class__": 1, "a-b": 2}}), 422)
    assert set(body["errors"]) == {"data.__class__", "data.a-b"}
    bad_json = api.post(path, user="renshi", data="{not json", content_type="application/json")
    assert_problem(bad_json, 400)


def test_double_completion_is_409_and_keeps_the_first(beian):
    api = beian
    _start(api)
    task = api.inbox("renshi")[0]
    assert api.complete(task["id"], "renshi", **TIANBAO).status_code == 200
    body = assert_problem(api.complete(task["id"], "renshi", **dict(TIANBAO, xingming="李四")), 409)
    assert "已办结" in body["detail"]
    detail = api.get(f"/api/v1/tasks/{task['id']}", user="renshi").json
    assert detail["status"] == "completed" and detail["data"]["xingming"] == "张三"
    assert detail["completed_by"] == "renshi"


def test_other_roles_can_neither_see_nor_complete(beian):
    api = beian
    _start(api)
    task = api.inbox("renshi")[0]
    assert_problem(api.get(f"/api/v1/tasks/{task['id']}", user="jituan"), 404)
    assert_problem(api.complete(task["id"], "jituan", **TIANBAO), 404)
    assert_problem(api.post(f"/api/v1/tasks/{task['id']}/claim", user="outsider"), 404)
    assert_problem(api.get("/api/v1/tasks/no-such-task", user="renshi"), 404)


def test_observer_reads_everything_but_changes_nothing(beian):
    """X-01: the discipline inspector can read every instance but change nothing."""
    api = beian
    instance = _start(api)
    [task] = api.inbox("jijian")
    assert task["instance_id"] == instance["id"]
    assert api.get(f"/api/v1/instances/{instance['id']}", user="jijian").status_code == 200
    assert api.get(f"/api/v1/tasks/{task['id']}", user="jijian").status_code == 200
    assert_problem(api.complete(task["id"], "jijian", **TIANBAO), 403)
    assert_problem(api.post(f"/api/v1/tasks/{task['id']}/claim", user="jijian"), 403)
    assert_problem(api.deploy(*beian_files(), user="jijian"), 403)


def test_claim_and_unclaim(beian):
    api = beian
    _start(api)
    task = api.inbox("renshi")[0]
    claimed = api.post(f"/api/v1/tasks/{task['id']}/claim", user="renshi")
    assert claimed.status_code == 200 and claimed.json["assignee"] == "renshi"
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", user="renshi").status_code == 200  # idempotent
    assert [t["id"] for t in api.inbox("renshi", assignee="me")] == [task["id"]]
    assert api.inbox("renshi2", assignee="me") == []
    # Claimed by a colleague of the same role: no longer theirs to take or complete.
    body = assert_problem(api.post(f"/api/v1/tasks/{task['id']}/claim", user="renshi2"), 409)
    assert "renshi" in body["detail"]
    assert_problem(api.complete(task["id"], "renshi2", **TIANBAO), 403)
    assert_problem(api.post(f"/api/v1/tasks/{task['id']}/unclaim", user="renshi2"), 403)
    released = api.post(f"/api/v1/tasks/{task['id']}/unclaim", user="renshi")
    assert released.status_code == 200 and released.json["assignee"] is None
    assert api.complete(task["id"], "renshi2", **TIANBAO).status_code == 200
    done = api.get(f"/api/v1/tasks/{task['id']}", user="renshi2").json
    assert done["assignee"] == "renshi2" and done["completed_by"] == "renshi2"
    assert_problem(api.post(f"/api/v1/tasks/{task['id']}/claim", user="renshi"), 409)


def test_inbox_filters_and_pagination(beian):
    api = beian
    ids = [_start(api, business_key=f"FH-{n:03d}")["id"] for n in range(5)]
    page1 = api.get("/api/v1/tasks", user="renshi", query_string={"per_page": 2}).json
    page3 = api.get("/api/v1/tasks", user="renshi", query_string={"per_page": 2, "page": 3}).json
    assert (page1["total"], len(page1["items"]), len(page3["items"])) == (5, 2, 1)
    assert [t["instance_id"] for t in page1["items"]] == ids[:2]
    assert len(api.inbox("renshi", role="企业人事", per_page=100)) == 5
    assert api.inbox("renshi", role="区属集团") == []
    assert [t["instance_id"] for t in api.inbox("renshi", instance_id=ids[3])] == [ids[3]]
    first = api.inbox("renshi")[0]
    api.complete(first["id"], "renshi", **TIANBAO)
    completed = api.inbox("renshi", status="completed")
    assert [t["id"] for t in completed] == [first["id"]]
    assert len(api.inbox("jituan")) == 1
    assert_problem(api.get("/api/v1/tasks", user="renshi", query_string={"per_page": 1000}), 422)
    assert_problem(api.get("/api/v1/tasks", user="renshi", query_string={"status": "whatever"}), 422)
    assert_problem(api.get("/api/v1/tasks", user="renshi", query_string={"page": "x"}), 422)


def test_a_task_assigned_to_nobody_is_refused_where_it_would_be_created(api):
    """A diagram assignee (${variable}) that names no active account would leave the task in
    nobody's inbox: the step that named them is refused and nothing is saved."""
    assert api.deploy(FIXTURES / "assignment.bpmn", FIXTURES / "ceshi_dengji.schema.json").status_code == 201
    api.start("ceshi_fenpai", user="gongzuozu")
    [register] = api.inbox("gongzuozu")
    body = assert_problem(
        api.complete(register["id"], "gongzuozu", fuheren="renshi9", beiyong="renshi2"), 422
    )
    assert "「指定人复核」指派的「renshi9」不是系统中的在用账号" in body["detail"]
    assert [t["id"] for t in api.inbox("gongzuozu")] == [register["id"]]


def test_times_are_shown_in_beijing_time(beian):
    api = beian
    _start(api)
    task = api.inbox("renshi")[0]
    assert task["created_at"].endswith("+08:00")


def test_candidate_groups_assignee_and_candidate_users(api):
    """camunda:candidateGroups replaces the lane; assignee and candidateUsers may be ${variables}."""
    assert api.deploy(FIXTURES / "assignment.bpmn", FIXTURES / "ceshi_dengji.schema.json").status_code == 201
    api.start("ceshi_fenpai", user="gongzuozu")
    [register] = api.inbox("gongzuozu")
    assert register["role"] == "工作组"
    body = assert_problem(api.complete(register["id"], "gongzuozu", fuheren="renshi", renshu=10), 422)
    assert body["errors"] == {"beiyong": ["「备用办理人」为必填项"], "renshu": ["「人数」不能大于 9"]}
    result = api.complete(register["id"], "gongzuozu", fuheren="renshi", beiyong="renshi2")
    tasks = {t["title"]: t for t in result.json["open_tasks"]}
    assert set(tasks) == {"评委打分", "指定人复核", "点名办理"}
    assert tasks["评委打分"]["role"] == "评委" and tasks["评委打分"]["candidate_roles"] == ["评委"]
    assert tasks["指定人复核"]["assignee"] == "renshi"
    assert sorted(tasks["点名办理"]["candidate_users"]) == ["li", "renshi2"]

    assert [t["title"] for t in api.inbox("pingwei")] == ["评委打分"]
    assert [t["title"] for t in api.inbox("renshi")] == ["指定人复核"]
    assert [t["title"] for t in api.inbox("li")] == ["点名办理"]
    assert [t["title"] for t in api.inbox("renshi2")] == ["点名办理"]
    # The lane's role does not reach a task whose candidateGroups say otherwise, nor one
    # already assigned to somebody; it still reaches the task offered to named users.
    assert [t["title"] for t in api.inbox("gongzuozu")] == ["点名办理"]
    assert_problem(api.complete(tasks["评委打分"]["id"], "gongzuozu"), 404)

    api.complete(tasks["评委打分"]["id"], "pingwei")
    api.complete(tasks["点名办理"]["id"], "li")
    last = api.complete(tasks["指定人复核"]["id"], "renshi")
    assert last.json["status"] == "completed"


def test_a_bare_form_body_is_told_to_wrap_its_fields_in_data(beian):
    api = beian
    _start(api)
    task = api.inbox("renshi")[0]
    body = assert_problem(api.post(f"/api/v1/tasks/{task['id']}/complete", user="renshi", json=TIANBAO), 422)
    assert set(body["errors"]) == {"data"}
    assert "data" in body["detail"] and "必填" not in body["detail"]


def test_a_rule_refusal_is_titled_as_such_names_the_field_and_saves_nothing(api):
    from tests.bpmn import linear, script, user

    checked = script(
        "if shenfenzheng_hao not in mingdan:\n"
        "    refuse('身份证号 ' + shenfenzheng_hao + ' 不在名单中', 'shenfenzheng_hao')\n"
        "jieguo = '在名单中'"
    )
    form = (
        "ceshi_mingdan.schema.json",
        b'{"type": "object", "properties": {"shenfenzheng_hao": {"title": "\\u8eab\\u4efd\\u8bc1\\u53f7",'
        b' "type": "string"}}, "required": ["shenfenzheng_hao"]}',
    )
    bpmn = linear(
        "ceshi_mingdan",
        user("核对", 'camunda:formKey="ceshi_mingdan" camunda:candidateGroups="企业人事"'),
        checked,
        user("后续", 'camunda:candidateGroups="企业人事"'),
    )
    assert api.deploy(("ceshi_mingdan.bpmn", bpmn), form).status_code == 201
    instance = api.start("ceshi_mingdan", mingdan=["330283199001011234"]).json
    task = api.inbox("renshi")[0]
    refused = assert_problem(api.complete(task["id"], "renshi", shenfenzheng_hao="330283199001019999"), 422)
    assert refused["title"] == "不符合规定，未予办理", refused
    assert refused["errors"] == {"shenfenzheng_hao": ["身份证号 330283199001019999 不在名单中"]}
    assert "流程管理员" not in refused["detail"]
    assert [t["id"] for t in api.inbox("renshi")] == [task["id"]]  # still open, nothing saved
    assert "jieguo" not in api.get(f"/api/v1/instances/{instance['id']}").json["data"]
    assert api.complete(task["id"], "renshi", shenfenzheng_hao="330283199001011234").status_code == 200
