"""own records (X-03): candidate accounts linked by ID number, and what each candidate may see

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_number_digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_users_id_number_digest", ["id_number_digest"])
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("own_records", sa.JSON(), nullable=True))
    op.create_table(
        "own_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("id_number_digest", sa.String(length=64), nullable=False),
        sa.Column("person_name", sa.String(length=100), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("updated_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "id_number_digest", name="uq_own_records_instance_person"),
    )
    op.create_index("ix_own_records_person", "own_records", ["id_number_digest", "updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_own_records_person", table_name="own_records")
    op.drop_table("own_records")
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.drop_column("own_records")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_id_number_digest", type_="unique")
        batch_op.drop_column("id_number_digest")
