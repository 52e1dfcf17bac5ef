"""indexes for the week board and the roast forecast: orders by delivery date, reminders by occurrence

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:10:00
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_order_delivery_date", "order", ["delivery_date"], unique=False)
    op.create_index("ix_reminder_send_occurrence_at", "reminder_send", ["occurrence_at"], unique=False)


def downgrade():
    op.drop_index("ix_reminder_send_occurrence_at", table_name="reminder_send")
    op.drop_index("ix_order_delivery_date", table_name="order")
