"""Invoices and credit notes written straight into the database, for the tests of payments and balances
(the invoice core's ``issue_invoice`` makes real ones from orders; these need only totals and dates)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Customer, Invoice
from wholesale.models.invoicing import CREDIT_NOTE, INVOICE


def _document(kind: str, customer_id: int, total: str | Decimal, **fields) -> Invoice:
    value = (db.session.scalar(select(func.max(Invoice.sequence_value)).where(Invoice.kind == kind)) or 0) + 1
    total = Decimal(total)
    zero = Decimal("0")
    document = Invoice(
        kind=kind,
        number=f"T-{'INV' if kind == INVOICE else 'CN'}-{value:05d}",
        sequence_value=value,
        customer_id=customer_id,
        subtotal=total,
        discount=zero,
        shipping=zero,
        tax=zero,
        total=total,
        **fields,
    )
    db.session.add(document)
    db.session.flush()
    return document


def make_invoice(
    customer: Customer, total: str | Decimal, issued_on: date, terms_days: int = 14, **fields
) -> Invoice:
    return _document(
        INVOICE,
        customer.id,
        total,
        issued_on=issued_on,
        terms_days=terms_days,
        due_on=issued_on + timedelta(days=terms_days),
        bill_to_name=customer.business_name,
        **fields,
    )


def make_credit_note(invoice: Invoice, total: str | Decimal, issued_on: date | None = None) -> Invoice:
    return _document(
        CREDIT_NOTE,
        invoice.customer_id,
        total,
        order_id=invoice.order_id,
        credited_invoice_id=invoice.id,
        issued_on=issued_on or invoice.issued_on,
        terms_days=0,
        due_on=issued_on or invoice.issued_on,
        bill_to_name=invoice.bill_to_name,
        reason="test",
    )
