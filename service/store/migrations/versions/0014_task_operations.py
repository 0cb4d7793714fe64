"""task operations of issue 10: delegation columns, 抄送 items, approval comments, 催办 time

Revision ID: 0014_task_operations
Revises: 0013_work_in_flight
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0014_task_operations"
down_revision = "0013_work_in_flight"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = service.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("delegation", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("draft", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("urged_at", _AT, nullable=True))
    op.create_table(
        "cc_items",
        sa.Column("id", _ID, nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("sent_by", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("read_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cc_items_task_id", "cc_items", ["task_id"])
    op.create_index("ix_cc_items_instance_id", "cc_items", ["instance_id"])
    op.create_index("ix_cc_items_recipient_status_created", "cc_items", ["recipient", "status", "created_at"])
    op.create_table(
        "task_comments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_comments_task_id", "task_comments", ["task_id"])
    op.create_index("ix_task_comments_instance_created", "task_comments", ["instance_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_task_comments_instance_created", table_name="task_comments")
    op.drop_index("ix_task_comments_task_id", table_name="task_comments")
    op.drop_table("task_comments")
    op.drop_index("ix_cc_items_recipient_status_created", table_name="cc_items")
    op.drop_index("ix_cc_items_instance_id", table_name="cc_items")
    op.drop_index("ix_cc_items_task_id", table_name="cc_items")
    op.drop_table("cc_items")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("urged_at")
        batch_op.drop_column("draft")
        batch_op.drop_column("delegation")
        batch_op.drop_column("owner")
