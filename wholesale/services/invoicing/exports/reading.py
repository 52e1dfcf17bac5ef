"""What an export reads: the documents of a date range, a page at a time, and the settings that shape it.

Pages are read by key (the next page starts after the last number seen), each page's lines in one more
statement, and only the columns an export writes (no ORM objects): a year's export reads ~200 pages of 500
invoices in ~400 statements and holds one page at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from ....config import parse_code_map, parse_export_date_format
from ....extensions import db
from ....models import Customer, Invoice, InvoiceLine, Payment, PaymentAllocation
from ....models.invoicing import CREDIT_NOTE, INVOICE
from ....models.orders import order_number
from ... import settings

# Xero imports at most 500 invoices a file; every export reads pages of that size.
PAGE_SIZE = 500
LONGEST_RANGE = timedelta(days=3 * 366)


def check_range(start: date, end: date) -> None:
    """A range an export accepts: start on or before end, at most about three years. ValueError says why."""
    if start > end:
        raise ValueError("The start date is after the end date.")
    if end - start > LONGEST_RANGE:
        raise ValueError("Choose a range of at most three years.")


@dataclass(frozen=True)
class ExportSettings:
    """The roastery's export settings (config.py), read once per export."""

    date_pattern: str  # strftime
    account_code: str
    xero_tax_types: dict[str, str]
    qbo_tax_codes: dict[str, str]
    prices_include_tax: bool

    @classmethod
    def from_config(cls, date_format: str | None = None) -> ExportSettings:
        """The settings; ``date_format`` (one of config.EXPORT_DATE_FORMATS) overrides EXPORT_DATE_FORMAT."""
        return cls(
            date_pattern=parse_export_date_format(date_format or settings.get("EXPORT_DATE_FORMAT")),
            account_code=settings.get("EXPORT_ACCOUNT_CODE"),
            xero_tax_types=_by_name(settings.get("EXPORT_XERO_TAX_TYPES")),
            qbo_tax_codes=_by_name(settings.get("EXPORT_QBO_TAX_CODES")),
            prices_include_tax=settings.get("PRICES_INCLUDE_TAX"),
        )

    def day(self, value: date | None) -> str:
        return value.strftime(self.date_pattern) if value else ""


def _by_name(text: str) -> dict[str, str]:
    """A tax rate name → code map, looked up without regard to case ("vat" finds "VAT")."""
    return {name.casefold(): code for name, code in parse_code_map(text)}


def _read(query):
    """Rows of plain columns, read through the session's connection (no ORM loading: nothing to map)."""
    return db.session.connection().execute(query)


# --- Invoices and credit notes ----------------------------------------------------------------------------

DOCUMENT_COLUMNS = (
    Invoice.id,
    Invoice.number,
    Invoice.sequence_value,
    Invoice.order_id,
    Invoice.credited_invoice_id,
    Invoice.issued_on,
    Invoice.due_on,
    Invoice.terms_days,
    Invoice.bill_to_name,
    Invoice.bill_to_email,
    Invoice.bill_to_address,
    Invoice.prices_include_tax,
    Invoice.tax_exempt_certificate,
    Invoice.currency,
    Invoice.subtotal,
    Invoice.discount,
    Invoice.shipping,
    Invoice.tax,
    Invoice.total,
    Invoice.reason,
)
LINE_COLUMNS = (  # what the files write, and no more: a year is ~650,000 lines
    InvoiceLine.invoice_id,
    InvoiceLine.sku,
    InvoiceLine.description,
    InvoiceLine.quantity,
    InvoiceLine.unit_price,
    InvoiceLine.amount,
    InvoiceLine.discount,
    InvoiceLine.tax_name,
    InvoiceLine.tax,
    InvoiceLine.is_shipping,
)


@dataclass(frozen=True)
class Document:
    """An invoice or credit note as an export reads it: its columns (``row``) and its lines, in order."""

    row: object  # a Row of DOCUMENT_COLUMNS
    lines: list  # Rows of LINE_COLUMNS
    credited_number: str = ""  # a credit note's invoice

    def __getattr__(self, name):
        return getattr(self.row, name)

    @property
    def order_number(self) -> str:
        return order_number(self.row.order_id) if self.row.order_id else ""


