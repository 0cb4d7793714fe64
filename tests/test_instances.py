"""Starting and reading instances over REST."""

from __future__ import annotations

import pytest

from tests import bpmn
from tests.conftest import assert_problem, beian_files


@pytest.fixture()
def beian(api):
    assert api.deploy(*beian_files()).status_code == 201
    return api


def test_start_returns_the_instance(beian):
    response = beian.start("fenghua_beian", user="renshi", business_key="FH-1", note="首批")
    assert response.status_code == 201
    body = response.json
    assert body["definition_key"] == "fenghua_beian" and body["version"] == 1
    assert body["business_key"] == "FH-1" and body["status"] == "running"
    assert body["created_at"].endswith("+08:00")
    detail = beian.get(f"/api/v1/instances/{body['id']}", user="renshi").json
    assert detail["data"]["note"] == "首批"  # the start data, beside what the first script computed
    assert [t["title"] for t in detail["open_tasks"]] == ["填报备案材料"]


def test_business_key_is_unique_among_running_instances(beian):
    assert beian.start("fenghua_beian", business_key="FH-9").status_code == 201
    body = assert_problem(beian.start("fenghua_beian", business_key="FH-9"), 409)
    assert "FH-9" in body["detail"]
    # Another definition may use the same business key.
    document = bpmn.linear("other_proc", bpmn.user("办理", 'camunda:candidateGroups="工作组"'))
    beian.deploy(("other.bpmn", document))
    assert beian.start("other_proc", business_key="FH-9").status_code == 201


def test_business_key_is_free_again_once_the_instance_ended(api):
    api.deploy(("auto.bpmn", bpmn.linear("auto", bpmn.script("x = 1"))))
    first = api.start("auto", business_key="K-1").json
    assert first["status"] == "completed"
    assert api.start("auto", business_key="K-1").status_code == 201


def test_start_data_must_be_an_object(beian):
    body = {"definition_key": "fenghua_beian", "data": "not an object"}
    assert_problem(beian.post("/api/v1/instances", json=body), 422)
    assert_problem(beian.post("/api/v1/instances", json={"data": {}}), 422)
    assert "definition_key" in assert_problem(beian.post("/api/v1/instances", json={}), 422)["errors"]


def test_failing_script_refuses_the_start_and_names_the_step(api):
    api.deploy(("boom.bpmn", bpmn.linear("boom", bpmn.script("y = missing_value + 1", name="计算总分"))))
    body = assert_problem(api.start("boom"), 422)
    assert "计算总分" in body["detail"] and "missing_value" in body["detail"]
    assert body["element_id"] == "S1"
    assert api.get("/api/v1/instances", query_string={"definition_key": "boom"}).json["total"] == 0


def test_endless_script_is_stopped_by_the_time_limit(api):
    api.deploy(("loop.bpmn", bpmn.linear("loop", bpmn.script("while True:\n    pass", name="死循环"))))
    body = assert_problem(api.start("loop"), 422)
    assert "死循环" in body["detail"] and "超过" in body["detail"]


def test_sandbox_blocks_escape_at_run_time_too(api):
    """Names the sandbox refuses only when called (open, __import__ via builtins) fail with the step named."""
    api.deploy(
        ("reader.bpmn", bpmn.linear("reader", bpmn.script("content = open('/etc/passwd').read()", "读文件")))
    )
    body = assert_problem(api.start("reader"), 422)
    assert "读文件" in body["detail"] and "open" in body["detail"]


