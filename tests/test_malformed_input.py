"""Malformed input answers a 4xx problem+json, never a 500 (issue 9, finding 7).

Each input here gave a 500 before (on SQLite, on PostgreSQL or both): the database refused what
the API had accepted, or the parser overflowed the stack. One gate (service/api/guard.py)
refuses them with a 400 naming where the fault is; query ranges live in the schemas; what a
script leaves behind is the diagram's error on its step (422)."""

from __future__ import annotations

import pytest

from tests import bpmn
from tests.conftest import assert_problem, beian_files

JSON = "application/json"
DEEP_OBJECT = '{"a":' * 1200 + "1" + "}" * 1200
DEEP_LIST = "[" * 100_000 + "]" * 100_000


@pytest.fixture()
def beian(api):
    assert api.deploy(*beian_files()).status_code == 201
    return api


def _start_raw(api, data_json: str, business_key: str = "null"):
    body = f'{{"definition_key":"fenghua_beian","business_key":{business_key},"data":{data_json}}}'
    return api.post("/api/v1/instances", user="renshi", data=body, content_type=JSON)


@pytest.mark.parametrize("body", [DEEP_OBJECT, DEEP_LIST, '{"username":' + "[" * 70 + "]" * 70 + "}"])
def test_deep_json_on_the_unauthenticated_token_endpoint_is_400(api, body):
    problem = assert_problem(api.client.post("/api/v1/auth/token", data=body, content_type=JSON), 400)
    assert "嵌套" in problem["detail"]


def test_deep_json_in_start_data_is_400_and_nothing_is_started(beian, db):
    assert "嵌套" in assert_problem(_start_raw(beian, DEEP_OBJECT), 400)["detail"]
    # Deep enough to pass the parser but beyond what any form needs.
    moderately_deep = '{"a":' * 100 + "1" + "}" * 100
    assert "64" in assert_problem(_start_raw(beian, moderately_deep), 400)["detail"]
    assert beian.get("/api/v1/instances").json["total"] == 0


@pytest.mark.parametrize(
    ("data_json", "where", "words"),
    [
        ('{"xingming":"\\ud800"}', "xingming", "Unicode"),
        ('{"\\udfff":"x"}', "", "Unicode"),
        ('{"xingming":"张\\u0000三"}', "xingming", "空字符"),
        ('{"fenshu":NaN}', "_request", "NaN"),
        ('{"fenshu":Infinity}', "_request", "Infinity"),
        ('{"fenshu":-Infinity}', "_request", "Infinity"),
        ('{"fenshu":1e999}', "_request", "浮点数范围"),
        ('{"fenshu":' + "9" * 5000 + "}", "_request", "超出允许范围"),
        ('{"fenshu":' + "9" * 20 + "}", "_request", "超出允许范围"),
        ('{"list":[1,{"x":"\\ud800"}]}', "list[1].x", "Unicode"),
    ],
)
def test_unstorable_values_in_a_body_are_400_naming_the_field(beian, data_json, where, words):
    problem = assert_problem(_start_raw(beian, data_json), 400)
    assert words in problem["detail"]
    assert list(problem["errors"]) == [where if where == "_request" else f"data.{where}".rstrip(".")]


def test_nul_in_a_top_level_string_is_400(beian):
    problem = assert_problem(_start_raw(beian, "{}", business_key='"FH\\u00001"'), 400)
    assert problem["errors"] == {"business_key": ["文本不能包含空字符（\\u0000）"]}


def test_values_within_range_still_pass(beian):
    """The gate refuses only what cannot be stored: a 19-digit integer, a float, CJK text."""
    response = _start_raw(beian, '{"n":9223372036854775807,"x":-1.5e10,"xingming":"张三","ok":true}')
    assert response.status_code == 201, response.json
    detail = beian.get(f"/api/v1/instances/{response.json['id']}", user="renshi").json
    assert detail["data"]["n"] == 9223372036854775807


def test_not_json_and_not_utf8_are_400(api):
    for body in (b'{"username": ', b'{"username":"\xed\xa0\x80"}', b"\xff\xfe"):
        assert_problem(api.client.post("/api/v1/auth/token", data=body, content_type=JSON), 400)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/instances?business_key=%00",
        "/api/v1/instances?definition_key=fh%00",
        "/api/v1/tasks?instance_id=%00",
        "/api/v1/tasks?role=%00",
        "/api/v1/instances?x%00=1",
        "/api/v1/instances/a%00b",
        "/api/v1/definitions/a%00b",
        "/api/v1/definitions/a%00b/xml",
        "/api/v1/tasks/a%00b",
    ],
)
def test_nul_in_query_and_path_parameters_is_400(beian, path):
    problem = assert_problem(beian.get(path), 400)
    assert "空字符" in problem["detail"]


