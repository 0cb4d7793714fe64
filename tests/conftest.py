"""Test fixtures: a real database (SQLite file, or PostgreSQL from TEST_DATABASE_URL),
migrated once per worker, emptied between tests; the app is driven over HTTP through
Flask's test client, the way an OA system would call it."""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from service import create_app
from service.config import Settings
from service.domain.own_records import check_digit
from service.security import hash_password, id_number_digest
from service.services import calendar as calendar_service
from service.services import organisations
from service.services.calendar import SEED, seed_from_chinesecalendar
from service.services.organisations import DEFAULT_ORGANISATION_ID
from service.store.db import Database
from service.store.migrate import upgrade
from service.store.models import (
    ApiToken,
    Base,
    CalendarDay,
    CalendarYear,
    Organisation,
    Role,
    RoleGrant,
    User,
)
from service.timeutil import SHANGHAI, utcnow

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSWORD = "test-pass-123"

# username -> (roles, admin). Created once per worker; kept across tests.
USERS: dict[str, tuple[list[str], bool]] = {
    "admin": ([], True),
    # 奉化 FH and 人员备案
    "renshi": (["企业人事"], False),
    "renshi2": (["企业人事"], False),
    "jituan": (["区属集团"], False),
    "guozi": (["区国资管理中心"], False),
    **{f"kaoguan{i}": (["考官"], False) for i in range(1, 4)},
    **{f"yingpin{i}": (["应聘者"], False) for i in range(1, 4)},
    # across procedures
    "jijian": (["纪检监督"], False),
    "gongzuozu": (["工作组"], False),
    "pingwei": (["评委"], False),
    **{f"pingwei{i}": (["评委", "面试评审组"], False) for i in range(1, 8)},
    # 揭榜挂帅 JB
    "dangweigongzuobu": (["党委工作部"], False),
    "jifenyuan": (["计分员"], False),
    "dangwei": (["党委"], False),
    "mingti1": (["命题人"], False),
    "danggongbu": (["党工部"], False),
    "shuibeng": (["水泵公司党委"], False),
    **{f"jiebangren{i}": (["揭榜人"], False) for i in range(1, 4)},
    # 开发区 KF
    "lingdaoban": (["领导小组办公室"], False),
    "lingdaozu": (["领导小组"], False),
    "kaochazu": (["考察组"], False),
    "danggongwei": (["党工委"], False),
    **{f"jingpin{i}": (["竞聘者"], False) for i in range(1, 4)},
    # 省属 SS
    "qiyedangwei": (["企业党委"], False),
    "dongshihui": (["董事会"], False),
    "timingwei": (["董事会提名委员会"], False),
    "zongjingli": (["总经理"], False),
    "shengguoziwei": (["省国资委"], False),
    "zuzhibu": (["省委组织部"], False),
    "shengweilingdao": (["省委领导"], False),
    **{f"houxuanren{i}": (["候选人"], False) for i in range(1, 3)},
    # no role of any procedure
    "li": ([], False),
    "outsider": (["无关角色"], False),
}


def id_number_for(name: str) -> str:
    """A stable 18-digit ID number, with a valid check digit, for a test applicant known by name."""
    first17 = f"2105021985061{zlib.crc32(name.encode()) % 10000:04d}"
    return first17 + check_digit(first17)


# Candidate accounts linked to the ID numbers the procedure tests register;
# jiebangren3 stays unlinked.
CANDIDATE_ID_NUMBERS = {
    "jiebangren1": id_number_for("张建国"),
    "jiebangren2": id_number_for("李明华"),
    "jingpin1": "210503198603152217",  # 王晓东 (test_kaifaqu)
    "jingpin2": "210503199205214421",  # 赵静
    "houxuanren1": "210102197805150030",  # 张伟 (test_shengshu)
    "houxuanren2": "110105198203094422",  # 李娜
    "yingpin1": "330283199503120012",  # 王晓东 (test_fenghua)
    "yingpin2": "330283199807250027",  # 李静怡
}
assert len(set(CANDIDATE_ID_NUMBERS.values())) == len(CANDIDATE_ID_NUMBERS)
# The calendar is seeded by upgrade() once per worker; reset_calendar undoes a test's overrides.
pytest_plugins = ["tests.live"]

KEPT_TABLES = {
    "users",
    "roles",
    "user_roles",
    "api_tokens",
    "calendar_days",
    "calendar_years",
    "organisations",
}


def _admin_dsn(base: str) -> str:
    return make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)


# The tests are written against the official calendar as published up to 2026 (2027 is "a year
# without data" in them); a chinesecalendar release adding 2027 must not change their meaning.
LAST_OFFICIAL_YEAR = 2026


