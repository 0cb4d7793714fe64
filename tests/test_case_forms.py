"""Forms checked against the case and shown with least exposure:
- dates a person enters are checked against the case (`x-xuanpin-not-before/after`,
  `x-xuanpin-not-future`) and records registered twice in one submission are refused
  (`x-xuanpin-unique`);
- a form declares what it needs to see (`x-xuanpin-context`), and personal fields are withheld
  from everyone but the roles the process names (X-05)."""

from __future__ import annotations

import json
from datetime import date, datetime

import time_machine

from service.forms import validate_submission
from service.timeutil import SHANGHAI
from tests.bpmn import linear, script, user
from tests.conftest import assert_problem

DENGJI = {
    "type": "object",
    "properties": {
        "shoudao_riqi": {
            "title": "收到日期",
            "type": "string",
            "format": "date",
            "x-xuanpin-not-before": {"variable": "fabu_riqi", "title": "发布日期"},
            "x-xuanpin-not-future": 0,
        },
        "mingdan": {
            "title": "报名名单",
            "type": "array",
            "x-xuanpin-unique": "shenfenzheng_hao",
            "items": {
                "type": "object",
                "properties": {
                    "xingming": {"title": "姓名", "type": "string"},
                    "shenfenzheng_hao": {"title": "身份证号", "type": "string"},
                },
            },
        },
    },
}


def test_dates_are_checked_against_the_case_and_today():
    case = {"fabu_riqi": "2026-11-20"}
    today = date(2026, 12, 2)
    assert validate_submission(DENGJI, {"shoudao_riqi": "2026-11-20"}, case, today) == {}
    early = validate_submission(DENGJI, {"shoudao_riqi": "2026-11-19"}, case, today)
    assert early == {"shoudao_riqi": ["「收到日期」2026-11-19 不能早于发布日期（2026-11-20）"]}
    future = validate_submission(DENGJI, {"shoudao_riqi": "2026-12-03"}, case, today)
    assert future == {"shoudao_riqi": ["「收到日期」2026-12-03 晚于今天（2026-12-02），不能填写将来的日期"]}


def test_a_person_registered_twice_in_one_submission_is_refused():
    twice = [
        {"xingming": "张三", "shenfenzheng_hao": "330283199001011234"},
        {"xingming": "李四", "shenfenzheng_hao": "330283199202022345"},
        {"xingming": "张三", "shenfenzheng_hao": "330283199001011234"},
    ]
    errors = validate_submission(DENGJI, {"mingdan": twice}, {}, None)
    assert errors == {
        "mingdan.2.shenfenzheng_hao": ["「身份证号」330283199001011234 与第 1 项重复，同一人只能登记一次"]
    }
    assert validate_submission(DENGJI, {"mingdan": twice[:2]}, {}, None) == {}


def _form(key: str, schema: dict) -> tuple[str, bytes]:
    return (f"{key}.schema.json", json.dumps(schema, ensure_ascii=False).encode())


PINGFEN = {
    "type": "object",
    "x-xuanpin-context": ["mingdan"],
    "properties": {"defen": {"title": "得分", "type": "array", "items": {"type": "number"}}},
}


def _least_exposure_case(api) -> str:
    bpmn = linear(
        "ceshi_x05",
        user("登记", 'camunda:formKey="ceshi_dengji" camunda:candidateGroups="企业人事"'),
        script("shenfenzheng_hao = mingdan[0]['shenfenzheng_hao']"),
        user("评分", 'camunda:formKey="ceshi_pingfen" camunda:candidateGroups="考官"'),
        properties={
            "xuanpin:personalFields": "shenfenzheng_hao, lianxi_dianhua",
            "xuanpin:personalDataRoles": "企业人事",
        },
    )
    deployed = api.deploy(
        ("ceshi_x05.bpmn", bpmn), _form("ceshi_dengji", DENGJI), _form("ceshi_pingfen", PINGFEN)
    )
    assert deployed.status_code == 201, deployed.json
    instance = api.start("ceshi_x05", user="renshi", fabu_riqi="2026-11-20").json
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)):
        task = api.inbox("renshi")[0]
        mingdan = [{"xingming": "张三", "shenfenzheng_hao": "330283199001011234"}]
        assert (
            api.complete(task["id"], "renshi", shoudao_riqi="2026-11-25", mingdan=mingdan).status_code == 200
        )
    return instance["id"]


def test_case_dates_are_enforced_on_completion(api):
    bpmn = linear(
        "ceshi_riqi", user("登记", 'camunda:formKey="ceshi_dengji" camunda:candidateGroups="企业人事"')
    )
    assert api.deploy(("ceshi_riqi.bpmn", bpmn), _form("ceshi_dengji", DENGJI)).status_code == 201
    api.start("ceshi_riqi", user="renshi", fabu_riqi="2026-11-20")
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)):
        task = api.inbox("renshi")[0]
        body = assert_problem(api.complete(task["id"], "renshi", shoudao_riqi="2026-11-01"), 422)
        assert body["errors"] == {"shoudao_riqi": ["「收到日期」2026-11-01 不能早于发布日期（2026-11-20）"]}
        assert api.complete(task["id"], "renshi", shoudao_riqi="2026-12-01").status_code == 200


def test_x05_a_judge_sees_what_scoring_needs_without_personal_data(api):
    """X-05: the examiner's task shows its form fields and the declared context (the list of
    people to score) without ID numbers; the case page withholds them too. The organising
    office (企业人事 here) and the inspector read everything."""
    instance_id = _least_exposure_case(api)
    task = api.inbox("kaoguan1")[0]
    judge = api.get(f"/api/v1/tasks/{task['id']}", user="kaoguan1").json
    assert judge["context"] == {"mingdan": [{"xingming": "张三"}]}
    assert judge["data"] == {}  # only the form's own fields; nothing else of the case
    case = api.get(f"/api/v1/instances/{instance_id}", user="renshi").json["data"]
    assert case["shenfenzheng_hao"] == "330283199001011234"
    assert case["mingdan"][0]["shenfenzheng_hao"] == "330283199001011234"
    inspector = api.get(f"/api/v1/tasks/{task['id']}", user="jijian").json
    assert inspector["context"]["mingdan"][0]["shenfenzheng_hao"] == "330283199001011234"
    api.complete(task["id"], "kaoguan1", defen=[88])
    seen_by_judge = api.get(f"/api/v1/instances/{instance_id}", user="kaoguan1").json["data"]
    assert "shenfenzheng_hao" not in seen_by_judge
    assert seen_by_judge["mingdan"] == [{"xingming": "张三"}]
    assert seen_by_judge["defen"] == [88]
