"""audit trail made tamper-evident: events hash-chained (globally and per case), the events
already recorded chained in id order, the chain head, and triggers refusing UPDATE and DELETE

Revision ID: 0012_audit
Revises: 0009_deployment_name
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0012_audit"
down_revision = "0011_hardening"
branch_labels = None
depends_on = None

# Frozen here: the chain format of service/domain/audit_chain.py when this revision was written.
GENESIS = "0" * 64
_BATCH = 1000

_SQLITE_GUARDS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events: 审计记录只能追加，不能修改'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events: 审计记录只能追加，不能删除'); END",
)
_POSTGRES_GUARDS = (
    """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events: 审计记录只能追加，不能修改或删除（%）', TG_OP;
END
$$""",
    "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
)


def _hash(seq, at, actor, action, instance_id, task_id, detail, prev_hash, instance_prev_hash) -> str:
    fields = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "instance_id": instance_id,
        "task_id": task_id,
        "detail": detail,
        "prev_hash": prev_hash,
        "instance_prev_hash": instance_prev_hash,
    }
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _events() -> sa.TableClause:
    return sa.table(
        "audit_events",
        sa.column("id", sa.BigInteger()),
        sa.column("seq", sa.BigInteger()),
        sa.column("at", service.store.models.UTCDateTime(timezone=True)),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("instance_id", sa.String()),
        sa.column("task_id", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("instance_prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )


def _chain_existing_events(connection: sa.Connection) -> tuple[int, str]:
    """Events recorded before this revision, chained in the order they were written (id)."""
    events = _events()
    rows = connection.execute(
        sa.select(
            events.c.id,
            events.c.at,
            events.c.actor,
            events.c.action,
            events.c.instance_id,
            events.c.task_id,
            events.c.detail,
        ).order_by(events.c.id)
    ).all()
    update = (
        events.update()
        .where(events.c.id == sa.bindparam("b_id"))
        .values(
            seq=sa.bindparam("b_seq"),
            prev_hash=sa.bindparam("b_prev"),
            instance_prev_hash=sa.bindparam("b_instance_prev"),
            hash=sa.bindparam("b_hash"),
        )
    )
    seq, previous, last_of_case = 0, GENESIS, {}
    batch = []
    for row in rows:
        seq += 1
        detail = row.detail if row.detail is not None else {}
        instance_prev = last_of_case.get(row.instance_id, GENESIS) if row.instance_id else None
        digest = _hash(
            seq, row.at, row.actor, row.action, row.instance_id, row.task_id, detail, previous, instance_prev
        )
        batch.append(
            {
                "b_id": row.id,
                "b_seq": seq,
                "b_prev": previous,
                "b_instance_prev": instance_prev,
                "b_hash": digest,
            }
        )
        previous = digest
        if row.instance_id:
            last_of_case[row.instance_id] = digest
        if len(batch) >= _BATCH:
            connection.execute(update, batch)
            batch = []
    if batch:
        connection.execute(update, batch)
    return seq, previous


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("instance_prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    seq, last_hash = _chain_existing_events(connection)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column(
            "seq", existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        )
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_index("ix_audit_events_instance_id")
        batch_op.create_index("uq_audit_events_seq", ["seq"], unique=True)
        batch_op.create_index("ix_audit_events_instance_seq", ["instance_id", "seq"], unique=False)
        batch_op.create_index("ix_audit_events_at", ["at"], unique=False)

    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": seq, "hash": last_hash}])

    for statement in _SQLITE_GUARDS if connection.dialect.name == "sqlite" else _POSTGRES_GUARDS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_at")
        batch_op.drop_index("ix_audit_events_instance_seq")
        batch_op.drop_index("uq_audit_events_seq")
        batch_op.drop_column("hash")
        batch_op.drop_column("instance_prev_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.create_index("ix_audit_events_instance_id", ["instance_id"], unique=False)
