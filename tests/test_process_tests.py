"""The process test runner (issue 15): a failing case is reported with its step and the
difference, not a traceback; the workbench runs a process's cases over the REST API, also
against a candidate diagram not yet deployed."""

from __future__ import annotations

import io
import json
import uuid
from copy import deepcopy

import pytest

from service.config import Settings
from service.services import accounts, process_tests
from tests.conftest import FORMS, PASSWORD, PROCESSES, assert_problem

JIEPING = process_tests.CASES_DIR / "shengshu_jieping" / "exit_reason_recorded.json"
SETTINGS = Settings(script_time_limit_seconds=2.0)


def _case(change) -> process_tests.Case:
    body = json.loads(JIEPING.read_text(encoding="utf-8"))
    change(body)
    return process_tests.parse_case(json.dumps(body, ensure_ascii=False), "changed.json", "shengshu_jieping")


def _run(case) -> process_tests.CaseResult:
    [result] = process_tests.run_cases([case], process_tests.sources_from_disk(), SETTINGS)
    return result


def test_wrong_final_data_is_reported_with_the_difference():
    def change(body):
        body["expect"]["data"]["tuichu_qingxing"] = "年龄偏大"

    result = _run(_case(change))
    assert not result.passed and result.failure.step is None
    [difference] = result.failure.differences
    assert (difference.path, difference.expected, difference.actual) == (
        "$.tuichu_qingxing",
        "年龄偏大",
        "任期综合考核评价结果为不称职",
    )
    text = "\n".join(process_tests.describe(result))
    assert "失败 FAIL" in text and "最终结果" in text and "Traceback" not in text


def test_a_step_on_a_task_not_open_names_the_step_and_the_open_tasks():
    def change(body):
        body["steps"][2]["task"] = "Activity_dengji_qingxing"

    result = _run(_case(change))
    assert result.failure.step == 3
    assert "不在待办中" in result.failure.message
    [difference] = result.failure.differences
    assert difference.actual == ["Activity_jieping_beian"]


def test_a_refused_submission_names_the_field():
    def change(body):
        del body["steps"][0]["expect_refusal"]

    result = _run(_case(change))
    assert result.failure.step == 1 and "被拒绝" in result.failure.message
    assert [d.path for d in result.failure.differences] == ["tuichu_qingxing"]


def test_wrong_path_and_end_are_differences():
    def change(body):
        body["expect"]["path"] = body["expect"]["path"][:1]
        body["expect"]["end"] = "EndEvent_nowhere"

    result = _run(_case(change))
    assert {d.path for d in result.failure.differences} == {"path", "end"}


def test_a_case_not_following_the_format_is_refused_before_running():
    with pytest.raises(process_tests.CaseInvalid) as raised:
        process_tests.parse_case(
            '{"clock": "2026-03-02", "steps": [{"task": "x"}], "expect": {}}', "bad.json"
        )
    assert "不符合格式" in raised.value.detail


def test_subset_match_ignores_keys_not_expected_and_compares_lists_by_position():
    actual = {"a": [{"x": 1, "y": 2}], "b": True, "c": 3}
    assert process_tests.subset_differences({"a": [{"x": 1}], "b": True}, actual) == []
    [difference] = process_tests.subset_differences({"a": [{"x": 2}], "b": 1}, actual)[:1]
    assert difference.path == "$.a[0].x"
    assert [d.path for d in process_tests.subset_differences({"b": 1}, actual)] == ["$.b"]


# The workbench endpoint ------------------------------------------------------------------------


def _jieping_files():
    return [PROCESSES / "shengshu_jieping.bpmn", *sorted(FORMS.glob("ss_jieping_*.schema.json"))]


def _multipart(field, *items):
    return {field: [(io.BytesIO(content), name) for name, content in items]}


def test_workbench_runs_the_deployed_process_cases(api):
    assert api.deploy(*_jieping_files()).status_code == 201
    response = api.post("/api/v1/definitions/shengshu_jieping/test-cases/run")
    assert response.status_code == 200, response.json
    assert response.json["failed"] == 0 and response.json["passed"] >= 1
    assert response.json["results"][0]["ends"][-1] == "EndEvent_jieping_wancheng"