def _documents(kind: str, start: date, end: date):
    return (
        select(*DOCUMENT_COLUMNS)
        .where(Invoice.kind == kind, Invoice.issued_on >= start, Invoice.issued_on <= end)
        .order_by(Invoice.sequence_value)
    )


def count_documents(kind: str, start: date, end: date) -> int:
    query = select(func.count()).where(
        Invoice.kind == kind, Invoice.issued_on >= start, Invoice.issued_on <= end
    )
    return db.session.scalar(query)


def document_pages(kind: str, start: date, end: date, with_lines: bool = True) -> Iterator[list[Document]]:
    """The invoices (or credit notes) issued from ``start`` to ``end``, by number, PAGE_SIZE at a time."""
    after = 0
    while True:
        rows = _read(
            _documents(kind, start, end).where(Invoice.sequence_value > after).limit(PAGE_SIZE)
        ).all()
        if not rows:
            return
        after = rows[-1].sequence_value
        lines = _lines_of([row.id for row in rows]) if with_lines else {}
        credited = _numbers_of({row.credited_invoice_id for row in rows} - {None})
        yield [
            Document(row, lines.get(row.id, []), credited.get(row.credited_invoice_id, "")) for row in rows
        ]
        if len(rows) < PAGE_SIZE:
            return


def _lines_of(invoice_ids: list[int]) -> dict[int, list]:
    found = defaultdict(list)
    query = (
        select(*LINE_COLUMNS)
        .where(InvoiceLine.invoice_id.in_(invoice_ids))
        .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
    )
    for line in _read(query).all():  # one fetch for the page, not one per row
        found[line.invoice_id].append(line)
    return found


def _numbers_of(invoice_ids: set[int]) -> dict[int, str]:
    if not invoice_ids:
        return {}
    return dict(_read(select(Invoice.id, Invoice.number).where(Invoice.id.in_(invoice_ids))).all())


def invoice_pages(start: date, end: date, with_lines: bool = True) -> Iterator[list[Document]]:
    return document_pages(INVOICE, start, end, with_lines)


def credit_note_pages(start: date, end: date) -> Iterator[list[Document]]:
    return document_pages(CREDIT_NOTE, start, end, with_lines=False)


# --- Payments ---------------------------------------------------------------------------------------------

PAYMENT_COLUMNS = (
    Payment.id,
    Payment.received_on,
    Payment.amount,
    Payment.method,
    Payment.reference,
    Payment.notes,
    Customer.business_name,
)


@dataclass(frozen=True)
class ReceivedPayment:
    row: object  # a Row of PAYMENT_COLUMNS
    allocations: list[tuple[str, object]]  # (invoice number, amount), in the order they were made

    def __getattr__(self, name):
        return getattr(self.row, name)


def count_payments(start: date, end: date) -> int:
    return db.session.scalar(
        select(func.count()).where(Payment.received_on >= start, Payment.received_on <= end)
    )


def payment_pages(start: date, end: date) -> Iterator[list[ReceivedPayment]]:
    """The payments received from ``start`` to ``end``, by date then id, PAGE_SIZE at a time."""
    after = (date.min, 0)
    while True:
        rows = _read(
            select(*PAYMENT_COLUMNS)
            .join(Customer, Customer.id == Payment.customer_id)
            # From where the last page ended: the first condition lets the database walk the received_on
            # index from there, the second skips the rows that page held.
            .where(Payment.received_on >= max(start, after[0]), Payment.received_on <= end)
            .where((Payment.received_on > after[0]) | (Payment.id > after[1]))
            .order_by(Payment.received_on, Payment.id)
            .limit(PAGE_SIZE)
        ).all()
        if not rows:
            return
        after = (rows[-1].received_on, rows[-1].id)
        allocations = defaultdict(list)
        query = (
            select(PaymentAllocation.payment_id, Invoice.number, PaymentAllocation.amount)
            .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
            .where(PaymentAllocation.payment_id.in_([row.id for row in rows]))
            .order_by(PaymentAllocation.id)
        )
        for payment_id, number, amount in _read(query).all():
            allocations[payment_id].append((number, amount))
        yield [ReceivedPayment(row, allocations[row.id]) for row in rows]
        if len(rows) < PAGE_SIZE:
            return
