"""Organisations (issue 12): the tree, roles held in an organisation, cases belonging to one

Every existing role grant, case and task moves to one default organisation (code `default`), so
a deployment that never creates another behaves as before.

Revision ID: 0018_organisations
Revises: 0017_signers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.store.models

revision = "0018_organisations"
down_revision = "0017_signers"
branch_labels = None
depends_on = None

_AT = service.store.models.UTCDateTime(timezone=True)
DEFAULT_ID = 1


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), server_default="", nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_organisations_parent_id", "organisations", ["parent_id"])
    op.create_index("ix_organisations_path", "organisations", ["path"])
    op.get_bind().execute(
        sa.text(
            "INSERT INTO organisations (id, code, name, kind, parent_id, path, created_at) "
            "VALUES (:id, 'default', '本单位', '', NULL, :path, CURRENT_TIMESTAMP)"
        ),
        {"id": DEFAULT_ID, "path": f"/{DEFAULT_ID}/"},
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('organisations', 'id'), 1)")

    op.create_table(
        "role_grants_new",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("with_subordinates", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role_id", "organisation_id"),
    )
    op.execute(
        "INSERT INTO role_grants_new (user_id, role_id, organisation_id, with_subordinates) "
        f"SELECT user_id, role_id, {DEFAULT_ID}, false FROM user_roles"
    )
    op.drop_table("user_roles")
    op.rename_table("role_grants_new", "user_roles")
    op.create_index("ix_user_roles_role_organisation", "user_roles", ["role_id", "organisation_id"])

    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("admin_organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_users_organisation", "organisations", ["organisation_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_users_admin_organisation", "organisations", ["admin_organisation_id"], ["id"]
        )
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_api_tokens_organisation", "organisations", ["organisation_id"], ["id"]
        )

    with op.batch_alter_table("instances") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE instances SET organisation_id = {DEFAULT_ID}")
    with op.batch_alter_table("instances") as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key("fk_instances_organisation", "organisations", ["organisation_id"], ["id"])
        batch_op.create_index(
            "ix_instances_organisation_status_created", ["organisation_id", "status", "created_at"]
        )

    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE tasks SET organisation_id = {DEFAULT_ID}")
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("task_grants") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE task_grants SET organisation_id = {DEFAULT_ID} WHERE kind = 'role'")
    op.execute(f"UPDATE inbox_entries SET holder = holder || '@{DEFAULT_ID}' WHERE holder LIKE 'role:%'")


def downgrade() -> None:
    op.execute("DELETE FROM inbox_entries WHERE holder LIKE 'role:%' AND holder NOT LIKE '%@1'")
    op.execute(
        "UPDATE inbox_entries SET holder = substr(holder, 1, length(holder) - 2) WHERE holder LIKE 'role:%'"
    )
    with op.batch_alter_table("task_grants") as batch_op:
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("instances") as batch_op:
        batch_op.drop_index("ix_instances_organisation_status_created")
        batch_op.drop_constraint("fk_instances_organisation", type_="foreignkey")
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_constraint("fk_api_tokens_organisation", type_="foreignkey")
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("fk_users_admin_organisation", type_="foreignkey")
        batch_op.drop_constraint("fk_users_organisation", type_="foreignkey")
        batch_op.drop_column("admin_organisation_id")
        batch_op.drop_column("organisation_id")
    op.create_table(
        "user_roles_old",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role_id"),
    )
    op.execute("INSERT INTO user_roles_old SELECT DISTINCT user_id, role_id FROM user_roles")
    op.drop_index("ix_user_roles_role_organisation", table_name="user_roles")
    op.drop_table("user_roles")
    op.rename_table("user_roles_old", "user_roles")
    op.drop_index("ix_organisations_path", table_name="organisations")
    op.drop_index("ix_organisations_parent_id", table_name="organisations")
    op.drop_table("organisations")
