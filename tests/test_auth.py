"""Authentication: bearer tokens for people and systems; only health, token and the API
document are public."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from click.testing import CliRunner

from service.cli import main
from tests.conftest import PASSWORD, assert_problem


def test_login_returns_bearer_token(api):
    response = api.client.post("/api/v1/auth/token", json={"username": "renshi", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith("xp_")
    tasks = api.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert tasks.status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_401(api):
    wrong = api.client.post("/api/v1/auth/token", json={"username": "renshi", "password": "nope-nope"})
    unknown = api.client.post("/api/v1/auth/token", json={"username": "nobody", "password": "nope-nope"})
    assert (
        assert_problem(wrong, 401)["detail"] == assert_problem(unknown, 401)["detail"] == "用户名或密码错误"
    )


def test_token_request_missing_fields_is_422_per_field(api):
    body = assert_problem(api.client.post("/api/v1/auth/token", json={"username": "renshi"}), 422)
    assert body["errors"] == {"password": ["必填项"]}


def test_every_endpoint_but_public_ones_needs_a_token(api, app):
    # /readyz: a load balancer's probe carries no token; it says only whether the database answers.
    public = {"/healthz", "/readyz", "/api/v1/auth/token", "/openapi.json", "/docs"}
    # The public notice board (公示栏) and its objection form need no login.
    public_pages = {"web.login", "web.static", "web.home"}
    public_pages |= {"web.notice_board", "web.objection", "web.objection_feedback"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule in public or rule.endpoint in public_pages:
            continue
        path = rule.rule.replace("<string:", "<").replace("<key>", "fenghua_beian")
        # Any other placeholder, whatever its converter (`<int:cc_id>`), gets a value it accepts.
        path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", path)  # `<any(deactivate, reactivate):act>`
        path = re.sub(r"<(?:\w+:)?\w+>", "1", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = api.client.open(path, method=method)
            if rule.endpoint.startswith("web."):
                # Pages: a GET goes to the login page; a POST without the session's CSRF
                # token is refused before anything else.
                expected = (400,) if method == "POST" else (302,)
                assert response.status_code in expected, (rule.rule, method, response.status_code)
                if method == "GET":
                    assert response.headers["Location"].startswith("/login")
                continue
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_public_endpoints(api):
    assert api.client.get("/healthz").json == {"status": "ok"}
    spec = api.client.get("/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    expected = {
        "/api/v1/auth/token",
        "/api/v1/definitions",
        "/api/v1/definitions/{key}",
        "/api/v1/definitions/{key}/xml",
        "/api/v1/instances",
        "/api/v1/instances/{instance_id}",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/claim",
        "/api/v1/tasks/{task_id}/unclaim",
        "/api/v1/tasks/{task_id}/complete",
        "/healthz",
        "/readyz",
        "/metrics",
    }
    assert expected <= set(spec["paths"])
    assert api.client.get("/docs").status_code == 200


def test_garbage_and_malformed_authorization_headers(api):
    for header in ("Bearer", "Basic abc", "Bearer xp_not-a-real-token", "token"):
        assert_problem(api.client.get("/api/v1/tasks", headers={"Authorization": header}), 401)


def test_login_tokens_expire(api, settings):
    token = api.client.post("/api/v1/auth/token", json={"username": "jituan", "password": PASSWORD}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with time_machine.travel(timedelta(hours=settings.token_ttl_hours, minutes=1)):
        body = assert_problem(api.client.get("/api/v1/tasks", headers=headers), 401)
    assert "过期" in body["detail"]


def test_system_token_from_cli_acts_in_its_roles(api, settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["tokens", "create", "泛微OA", "--role", "区属集团"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = api.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    # A system is not an admin unless made one.
    deploy = api.client.post("/api/v1/definitions", headers={"Authorization": f"Bearer {token}"})
    assert_problem(deploy, 403)


def test_passwords_are_hashed_with_argon2(db):
    from sqlalchemy import select

    from service.store.models import User

    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == "renshi"))
        assert user.password_hash.startswith("$argon2")
        assert PASSWORD not in user.password_hash


def test_admin_issues_system_tokens_over_the_api(api):
    body = {"name": "致远OA", "roles": ["区属集团"]}
    assert_problem(api.post("/api/v1/tokens", user="renshi", json=body), 403)
    created = api.post("/api/v1/tokens", json=body)
    assert created.status_code == 201 and created.json["roles"] == ["区属集团"]
    headers = {"Authorization": f"Bearer {created.json['access_token']}"}
    assert api.client.get("/api/v1/tasks", headers=headers).status_code == 200
    assert_problem(api.post("/api/v1/tokens", json={"roles": []}), 422)


def test_tokens_are_stored_hashed(api, db):
    created = api.post("/api/v1/tokens", json={"name": "钉钉"}).json
    with db.transaction() as session:
        from sqlalchemy import select

        from service.store.models import ApiToken

        hashes = session.scalars(select(ApiToken.token_hash)).all()
    assert created["access_token"] not in hashes and all(len(h) == 64 for h in hashes)
