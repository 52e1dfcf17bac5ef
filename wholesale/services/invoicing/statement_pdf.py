"""A customer's statement as a PDF: the page's statement (``statements.Statement``) in the invoice PDF's
layout (``pdf.PdfDocument``). It renders; every figure comes from the statement."""

from __future__ import annotations

from ...formatting import long_day, money
from .pdf_layout import Column, PdfDocument
from .statements import Statement

OPEN_COLUMNS = (
    Column("Invoice", 22),
    Column("Issued", 18),
    Column("Due", 18),
    Column("Total", 15, "RIGHT"),
    Column("Credited", 15, "RIGHT"),
    Column("Paid", 15, "RIGHT"),
    Column("Balance", 15, "RIGHT"),
    Column("Days past due", 14, "RIGHT"),
)


def statement_pdf(statement: Statement, compress: bool = True) -> bytes:
    customer, account = statement.customer, statement.account
    document = PdfDocument(f"Statement of {customer.business_name}", compress=compress)
    document.letterhead(
        "Statement", [("Date", long_day(statement.today)), ("Customer", customer.business_name)]
    )
    document.address("To", [customer.business_name, *customer.delivery_address.splitlines()])
    document.paragraph("Open invoices", bold=True)
    if statement.open_invoices:
        document.table(
            OPEN_COLUMNS,
            [
                [
                    item.invoice.number,
                    long_day(item.invoice.issued_on),
                    long_day(item.invoice.due_on),
                    money(item.invoice.total),
                    money(item.credited),
                    money(item.paid),
                    money(item.balance),
                    str(item.days_past_due) if item.days_past_due > 0 else "",
                ]
                for item in statement.open_invoices
            ],
        )
    else:
        document.paragraph("Nothing open: every invoice is paid.")
    columns = statement.aging.columns
    document.paragraph("Aging (days past the due date)", bold=True)
    document.table(
        [Column(label.capitalize(), 1, "RIGHT") for label in columns] + [Column("Total", 1, "RIGHT")],
        [[money(amount) for amount in columns.values()] + [money(statement.aging.total)]],
    )
    if statement.payments:
        document.paragraph(f"Payments since {long_day(statement.since)}", bold=True)
        document.table(
            (
                Column("Received", 20),
                Column("Method", 20),
                Column("Reference", 30),
                Column("Amount", 15, "RIGHT"),
            ),
            [
                [
                    long_day(line.payment.received_on),
                    line.payment.method,
                    line.payment.reference,
                    money(line.payment.amount),
                ]
                for line in statement.payments
            ],
        )
    document.totals(
        [
            ("Balance due", money(account.balance_due)),
            ("Overdue", money(account.overdue)),
            ("Credit", money(account.credit)),
            ("To pay", money(account.net)),
        ]
    )
    return document.to_bytes()