def test_list_filters_and_visibility(beian):
    mine = beian.start("fenghua_beian", user="renshi", business_key="A").json
    beian.start("fenghua_beian", user="admin", business_key="B")
    everything = beian.get("/api/v1/instances").json
    assert everything["total"] == 2
    by_key = beian.get("/api/v1/instances", query_string={"business_key": "A"}).json
    assert [i["id"] for i in by_key["items"]] == [mine["id"]]
    # renshi holds the first task of both (role 企业人事); jituan is not involved yet.
    assert beian.get("/api/v1/instances", user="renshi").json["total"] == 2
    assert beian.get("/api/v1/instances", user="jituan").json["total"] == 0
    assert_problem(beian.get(f"/api/v1/instances/{mine['id']}", user="jituan"), 404)
    assert beian.get("/api/v1/instances", user="jijian").json["total"] == 2
    paged = beian.get("/api/v1/instances", query_string={"per_page": 1, "page": 2}).json
    assert paged["total"] == 2 and len(paged["items"]) == 1
    assert beian.get("/api/v1/instances", query_string={"status": "completed"}).json["total"] == 0
    assert_problem(beian.get("/api/v1/instances", query_string={"status": "nope"}), 422)


def test_unknown_instance_is_404(beian):
    assert_problem(beian.get("/api/v1/instances/00000000-0000-0000-0000-000000000000"), 404)


def test_candidate_starter_groups_restrict_who_starts(api):
    document = bpmn.linear(
        "guarded",
        bpmn.user("办理", 'camunda:candidateGroups="工作组"'),
        attrs='camunda:candidateStarterGroups="工作组"',
    )
    api.deploy(("guarded.bpmn", document))
    assert_problem(api.start("guarded", user="renshi"), 403)
    assert api.start("guarded", user="gongzuozu").status_code == 201


def test_every_step_is_in_the_audit_trail(beian):
    """X-01: who did what and when, append-only."""
    from sqlalchemy import select

    from service.store.models import AuditEvent

    instance = beian.start("fenghua_beian", user="renshi").json
    task = beian.inbox("renshi")[0]
    beian.post(f"/api/v1/tasks/{task['id']}/claim", user="renshi")
    db = beian.client.application.extensions["xuanpin"].db
    with db.transaction() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance["id"]).order_by(AuditEvent.id)
        ).all()
        assert any(e.action == "data.changed" for e in events)  # the deadline the start computed
        events = [e for e in events if e.action != "data.changed"]
        assert [(e.actor, e.action) for e in events] == [
            ("engine", "task.opened"),
            ("engine", "timer.scheduled"),  # FH-09: the filing's 15-working-day deadline
            ("renshi", "instance.started"),
            ("renshi", "task.claimed"),
        ]
        assert events[0].detail["title"] == "填报备案材料" and events[0].detail["role"] == "企业人事"
        assert all(e.at is not None for e in events)


def test_an_instance_starts_from_a_case_its_starter_may_read(api):
    """FH-01's mechanism: `source_instance_id` hands the new instance a read-only snapshot of
    another case (`laiyuan_shili`) taken from that case's stored data by the service; a case the
    starter cannot read is refused on the field, and the name cannot be sent as data."""
    api.deploy(("yilai.bpmn", bpmn.linear("yilai", bpmn.user("办理", 'camunda:candidateGroups="企业人事"'))))
    api.deploy(
        (
            "houxu.bpmn",
            bpmn.linear(
                "houxu",
                bpmn.script("yiju = laiyuan_shili['business_key'] + ':' + laiyuan_shili['status']"),
                bpmn.user("办理", 'camunda:candidateGroups="企业人事,区属集团"'),
            ),
        )
    )
    source = api.start("yilai", user="renshi", business_key="计划-1", jihua="年度").json["id"]
    body = {"definition_key": "houxu", "source_instance_id": source}
    started = api.post("/api/v1/instances", user="renshi", json=body)
    assert started.status_code == 201, started.json
    data = api.get(f"/api/v1/instances/{started.json['id']}", user="renshi").json["data"]
    assert data["yiju"] == "计划-1:running"
    assert data["laiyuan_shili"]["data"] == {"jihua": "年度"} and data["laiyuan_shili"]["id"] == source
    hidden = assert_problem(api.post("/api/v1/instances", user="jituan", json=body), 422)
    assert "source_instance_id" in hidden["errors"] and "无权查看" in hidden["detail"]
    forged = api.post(
        "/api/v1/instances", user="renshi", json={"definition_key": "houxu", "data": {"laiyuan_shili": {}}}
    )
    assert "data.laiyuan_shili" in assert_problem(forged, 422)["errors"]
