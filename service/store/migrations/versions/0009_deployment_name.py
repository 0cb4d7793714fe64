"""deployments keep the name and source a client gave them (Camunda Modeler sends both)

Revision ID: 0009_deployment_name
Revises: 0005_data_policy
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_deployment_name"
down_revision = "0005_data_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("source", sa.String(length=100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("name")
