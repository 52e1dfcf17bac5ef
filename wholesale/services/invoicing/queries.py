"""What the invoice pages (and the PDF, which prints the same page) read: one read model each."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Customer, Invoice
from ...models.invoicing import CREDIT_NOTE, INVOICE
from ...models.orders import order_number
from .credit_notes import CreditableLine, credit_notes_of, creditable_lines

KINDS = {"invoice": INVOICE, "credit_note": CREDIT_NOTE}
PAGE_SIZE = 50


@dataclass
class InvoiceView:
    """An invoice or credit note as printed: the document, the credit notes against it (an invoice) or the
    invoice it credits (a credit note), and each line with what is left to credit."""

    invoice: Invoice
    credit_notes: list[Invoice]
    lines: list[CreditableLine]

    @property
    def credited(self) -> Decimal:
        return sum((note.total for note in self.credit_notes), Decimal("0.00"))

    @property
    def creditable(self) -> bool:
        return not self.invoice.is_credit_note and any(entry.left > 0 for entry in self.lines)

    @property
    def order_cancelled_since(self) -> bool:
        """The invoiced order was cancelled (or merged into another): a credit note should credit it."""
        order = self.invoice.order
        return not self.invoice.is_credit_note and order is not None and order.status == "cancelled"

    @property
    def order_changed_since(self) -> bool:
        """The order no longer says what its invoice says (it was edited after issue): the invoice stands,
        and a credit note corrects it."""
        order, invoice = self.invoice.order, self.invoice
        if invoice.is_credit_note or order is None or order.status == "cancelled":
            return False
        return (order.subtotal, order.total) != (
            invoice.subtotal,
            invoice.subtotal - invoice.discount + invoice.shipping,
        )


def document(invoice_id: int, customer_id: int | None = None) -> Invoice | None:
    """The invoice or credit note with this id and its lines (only the customer's own when ``customer_id``
    is given), or None: what its PDF prints."""
    query = (
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(
            selectinload(Invoice.lines),
            joinedload(Invoice.order),
            joinedload(Invoice.credited_invoice),
        )
    )
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    return db.session.scalar(query)


def invoice_view(invoice_id: int, customer_id: int | None = None) -> InvoiceView | None:
    """The document with this id (only the customer's own when ``customer_id`` is given), or None."""
    invoice = document(invoice_id, customer_id)
    if invoice is None:
        return None
    if invoice.is_credit_note:
        return InvoiceView(invoice, [], [CreditableLine(line, line.quantity) for line in invoice.lines])
    return InvoiceView(invoice, credit_notes_of(invoice.id), creditable_lines(invoice))


@dataclass
class InvoiceRow:
    id: int
    kind: str
    number: str
    customer: str
    issued_on: object
    due_on: object
    total: Decimal
    currency: str
    order_number: str | None


@dataclass
class InvoiceList:
    rows: list[InvoiceRow]
    kind: str | None
    page: int
    has_next: bool


def invoice_list(kind: str | None, page: int = 1) -> InvoiceList:
    """Invoices and credit notes, newest first, PAGE_SIZE a page; ``kind`` ("invoice", "credit_note") or
    None for both. One statement."""
    query = (
        select(
            Invoice.id,
            Invoice.kind,
            Invoice.number,
            Customer.business_name,
            Invoice.issued_on,
            Invoice.due_on,
            Invoice.total,
            Invoice.currency,
            Invoice.order_id,
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    if kind in KINDS:
        query = query.where(Invoice.kind == KINDS[kind])
    rows = [
        InvoiceRow(
            id,
            kind_,
            number,
            name,
            issued,
            due,
            total,
            currency,
            order_number(order_id) if order_id else None,
        )
        for id, kind_, number, name, issued, due, total, currency, order_id in db.session.execute(query)
    ]
    return InvoiceList(rows[:PAGE_SIZE], kind if kind in KINDS else None, page, len(rows) > PAGE_SIZE)
