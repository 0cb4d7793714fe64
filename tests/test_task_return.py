"""退回 (return), 撤回 (withdraw) and the sign-off rules of multi-instance steps (会签, 或签, 票签),
through the REST API, plus the engine adapter and the domain rule underneath (issue 10)."""

from __future__ import annotations

import pytest
import time_machine

from service.domain.sign_off import FAILED, PASSED, SignOffRule, Tally, decide, parse_rule
from service.engine.parser import SourceFile, parse_definitions
from service.engine.runtime import ProcessEngine
from tests import bpmn
from tests import test_jiebang as jb
from tests.conftest import assert_problem, sql_count

JUDGES = ["pingwei1", "pingwei2", "pingwei3"]


def _judges(name: str = "评委审议", sign_off: str | None = None) -> str:
    props = (
        "<bpmn:extensionElements><camunda:properties>"
        f'<camunda:property name="xuanpin:signOff" value="{sign_off}" />'
        "</camunda:properties></bpmn:extensionElements>"
        if sign_off
        else ""
    )
    return (
        f'<bpmn:userTask id="{{id}}" name="{name}" camunda:assignee="${{pingwei}}" '
        f'camunda:candidateGroups="评委">{props}'
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="pingwei_list" '
        'camunda:elementVariable="pingwei" /></bpmn:userTask>'
    )


def _deploy(api, key: str, *steps: str) -> None:
    response = api.deploy((f"{key}.bpmn", bpmn.linear(key, *steps)))
    assert response.status_code == 201, response.json


def _start(api, key: str, **data) -> str:
    response = api.start(key, **data)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _open(api, instance_id: str) -> list[dict]:
    return api.get(f"/api/v1/instances/{instance_id}").json["open_tasks"]


def _history(api, instance_id: str) -> list[dict]:
    response = api.get(f"/api/v1/instances/{instance_id}/history")
    assert response.status_code == 200, response.json
    return response.json["events"]


def _return(api, task_id: str, user: str, target: str, comment: str | None = None):
    return api.post(f"/api/v1/tasks/{task_id}/return", user=user, json={"target": target, "comment": comment})


@pytest.fixture()
def judged(api):
    """填报 (企业人事) → 评委审议 (one task per judge) → 集团审核 (区属集团), 集团审核 open."""
    _deploy(
        api,
        "ceshi_tuihui",
        bpmn.user("填报", 'camunda:candidateGroups="企业人事"'),
        _judges(),
        bpmn.user("集团审核", 'camunda:candidateGroups="区属集团"'),
    )
    instance_id = _start(api, "ceshi_tuihui", pingwei_list=JUDGES)
    [fill] = _open(api, instance_id)
    api.post(f"/api/v1/tasks/{fill['id']}/claim", user="renshi")
    assert api.complete(fill["id"], "renshi", shuoming="初稿").status_code == 200
    for task in _open(api, instance_id):
        sheet = {"judge": task["assignee"], "yijian": "同意"}
        assert api.complete(task["id"], task["assignee"], pingwei=sheet).status_code == 200
    [review] = _open(api, instance_id)
    assert review["title"] == "集团审核"
    return instance_id, review


def test_return_targets_list_the_earlier_steps_with_who_did_them(api, judged):
    _instance_id, review = judged
    response = api.get(f"/api/v1/tasks/{review['id']}/return-targets", user="jituan")
    assert response.status_code == 200, response.json
    targets = [
        (t["element_id"], t["title"], sorted(t["completed_by"]), t["multi_instance"]) for t in response.json
    ]
    assert targets == [("S2", "评委审议", JUDGES, True), ("S1", "填报", ["renshi"], False)]


