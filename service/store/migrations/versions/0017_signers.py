"""加签 / 减签 (issue 10): the signers of a task, and the holder's submission kept for them

Revision ID: 0017_signers
Revises: 0016_files
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0017_signers"
down_revision = "0016_files"
branch_labels = None
depends_on = None

_AT = service.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signoff", sa.String(length=20), nullable=True))
    op.create_table(
        "task_signers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("position", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("added_at", _AT, nullable=False),
        sa.Column("signed_at", _AT, nullable=True),
        sa.Column("removed_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "username", name="uq_task_signers_task_username"),
    )
    op.create_index("ix_task_signers_instance_id", "task_signers", ["instance_id"])
    op.create_index(
        "ix_task_signers_username_status_added", "task_signers", ["username", "status", "added_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_task_signers_username_status_added", table_name="task_signers")
    op.drop_index("ix_task_signers_instance_id", table_name="task_signers")
    op.drop_table("task_signers")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("signoff")
