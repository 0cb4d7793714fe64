"""Login throttling and the write lock (issue 9, finding 6; X-01 for the audit trail).

Before: 500 wrong passwords for `admin` were all tried, and the password check ran inside a
SQLite write transaction, so logins queued behind each other's argon2 on the write lock and
the last of 300 concurrent ones timed out with "database is locked" (500).

This module runs with small limits (3 per account, 6 per address, 15 minutes) and a short busy
timeout, so that what a crowd of attempts or a long writer would cause happens in a few steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
import time_machine
from sqlalchemy import select, text

from service.config import Settings
from service.services import accounts
from service.store.models import AuditEvent, Instance
from service.timeutil import SHANGHAI
from tests import bpmn
from tests.conftest import PASSWORD, assert_problem
from tests.test_web import Browser

PER_ACCOUNT, PER_ADDRESS, WINDOW = 3, 6, 15 * 60
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture()
def settings(settings):
    return replace(
        settings,
        login_failures_per_account=PER_ACCOUNT,
        login_failures_per_address=PER_ADDRESS,
        login_failure_window_seconds=WINDOW,
        db_busy_timeout_seconds=0.3,
    )


@pytest.fixture()
def person(api):
    """An account of its own (users outlive a test): the shared ones keep their cached tokens."""
    username = f"zs{uuid4().hex[:8]}"
    response = api.post("/api/v1/users", json={"username": username, "password": "right-pass-1"})
    assert response.status_code == 201, response.json
    return username


def _login(api, username, password, address="10.0.0.1"):
    return api.client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _audit(db, action, actor=None, address=None):
    # Other tests' failed logins are in the same trail: only this person's, or this address's.
    with db.transaction() as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        if actor is not None:
            query = query.where(AuditEvent.actor == actor)
        events = list(session.scalars(query))
    return [e for e in events if address is None or e.detail.get("address") == address]


def test_after_the_failures_allowed_even_the_right_password_is_refused_with_429(api, db, person):
    """X-01: every failure and the lockout are in the audit trail."""
    with time_machine.travel(T0, tick=False):
        for _ in range(PER_ACCOUNT):
            assert_problem(_login(api, person, "wrong-pass"), 401)
        refused = _login(api, person, "right-pass-1")
        problem = assert_problem(refused, 429)
    assert refused.headers["Retry-After"] == str(WINDOW)
    assert "15 分钟后再试" in problem["detail"] and person in problem["detail"]
    failed = _audit(db, "auth.failed", person)
    assert [(e.actor, e.detail["address"]) for e in failed] == [(person, "10.0.0.1")] * PER_ACCOUNT
    (locked,) = _audit(db, "auth.locked", person)
    assert locked.actor == person and locked.detail["scope"] == "account"
    assert locked.detail["limit"] == PER_ACCOUNT
    assert datetime.fromisoformat(locked.detail["until"]) == T0 + timedelta(seconds=WINDOW)


def test_the_lock_lifts_when_the_window_has_passed_over_the_failures(api, person):
    with time_machine.travel(T0, tick=False):
        for _ in range(PER_ACCOUNT):
            _login(api, person, "wrong-pass")
    with time_machine.travel(T0 + timedelta(seconds=WINDOW - 1), tick=False):
        refused = _login(api, person, "right-pass-1")
        assert_problem(refused, 429)
        assert refused.headers["Retry-After"] == "1"
    with time_machine.travel(T0 + timedelta(seconds=WINDOW), tick=False):
        assert _login(api, person, "right-pass-1").status_code == 200


def test_a_successful_login_starts_the_accounts_count_afresh(api, person):
    for _ in range(PER_ACCOUNT - 1):
        assert_problem(_login(api, person, "wrong-pass"), 401)
    assert _login(api, person, "right-pass-1").status_code == 200
    for _ in range(PER_ACCOUNT - 1):
        assert_problem(_login(api, person, "wrong-pass"), 401)
    assert _login(api, person, "right-pass-1").status_code == 200


def test_unknown_accounts_lock_the_same_way(api):
    """The answer does not reveal which usernames exist."""
    for _ in range(PER_ACCOUNT):
        assert_problem(_login(api, "nobody", "wrong-pass"), 401)
    assert "nobody" in assert_problem(_login(api, "nobody", "wrong-pass"), 429)["detail"]


def test_one_address_trying_many_accounts_is_throttled_and_others_are_not(api, db, person):
    for index in range(PER_ADDRESS):
        assert_problem(_login(api, f"guess{index}", "wrong-pass", address="10.9.9.9"), 401)
    problem = assert_problem(_login(api, person, "right-pass-1", address="10.9.9.9"), 429)
    assert "地址" in problem["detail"]
    assert _login(api, person, "right-pass-1", address="10.0.0.2").status_code == 200
    (locked,) = _audit(db, "auth.locked", address="10.9.9.9")
    assert locked.detail == {**locked.detail, "scope": "address", "address": "10.9.9.9"}


def test_the_web_login_is_throttled_too(app, person):
    browser = Browser(app)
    browser.get("/login")
    for _ in range(PER_ACCOUNT):
        wrong = browser.post("/login", {"username": person, "password": "wrong-pass"})
        assert "用户名或密码错误" in wrong.get_data(as_text=True)
    refused = browser.post("/login", {"username": person, "password": "right-pass-1"})
    assert "分钟后再试" in refused.get_data(as_text=True) and refused.status_code == 429


def test_the_password_is_checked_outside_any_transaction(api, db, person, monkeypatch):
    """argon2 takes tens of milliseconds: inside a write transaction every login would hold the
    database's write lock that long, and logins would queue on each other."""
    seen = []
    check = accounts.verify_password

    def verify(password_hash, password):
        seen.append(db.engine.pool.checkedout())
        return check(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", verify)
    assert _login(api, person, "right-pass-1").status_code == 200
    assert_problem(_login(api, person, "wrong-pass"), 401)
    assert seen == [0, 0]  # no connection, hence no transaction, while hashing


def test_limits_are_read_from_the_environment(monkeypatch):
    for name, value in {
        "XUANPIN_LOGIN_FAILURES_PER_ACCOUNT": "7",
        "XUANPIN_LOGIN_FAILURES_PER_ADDRESS": "70",
        "XUANPIN_LOGIN_FAILURE_WINDOW": "60",
        "XUANPIN_DB_BUSY_TIMEOUT": "5",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert (settings.login_failures_per_account, settings.login_failures_per_address) == (7, 70)
    assert settings.login_failure_window_seconds == 60 and settings.db_busy_timeout_seconds == 5.0
    throttle = accounts.LoginThrottle.from_settings(settings)
    assert throttle == accounts.LoginThrottle(7, 70, timedelta(seconds=60))


def _hold_the_write_lock(db, session, instance_id):
    """What a long writer does: SQLite's one write lock; on PostgreSQL the instance's row."""
    if db.is_sqlite:
        session.execute(text("UPDATE instances SET updated_at = updated_at"))
    else:
        session.execute(select(Instance).where(Instance.id == instance_id).with_for_update())


def test_while_another_writer_holds_the_lock_reads_go_on_and_writers_get_503(api, db):
    document = bpmn.linear("busy", bpmn.user("办理", 'camunda:candidateGroups="工作组"'))
    api.deploy(("busy.bpmn", document))
    instance_id = api.start("busy", user="gongzuozu").json["id"]
    task_id = api.inbox("gongzuozu")[0]["id"]
    with db.transaction(write=True) as session:
        _hold_the_write_lock(db, session, instance_id)
        # Token checks and reads take no write lock.
        assert api.get("/api/v1/me", user="gongzuozu").status_code == 200
        assert api.get(f"/api/v1/instances/{instance_id}", user="gongzuozu").status_code == 200
        busy = api.complete(task_id, "gongzuozu")
        problem = assert_problem(busy, 503)
        assert busy.headers["Retry-After"].isdigit() and "稍后重试" in problem["detail"]
        if db.is_sqlite:  # the whole database is locked for writers, a login's token too
            assert_problem(_login(api, "gongzuozu", PASSWORD), 503)
    assert api.complete(task_id, "gongzuozu").status_code == 200
