"""Public objections from the notice board (issue 13, X-04): receipt codes and the hourly limit

Revision ID: 0020_objection_receipts
Revises: 0019_oa_integration
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0020_objection_receipts"
down_revision = "0019_oa_integration"
branch_labels = None
depends_on = None

_AT = service.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "objection_receipts",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("objection_id", sa.String(length=20), nullable=False),
        sa.Column("check_task_id", sa.String(length=36), nullable=True),
        sa.Column("address_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index(
        "ix_objection_receipts_address_created",
        "objection_receipts",
        ["address_digest", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_objection_receipts_address_created", table_name="objection_receipts")
    op.drop_table("objection_receipts")
