"""uploaded files (issue 10, attachments): their bytes in the database, readable by every replica,
and which cases and tasks refer to each

Revision ID: 0016_files
Revises: 0015_inbox_entries
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0016_files"
down_revision = "0015_inbox_entries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_files_uploaded_by", "files", ["uploaded_by"])
    op.create_table(
        "file_references",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_file_references_file_id", "file_references", ["file_id"])
    op.create_index("ix_file_references_instance_id", "file_references", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_file_references_instance_id", table_name="file_references")
    op.drop_index("ix_file_references_file_id", table_name="file_references")
    op.drop_table("file_references")
    op.drop_index("ix_files_uploaded_by", table_name="files")
    op.drop_table("files")
