"""product_option, and order_line.option: a product's per-line choices (a grind), and the one a line chose

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 15:15:00

Existing lines get option '' (their products had no options). The line's unique constraint becomes
(order_id, variant_id, option): the same size with two grinds is two lines.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product_option",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_option_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_option")),
        sa.UniqueConstraint("product_id", "name", name=op.f("uq_product_option_product_id_name")),
    )
    with op.batch_alter_table("product_option") as batch_op:
        batch_op.create_index(batch_op.f("ix_product_option_product_id"), ["product_id"], unique=False)
    with op.batch_alter_table("order_line") as batch_op:
        batch_op.add_column(sa.Column("option", sa.String(length=60), server_default="", nullable=False))
        batch_op.drop_constraint("uq_order_line_order_id_variant_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_order_line_order_id_variant_id_option"), ["order_id", "variant_id", "option"]
        )


def downgrade():
    # Lines that differ only by their option cannot go back to one line per size: refuse rather than guess.
    with op.batch_alter_table("order_line") as batch_op:
        batch_op.drop_constraint("uq_order_line_order_id_variant_id_option", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_order_line_order_id_variant_id"), ["order_id", "variant_id"]
        )
        batch_op.drop_column("option")
    with op.batch_alter_table("product_option") as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_option_product_id"))
    op.drop_table("product_option")
