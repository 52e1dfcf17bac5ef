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

# What an invoice and a credit note both say: who it is billed to, and its amounts.
BILLED_COLUMNS = ("Customer", "Email", "Order")
AMOUNT_COLUMNS = ("Currency", "Subtotal", "Discount", "Shipping", "Tax", "Total")
INVOICE_COLUMNS = (
    "Number",
    "Date",
    "Due date",
    "Terms (days)",
    *BILLED_COLUMNS,
    *AMOUNT_COLUMNS,
    "Prices include tax",
    "Tax exemption certificate",
)
CREDIT_NOTE_COLUMNS = ("Number", "Date", "Credits invoice", *BILLED_COLUMNS, *AMOUNT_COLUMNS, "Reason")
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


def billed_and_amounts(document) -> tuple:
    return (
        document.bill_to_name,
        document.bill_to_email,
        document.order_number,
        document.currency,
        document.subtotal,
        document.discount,
        document.shipping,
        document.tax,
        document.total,
    )


def invoices_csv(start: date, end: date, settings: ExportSettings) -> Iterator[bytes]:
    rows = (
        (
            invoice.number,
            settings.day(invoice.issued_on),
            settings.day(invoice.due_on),
            invoice.terms_days,
            *billed_and_amounts(invoice),
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
            *billed_and_amounts(note),
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