def test_return_into_a_multi_instance_step_creates_every_instance_again(api, judged):
    """A return to 评委审议 opens one new task per judge (not none, not one), cancels 集团审核
    with the reason, and the history shows both."""
    instance_id, review = judged
    before = {t["id"] for t in api.get("/api/v1/tasks", query_string={"status": "completed"}).json["items"]}
    response = _return(api, review["id"], "jituan", "S2", "评分依据不足")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "running"
    opened = response.json["open_tasks"]
    assert sorted(t["assignee"] for t in opened) == JUDGES
    assert {t["title"] for t in opened} == {"评委审议"}
    assert not {t["id"] for t in opened} & before  # new rows, not the completed ones reopened
    assert api.get(f"/api/v1/tasks/{review['id']}", user="jituan").json["status"] == "cancelled"

    events = _history(api, instance_id)
    returned = next(e for e in events if e["action"] == "task.returned")
    assert returned["action_label"] == "退回" and returned["actor"] == "jituan"
    assert "退回到「评委审议」" in returned["summary"] and "评分依据不足" in returned["summary"]
    cancelled = next(e for e in events if e["action"] == "task.cancelled")
    assert cancelled["task_id"] == review["id"]
    assert "jituan 退回：评分依据不足" in cancelled["detail"]["reason"]

    for task in opened:
        assert api.complete(task["id"], task["assignee"], pingwei=task["assignee"]).status_code == 200
    assert [t["title"] for t in _open(api, instance_id)] == ["集团审核"]


def test_a_returned_task_opens_for_its_earlier_worker_prefilled(api, judged):
    instance_id, review = judged
    response = _return(api, review["id"], "jituan", "S1", "请补充说明")
    assert response.status_code == 200, response.json
    [fill] = response.json["open_tasks"]
    assert fill["title"] == "填报" and fill["assignee"] == "renshi"
    detail = api.get(f"/api/v1/tasks/{fill['id']}", user="renshi").json
    assert detail["data"]["shuoming"] == "初稿"
    assert any(e["action"] == "task.assigned_back" for e in _history(api, instance_id))
    # The judges' sheets were work after 填报: the case's data no longer holds them.
    assert api.get(f"/api/v1/instances/{instance_id}").json["data"]["pingwei_list"] == JUDGES
    reverted = next(e for e in _history(api, instance_id) if e["action"] == "data.reverted")
    assert reverted["detail"]["changed"]["pingwei_list"]["to"] == JUDGES
    # The judges' step after it is gone with it: completing 填报 opens it afresh for each judge.
    opened = api.complete(fill["id"], "renshi", shuoming="二稿").json["open_tasks"]
    assert sorted(t["assignee"] for t in opened) == JUDGES


def test_return_refusals_say_what_to_do(api, judged):
    _instance_id, review = judged
    body = assert_problem(_return(api, review["id"], "jituan", "S9"), 422)
    assert "return-targets" in body["detail"]
    # The inspector sees the task but does not work on it; another role does not even see it.
    assert (
        "只有当前办理人或管理员可以退回"
        in assert_problem(_return(api, review["id"], "jijian", "S1"), 403)["detail"]
    )
    assert_problem(_return(api, review["id"], "renshi2", "S1"), 404)
    assert_problem(api.get(f"/api/v1/tasks/{review['id']}/return-targets", user="jijian"), 403)
    assert _return(api, review["id"], "admin", "S1").status_code == 200  # an admin may
    # The task changed meanwhile: it is no longer open.
    assert "不能再办理" in assert_problem(_return(api, review["id"], "jituan", "S1"), 409)["detail"]
    assert_problem(api.post(f"/api/v1/tasks/{review['id']}/return", user="jituan", json={}), 422)


PARALLEL = (
    bpmn.HEADER.format(pid="ceshi_bingxing")
    + '<bpmn:process id="ceshi_bingxing" name="并行审核" isExecutable="true">'
    '<bpmn:startEvent id="StartEvent_1" />'
    '<bpmn:userTask id="S1" name="填报" camunda:candidateGroups="企业人事" />'
    '<bpmn:parallelGateway id="Fork" /><bpmn:parallelGateway id="Join" />'
    '<bpmn:userTask id="A" name="集团审核" camunda:candidateGroups="区属集团" />'
    '<bpmn:userTask id="B" name="国资审核" camunda:candidateGroups="区国资管理中心" />'
    '<bpmn:userTask id="S4" name="归档" camunda:candidateGroups="企业人事" />'
    '<bpmn:endEvent id="EndEvent_1" />'
    '<bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="S1" />'
    '<bpmn:sequenceFlow id="F2" sourceRef="S1" targetRef="Fork" />'
    '<bpmn:sequenceFlow id="F3" sourceRef="Fork" targetRef="A" />'
    '<bpmn:sequenceFlow id="F4" sourceRef="Fork" targetRef="B" />'
    '<bpmn:sequenceFlow id="F5" sourceRef="A" targetRef="Join" />'
    '<bpmn:sequenceFlow id="F6" sourceRef="B" targetRef="Join" />'
    '<bpmn:sequenceFlow id="F7" sourceRef="Join" targetRef="S4" />'
    '<bpmn:sequenceFlow id="F8" sourceRef="S4" targetRef="EndEvent_1" />'
    "</bpmn:process></bpmn:definitions>"
).encode()


