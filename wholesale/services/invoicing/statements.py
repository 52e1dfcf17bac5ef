"""A customer's statement: what they owe as of today, shown to staff and to the customer, as a page and a PDF.

It lists every open invoice (oldest due first, with what credit notes and payments took off it, its days
past due and aging column), the credit notes and payments of the last ``RECENT_DAYS`` days (and every
payment not wholly allocated, whatever its age: that is the customer's credit), the aging totals and the
account (balance due, overdue, credit, net). The page and the PDF render this one object; neither computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Customer, Invoice, Payment
from ...models.invoicing import CREDIT_NOTE
from . import balances
from .payments import PaymentLine, payment_lines, read_payment_lines

RECENT_DAYS = 90


@dataclass(frozen=True)
class Statement:
    customer: Customer
    today: date
    open_invoices: list[balances.InvoiceBalance]
    credit_notes: list[Invoice]
    payments: list[PaymentLine]
    aging: balances.Aging
    account: balances.Account

    @property
    def since(self) -> date:
        return self.today - timedelta(days=RECENT_DAYS)


def statement(customer: Customer, today: date) -> Statement:
    """The statement of ``customer`` as of ``today``. Six statements, whatever the number of invoices."""
    open_now = balances.open_invoices(customer.id, today)
    since = today - timedelta(days=RECENT_DAYS)
    credit_notes = db.session.scalars(
        select(Invoice)
        .where(Invoice.customer_id == customer.id, Invoice.kind == CREDIT_NOTE, Invoice.issued_on >= since)
        .options(selectinload(Invoice.credited_invoice))
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    ).all()
    unallocated = Payment.amount - balances.allocated_of_payment()
    payments = read_payment_lines(
        payment_lines()
        .where(Payment.customer_id == customer.id, or_(Payment.received_on >= since, unallocated > 0))
        .order_by(Payment.received_on.desc(), Payment.id.desc())
    )
    return Statement(
        customer=customer,
        today=today,
        open_invoices=open_now,
        credit_notes=list(credit_notes),
        payments=payments,
        aging=balances.Aging.of(open_now),
        account=balances.account(customer.id, today),
    )