@pytest.fixture(scope="session", autouse=True)
def official_calendar_until_2026() -> Iterator[None]:
    every_day, every_year = calendar_service.seed_days(), calendar_service.seed_years()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            calendar_service,
            "seed_days",
            lambda: {day: kind for day, kind in every_day.items() if day.year <= LAST_OFFICIAL_YEAR},
        )
        patch.setattr(
            calendar_service,
            "seed_years",
            lambda: range(every_year.start, min(every_year.stop, LAST_OFFICIAL_YEAR + 1)),
        )
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A schema of its own per test process on PostgreSQL, so parallel runs never collide."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    schema = f"xp_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    with postgres_schema(base, schema) as url:
        yield url


@contextmanager
def postgres_schema(base: str, schema: str) -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a schema of their own, dropped afterwards."""
    with psycopg.connect(_admin_dsn(base), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    with psycopg.connect(_admin_dsn(base), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    db = Database(database_url)
    upgrade(db)
    _add_users(db)
    db.dispose()
    return database_url


def _add_users(db: Database) -> None:
    """All test users share one argon2 hash: hashing fifty times would cost the suite seconds."""
    password_hash = hash_password(PASSWORD)
    with db.transaction(write=True) as session:
        roles = {name: Role(name=name) for name in {r for rs, _ in USERS.values() for r in rs}}
        session.add_all(roles.values())
        for username, (names, admin) in USERS.items():
            session.add(
                User(
                    username=username,
                    display_name=username,
                    password_hash=password_hash,
                    is_admin=admin,
                    grants=[
                        RoleGrant(role=roles[name], organisation_id=DEFAULT_ORGANISATION_ID) for name in names
                    ],
                    id_number_digest=(
                        id_number_digest(CANDIDATE_ID_NUMBERS[username])
                        if username in CANDIDATE_ID_NUMBERS
                        else None
                    ),
                )
            )


@pytest.fixture()
def settings(migrated: str) -> Settings:
    # Tokens outlive the years tests travel through; test_auth checks expiry against this value.
    # Scripts get 2 s: a loaded 2-core CI machine must not turn an ordinary step into a timeout
    # (the limit's own tests use hostile scripts that run for far longer).
    return Settings(
        database_url=migrated,
        scheduler_enabled=False,
        script_time_limit_seconds=2.0,
        token_ttl_hours=24 * 365 * 5,
    )


@pytest.fixture()
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings)
    yield application
    db: Database = application.extensions["xuanpin"].db
    reset_calendar(db)  # first: re-seeding may write an audit event, cleared below
    with db.engine.begin() as connection:
        # The database refuses to delete audit events; the test database lifts its guard for the
        # emptying only, in the same transaction, and puts back exactly what the migration made.
        guards = _lift_audit_guards(connection)
        _forget_organisations(connection)
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                connection.execute(table.delete())
        _drop_test_organisations(connection)
        _restore_audit_guards(connection, guards)
    db.dispose()


def _drop_test_organisations(connection: Connection) -> None:
    others = Organisation.id != DEFAULT_ORGANISATION_ID
    connection.execute(Organisation.__table__.update().where(others).values(parent_id=None))
    connection.execute(Organisation.__table__.delete().where(others))
    organisations.forget_codes()


def _forget_organisations(connection: Connection) -> None:
    """Users are kept across tests; what a test placed in its own organisations is not: the
    tree goes back to the default organisation alone."""
    connection.execute(
        RoleGrant.__table__.delete().where(RoleGrant.organisation_id != DEFAULT_ORGANISATION_ID)
    )
    connection.execute(User.__table__.update().values(organisation_id=None, admin_organisation_id=None))
    connection.execute(ApiToken.__table__.delete().where(ApiToken.organisation_id.is_not(None)))


def _lift_audit_guards(connection: Connection) -> list[tuple[str, str]]:
    """Drops the triggers guarding audit_events; returns (name, definition) to restore them."""
    if connection.dialect.name == "sqlite":
        guards = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")
        ).all()
        drop = "DROP TRIGGER {}"
    else:
        guards = connection.execute(
            text(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger"
                " WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal"
            )
        ).all()
        drop = "DROP TRIGGER {} ON audit_events"
    assert guards, "audit_events 没有防改防删的触发器（迁移 0012_audit）"
    for name, _definition in guards:
        connection.exec_driver_sql(drop.format(name))
    return [(name, definition) for name, definition in guards]


def _restore_audit_guards(connection: Connection, guards: list[tuple[str, str]]) -> None:
    for _name, definition in guards:
        connection.exec_driver_sql(definition)


@contextmanager
def audit_guard_lifted(db: Database) -> Iterator[Connection]:
    """A connection on which audit events can be changed behind the service's back (tests that
    prove the chain detects it); the guard is back when the block ends."""
    with db.engine.begin() as connection:
        guards = _lift_audit_guards(connection)
        yield connection
        _restore_audit_guards(connection, guards)


def reset_calendar(db: Database) -> None:
    """Back to exactly the chinesecalendar seed: drop overrides and the years they made official."""
    with db.engine.begin() as connection:
        connection.execute(CalendarDay.__table__.delete().where(CalendarDay.source != SEED))
        connection.execute(CalendarYear.__table__.delete().where(CalendarYear.source != SEED))
    seed_from_chinesecalendar(db)


@pytest.fixture()
def db(app: Flask) -> Database:
    return app.extensions["xuanpin"].db


_TOKENS: dict[tuple[str, str], str] = {}


class Api:
    """A thin HTTP client that logs in as a user (tokens cached per database)."""

    def __init__(self, client: FlaskClient, database_url: str) -> None:
        self.client = client
        self.database_url = database_url

    def token(self, username: str) -> str:
        key = (self.database_url, username)
        if key not in _TOKENS:
            response = self.client.post(
                "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.json
            _TOKENS[key] = response.json["access_token"]
        return _TOKENS[key]

    def headers(self, username: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"} if username else {}

    def get(self, path: str, user: str | None = "admin", **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(user), **kwargs)

    def post(self, path: str, user: str | None = "admin", **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.headers(user), **kwargs)

    def put(self, path: str, user: str | None = "admin", **kwargs: Any) -> Any:
        return self.client.put(path, headers=self.headers(user), **kwargs)

    def delete(self, path: str, user: str | None = "admin", **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self.headers(user), **kwargs)

    # Conveniences for the common flows -------------------------------------------------
    def deploy(self, *paths: Path | tuple[str, bytes], user: str = "admin") -> Any:
        files = []
        for item in paths:
            if isinstance(item, tuple):
                name, content = item
            else:
                name, content = item.name, item.read_bytes()
            files.append((io.BytesIO(content), name))
        return self.client.post(
            "/api/v1/definitions",
            headers=self.headers(user),
            data={"files": files},
            content_type="multipart/form-data",
        )

    def start(self, key: str, user: str = "admin", business_key: str | None = None, **data: Any) -> Any:
        body: dict[str, Any] = {"definition_key": key, "data": data}
        if business_key is not None:
            body["business_key"] = business_key
        return self.post("/api/v1/instances", user=user, json=body)

    def inbox(self, user: str, **query: Any) -> list[dict[str, Any]]:
        response = self.get("/api/v1/tasks", user=user, query_string=query)
        assert response.status_code == 200, response.json
        return response.json["items"]

    def complete(self, task_id: str, user: str, **data: Any) -> Any:
        from tests.uploads import with_uploads  # attachments named with pending(filename)

        data = with_uploads(self, user, data)
        return self.post(f"/api/v1/tasks/{task_id}/complete", user=user, json={"data": data})

    def post_publicity(
        self, user: str, riqi: str | None = None, instance_id: str | None = None, expect: int = 200
    ) -> Any:
        """Passes 公示's first step 「登记公示张贴」 (X-04): `user` (the role receiving objections)
        enters the posting date, today's date in Beijing time by default. Returns the response."""
        query = {"instance_id": instance_id} if instance_id else {}
        tasks = [t for t in self.inbox(user, **query) if t["title"] == "登记公示张贴"]
        assert len(tasks) == 1, [t["title"] for t in self.inbox(user, **query)]
        day = riqi or utcnow().astimezone(SHANGHAI).date().isoformat()
        response = self.complete(tasks[0]["id"], user, gongshi_zhangtie_riqi=day)
        assert response.status_code == expect, response.json
        return response


@pytest.fixture()
def api(request: pytest.FixtureRequest, app: Flask, settings: Settings) -> Api:
    """Tests marked `live` talk to a real multi-worker `xuanpin serve` instead (tests/live.py)."""
    if request.node.get_closest_marker("live"):
        return Api(request.getfixturevalue("live_client"), settings.database_url)
    return Api(app.test_client(), settings.database_url)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """Every 4xx is application/problem+json with a human-readable detail."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.content_type.startswith("application/problem+json"), response.content_type
    body = response.json
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def sql_count(db: Database, sql: str, **params: Any) -> int:
    with db.transaction() as session:
        return int(session.execute(text(sql), params).scalar_one())


PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"


def beian_files() -> list[Path]:
    return [PROCESSES / "fenghua_beian.bpmn", *sorted(FORMS.glob("fh_beian_*.schema.json"))]
