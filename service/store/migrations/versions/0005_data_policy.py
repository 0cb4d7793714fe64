"""data policy (X-05): which fields of a process are personal and which roles may read them

Revision ID: 0005_data_policy
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_data_policy"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_policy", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.drop_column("data_policy")
