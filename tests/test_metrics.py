"""GET /metrics (Prometheus text), its protection, and /readyz; no timing is asserted."""

from __future__ import annotations

import socket
import uuid
from datetime import timedelta

import pytest
import time_machine
from prometheus_client.parser import text_string_to_metric_families

from service import create_app
from service.scheduler import TimerScheduler
from service.timeutil import SHANGHAI, utcnow
from tests.conftest import FIXTURES, Api, assert_problem

TIMERS = FIXTURES / "timers.bpmn"


def _samples(api: Api, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = api.client.get("/metrics", headers=headers or api.headers("admin"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_request_latency_is_labelled_by_route_rule_not_path(api):
    unknown = str(uuid.uuid4())
    before = _samples(api)
    assert_problem(api.get(f"/api/v1/instances/{unknown}"), 404)
    after = _samples(api)
    labels = {"method": "GET", "route": "/api/v1/instances/<string:instance_id>", "status": "404"}
    name = "xuanpin_http_request_duration_seconds_count"
    assert _value(after, name, **labels) == _value(before, name, **labels) + 1
    assert not any(unknown in str(key) for key in after)  # one series per rule, not per case


def test_completions_open_tasks_timer_lag_and_engine_steps_are_counted(api):
    assert api.deploy(TIMERS).status_code == 201
    due = (utcnow() + timedelta(days=2)).astimezone(SHANGHAI).replace(microsecond=0)
    before = _samples(api)
    api.start("ceshi_gongshi", user="gongzuozu", gongshi_jiezhi=due.isoformat())
    scheduler = TimerScheduler(api.client.application.extensions["xuanpin"])
    with time_machine.travel(due + timedelta(seconds=3)):
        assert scheduler.tick() == 1
    waiting = _samples(api)
    assert _value(waiting, "xuanpin_open_tasks") == _value(before, "xuanpin_open_tasks") + 1
    lag = "xuanpin_timer_lag_seconds_count"
    assert _value(waiting, lag) == _value(before, lag) + 1
    # Fired 3 s after due (on the travelled clock): in the 5 s bucket, not the 2.5 s one.
    bucket = "xuanpin_timer_lag_seconds_bucket"
    assert _value(waiting, bucket, le="5.0") - _value(before, bucket, le="5.0") == 1
    assert _value(waiting, bucket, le="2.5") == _value(before, bucket, le="2.5")

    [task] = [t for t in api.inbox("gongzuozu") if t["title"] == "确认公示结果"]
    assert api.complete(task["id"], "gongzuozu").status_code == 200
    done = _samples(api)
    assert (
        _value(done, "xuanpin_task_completions_total")
        == _value(waiting, "xuanpin_task_completions_total") + 1
    )
    assert _value(done, "xuanpin_open_tasks") == _value(waiting, "xuanpin_open_tasks") - 1
    steps = "xuanpin_engine_step_seconds_count"
    assert _value(done, steps) > _value(before, steps)
    assert _value(done, "xuanpin_outbox_backlog", state="pending") >= 0


def test_a_refused_completion_is_not_counted(api):
    assert api.deploy(TIMERS).status_code == 201
    instance = api.start("ceshi_xianqi", user="renshi", banli_qixian="2099-01-01").json
    [task] = [t for t in api.inbox("renshi") if t["instance_id"] == instance["id"]]
    before = _samples(api)
    assert api.complete(task["id"], "renshi").status_code == 200
    assert_problem(api.complete(task["id"], "renshi"), 409)  # done already
    after = _samples(api)
    name = "xuanpin_task_completions_total"
    assert _value(after, name) == _value(before, name) + 1


def test_metrics_need_a_global_admin_token(api):
    assert_problem(api.client.get("/metrics"), 401)
    body = assert_problem(api.get("/metrics", user="renshi"), 403)
    assert "管理员" in body["detail"]


def test_the_metrics_token_setting_lets_a_scraper_in_and_nothing_else(settings):
    secret = uuid.uuid4().hex
    application = create_app(settings.__class__(**{**vars(settings), "metrics_token": secret}))
    client = application.test_client()
    api = Api(client, settings.database_url)
    assert "xuanpin_open_tasks" in str(_samples(api, Authorization=f"Bearer {secret}"))
    assert_problem(client.get("/metrics", headers={"Authorization": f"Bearer {secret}x"}), 401)
    # The scraper's token is not an API token: it opens nothing but /metrics.
    assert_problem(client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"}), 401)
    application.extensions["xuanpin"].db.dispose()


def test_readiness_answers_ok_when_the_database_answers(api):
    response = api.client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_is_503_problem_when_the_database_cannot_be_reached(settings, free_port):
    # Nothing listens there: the connection is refused at once.
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port}/none?connect_timeout=3"
    application = create_app(settings.__class__(**{**vars(settings), "database_url": unreachable}))
    response = application.test_client().get("/readyz")
    body = assert_problem(response, 503)
    assert "数据库" in body["detail"]
    assert response.headers["Retry-After"]


@pytest.fixture()
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.live
def test_a_scrape_adds_up_every_worker_of_xuanpin_serve(api):
    name = "xuanpin_http_request_duration_seconds_count"
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    before = _value(_samples(api), name, **labels)
    for _ in range(12):  # a new connection each: spread over the 3 workers
        assert api.client.get("/healthz").status_code == 200
    # Whichever worker answers the scrape, it counts the requests the others served too.
    for _ in range(3):
        assert _value(_samples(api), name, **labels) == before + 12
