"""Delivery calendar: each shipping option's delivery weekdays, cut-off and roast day; closed dates; an
order's requested_delivery_date becomes its delivery_date; a draft line's previous price

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 15:30:00

Existing options deliver Monday to Friday, close at 17:00 the day before and roast the day before, which
staff change on the shipping options page. Existing orders keep the date they had (or none).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shipping_option") as batch_op:
        batch_op.add_column(sa.Column("delivery_days", sa.Integer(), nullable=False, server_default="31"))
        batch_op.add_column(sa.Column("cutoff_days_before", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("cutoff_time", sa.Time(), nullable=False, server_default="17:00:00"))
        batch_op.add_column(sa.Column("roast_days_before", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_check_constraint(op.f("ck_shipping_option_delivery_days_range"), "delivery_days BETWEEN 0 AND 127")
        batch_op.create_check_constraint(op.f("ck_shipping_option_cutoff_days_range"), "cutoff_days_before BETWEEN 0 AND 14")
        batch_op.create_check_constraint(op.f("ck_shipping_option_roast_days_range"), "roast_days_before BETWEEN 0 AND 14")
    # The defaults were for the rows already there; new rows get theirs from the model, as every column does.
    with op.batch_alter_table("shipping_option") as batch_op:
        for column in ("delivery_days", "cutoff_days_before", "cutoff_time", "roast_days_before"):
            batch_op.alter_column(column, server_default=None)
    with op.batch_alter_table("order") as batch_op:
        batch_op.alter_column("requested_delivery_date", new_column_name="delivery_date")
    with op.batch_alter_table("order_line") as batch_op:
        batch_op.add_column(sa.Column("previous_unit_price", sa.Integer(), nullable=True))
    op.create_table(
        "closed_date",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closed_date")),
        sa.UniqueConstraint("day", name=op.f("uq_closed_date_day")),
    )


def downgrade():
    op.drop_table("closed_date")
    with op.batch_alter_table("order_line") as batch_op:
        batch_op.drop_column("previous_unit_price")
    with op.batch_alter_table("order") as batch_op:
        batch_op.alter_column("delivery_date", new_column_name="requested_delivery_date")
    with op.batch_alter_table("shipping_option") as batch_op:
        batch_op.drop_constraint(op.f("ck_shipping_option_roast_days_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_shipping_option_cutoff_days_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_shipping_option_delivery_days_range"), type_="check")
        for column in ("roast_days_before", "cutoff_time", "cutoff_days_before", "delivery_days"):
            batch_op.drop_column(column)
