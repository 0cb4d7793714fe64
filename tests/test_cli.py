"""The operator's command line, against the same database the API uses."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import inspect

from service.cli import main
from service.store.db import Database
from service.store.migrate import upgrade
from service.store.models import Base, Instance, ProcessDefinition
from tests import bpmn
from tests.conftest import FIXTURES, PROCESSES, ROOT, assert_problem, sql_count


def _run(monkeypatch, settings, *args):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, list(args))
    return result


def test_deploy_folders_then_redeploy_is_unchanged(api, settings, monkeypatch):
    first = _run(monkeypatch, settings, "deploy", str(PROCESSES), str(ROOT / "forms"))
    assert first.exit_code == 0, first.output
    assert "fenghua_beian  v1" in first.output and "新版本" in first.output
    second = _run(monkeypatch, settings, "deploy", str(PROCESSES), str(ROOT / "forms"))
    assert "未变化" in second.output
    assert api.get("/api/v1/definitions/fenghua_beian").status_code == 200


def test_deploy_reports_errors_and_fails(api, settings, monkeypatch):
    result = _run(monkeypatch, settings, "deploy", str(FIXTURES / "assignment.bpmn"))
    assert result.exit_code == 1
    assert "ceshi_dengji.schema.json" in result.output


def test_users_add_then_login_with_roles(api, settings, monkeypatch):
    result = _run(
        monkeypatch,
        settings,
        "users",
        "add",
        "wanggong",
        "--password",
        "pass-word-1",
        "--role",
        "工作组",
        "--role",
        "评委",
    )
    assert result.exit_code == 0, result.output
    login = api.client.post("/api/v1/auth/token", json={"username": "wanggong", "password": "pass-word-1"})
    assert login.status_code == 200
    short = _run(monkeypatch, settings, "users", "add", "x", "--password", "short")
    assert short.exit_code == 1 and "8" in short.output


def test_non_admin_users_cannot_deploy_after_cli_creation(api, settings, monkeypatch):
    _run(monkeypatch, settings, "users", "add", "plain", "--password", "pass-word-1")
    token = api.client.post("/api/v1/auth/token", json={"username": "plain", "password": "pass-word-1"}).json
    response = api.client.post(
        "/api/v1/definitions", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert_problem(response, 403)


def test_migrations_build_exactly_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    upgrade(db)
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
        assert {"instances", "tasks", "task_grants", "audit_events"} <= set(
            inspect(connection).get_table_names()
        )
    upgrade(db)  # idempotent
    db.dispose()


def test_migrated_test_database_matches_the_models(migrated):
    """Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(migrated)
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    db.dispose()


def _jam_like_a_worker_before_the_fix(app, db: Database, instance_id: str) -> None:
    """Rewrite the stored case as SpiffWorkflow 3.2 left it on a worker whose spec was unsettled:
    the finished sheets appended to the judges' list instead of replacing each judge's entry."""
    with db.transaction(write=True) as session:
        instance = session.get(Instance, instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        run = app.extensions["xuanpin"].engine.load(definition.id, definition.spec, instance.state)
        [parent] = [t for t in run.workflow.get_tasks() if "merged" in t.internal_data]
        sheets = [j for j in parent.data["pingwei_list"] if isinstance(j, dict)]
        parent.data["pingwei_list"] = ["pingwei1", "pingwei2", "pingwei3", *sheets]
        instance.state = run.dump()


def test_repair_multi_instance_mends_a_case_jammed_by_appended_sheets(app, api, db, settings, monkeypatch):
    """Issue 8: a case jammed by the multi-worker merge defect is mended by the operator and then
    finishes with each sheet at its judge's place."""
    diagram = bpmn.linear(
        "mi_repair",
        bpmn.multi_instance(),
        bpmn.script("zongfen = sum(sheet['score'] for sheet in pingwei_list)", "计算总分"),
        bpmn.user("汇总", 'camunda:candidateGroups="工作组"'),
    )
    assert api.deploy(("mi_repair.bpmn", diagram)).status_code == 201
    instance_id = api.start("mi_repair", pingwei_list=["pingwei1", "pingwei2", "pingwei3"]).json["id"]
    for judge in ("pingwei1", "pingwei2"):
        [task] = api.inbox(judge)
        assert api.complete(task["id"], judge, pingwei={"judge": judge, "score": 80}).status_code == 200
    _jam_like_a_worker_before_the_fix(app, db, instance_id)

    listed = _run(monkeypatch, settings, "repair", "multi-instance", "--dry-run")
    assert listed.exit_code == 0, listed.output
    assert instance_id in listed.output and "需要修复 1 个实例" in listed.output
    repaired = _run(monkeypatch, settings, "repair", "multi-instance")
    assert "2 份结果归位，删除 2 个多余条目" in repaired.output and "已修复 1 个实例" in repaired.output
    assert "已修复 0 个实例" in _run(monkeypatch, settings, "repair", "multi-instance").output

    [last] = api.inbox("pingwei3")
    assert api.complete(last["id"], "pingwei3", pingwei={"judge": "pingwei3", "score": 70}).status_code == 200
    data = api.get(f"/api/v1/instances/{instance_id}").json["data"]
    assert data["zongfen"] == 230
    assert [sheet["judge"] for sheet in data["pingwei_list"]] == ["pingwei1", "pingwei2", "pingwei3"]
    repaired_events = (
        "SELECT count(*) FROM audit_events WHERE action = 'instance.repaired' AND instance_id = :i"
    )
    assert sql_count(db, repaired_events, i=instance_id) == 1
