"""The plain CSVs: one row per invoice, per credit note, and per part of a payment, for a spreadsheet.

Payments: one row per allocation (the invoice it pays and how much), and one more, without an invoice, for
any part not allocated (the customer's credit); the payment's own amount is on each of its rows, and its
rows' amounts add up to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ...spreadsheets import csv_chunks
from .reading import ExportSettings, credit_note_pages, invoice_pages, payment_pages

INVOICE_COLUMNS = (
    "Number",
    "Date",
    "Due date",
    "Terms (days)",
    "Customer",
    "Email",
    "Order",
    "Currency",
    "Subtotal",
    "Discount",
    "Shipping",
    "Tax",
    "Total",
    "Prices include tax",
    "Tax exemption certificate",
)
CREDIT_NOTE_COLUMNS = (
    "Number",
    "Date",
    "Credits invoice",
    "Customer",
    "Email",
    "Order",
    "Currency",
    "Subtotal",
    "Discount",
    "Shipping",
    "Tax",
    "Total",
    "Reason",
)
PAYMENT_COLUMNS = (
    "Payment",
    "Received",
    "Customer",
    "Method",
    "Reference",
    "Payment amount",
    "Invoice",
    "Amount",
    "Notes",
)


def invoices_csv(start: date, end: date, settings: ExportSettings) -> Iterator[bytes]:
    rows = (
        (
            invoice.number,
            settings.day(invoice.issued_on),
            settings.day(invoice.due_on),
            invoice.terms_days,
            invoice.bill_to_name,
            invoice.bill_to_email,
            invoice.order_number,
            invoice.currency,
            invoice.subtotal,
            invoice.discount,
            invoice.shipping,
            invoice.tax,
            invoice.total,
            "yes" if invoice.prices_include_tax else "no",
            invoice.tax_exempt_certificate,
        )
        for page in invoice_pages(start, end, with_lines=False)
        for invoice in page
    )
    return csv_chunks(INVOICE_COLUMNS, rows, byte_order_mark=True)


def credit_notes_csv(start: date, end: date, settings: ExportSettings) -> Iterator[bytes]:
    rows = (
        (
            note.number,
            settings.day(note.issued_on),
            note.credited_number,
            note.bill_to_name,
            note.bill_to_email,
            note.order_number,
            note.currency,
            note.subtotal,
            note.discount,
            note.shipping,
            note.tax,
            note.total,
            note.reason,
        )
        for page in credit_note_pages(start, end)
        for note in page
    )
    return csv_chunks(CREDIT_NOTE_COLUMNS, rows, byte_order_mark=True)


def payment_rows(payment, settings: ExportSettings) -> Iterator[tuple]:
    head = (
        payment.id,
        settings.day(payment.received_on),
        payment.business_name,
        payment.method,
        payment.reference,
        payment.amount,
    )
    allocated = 0
    for number, amount in payment.allocations:
        allocated += amount
        yield (*head, number, amount, payment.notes)
    if payment.amount > allocated:
        yield (*head, "", payment.amount - allocated, payment.notes)


def payments_csv(start: date, end: date, settings: ExportSettings) -> Iterator[bytes]:
    rows = (
        row
        for page in payment_pages(start, end)
        for payment in page
        for row in payment_rows(payment, settings)
    )
    return csv_chunks(PAYMENT_COLUMNS, rows, byte_order_mark=True)
