"""invoices: numbered invoices and credit notes with their lines, their sequences, payments and their
allocations, overdue reminders; a customer's payment terms and tax exemption, a product's tax rate, an
email's attached invoice

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoice_sequence',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('next_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_invoice_sequence'))
    )
    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('bank transfer', 'card', 'cash', 'cheque', 'other')", name=op.f('ck_payment_method_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payment_amount_positive')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_payment_customer_id_customer')),
    sa.ForeignKeyConstraint(['recorded_by_staff_id'], ['staff_user.id'], name=op.f('fk_payment_recorded_by_staff_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_received_on'), ['received_on'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('sequence_value', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('credited_invoice_id', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('terms_days', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('bill_to_name', sa.String(length=160), nullable=False),
    sa.Column('bill_to_email', sa.String(length=254), nullable=False),
    sa.Column('bill_to_address', sa.Text(), nullable=False),
    sa.Column('prices_include_tax', sa.Boolean(), nullable=False),
    sa.Column('tax_exempt_certificate', sa.String(length=80), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', sa.Integer(), nullable=False),
    sa.Column('discount', sa.Integer(), nullable=False),
    sa.Column('shipping', sa.Integer(), nullable=False),
    sa.Column('tax', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('issued_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'invoice' AND credited_invoice_id IS NULL) OR (kind = 'credit_note' AND credited_invoice_id IS NOT NULL)", name=op.f('ck_invoice_credit_note_credits_an_invoice')),
    sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f('ck_invoice_kind_known')),
    sa.CheckConstraint('subtotal >= 0 AND discount >= 0 AND shipping >= 0 AND tax >= 0', name=op.f('ck_invoice_parts_not_negative')),
    sa.CheckConstraint('terms_days >= 0', name=op.f('ck_invoice_terms_not_negative')),
    sa.CheckConstraint('total >= 0', name=op.f('ck_invoice_total_not_negative')),
    sa.ForeignKeyConstraint(['credited_invoice_id'], ['invoice.id'], name=op.f('fk_invoice_credited_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_invoice_customer_id_customer')),
    sa.ForeignKeyConstraint(['issued_by_staff_id'], ['staff_user.id'], name=op.f('fk_invoice_issued_by_staff_id_staff_user')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_invoice_order_id_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('kind', 'sequence_value', name=op.f('uq_invoice_kind_sequence_value')),
    sa.UniqueConstraint('number', name=op.f('uq_invoice_number'))
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_credited_invoice_id'), ['credited_invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_issued_on'), ['issued_on'], unique=False)
        batch_op.create_index('uq_invoice_one_per_order', ['order_id'], unique=True, sqlite_where=sa.text("kind = 'invoice'"), postgresql_where=sa.text("kind = 'invoice'"))

    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('discount', sa.Integer(), nullable=False),
    sa.Column('tax_name', sa.String(length=40), nullable=False),
    sa.Column('tax_rate', sa.Integer(), nullable=False),
    sa.Column('tax', sa.Integer(), nullable=False),
    sa.Column('is_shipping', sa.Boolean(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_invoice_line_quantity_positive')),
    sa.CheckConstraint('unit_price >= 0 AND amount >= 0 AND discount >= 0 AND tax >= 0', name=op.f('ck_invoice_line_not_negative')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_line_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_line')),
    sa.UniqueConstraint('invoice_id', 'position', name=op.f('uq_invoice_line_invoice_id_position'))
    )
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_line_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('overdue_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('step_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_overdue_reminder_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_overdue_reminder')),
    sa.UniqueConstraint('invoice_id', 'step_days', name=op.f('uq_overdue_reminder_invoice_id_step_days'))
    )
    op.create_table('payment_allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payment_allocation_amount_positive')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_payment_allocation_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_allocation_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_allocation')),
    sa.UniqueConstraint('payment_id', 'invoice_id', name=op.f('uq_payment_allocation_payment_id_invoice_id'))
    )
    with op.batch_alter_table('payment_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_allocation_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_allocation_payment_id'), ['payment_id'], unique=False)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_terms_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tax_exempt_certificate', sa.String(length=80), server_default='', nullable=False))

    with op.batch_alter_table('email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_email_invoice_id_invoice'), 'invoice', ['invoice_id'], ['id'])

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_rate_name', sa.String(length=40), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('tax_rate_name')

    with op.batch_alter_table('email', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_email_invoice_id_invoice'), type_='foreignkey')
        batch_op.drop_column('invoice_id')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('tax_exempt_certificate')
        batch_op.drop_column('payment_terms_days')

    with op.batch_alter_table('payment_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_allocation_payment_id'))
        batch_op.drop_index(batch_op.f('ix_payment_allocation_invoice_id'))

    op.drop_table('payment_allocation')
    op.drop_table('overdue_reminder')
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_line_invoice_id'))

    op.drop_table('invoice_line')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('uq_invoice_one_per_order', sqlite_where=sa.text("kind = 'invoice'"), postgresql_where=sa.text("kind = 'invoice'"))
        batch_op.drop_index(batch_op.f('ix_invoice_issued_on'))
        batch_op.drop_index(batch_op.f('ix_invoice_due_on'))
        batch_op.drop_index(batch_op.f('ix_invoice_customer_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_credited_invoice_id'))

    op.drop_table('invoice')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_received_on'))
        batch_op.drop_index(batch_op.f('ix_payment_customer_id'))

    op.drop_table('payment')
    op.drop_table('invoice_sequence')