def test_a_return_out_of_a_parallel_branch_cancels_the_sibling_branches(api):
    assert api.deploy(("ceshi_bingxing.bpmn", PARALLEL)).status_code == 201
    instance_id = _start(api, "ceshi_bingxing")
    [fill] = _open(api, instance_id)
    api.complete(fill["id"], "renshi", shuoming="初稿")
    branches = {t["title"]: t for t in _open(api, instance_id)}
    assert set(branches) == {"集团审核", "国资审核"}
    targets = api.get(f"/api/v1/tasks/{branches['集团审核']['id']}/return-targets", user="jituan").json
    assert [t["title"] for t in targets] == ["填报"]  # the sibling branch is not on its path

    response = _return(api, branches["集团审核"]["id"], "jituan", "S1", "材料不全")
    assert response.status_code == 200, response.json
    assert [t["title"] for t in response.json["open_tasks"]] == ["填报"]
    sibling = api.get(f"/api/v1/tasks/{branches['国资审核']['id']}", user="guozi").json
    assert sibling["status"] == "cancelled"
    reasons = {
        e["task_id"]: e["detail"]["reason"]
        for e in _history(api, instance_id)
        if e["action"] == "task.cancelled"
    }
    assert set(reasons) == {branches["集团审核"]["id"], branches["国资审核"]["id"]}

    [fill] = response.json["open_tasks"]
    again = api.complete(fill["id"], "renshi", shuoming="二稿").json["open_tasks"]
    assert sorted(t["title"] for t in again) == ["国资审核", "集团审核"]
    for task in again:
        api.complete(task["id"], "jituan" if task["title"] == "集团审核" else "guozi")
    assert [t["title"] for t in _open(api, instance_id)] == ["归档"]


@pytest.fixture()
def chain(api):
    _deploy(
        api,
        "ceshi_chehui",
        bpmn.user("填报", 'camunda:candidateGroups="企业人事"'),
        bpmn.user("集团审核", 'camunda:candidateGroups="区属集团"'),
        bpmn.user("国资审核", 'camunda:candidateGroups="区国资管理中心"'),
    )
    instance_id = _start(api, "ceshi_chehui")
    [fill] = _open(api, instance_id)
    assert api.complete(fill["id"], "renshi", shuoming="初稿").status_code == 200
    return instance_id, fill


def _withdraw(api, task_id: str, user: str, comment: str | None = None):
    return api.post(f"/api/v1/tasks/{task_id}/withdraw", user=user, json={"comment": comment})


def test_withdraw_before_the_next_step_acted_reopens_it_for_its_worker(api, chain):
    instance_id, fill = chain
    [review] = _open(api, instance_id)
    response = _withdraw(api, fill["id"], "renshi", "填错了岗位")
    assert response.status_code == 200, response.json
    [reopened] = response.json["open_tasks"]
    assert (reopened["title"], reopened["assignee"]) == ("填报", "renshi")
    assert api.get(f"/api/v1/tasks/{reopened['id']}", user="renshi").json["data"]["shuoming"] == "初稿"
    assert api.get(f"/api/v1/tasks/{review['id']}", user="jituan").json["status"] == "cancelled"
    withdrawn = next(e for e in _history(api, instance_id) if e["action"] == "task.withdrawn")
    assert withdrawn["action_label"] == "撤回" and "填错了岗位" in withdrawn["summary"]


def test_withdraw_is_refused_once_the_next_step_acted(api, chain):
    instance_id, fill = chain
    [review] = _open(api, instance_id)
    assert_problem(_withdraw(api, fill["id"], "renshi2"), 403)  # not the person who completed it
    assert api.complete(review["id"], "jituan").status_code == 200
    body = assert_problem(_withdraw(api, fill["id"], "renshi"), 409)
    assert "「集团审核」已经办理" in body["detail"]
    [later] = _open(api, instance_id)
    assert_problem(_withdraw(api, later["id"], "guozi"), 409)  # still open: nothing to withdraw
    assert not any(e["action"] == "task.withdrawn" for e in _history(api, instance_id))


