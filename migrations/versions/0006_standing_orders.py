"""standing orders: standing_order, its lines and its deliveries; an order's channel may be "standing"

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 17:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "standing_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("shipping_option_id", sa.Integer(), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("first_delivery", sa.Date(), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("changed_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("every_weeks IN (1, 2, 4)", name=op.f("ck_standing_order_every_weeks_known")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_standing_order_customer_id_customer")),
        sa.ForeignKeyConstraint(
            ["shipping_option_id"], ["shipping_option.id"], name=op.f("fk_standing_order_shipping_option_id_shipping_option")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_order")),
    )
    op.create_index(op.f("ix_standing_order_customer_id"), "standing_order", ["customer_id"], unique=False)
    op.create_table(
        "standing_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standing_order_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("option", sa.String(length=60), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_standing_order_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["standing_order_id"], ["standing_order.id"], name=op.f("fk_standing_order_line_standing_order_id_standing_order")
        ),
        sa.ForeignKeyConstraint(["variant_id"], ["variant.id"], name=op.f("fk_standing_order_line_variant_id_variant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_order_line")),
        sa.UniqueConstraint(
            "standing_order_id", "variant_id", "option", name=op.f("uq_standing_order_line_standing_order_id_variant_id_option")
        ),
    )
    op.create_index(
        op.f("ix_standing_order_line_standing_order_id"), "standing_order_line", ["standing_order_id"], unique=False
    )
    op.create_index(op.f("ix_standing_order_line_variant_id"), "standing_order_line", ["variant_id"], unique=False)
    op.create_table(
        "standing_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standing_order_id", sa.Integer(), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("previewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('placed', 'skipped')", name=op.f("ck_standing_delivery_outcome_known")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_standing_delivery_order_id_order")),
        sa.ForeignKeyConstraint(
            ["standing_order_id"], ["standing_order.id"], name=op.f("fk_standing_delivery_standing_order_id_standing_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_delivery")),
        sa.UniqueConstraint("standing_order_id", "delivery_date", name=op.f("uq_standing_delivery_standing_order_id_delivery_date")),
    )
    op.create_index(op.f("ix_standing_delivery_delivery_date"), "standing_delivery", ["delivery_date"], unique=False)
    op.create_index(op.f("ix_standing_delivery_order_id"), "standing_delivery", ["order_id"], unique=False)
    with op.batch_alter_table("order") as batch_op:
        batch_op.drop_constraint(op.f("ck_order_channel_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_order_channel_known"), "channel IN ('portal', 'staff', 'standing')")


def downgrade():
    with op.batch_alter_table("order") as batch_op:
        batch_op.drop_constraint(op.f("ck_order_channel_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_order_channel_known"), "channel IN ('portal', 'staff')")
    op.drop_table("standing_delivery")
    op.drop_table("standing_order_line")
    op.drop_table("standing_order")
