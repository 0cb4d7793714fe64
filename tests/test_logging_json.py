"""XUANPIN_LOG_FORMAT=json: one JSON object a line, with request id, instance id and actor, and
never a token, a password or a query string."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from service import create_app, logs
from service.config import Settings
from tests.conftest import FIXTURES, PASSWORD, Api


@pytest.fixture()
def json_api(settings, capsys, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # put back after the test
    monkeypatch.setattr(root, "level", root.level)
    application = create_app(replace(settings, log_format="json"))
    yield Api(application.test_client(), settings.database_url)
    application.extensions["xuanpin"].db.dispose()


def _lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def _access(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "xuanpin.access"]


def test_an_access_line_names_the_request_the_actor_and_the_route(json_api, capsys):
    token = json_api.token("renshi")
    capsys.readouterr()
    response = json_api.client.get(
        "/api/v1/tasks?access_token=zhimi-in-the-query",
        headers={"Authorization": f"Bearer {token}", "X-Request-Id": "oa-req-42"},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "oa-req-42"
    [line] = _access(_lines(capsys))
    assert line["request_id"] == "oa-req-42"
    assert line["actor"] == "renshi"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/api/v1/tasks", 200)
    assert line["path"] == "/api/v1/tasks"
    assert line["level"] == "info" and isinstance(line["duration_ms"], float)


def test_no_line_carries_a_token_a_password_or_a_query_string(json_api, capsys):
    capsys.readouterr()
    issued = json_api.client.post("/api/v1/auth/token", json={"username": "renshi", "password": PASSWORD})
    token = issued.json["access_token"]
    json_api.client.get("/api/v1/tasks?q=zhimi", headers={"Authorization": f"Bearer {token}"})
    json_api.client.post("/api/v1/auth/token", json={"username": "renshi", "password": "wrong-zhimi"})
    output = capsys.readouterr().err
    assert output.strip(), "JSON 日志应写到标准错误"
    for secret in (token, PASSWORD, "wrong-zhimi", "zhimi", "Authorization", "Bearer"):
        assert secret not in output


def test_a_case_route_names_the_instance_and_a_bad_request_id_is_replaced(json_api, capsys):
    assert json_api.deploy(FIXTURES / "timers.bpmn").status_code == 201
    instance = json_api.start("ceshi_xianqi", user="renshi", banli_qixian="2099-01-01").json
    capsys.readouterr()
    response = json_api.client.get(
        f"/api/v1/instances/{instance['id']}",
        headers={**json_api.headers("admin"), "X-Request-Id": 'two words {"level": "forged"}'},
    )
    assert response.status_code == 200
    [line] = _access(_lines(capsys))
    assert line["instance_id"] == instance["id"]
    assert line["actor"] == "admin"
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert len(line["request_id"]) == 32 and " " not in line["request_id"]


def test_lines_logged_while_a_case_advances_name_it_off_request_too(capsys):
    """The scheduler's threads have no request: `working_on` (unit_of_work.advance) names the case."""
    handler = logging.StreamHandler()
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("tests.logging_json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with logs.working_on("instance-7", "scheduler"):
            logger.warning("定时器 %s 触发失败", "T1")
        logger.warning("之后")
    finally:
        logger.removeHandler(handler)
    during, after = _lines(capsys)
    assert (during["instance_id"], during["actor"], during["message"]) == (
        "instance-7",
        "scheduler",
        "定时器 T1 触发失败",
    )
    assert (after["instance_id"], after["actor"]) == (None, None)


def test_the_setting_takes_text_or_json_only(monkeypatch):
    monkeypatch.setenv("XUANPIN_LOG_FORMAT", "JSON")
    assert Settings.from_env().log_format == "json"
    monkeypatch.setenv("XUANPIN_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="XUANPIN_LOG_FORMAT"):
        Settings.from_env()