def _sign_off_case(api, rule: str, judges: list[str]) -> str:
    key = "ceshi_qianpi_" + rule.replace(":", "_").replace(".", "_")
    _deploy(api, key, _judges("评委表决", rule), bpmn.user("汇总", 'camunda:candidateGroups="区属集团"'))
    return _start(api, key, pingwei_list=judges)


def _vote(api, instance_id: str, votes: dict[str, bool]) -> dict:
    tasks = {t["assignee"]: t for t in _open(api, instance_id)}
    result = None
    for judge, yes in votes.items():
        result = api.complete(tasks[judge]["id"], judge, pingwei=judge, tongyi=yes)
        assert result.status_code == 200, result.json
    return result.json


def _outcome(api, instance_id: str) -> dict:
    return api.get(f"/api/v1/instances/{instance_id}").json["data"]["qianpi_jieguo"]


def test_piaoqian_counts_approvals_not_completions_and_ends_when_decided(api):
    """票签 ratio:0.6 of five: three approvals needed; after one yes and three no the yes can no
    longer reach three, so the fifth judge's task is cancelled with the reason."""
    judges = [f"pingwei{i}" for i in range(1, 6)]
    instance_id = _sign_off_case(api, "ratio:0.6", judges)
    after_three = _vote(api, instance_id, {"pingwei1": True, "pingwei2": False, "pingwei3": False})
    assert len(after_three["open_tasks"]) == 2  # three done ≥ 60 % of five, but not three approvals
    result = _vote(api, instance_id, {"pingwei4": False})
    assert [t["title"] for t in result["open_tasks"]] == ["汇总"]
    outcome = _outcome(api, instance_id)
    assert (outcome["jieguo"], outcome["tongyi_shu"], outcome["butongyi_shu"]) == (FAILED, 1, 3)
    assert outcome["zong_shu"] == 5 and outcome["xuyao_tongyi"] == 3
    [cancelled] = [e for e in _history(api, instance_id) if e["action"] == "task.cancelled"]
    assert "票签结果已定" in cancelled["detail"]["reason"]
    assert not [t for t in api.inbox("pingwei5") if t["instance_id"] == instance_id]


def test_piaoqian_passes_early_on_enough_approvals(api):
    judges = [f"pingwei{i}" for i in range(1, 6)]
    instance_id = _sign_off_case(api, "count:2", judges)
    result = _vote(api, instance_id, {"pingwei1": True, "pingwei2": False, "pingwei3": True})
    assert [t["title"] for t in result["open_tasks"]] == ["汇总"]
    assert _outcome(api, instance_id)["jieguo"] == PASSED


def test_huiqian_waits_for_everyone_and_fails_on_one_rejection(api):
    instance_id = _sign_off_case(api, "all", JUDGES)
    assert len(_vote(api, instance_id, {"pingwei1": True, "pingwei2": False})["open_tasks"]) == 1
    result = _vote(api, instance_id, {"pingwei3": True})
    assert [t["title"] for t in result["open_tasks"]] == ["汇总"]
    assert (_outcome(api, instance_id)["jieguo"], _outcome(api, instance_id)["tongyi_shu"]) == (FAILED, 2)


def test_huoqian_first_answer_decides_and_cancels_the_rest(api):
    instance_id = _sign_off_case(api, "any", JUDGES)
    result = _vote(api, instance_id, {"pingwei2": True})
    assert [t["title"] for t in result["open_tasks"]] == ["汇总"]
    assert _outcome(api, instance_id)["jieguo"] == PASSED
    assert len([e for e in _history(api, instance_id) if e["action"] == "task.cancelled"]) == 2


def test_a_vote_without_an_answer_is_refused_and_nothing_is_saved(api):
    instance_id = _sign_off_case(api, "any", JUDGES)
    task = next(t for t in _open(api, instance_id) if t["assignee"] == "pingwei1")
    body = assert_problem(api.complete(task["id"], "pingwei1", pingwei="pingwei1"), 422)
    assert "tongyi" in body["detail"] and "或签" in body["detail"]
    assert len(_open(api, instance_id)) == 3


