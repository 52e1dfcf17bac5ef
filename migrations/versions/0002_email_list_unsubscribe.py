"""email.list_unsubscribe: the address a reminder's List-Unsubscribe header names

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 14:25:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("email") as batch_op:
        batch_op.add_column(sa.Column("list_unsubscribe", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("email") as batch_op:
        batch_op.drop_column("list_unsubscribe")
