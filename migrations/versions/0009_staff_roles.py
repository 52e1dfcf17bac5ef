"""staff roles and invitations: a role per account (owner or staff), an invited account has no password until
its link is opened, and a credentials version that ends sessions and password links

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:45:00

Every existing account becomes an owner: until now every account could do everything.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), nullable=False, server_default="owner"))
        batch_op.add_column(sa.Column("credentials_version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("invited_by_id", sa.Integer(), nullable=True))
        batch_op.alter_column("password_hash", existing_type=sa.String(length=256), nullable=True)
        batch_op.create_check_constraint(op.f("ck_staff_user_role_known"), "role IN ('owner', 'staff')")
        batch_op.create_foreign_key(
            op.f("fk_staff_user_invited_by_id_staff_user"), "staff_user", ["invited_by_id"], ["id"], ondelete="SET NULL"
        )
    # The defaults were for the rows already there; new rows get theirs from the model, as every column does.
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.alter_column("role", server_default=None)
        batch_op.alter_column("credentials_version", server_default=None)


def downgrade():
    # An invitation not yet accepted has no password to keep: it goes.
    op.execute("DELETE FROM staff_user WHERE password_hash IS NULL")
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.drop_constraint(op.f("fk_staff_user_invited_by_id_staff_user"), type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_staff_user_role_known"), type_="check")
        batch_op.alter_column("password_hash", existing_type=sa.String(length=256), nullable=False)
        batch_op.drop_column("invited_by_id")
        batch_op.drop_column("invited_at")
        batch_op.drop_column("credentials_version")
        batch_op.drop_column("role")