def test_an_unknown_sign_off_rule_is_named_with_what_would_be_accepted():
    with pytest.raises(ValueError, match=r"ratio:0\.6"):
        parse_rule("most")
    with pytest.raises(ValueError):
        parse_rule("ratio:1.5")


@pytest.mark.parametrize(
    ("rule", "tally", "expected"),
    [
        ("all", Tally(2, 0, 3), None),
        ("all", Tally(2, 1, 3), FAILED),
        ("all", Tally(3, 0, 3), PASSED),
        ("any", Tally(0, 1, 3), FAILED),
        ("ratio:0.6", Tally(3, 0, 5), PASSED),
        ("ratio:0.6", Tally(2, 2, 5), None),
        ("ratio:0.6", Tally(2, 3, 5), FAILED),
        ("ratio:0.5", Tally(2, 0, 4), PASSED),
        ("count:3", Tally(1, 2, 4), FAILED),
        ("count:3", Tally(2, 1, 4), None),
    ],
)
def test_sign_off_decisions(rule, tally, expected):
    assert decide(parse_rule(rule), tally) == expected
    assert isinstance(parse_rule(rule), SignOffRule)


# The engine adapter -------------------------------------------------------------------------


def _engine_run(document: bytes, **data):
    [process] = parse_definitions([SourceFile("t.bpmn", document)])
    engine = ProcessEngine()
    return engine, process.spec, engine.start(1, process.spec, data)


def test_a_reset_step_gets_new_ids_and_survives_a_reload():
    """The inbox and timer rows of the earlier run keep their ids; the serializer stores data
    as deltas on the parent, so the tree order must hold after the ids change."""
    document = bpmn.linear("ceshi_chongzhi", bpmn.user("填报"), bpmn.multi_instance(), bpmn.user("汇总"))
    engine, spec, run = _engine_run(document, pingwei_list=JUDGES)
    [fill] = run.ready_user_tasks()
    run.complete_user_task(fill.id, {"shuoming": "初稿"})
    first = {task.id for task in run.ready_user_tasks()}
    for task in run.ready_user_tasks():
        run.complete_user_task(task.id, {"pingwei": task.assignee})
    [summary] = run.ready_user_tasks()
    rewound = run.return_to(summary.id, "S2", "测试")
    assert rewound.dropped == (summary.id,) and rewound.multi_instance
    assert run.cancel_reasons == {summary.id: "测试"}
    reloaded = engine.load(1, spec, run.dump())
    again = reloaded.ready_user_tasks()
    assert sorted(task.assignee for task in again) == JUDGES
    assert not {task.id for task in again} & first
    assert all(reloaded.task_data(task.id)["shuoming"] == "初稿" for task in again)

    rewound = reloaded.return_to(again[0].id, "S1", "再退")
    [fill_again] = reloaded.ready_user_tasks()
    assert fill_again.id != fill.id and reloaded.task_data(fill_again.id)["shuoming"] == "初稿"
    assert len(rewound.dropped) == 3


def test_a_reset_step_with_a_boundary_timer_starts_its_deadline_again():
    timer = (
        '<bpmn:boundaryEvent id="Overdue" name="审核超期" attachedToRef="S2" cancelActivity="false">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT2H'
        "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="EndEvent_2" />'
        '<bpmn:sequenceFlow id="Fo1" sourceRef="Overdue" targetRef="EndEvent_2" />'
        "</bpmn:process>"
    )
    document = bpmn.linear("ceshi_chaoshi", bpmn.user("填报"), bpmn.user("审核"), bpmn.user("归档"))
    _engine, _spec, run = _engine_run(document.replace(b"</bpmn:process>", timer.encode()))
    run.complete_user_task(run.ready_user_tasks()[0].id, {})
    [waiting] = run.waiting_timers()
    run.complete_user_task(run.ready_user_tasks()[0].id, {})
    assert run.waiting_timers() == []
    [archive] = run.ready_user_tasks()
    run.return_to(archive.id, "S2", "退回审核")
    [again] = run.waiting_timers()
    assert again.element_id == "Overdue" and again.task_id != waiting.task_id
    assert [task.name for task in run.ready_user_tasks()] == ["S2"]