def test_workbench_runs_a_candidate_diagram_before_deploying_and_reports_the_step(api, db):
    """A candidate diagram whose filing task is renamed fails at the step that completes it."""
    assert api.deploy(*_jieping_files()).status_code == 201
    designer = f"designer-{uuid.uuid4().hex[:8]}"
    accounts.add_user(db, designer, PASSWORD, ["设计人员"], actor="test")
    candidate = (
        (PROCESSES / "shengshu_jieping.bpmn")
        .read_bytes()
        .replace(b"Activity_jieping_beian", b"Activity_jieping_baobei")
    )
    response = api.post(
        "/api/v1/definitions/shengshu_jieping/test-cases/run",
        user=designer,
        data=_multipart("files", ("shengshu_jieping_v2.bpmn", candidate)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    [result] = response.json["results"]
    assert not result["passed"]
    assert result["failure"]["step"] == 3 and "Activity_jieping_beian" in result["failure"]["message"]
    assert result["failure"]["differences"][0]["actual"] == ["Activity_jieping_baobei"]
    # Nothing was deployed by the test run.
    versions = api.get("/api/v1/definitions/shengshu_jieping").json["versions"]
    assert [v["version"] for v in versions] == [1]


def test_workbench_runs_uploaded_cases_and_refuses_invalid_ones(api):
    assert api.deploy(*_jieping_files()).status_code == 201
    body = json.loads(JIEPING.read_text(encoding="utf-8"))
    wrong = deepcopy(body)
    wrong["expect"]["data"] = {"tuichu_qingxing": "年龄偏大"}
    response = api.post(
        "/api/v1/definitions/shengshu_jieping/test-cases/run",
        data=_multipart("cases", ("wrong.json", json.dumps(wrong, ensure_ascii=False).encode())),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.json["failed"] == 1
    assert response.json["results"][0]["failure"]["differences"][0]["path"] == "$.tuichu_qingxing"
    refused = api.post(
        "/api/v1/definitions/shengshu_jieping/test-cases/run",
        data=_multipart("cases", ("bad.json", b"{not json")),
        content_type="multipart/form-data",
    )
    assert "不是有效的 JSON" in assert_problem(refused, 422)["detail"]


def test_workbench_is_for_admins_and_designers_only(api):
    assert api.deploy(*_jieping_files()).status_code == 201
    assert_problem(api.post("/api/v1/definitions/shengshu_jieping/test-cases/run", user="dongshihui"), 403)
    assert (
        "没有测试用例"
        in assert_problem(api.post("/api/v1/definitions/nowhere/test-cases/run"), 404)["detail"]
    )


# The command line ------------------------------------------------------------------------------


def test_cli_runs_a_process_folder_and_exits_zero():
    from click.testing import CliRunner

    from service.cli import main

    result = CliRunner().invoke(main, ["test-process", str(JIEPING.parent)])
    assert result.exit_code == 0, result.output
    assert "通过 PASS" in result.output and "1 个通过，0 个失败" in result.output


def test_cli_reports_a_failing_case_with_step_and_difference_and_exits_one(tmp_path):
    from click.testing import CliRunner

    from service.cli import main

    body = json.loads(JIEPING.read_text(encoding="utf-8"))
    body["expect"]["data"] = {"tuichu_qingxing": "年龄偏大"}
    case = tmp_path / "shengshu_jieping" / "wrong.json"
    case.parent.mkdir()
    case.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["test-process", str(case)])
    assert result.exit_code == 1, result.output
    assert "失败 FAIL" in result.output and "最终结果" in result.output
    assert '$.tuichu_qingxing：期望 "年龄偏大"，实际 "任期综合考核评价结果为不称职"' in result.output
    assert "Traceback" not in result.output


def test_a_step_may_act_in_a_role_and_a_case_refuses_an_undeclared_user():
    def by_role(body):
        del body["steps"][2]["user"]
        body["steps"][2]["role"] = "企业党委"

    assert _run(_case(by_role)).passed

    def undeclared(body):
        body["steps"][2]["user"] = "nobody"

    failure = _run(_case(undeclared)).failure
    assert failure.step == 3 and "不在用例的 users 中" in failure.message

    def wrong_role(body):
        body["steps"][2]["role"] = "董事会"
        del body["steps"][2]["user"]

    failure = _run(_case(wrong_role)).failure
    assert failure.step == 3 and "不能办理" in failure.message