def test_nul_in_a_path_on_a_post_is_400(beian):
    assert_problem(beian.post("/api/v1/tasks/a%00b/complete", user="renshi", json={"data": {}}), 400)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events?after=99999999999999999999",
        "/api/v1/events?after=9223372036854775808",
        "/api/v1/events?after=" + "9" * 5000,
        "/api/v1/definitions/fenghua_beian/xml?version=99999999999999999999",
        "/api/v1/definitions/fenghua_beian/xml?version=2147483648",
        "/api/v1/instances?page=99999999999999999999",
    ],
)
def test_integers_beyond_the_columns_range_in_query_are_422(beian, path):
    problem = assert_problem(beian.get(path), 422)
    assert problem["errors"]


def test_the_largest_event_id_is_accepted(beian):
    response = beian.get("/api/v1/events?after=9223372036854775807")
    assert response.status_code == 200 and response.json["items"] == []


def test_nul_in_an_uploaded_file_name_is_400(api):
    response = api.deploy(("a\x00.bpmn", bpmn.linear("nul_name", bpmn.script("x = 1"))))
    assert "空字符" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("g = (i for i in [1, 2])", "generator"),
        ("r = range(3)", "range"),
        ("s = {1, 2}", "set"),
        ("x = float('nan')", "NaN"),
        ("x = {'a': [1, float('inf')]}", "a[1] 不是有限的数字（Infinity）"),
        ("x = chr(0xD800)", "Unicode"),
    ],
)
def test_a_script_leaving_an_unstorable_value_is_a_422_on_its_step(api, code, kind):
    api.deploy(("keep.bpmn", bpmn.linear("keep", bpmn.script(code, name="整理名单"))))
    problem = assert_problem(api.start("keep"), 422)
    assert "整理名单" in problem["detail"] and kind in problem["detail"]
    assert problem["element_id"] == "S1"
    assert api.get("/api/v1/instances").json["total"] == 0


def test_a_script_value_converted_with_list_is_kept(api):
    api.deploy(("keep.bpmn", bpmn.linear("keep", bpmn.script("r = list(range(3))"))))
    response = api.start("keep")
    assert response.status_code == 201, response.json


def test_a_generator_left_at_completion_is_a_422_and_the_task_stays_open(api):
    document = bpmn.linear(
        "later", bpmn.user("办理", 'camunda:candidateGroups="工作组"'), bpmn.script("r = range(3)", "汇总")
    )
    api.deploy(("later.bpmn", document))
    started = api.start("later", user="gongzuozu").json
    task = api.inbox("gongzuozu")[0]
    problem = assert_problem(api.complete(task["id"], "gongzuozu"), 422)
    assert "汇总" in problem["detail"] and "range" in problem["detail"]
    assert [t["id"] for t in api.inbox("gongzuozu")] == [task["id"]]
    assert api.get(f"/api/v1/instances/{started['id']}").json["status"] == "running"


def _timer(element: str, expression: str) -> str:
    return (
        f'<bpmn:intermediateCatchEvent id="{{id}}" name="等待期满"><bpmn:timerEventDefinition>'
        f'<bpmn:{element} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{element}>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )


@pytest.mark.parametrize(
    ("element", "expression", "words"),
    [
        ("timeDuration", "5", "int"),
        ("timeDate", "5", "int"),
        ("timeDate", "None", "NoneType"),
        ("timeCycle", "[1]", "list"),
        ("timeDuration", "'5 days'", "不是有效的 ISO 8601"),
        ("timeDate", "'next monday'", "不是有效的 ISO 8601"),
    ],
)
def test_a_timer_expression_giving_no_iso_text_is_a_422_on_its_step(api, element, expression, words):
    api.deploy(("timer.bpmn", bpmn.linear("timer", _timer(element, expression), bpmn.user("办理"))))
    problem = assert_problem(api.start("timer"), 422)
    assert "等待期满" in problem["detail"] and "定时器" in problem["detail"] and words in problem["detail"]
    assert problem["element_id"] == "S1"
