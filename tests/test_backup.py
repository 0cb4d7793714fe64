"""`xuanpin backup` / `xuanpin restore` for the embedded SQLite database (issue 9).

The backup is taken while cases are being started over the API; it must hold a consistent
snapshot (every case it has, whole: its audit trail, its task), and restoring it must give a
working service with exactly those cases. PostgreSQL deployments are pointed to pg_dump."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from service import create_app
from service.cli import main
from tests import bpmn


def _cli(monkeypatch, database_url: str, *args: str):
    monkeypatch.setenv("DATABASE_URL", database_url)
    return CliRunner().invoke(main, list(args))


def _count(path: Path, sql: str) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return int(connection.execute(sql).fetchone()[0])


@pytest.fixture()
def sqlite_only(settings):
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("backup/restore is for the embedded SQLite database; PostgreSQL uses pg_dump")


@pytest.fixture()
def cases(api, sqlite_only):
    document = bpmn.linear("beifen", bpmn.user("办理", 'camunda:candidateGroups="工作组"'))
    assert api.deploy(("beifen.bpmn", document)).status_code == 201
    for user in ("admin", "gongzuozu"):
        api.token(user)  # logged in before the backup, so the restored database knows the tokens
    return api


def test_a_backup_taken_under_writes_restores_to_a_working_service(cases, settings, monkeypatch, tmp_path):
    api = cases
    started: list[str] = []
    stop = threading.Event()
    failures: list[object] = []

    def write() -> None:
        client = api.client.application.test_client()
        headers = {"Authorization": f"Bearer {api.token('gongzuozu')}"}
        while not stop.is_set():
            response = client.post(
                "/api/v1/instances", headers=headers, json={"definition_key": "beifen", "data": {"n": 1}}
            )
            if response.status_code != 201:
                failures.append(response.get_json())
                return
            started.append(response.get_json()["id"])

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(started) < 5 and writer.is_alive():
            threading.Event().wait(0.01)
        backup_file = tmp_path / "xuanpin-backup.sqlite3"
        assert writer.is_alive()
        result = _cli(monkeypatch, settings.database_url, "backup", str(backup_file))
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert failures == []  # the writes went on while the backup was taken
    assert "个流程实例" in result.output
    started += [api.start("beifen", user="gongzuozu").json["id"] for _ in range(2)]  # after it

    # A consistent snapshot: each case in it is whole.
    in_backup = _count(backup_file, "SELECT count(*) FROM instances")
    assert 5 <= in_backup <= len(started) - 2
    started_events = "SELECT count(*) FROM audit_events WHERE action = 'instance.started'"
    assert _count(backup_file, started_events) == in_backup
    assert _count(backup_file, "SELECT count(*) FROM tasks") == in_backup
    assert not Path(f"{backup_file}-wal").exists()  # one self-contained file

    restored = tmp_path / "restored.sqlite3"
    restored_url = f"sqlite:///{restored}"
    result = _cli(monkeypatch, restored_url, "restore", str(backup_file), "--yes")
    assert result.exit_code == 0, result.output

    app = create_app(replace(settings, database_url=restored_url))
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {api.token('gongzuozu')}"}
        listed = client.get("/api/v1/instances", headers=headers, query_string={"per_page": 100}).json
        assert listed["total"] == in_backup
        assert {item["id"] for item in listed["items"]} <= set(started)
        task = client.get("/api/v1/tasks", headers=headers).json["items"][0]
        done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers, json={"data": {}})
        assert done.status_code == 200 and done.json["status"] == "completed"
    finally:
        app.extensions["xuanpin"].db.dispose()

    # Restoring over an existing (stopped) database keeps the replaced one beside it.
    again = _cli(monkeypatch, restored_url, "restore", str(backup_file), "--yes")
    assert again.exit_code == 0, again.output
    (kept,) = tmp_path.glob("restored.sqlite3.before-restore-*")
    assert _count(kept, "SELECT count(*) FROM tasks WHERE status = 'completed'") == 1
    assert _count(restored, "SELECT count(*) FROM tasks WHERE status = 'completed'") == 0


def test_restore_is_refused_while_the_service_has_the_database_open(cases, settings, monkeypatch, tmp_path):
    api = cases
    api.start("beifen", user="gongzuozu")
    backup_file = tmp_path / "b.sqlite3"
    assert _cli(monkeypatch, settings.database_url, "backup", str(backup_file)).exit_code == 0
    api.start("beifen", user="gongzuozu")
    result = _cli(monkeypatch, settings.database_url, "restore", str(backup_file), "--yes")
    assert result.exit_code == 1
    assert "正被其他进程使用" in result.output and "xuanpin serve" in result.output
    assert api.get("/api/v1/instances").json["total"] == 2  # untouched


def test_backup_does_not_overwrite_and_restore_checks_its_file(cases, settings, monkeypatch, tmp_path):
    existing = tmp_path / "there.sqlite3"
    existing.write_bytes(b"keep me")
    result = _cli(monkeypatch, settings.database_url, "backup", str(existing))
    assert result.exit_code == 1 and "已存在" in result.output
    assert existing.read_bytes() == b"keep me"

    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    not_sqlite = _cli(monkeypatch, target, "restore", str(existing), "--yes")
    assert not_sqlite.exit_code == 1 and "不是有效的 SQLite 数据库文件" in not_sqlite.output
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
    foreign = _cli(monkeypatch, target, "restore", str(other), "--yes")
    assert foreign.exit_code == 1 and "不是选聘流的数据库" in foreign.output
    missing = _cli(monkeypatch, target, "restore", str(tmp_path / "nope.sqlite3"), "--yes")
    assert missing.exit_code == 1 and "不存在" in missing.output


def test_restore_asks_before_replacing_the_database(cases, settings, monkeypatch, tmp_path):
    backup_file = tmp_path / "b.sqlite3"
    assert _cli(monkeypatch, settings.database_url, "backup", str(backup_file)).exit_code == 0
    target = tmp_path / "target.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    answered_no = CliRunner().invoke(main, ["restore", str(backup_file)], input="n\n")
    assert answered_no.exit_code == 1 and "替换" in answered_no.output
    assert not target.exists() or target.stat().st_size == 0


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgresql_urls_are_pointed_to_pg_dump(monkeypatch, tmp_path, command):
    url = "postgresql+psycopg://xuanpin@db.example/xuanpin"
    result = _cli(monkeypatch, url, command, str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "pg_dump" in result.output and "README" in result.output
