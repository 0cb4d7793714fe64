"""The OpenAPI document tells the truth (issue 9, finding 9): schemathesis generates requests
from /openapi.json, sends them to the app as an admin and checks that no answer is a server
error, every answer (error answers included, as problem+json) is documented and matches its
schema, and a request the document allows is not refused as malformed (400/422).

Bounded and deterministic: a few derandomized examples per operation, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete, select

from service.domain.own_records import check_digit
from service.store.db import Database
from service.store.models import Base

EXAMPLES_PER_OPERATION = 12
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
]


# A BPMN diagram or a calendar CSV is judged by its content, which no schema can state: a
# random file is rightly refused with 422. These operations are still checked for everything else.
CONTENT_CHECKED = {
    "POST /api/v1/definitions",
    "POST /engine-rest/deployment/create",
    # A candidate diagram and uploaded test cases too (a case must follow case-format.json).
    "POST /api/v1/definitions/{key}/test-cases/run",
    "POST /api/v1/calendar/import",
    # A subscription's address is an http(s) URL, or an e-mail address when its format is
    # email: a rule between two fields, which OpenAPI 3.0 cannot state.
    "POST /api/v1/webhooks",
    # An upload is judged by its bytes (PDF, JPEG, PNG, OFD, Office): random bytes are rightly 415.
    "POST /api/v1/files",
    # A period whose start falls after its end is refused (422 naming from/to): a rule between
    # two parameters, which OpenAPI 3.0 cannot state.
    "GET /api/v1/audit",
    # `after` takes only a cursor the service gave out as next_cursor (422 otherwise).
    "GET /api/v1/tasks",
    # An organisation code (角色@机构代码, organisation, parent) must name an existing
    # organisation: an invented one is refused with 422 naming the field.
    "POST /api/v1/users",
    "PATCH /api/v1/users/{username}",
    "POST /api/v1/tokens",
    "POST /api/v1/organisations",
    "GET /api/v1/instances",
}


def _with_check_digit(case: Any) -> Any:
    """The document gives an ID number's shape; its check digit (GB 11643, in the description)
    no schema can state, so the generated number gets the right one."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("id_number"), str):
        body["id_number"] = body["id_number"][:17] + check_digit(body["id_number"][:17])
    return case


def _fuzz(operation: Any, headers: dict[str, str], failures: dict[str, str]) -> None:
    checks = [c for c in CHECKS if not (c is positive_data_acceptance and operation.label in CONTENT_CHECKED)]

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy().map(_with_check_digit))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except BaseException as failure:  # the first report per operation is enough to act on
            failures.setdefault(operation.label, f"{operation.label}: {failure}")

    run()


@pytest.fixture()
def accounts_restored(db: Database, api: Any) -> Iterator[None]:
    """The fuzzer creates, changes and revokes users, roles, grants and tokens, which the test
    database keeps across tests (tests/conftest.py KEPT_TABLES): afterwards every row is as it
    was (added ones go, changed and removed ones come back). The admin's token, cached for the
    other tests, is made before."""
    api.token("admin")
    tables = [Base.metadata.tables[name] for name in ("user_roles", "api_tokens", "users", "roles")]

    def rows(connection: Any, table: Any) -> dict[tuple, dict[str, Any]]:
        columns = list(table.primary_key.columns)
        found = connection.execute(select(table)).mappings()
        return {tuple(row[c.name] for c in columns): dict(row) for row in found}

    def where(table: Any, key: tuple) -> list[Any]:
        return [c == v for c, v in zip(table.primary_key.columns, key, strict=True)]

    with db.engine.begin() as connection:
        before = {table.name: rows(connection, table) for table in tables}
    yield
    with db.engine.begin() as connection:
        for table in tables:  # children first
            for key in rows(connection, table).keys() - before[table.name].keys():
                connection.execute(delete(table).where(*where(table, key)))
        for table in reversed(tables):  # parents first
            now = rows(connection, table)
            for key, row in before[table.name].items():
                if key not in now:
                    connection.execute(table.insert().values(**row))
                elif now[key] != row:
                    connection.execute(table.update().where(*where(table, key)).values(**row))


@pytest.mark.usefixtures("accounts_restored")
def test_every_operation_answers_as_documented(app, api) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    headers = api.headers("admin")
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        _fuzz(result.ok(), headers, failures)
    assert not failures, f"{len(failures)} operations:\n" + "\n\n".join(failures.values())
