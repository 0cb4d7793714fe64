"""starting rights kept per process version; failed logins kept for throttling

Revision ID: 0011_hardening
Revises: 0009_deployment_name
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0011_hardening"
down_revision = "0009_deployment_name"
branch_labels = None
depends_on = None

# Frozen here: what service/engine/parser.py reads from the BPMN, read back from the stored specs
# of versions deployed before this revision (their diagrams cannot declare xuanpin:startFields).
_VARIABLE = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")
_ASSIGNMENT = ("camunda:candidateGroups", "camunda:candidateUsers", "camunda:assignee")


def _items(value: object) -> list[str]:
    return [item.strip() for item in str(value or "").split(",") if item.strip()]


def _start_rights(spec_text: str) -> dict[str, list[str]]:
    stored = json.loads(spec_text)
    main, called = stored["spec"], stored.get("subprocess_specs", {})
    # The process itself and its embedded subprocesses (not the processes it calls).
    own, pending = {id(main)}, [main]
    while pending:
        for task in pending.pop()["task_specs"].values():
            embedded = called.get(task.get("spec")) if task.get("typename") != "CallActivity" else None
            if embedded is not None and id(embedded) not in own:
                own.add(id(embedded))
                pending.append(embedded)
    roles, fields = set(), set()
    for spec in [main, *called.values()]:
        for task in spec["task_specs"].values():
            if id(spec) in own and task.get("lane"):
                roles.add(task["lane"])
            if task.get("typename") != "UserTask":
                continue
            for name in _ASSIGNMENT:
                for item in _items((task.get("extensions") or {}).get(name)):
                    match = _VARIABLE.match(item)
                    if match:
                        fields.add(match.group(1))
                    elif name == "camunda:candidateGroups" and id(spec) in own:
                        roles.add(item)
    return {"roles": sorted(roles), "assignment_fields": sorted(fields), "start_fields": []}


def upgrade() -> None:
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_rights", sa.JSON(), nullable=True))
    definitions = sa.table(
        "process_definitions",
        sa.column("id", sa.Integer()),
        sa.column("spec", sa.Text()),
        sa.column("start_rights", sa.JSON()),
    )
    connection = op.get_bind()
    for row_id, spec in connection.execute(sa.select(definitions.c.id, definitions.c.spec)).all():
        connection.execute(
            definitions.update().where(definitions.c.id == row_id).values(start_rights=_start_rights(spec))
        )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_username_at", "login_failures", ["username", "at"], unique=False)
    op.create_index("ix_login_failures_address_at", "login_failures", ["address", "at"], unique=False)
    op.create_index("ix_login_failures_at", "login_failures", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_failures_at", table_name="login_failures")
    op.drop_index("ix_login_failures_address_at", table_name="login_failures")
    op.drop_index("ix_login_failures_username_at", table_name="login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.drop_column("start_rights")