def test_a_sign_off_rule_the_engine_cannot_apply_is_refused_at_deployment(api):
    wrong = bpmn.linear("ceshi_qianpi_cuowu", _judges("评委表决", "most"))
    body = assert_problem(api.deploy(("ceshi_qianpi_cuowu.bpmn", wrong)), 422)
    assert "评委表决" in body["detail"] and "ratio:0.6" in body["detail"]
    plain = bpmn.linear(
        "ceshi_qianpi_danren",
        '<bpmn:userTask id="{id}" name="审核"><bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="xuanpin:signOff" value="all" /></camunda:properties>'
        "</bpmn:extensionElements></bpmn:userTask>",
    )
    assert "不是多实例" in assert_problem(api.deploy(("ceshi_qianpi_danren.bpmn", plain)), 422)["detail"]


def test_a_return_schedules_the_target_steps_timer_again(api, db):
    """The deadline of the step returned to starts again: its old timer row stays cancelled and a
    new one waits."""
    timer = (
        '<bpmn:boundaryEvent id="Overdue" name="审核超期" attachedToRef="S2" cancelActivity="false">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P3D'
        "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="EndEvent_2" />'
        '<bpmn:sequenceFlow id="Fo1" sourceRef="Overdue" targetRef="EndEvent_2" />'
        "</bpmn:process>"
    )
    document = bpmn.linear(
        "ceshi_chaoshi_api",
        bpmn.user("填报", 'camunda:candidateGroups="企业人事"'),
        bpmn.user("集团审核", 'camunda:candidateGroups="区属集团"'),
        bpmn.user("国资审核", 'camunda:candidateGroups="区国资管理中心"'),
    ).replace(b"</bpmn:process>", timer.encode())
    assert api.deploy(("ceshi_chaoshi_api.bpmn", document)).status_code == 201
    instance_id = _start(api, "ceshi_chaoshi_api")
    [fill] = _open(api, instance_id)
    api.complete(fill["id"], "renshi")
    [review] = _open(api, instance_id)
    api.complete(review["id"], "jituan")
    [last] = _open(api, instance_id)
    query = "SELECT count(*) FROM timers WHERE instance_id = :i AND status = :s"
    assert sql_count(db, query, i=instance_id, s="waiting") == 0
    assert _return(api, last["id"], "guozi", "S2").status_code == 200
    assert sql_count(db, query, i=instance_id, s="waiting") == 1
    assert sql_count(db, query, i=instance_id, s="cancelled") == 1


@pytest.mark.parametrize(
    ("target", "title", "worker"), [("A", "集团审核", "jituan"), ("B", "国资审核", "guozi")]
)
def test_after_a_join_either_branch_can_be_returned_to_and_the_join_waits_for_it(api, target, title, worker):
    """SpiffWorkflow goes on from one branch's join and cancels the other's, so only one branch
    is in the open task's ancestry; both were taken, both are offered, and returning to either
    redoes only that branch while the other's result stands."""
    assert api.deploy(("ceshi_bingxing.bpmn", PARALLEL)).status_code == 201
    instance_id = _start(api, "ceshi_bingxing")
    [fill] = _open(api, instance_id)
    api.complete(fill["id"], "renshi")
    for task in _open(api, instance_id):
        api.complete(task["id"], "jituan" if task["title"] == "集团审核" else "guozi")
    [archive] = _open(api, instance_id)
    targets = api.get(f"/api/v1/tasks/{archive['id']}/return-targets", user="renshi").json
    assert sorted(t["element_id"] for t in targets) == ["A", "B", "S1"]

    response = _return(api, archive["id"], "renshi", target, "意见需补充")
    assert response.status_code == 200, response.json
    [again] = response.json["open_tasks"]
    assert (again["title"], again["assignee"]) == (title, worker)
    assert api.get(f"/api/v1/tasks/{archive['id']}").json["status"] == "cancelled"
    opened = api.complete(again["id"], worker).json["open_tasks"]
    assert [t["title"] for t in opened] == ["归档"]
    assert api.complete(opened[0]["id"], "renshi").json["status"] == "completed"


