"""customer: the minimum per order (kind, weight, subtotal) and who chose the reminder's day and time

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 15:30:00

Existing customers get "default": the roastery's minimum (ORDER_MINIMUM), which is none until it is set.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customer") as batch_op:
        batch_op.add_column(
            sa.Column("reminder_chosen_by", sa.String(length=300), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("reminder_chosen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("minimum_kind", sa.String(length=16), server_default="default", nullable=False)
        )
        batch_op.add_column(sa.Column("minimum_weight_g", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("minimum_subtotal", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_customer_minimum_kind_known"), "minimum_kind IN ('default', 'none', 'weight', 'subtotal')"
        )
        batch_op.create_check_constraint(
            op.f("ck_customer_minimum_weight_positive"), "minimum_weight_g IS NULL OR minimum_weight_g > 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_customer_minimum_subtotal_positive"), "minimum_subtotal IS NULL OR minimum_subtotal > 0"
        )


def downgrade():
    with op.batch_alter_table("customer") as batch_op:
        batch_op.drop_constraint(op.f("ck_customer_minimum_subtotal_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_customer_minimum_weight_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_customer_minimum_kind_known"), type_="check")
        batch_op.drop_column("minimum_subtotal")
        batch_op.drop_column("minimum_weight_g")
        batch_op.drop_column("minimum_kind")
        batch_op.drop_column("reminder_chosen_at")
        batch_op.drop_column("reminder_chosen_by")
