"""`make run` on a fresh machine: the migrations, the built-in processes and the demo accounts
go into an empty database, and the demo people sign in with their roles in the demo tree."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from service import create_app
from service.config import Settings
from service.demo import DEMO_PASSWORD, DEMO_USERS
from tests.conftest import PASSWORD
from tests.test_organisations import _tree

ROOT = Path(__file__).resolve().parents[1]
XUANPIN = str(Path(sys.executable).parent / "xuanpin")


def test_the_demo_goes_into_an_empty_database(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "XUANPIN_SCHEDULER": "0",
        "XUANPIN_SECRET_KEY": "demo-test",
    }
    for command in (["db", "upgrade"], ["deploy", "processes", "forms"], ["demo"], ["demo"]):
        done = subprocess.run([XUANPIN, *command], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr[-2000:])  # the second demo replaces
    app = create_app(Settings.from_env(database_url=env["DATABASE_URL"], scheduler_enabled=False))
    client = app.test_client()
    for username, *_ in DEMO_USERS:
        answer = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
        assert answer.status_code == 200, (username, answer.json)
    token = client.post("/api/v1/auth/token", json={"username": "jijian", "password": DEMO_PASSWORD}).json
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}).json
    assert "纪检监督" in me["roles"] and "纪检监督@fh-guozi" in me["grants"]


def test_one_person_holds_a_new_role_in_several_organisations(api):
    """Granted in one request, a role nobody held before is created once and held in each place."""
    _tree(api)
    role = f"督查{uuid.uuid4().hex[:6]}"
    username = f"u{uuid.uuid4().hex[:8]}"
    created = api.post(
        "/api/v1/users",
        json={"username": username, "password": PASSWORD, "roles": [f"{role}@t-qa", f"{role}@t-ct*"]},
    )
    assert created.status_code == 201, created.json
    assert created.json["roles"] == [role]
    assert sorted(created.json["grants"]) == sorted([f"{role}@t-qa", f"{role}@t-ct*"])
