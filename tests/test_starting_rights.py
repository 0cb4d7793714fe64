"""Who may start a case, and what the start data may decide (issue 9, finding 5; X-01, X-03).

Before: any account could start a process without candidateStarterGroups/Users — the observer
(纪检监督) and the candidates started `fenghua_beian` and `gongshi` — and the start data could
choose which role received the new task."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.engine import make_url

from service.config import Settings
from service.engine.parser import SourceFile, parse_definitions
from service.services import definitions
from service.services.principal import Principal
from service.store.db import Database
from service.store.migrate import alembic_config, upgrade
from service.store.models import ProcessDefinition
from tests import bpmn
from tests.conftest import FORMS, PROCESSES, ROOT, assert_problem, beian_files

CANDIDATES = ["yingpin1", "jiebangren1", "jingpin1", "houxuanren1"]


@pytest.fixture()
def deployed(api):
    files = [*beian_files(), PROCESSES / "gongshi.bpmn", *sorted(FORMS.glob("gongshi_*.schema.json"))]
    assert api.deploy(*files).status_code == 201
    return api


@pytest.mark.parametrize("key", ["fenghua_beian", "gongshi"])
@pytest.mark.parametrize("user", ["jijian", *CANDIDATES])
def test_observers_and_candidates_never_start_a_case(deployed, key, user):
    """X-01: the observer reads every case but never starts one; X-03: candidates apply, they do
    not run the procedure. Neither process names its starters."""
    problem = assert_problem(deployed.start(key, user=user), 403)
    assert "不能发起" in problem["detail"]
    assert deployed.get("/api/v1/instances").json["total"] == 0


def test_without_named_starters_the_roles_of_its_lanes_start_it(deployed):
    for user in ("renshi", "jituan", "guozi"):  # 企业人事, 区属集团, 区国资管理中心: its lanes
        assert deployed.start("fenghua_beian", user=user).status_code == 201, user
    for user in ("outsider", "li", "gongzuozu"):  # another role, no role, another procedure's role
        problem = assert_problem(deployed.start("fenghua_beian", user=user), 403)
        assert "企业人事、区国资管理中心、区属集团" in problem["detail"]
    assert deployed.start("fenghua_beian", user="admin").status_code == 201


def test_a_process_whose_lanes_nobody_holds_is_started_by_admins_only(deployed):
    """公示 is a subprocess: its lanes (公示受理, 异议核查) are no one's role."""
    problem = assert_problem(deployed.start("gongshi", user="gongzuozu"), 403)
    assert "管理员" in problem["detail"]


def test_the_groups_a_task_names_count_like_lanes(api):
    document = bpmn.linear("banli", bpmn.user("办理", 'camunda:candidateGroups="工作组, 党委"'))
    assert api.deploy(("banli.bpmn", document)).status_code == 201
    assert api.start("banli", user="gongzuozu").status_code == 201
    assert api.start("banli", user="dangwei").status_code == 201
    assert_problem(api.start("banli", user="renshi"), 403)


def test_named_starters_restrict_and_observers_stay_out_even_when_named(api):
    """X-01: an observer role never starts a case, even one listing it as a starter."""
    document = bpmn.linear(
        "guarded",
        bpmn.user("办理", 'camunda:candidateGroups="工作组"'),
        attrs='camunda:candidateStarterGroups="企业人事, 纪检监督" camunda:candidateStarterUsers="jingpin1"',
    )
    api.deploy(("guarded.bpmn", document))
    assert api.start("guarded", user="renshi").status_code == 201
    assert_problem(api.start("guarded", user="gongzuozu"), 403)  # works in it, not a named starter
    assert_problem(api.start("guarded", user="jijian"), 403)
    assert_problem(api.start("guarded", user="jingpin1"), 403)  # a candidate, although named


def test_a_candidate_who_also_holds_a_working_role_starts_in_that_role(deployed):
    created = deployed.post(
        "/api/v1/users",
        json={"username": "rs_yp", "password": "pass-word-1", "roles": ["企业人事", "应聘者"]},
    )
    assert created.status_code == 201, created.json
    token = deployed.client.post(
        "/api/v1/auth/token", json={"username": "rs_yp", "password": "pass-word-1"}
    ).json["access_token"]
    response = deployed.client.post(
        "/api/v1/instances",
        headers={"Authorization": f"Bearer {token}"},
        json={"definition_key": "fenghua_beian"},
    )
    assert response.status_code == 201, response.json


