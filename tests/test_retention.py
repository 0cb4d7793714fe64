"""Retention (FH-07): finished cases and their audit are kept permanently unless an admin
configures a policy; then `xuanpin retention apply` removes the working data of cases finished
longer ago than the policy, never of a procedure declared permanent, never the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from service.cli import main as cli
from service.config import Settings
from service.engine.parser import declares_permanent
from service.services.audit_trail import verify_chain
from service.store.models import AuditEvent, Instance, Task, TodoItem
from service.timeutil import SHANGHAI
from tests import bpmn
from tests.conftest import PROCESSES, assert_problem

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
LATER = T0 + timedelta(days=400)
PERMANENT = {"xuanpin:retention": "permanent"}


def _deploy(api, pid: str, properties: dict[str, str] | None = None) -> None:
    document = bpmn.linear(pid, bpmn.user("办理", 'camunda:candidateGroups="工作组"'), properties=properties)
    response = api.deploy((f"{pid}.bpmn", document))
    assert response.status_code == 201, response.json


def _case(api, pid: str, finish: bool = True) -> str:
    instance_id = api.start(pid, user="gongzuozu").json["id"]
    if finish:
        [task] = api.inbox("gongzuozu", instance_id=instance_id)
        assert api.post(f"/api/v1/tasks/{task['id']}/claim", user="gongzuozu").status_code == 200
        assert api.complete(task["id"], "gongzuozu", yijian="同意").status_code == 200
    return instance_id


def _cases(api) -> dict[str, str]:
    """Old finished (plain and permanent), old still running, and recently finished cases."""
    _deploy(api, "linshi")
    _deploy(api, "yongjiu", PERMANENT)
    with time_machine.travel(T0, tick=False):
        cases = {
            "old": _case(api, "linshi"),
            "permanent": _case(api, "yongjiu"),
            "running": _case(api, "linshi", finish=False),
        }
    with time_machine.travel(LATER - timedelta(days=10), tick=False):
        cases["recent"] = _case(api, "linshi")
    return cases


def _apply(monkeypatch, settings, *args: str, days: str | None) -> str:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("XUANPIN_SCHEDULER", "0")
    if days is None:
        monkeypatch.delenv("XUANPIN_RETENTION_DAYS", raising=False)
    else:
        monkeypatch.setenv("XUANPIN_RETENTION_DAYS", days)
    with time_machine.travel(LATER, tick=False):
        result = CliRunner().invoke(cli, ["retention", "apply", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _events(db, instance_id: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if instance_id is not None:
        query = query.where(AuditEvent.instance_id == instance_id)
    with db.transaction() as session:
        return list(session.scalars(query))


def test_fh07_by_default_nothing_is_purged(api, db, settings, monkeypatch):
    """FH-07: with no retention configured every finished case and its audit stay, however old."""
    cases = _cases(api)
    before = [event.hash for event in _events(db)]
    output = _apply(monkeypatch, settings, days=None)
    assert "永久保存" in output and "未清除" in output
    for instance_id in cases.values():
        assert api.get(f"/api/v1/instances/{instance_id}", user="admin").status_code == 200
    assert [event.hash for event in _events(db)] == before
    assert Settings.from_env().retention_days is None


def test_fh07_a_configured_policy_purges_only_old_finished_cases_of_non_permanent_procedures(
    api, db, settings, monkeypatch
):
    """FH-07: a 365-day policy removes the working data of the case finished 400 days ago (its
    state, data, tasks and what was submitted in them), not the permanent procedure's, not a
    running or recent case; the dry run changes nothing; the audit trail stays and still verifies,
    the purge itself on the case's chain."""
    cases = _cases(api)
    old_events = _events(db, cases["old"])
    with db.transaction() as session:
        assert session.scalars(select(TodoItem).where(TodoItem.instance_id == cases["old"])).all()

    dry = _apply(monkeypatch, settings, "--dry-run", days="365")
    assert f"将清除 {cases['old']}" in dry and "将清除 1 个案件" in dry and "1 个属永久保存" in dry
    assert api.get(f"/api/v1/instances/{cases['old']}", user="admin").status_code == 200
    assert [e.hash for e in _events(db, cases["old"])] == [e.hash for e in old_events]

    done = _apply(monkeypatch, settings, days="365")
    assert f"已清除 {cases['old']}" in done and "已清除 1 个案件" in done
    assert_problem(api.get(f"/api/v1/instances/{cases['old']}", user="admin"), 404)
    with db.transaction() as session:
        assert session.get(Instance, cases["old"]) is None
        assert not session.scalars(select(Task).where(Task.instance_id == cases["old"])).all()
        # The unified to-do rows go with the case (README: kept for reconciliation until then).
        assert not session.scalars(select(TodoItem).where(TodoItem.instance_id == cases["old"])).all()
        assert session.scalars(select(TodoItem).where(TodoItem.instance_id == cases["running"])).all()
    for kept in ("permanent", "running", "recent"):
        assert api.get(f"/api/v1/instances/{cases[kept]}", user="admin").status_code == 200, kept

    trail = _events(db, cases["old"])
    assert [e.hash for e in trail[: len(old_events)]] == [e.hash for e in old_events]  # nothing removed
    assert any(e.action == "task.completed" and e.detail["data"]["yijian"] == "同意" for e in trail)
    purge = trail[-1]
    assert (purge.action, purge.actor, purge.detail["retention_days"]) == (
        "retention.purged",
        "cli:retention",
        365,
    )
    summary = _events(db)[-1]
    assert summary.action == "retention.applied"
    assert (summary.detail["purged"], summary.detail["kept_permanent"]) == (1, 1)
    assert verify_chain(db).ok
    assert api.get("/api/v1/audit/verify", user="jijian").json["ok"] is True
    listed = api.get(
        "/api/v1/audit", user="jijian", query_string={"instance_id": cases["old"], "action": "retention"}
    ).json["items"]
    assert [e["action_label"] for e in listed] == ["按保留期限清除案件工作数据"]

    again = _apply(monkeypatch, settings, days="365")  # nothing left to purge
    assert "已清除 0 个案件" in again


@pytest.mark.parametrize("value", ["0", "-5", "十年"])
def test_a_retention_setting_that_is_not_a_number_of_days_is_refused(monkeypatch, value):
    monkeypatch.setenv("XUANPIN_RETENTION_DAYS", value)
    with pytest.raises(ValueError, match="XUANPIN_RETENTION_DAYS"):
        Settings.from_env()


def test_fh07_every_built_in_procedure_declares_itself_permanent():
    """FH-07: the built-in diagrams are never purged by a retention policy."""
    for path in sorted(PROCESSES.glob("*.bpmn")):
        assert declares_permanent(path.read_bytes(), path.stem), path.name
