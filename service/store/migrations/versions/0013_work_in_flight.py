"""work in flight: which instance each worker is advancing, so a killed worker's case is found

Revision ID: 0013_work_in_flight
Revises: 0012_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0013_work_in_flight"
down_revision = "0012_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_in_flight",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("doing", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("started_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_work_in_flight_instance_id", "work_in_flight", ["instance_id"])
    op.create_index("ix_work_in_flight_started_at", "work_in_flight", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_work_in_flight_started_at", table_name="work_in_flight")
    op.drop_index("ix_work_in_flight_instance_id", table_name="work_in_flight")
    op.drop_table("work_in_flight")