def _routed(pid: str, properties: dict[str, str] | None = None) -> bytes:
    """Lane 工作组 starts; the next task goes to the role named by the data field `shouli`."""
    return bpmn.linear(
        pid,
        bpmn.user("登记", 'camunda:candidateGroups="工作组"'),
        bpmn.user("受理", 'camunda:candidateGroups="${shouli}"'),
        properties=properties,
    )


def test_start_data_cannot_choose_who_receives_work(api):
    api.deploy(("routed.bpmn", _routed("routed")))
    for user in ("gongzuozu", "admin"):
        problem = assert_problem(api.start("routed", user=user, shouli="纪检监督"), 422)
        assert "shouli" in problem["detail"] and "xuanpin:startFields" in problem["detail"]
        assert list(problem["errors"]) == ["data.shouli"]
    assert api.get("/api/v1/instances").json["total"] == 0
    # Other data is fine, and the diagram's own steps may set the field.
    assert api.start("routed", user="gongzuozu", beizhu="首批").status_code == 201


def test_a_field_the_diagram_declares_may_be_given_at_start(api):
    api.deploy(("declared.bpmn", _routed("declared", {"xuanpin:startFields": "shouli"})))
    assert api.start("declared", user="gongzuozu", shouli="党委").status_code == 201
    task = api.inbox("gongzuozu")[0]
    assert api.complete(task["id"], "gongzuozu").status_code == 200
    assert [t["title"] for t in api.inbox("dangwei")] == ["受理"]


def test_fields_chosen_in_a_called_subprocess_count_too(deployed):
    """公示 assigns its tasks from gongshi_shouli_juese: a caller's start data may not set it."""
    caller = bpmn.linear(
        "caller",
        bpmn.user("准备", 'camunda:candidateGroups="工作组"'),
        '<bpmn:callActivity id="{id}" name="公示" calledElement="gongshi" />',
    )
    response = deployed.deploy(
        ("caller.bpmn", caller), PROCESSES / "gongshi.bpmn", *sorted(FORMS.glob("gongshi_*.schema.json"))
    )
    assert response.status_code == 201, response.json
    problem = assert_problem(deployed.start("caller", user="gongzuozu", gongshi_shouli_juese="揭榜人"), 422)
    assert "gongshi_shouli_juese" in problem["detail"]


def test_an_invalid_start_fields_declaration_is_refused_at_deploy(api):
    response = api.deploy(("bad.bpmn", _routed("bad", {"xuanpin:startFields": "shou-li"})))
    assert "shou-li" in assert_problem(response, 422)["detail"]


def test_observer_and_candidate_roles_are_settings(monkeypatch):
    monkeypatch.setenv("XUANPIN_CANDIDATE_ROLES", "应聘者,报名人")
    assert Settings.from_env().candidate_roles == ("应聘者", "报名人")
    monkeypatch.delenv("XUANPIN_CANDIDATE_ROLES")
    assert Settings.from_env().candidate_roles == ("应聘者", "揭榜人", "竞聘者", "候选人")


def _migration():
    path = ROOT / "service/store/migrations/versions/0011_hardening.py"
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _all_processes() -> list[SourceFile]:
    return [SourceFile(p.name, p.read_bytes()) for p in sorted(PROCESSES.iterdir()) if p.is_file()]


def test_the_migration_reads_the_same_rights_from_stored_specs_as_deploy_from_the_bpmn():
    """Versions deployed before the rights were kept get them from their stored spec."""
    backfill = _migration()._start_rights
    for process in parse_definitions(_all_processes()):
        assert backfill(process.spec) == process.start_rights, process.key


@pytest.fixture()
def fresh_database_url(tmp_path: Path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    schema = f"xp_test_fresh_{os.getpid()}"
    admin = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_upgrading_a_database_with_deployed_versions_fills_in_their_rights(fresh_database_url):
    db = Database(fresh_database_url)
    try:
        upgrade(db)
        admin = Principal(username="admin", is_admin=True)
        definitions.deploy(db, admin, [SourceFile(p.name, p.read_bytes()) for p in beian_files()])
        config = alembic_config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0009_deployment_name")
        upgrade(db)
        with db.transaction() as session:
            rights = session.scalar(select(ProcessDefinition.start_rights))
        assert rights == {
            "roles": ["企业人事", "区国资管理中心", "区属集团"],
            "assignment_fields": [],
            "start_fields": [],
        }
    finally:
        db.dispose()
