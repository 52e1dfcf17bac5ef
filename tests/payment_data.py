"""Invoices and credit notes written straight into the database, for the tests of payments and balances
(the invoice core's ``issue_invoice`` makes real ones from orders; these need only totals and dates)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Customer, Invoice
from wholesale.models.invoicing import CREDIT_NOTE, INVOICE


def _next_value(kind: str) -> int:
    return (db.session.scalar(select(func.max(Invoice.sequence_value)).where(Invoice.kind == kind)) or 0) + 1


def make_invoice(
    customer: Customer, total: str | Decimal, issued_on: date, terms_days: int = 14, **fields
) -> Invoice:
    value = _next_value(INVOICE)
    total = Decimal(total)
    invoice = Invoice(
        kind=INVOICE,
        number=f"T-INV-{value:05d}",
        sequence_value=value,
        customer_id=customer.id,
        issued_on=issued_on,
        terms_days=terms_days,
        due_on=issued_on + timedelta(days=terms_days),
        bill_to_name=customer.business_name,
        bill_to_email=fields.pop("bill_to_email", ""),
        subtotal=total,
        discount=Decimal("0"),
        shipping=Decimal("0"),
        tax=Decimal("0"),
        total=total,
        **fields,
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice


def make_credit_note(invoice: Invoice, total: str | Decimal, issued_on: date | None = None) -> Invoice:
    value = _next_value(CREDIT_NOTE)
    total = Decimal(total)
    note = Invoice(
        kind=CREDIT_NOTE,
        number=f"T-CN-{value:05d}",
        sequence_value=value,
        customer_id=invoice.customer_id,
        order_id=invoice.order_id,
        credited_invoice_id=invoice.id,
        issued_on=issued_on or invoice.issued_on,
        terms_days=0,
        due_on=issued_on or invoice.issued_on,
        bill_to_name=invoice.bill_to_name,
        subtotal=total,
        discount=Decimal("0"),
        shipping=Decimal("0"),
        tax=Decimal("0"),
        total=total,
        reason="test",
    )
    db.session.add(note)
    db.session.flush()
    return note
