"""inbox entries: each open task under each holder (role or user) whose inbox it is in, ordered
by creation, so an inbox page is one index range however many tasks are open

Revision ID: 0015_inbox_entries
Revises: 0014_task_operations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0015_inbox_entries"
down_revision = "0014_task_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_entries",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("created_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "holder"),
    )
    op.create_index("ix_inbox_entries_holder_created", "inbox_entries", ["holder", "created_at", "task_id"])
    # The open tasks of today: the assignee's once claimed, else every grant's.
    op.execute(
        "INSERT INTO inbox_entries (task_id, holder, created_at) "
        "SELECT id, 'user:' || assignee, created_at FROM tasks WHERE status = 'open' AND assignee IS NOT NULL"
    )
    op.execute(
        "INSERT INTO inbox_entries (task_id, holder, created_at) "
        "SELECT t.id, g.kind || ':' || g.value, t.created_at FROM tasks t "
        "JOIN task_grants g ON g.task_id = t.id "
        "WHERE t.status = 'open' AND t.assignee IS NULL AND g.kind IN ('role', 'user')"
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_entries_holder_created", table_name="inbox_entries")
    op.drop_table("inbox_entries")
