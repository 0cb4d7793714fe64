"""Every process test case in processes/tests runs green (issue 15): `make test` runs them all.
Each case runs in a database of its own (services/process_tests.py): a copy of a SQLite template
on the SQLite run, a fresh PostgreSQL schema of its own on the PostgreSQL run."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from service.config import Settings
from service.services import process_tests
from tests.conftest import postgres_schema

CASES = process_tests.discover(process_tests.CASES_DIR)


@pytest.fixture(scope="module")
def sources():
    return process_tests.sources_from_disk()


def _empty_database():
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return None
    return lambda: postgres_schema(base, f"xp_case_{uuid.uuid4().hex[:12]}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{Path(c.file).parent.name}/{Path(c.file).stem}")
def test_process_case(case, sources):
    settings = Settings(script_time_limit_seconds=2.0)
    [result] = process_tests.run_cases([case], sources, settings, _empty_database())
    assert result.passed, "\n".join(process_tests.describe(result))


def test_every_built_in_procedure_has_cases():
    """Each diagram in processes/ has a folder of cases (公示, which only runs when called, is
    tested through a small caller)."""
    built_in = {p.stem for p in (process_tests.PROJECT_ROOT / "processes").glob("*.bpmn")}
    folders = {Path(c.file).parent.name for c in CASES}
    assert built_in <= folders, sorted(built_in - folders)