def test_a_sequential_piaoqian_stops_opening_instances_once_decided():
    """票签 count:2 of four in turn: two approvals decide it; the third judge's task is cancelled
    and the fourth is never opened."""
    document = bpmn.linear(
        "ceshi_shunxu",
        _judges("评委表决", "count:2").replace(
            'camunda:collection="pingwei_list"', 'isSequential="true" camunda:collection="pingwei_list"'
        ),
        bpmn.user("汇总"),
    )
    _engine, _spec, run = _engine_run(document, pingwei_list=[f"pingwei{i}" for i in range(1, 5)])
    for _ in range(2):
        [vote] = run.ready_user_tasks()
        run.complete_user_task(vote.id, {"tongyi": True})
    assert [task.name for task in run.ready_user_tasks()] == ["S2"]
    outcome = run.data["qianpi_jieguo"]
    assert (outcome["jieguo"], outcome["tongyi_shu"], outcome["zong_shu"]) == (PASSED, 2, 4)


def test_a_return_from_inside_a_multi_instance_step_drops_its_other_instances():
    document = bpmn.linear("ceshi_huiqian_tuihui", bpmn.user("填报"), bpmn.multi_instance())
    _engine, _spec, run = _engine_run(document, pingwei_list=JUDGES)
    run.complete_user_task(run.ready_user_tasks()[0].id, {"shuoming": "初稿"})
    first, *others = run.ready_user_tasks()
    run.complete_user_task(others[0].id, {"pingwei": "pingwei2"})
    assert [t.element_id for t in run.return_targets(first.id)] == ["S1"]
    rewound = run.return_to(first.id, "S1", "退回填报")
    assert set(rewound.dropped) == {first.id, others[1].id}
    assert [task.name for task in run.ready_user_tasks()] == ["S1"]


def test_a_task_out_on_delegation_is_not_returned_under_the_delegate(api):
    """委派 in progress: the delegate is working on it, so nobody sends it back until it is
    handed back."""
    _deploy(
        api,
        "ceshi_weipai_tuihui",
        bpmn.user("填报", 'camunda:candidateGroups="企业人事"'),
        bpmn.user("复核", 'camunda:candidateGroups="企业人事"'),
    )
    instance_id = _start(api, "ceshi_weipai_tuihui")
    [fill] = _open(api, instance_id)
    api.complete(fill["id"], "renshi")
    [review] = _open(api, instance_id)
    assert api.post(f"/api/v1/tasks/{review['id']}/claim", user="renshi").status_code == 200
    given = api.post(f"/api/v1/tasks/{review['id']}/delegate", user="renshi", json={"to_user": "renshi2"})
    assert given.status_code == 200, given.json
    assert "委派中" in assert_problem(_return(api, review["id"], "admin", "S1"), 409)["detail"]
    assert api.post(f"/api/v1/tasks/{review['id']}/resolve", user="renshi2", json={}).status_code == 200
    response = _return(api, review["id"], "renshi", "S1", "请重填")
    assert response.status_code == 200, response.json
    assert [t["title"] for t in response.json["open_tasks"]] == ["填报"]


def test_one_judges_sheet_cannot_be_withdrawn_alone_and_nothing_is_lost(api):
    """撤回 of one instance of a 会签 step (a judge's sheet in the 面试评分 subprocess) is refused
    with what to do instead — resetting one instance alone would leave the step's collection
    without its sheet and jam the scoring — and the sheets already given are counted (JB-11)."""
    judges, right = jb.PINGWEI, {"张建国": 90, "李明华": 85, "王志强": 82}
    with time_machine.travel(jb.at("2026-03-02"), tick=False) as traveller:
        case = jb.start_to_interview(api, traveller)
        first = jb.task(api, judges[0], "面试评分")
        assert api.complete(first["id"], judges[0], pingfen=jb.pingfen(right)).status_code == 200
        taken = api.post(f"/api/v1/tasks/{first['id']}/withdraw", user=judges[0], json={"comment": "打错分"})
        assert "单份意见不能单独撤回" in assert_problem(taken, 409)["detail"]
        assert not [t for t in api.inbox(judges[0]) if t["instance_id"] == case]
        # Another judge cannot touch a sheet they did not submit; they do not even see it.
        second = jb.task(api, judges[1], "面试评分")
        assert_problem(api.post(f"/api/v1/tasks/{second['id']}/withdraw", user=judges[0], json={}), 404)
        for judge in judges[1:]:
            jb.do(api, judge, "面试评分", pingfen=jb.pingfen(right))
        scores = {e["xingming"]: e["defen"] for e in jb.data(api, case)["mianshi_chengji"]}
        assert scores == right
