"""The operator's command line, against the same database the API uses."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import inspect

from service.cli import main
from service.store.db import Database
from service.store.migrate import upgrade
from service.store.models import Base
from tests.conftest import FIXTURES, PROCESSES, ROOT, assert_problem


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
