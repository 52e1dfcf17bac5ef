"""Invoices and credit notes as PDF: what the printed invoice page says (admin/invoice.html), laid out by
``pdf_layout.PdfDocument`` with fpdf2 (pure Python, from PyPI alone).

``invoice_pdf(invoice)`` makes one document; ``email_attachments`` gives the outbox the PDF of an email's
invoice when it sends the email (registered at app start: ``wholesale.register_email_attachments``).
"""

from __future__ import annotations

from ...extensions import db
from ...formatting import in_currency, long_day, payment_terms, percent
from ...models import Email, Invoice
from .credit_notes import credit_notes_of
from .pdf_layout import Column, PdfDocument

__all__ = ["Column", "PdfDocument", "email_attachments", "invoice_pdf", "pdf_filename"]


def invoice_pdf(invoice: Invoice, compress: bool = True) -> bytes:
    """The invoice or credit note as its printed page says it: the roastery, bill-to, number, dates and
    terms, lines with their tax, totals, the exemption certificate, and the credit notes against it."""
    credit_notes = [] if invoice.is_credit_note else credit_notes_of(invoice.id)
    cur = invoice.currency
    title = "Credit note" if invoice.is_credit_note else "Invoice"
    document = PdfDocument(f"{title} {invoice.number}", cur, compress)
    facts = [("Number", invoice.number), ("Issued", long_day(invoice.issued_on))]
    if invoice.is_credit_note:
        facts.append(("Credits invoice", invoice.credited_invoice.number))
    else:
        facts += [("Terms", payment_terms(invoice.terms_days)), ("Due", long_day(invoice.due_on))]
    if invoice.order is not None:
        facts.append(("Order", invoice.order.number))
    document.letterhead(title, facts)
    document.address(
        "BILL TO", [invoice.bill_to_name, *invoice.bill_to_address.splitlines(), invoice.bill_to_email]
    )
    document.table(line_columns(invoice), [line_cells(invoice, line) for line in invoice.lines])
    document.totals(total_rows(invoice))
    if invoice.tax_exempt_certificate:
        document.paragraph(f"Tax exempt: certificate {invoice.tax_exempt_certificate}")
    if invoice.prices_include_tax:
        document.paragraph("Prices include tax; the tax in each line is shown.")
    if invoice.reason:
        document.paragraph(f"Reason: {invoice.reason}")
    for note in credit_notes:
        document.paragraph(
            f"Credit note {note.number} of {long_day(note.issued_on)}: {in_currency(note.total, cur)}"
        )
    return document.to_bytes()


def pdf_filename(invoice: Invoice) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in invoice.number)
    return f"{safe}.pdf"


def email_attachments(email: Email) -> list[tuple[str, str, bytes]]:
    """What the outbox attaches to ``email`` when it sends it: its invoice's PDF, made then."""
    invoice = db.session.get(Invoice, email.invoice_id) if email.invoice_id else None
    if invoice is None:
        return []
    return [(pdf_filename(invoice), "application/pdf", invoice_pdf(invoice))]


def line_columns(invoice) -> list[Column]:
    columns = [Column("Description", 7), Column("Qty", 1.2, "RIGHT"), Column("Unit price", 2.2, "RIGHT")]
    columns.append(Column("Amount", 2.2, "RIGHT"))
    if invoice.discount:
        columns.append(Column("Discount", 2, "RIGHT"))
    return [*columns, Column("Tax rate", 2.2, "RIGHT"), Column("Tax", 2, "RIGHT")]


def line_cells(invoice, line) -> list[str]:
    cur = invoice.currency
    description = f"{line.description} ({line.sku})" if line.sku else line.description
    cells = [
        description,
        str(line.quantity),
        in_currency(line.unit_price, cur),
        in_currency(line.amount, cur),
    ]
    if invoice.discount:
        cells.append(f"-{in_currency(line.discount, cur)}" if line.discount else "")
    rate = f"{line.tax_name} {percent(line.tax_rate)}".strip() if line.tax_name else percent(line.tax_rate)
    return [*cells, rate, in_currency(line.tax, cur)]


def total_rows(invoice) -> list[tuple[str, str]]:
    cur = invoice.currency
    rows = [("Items", in_currency(invoice.subtotal, cur))]
    if invoice.discount:
        rows.append(("Discount", f"-{in_currency(invoice.discount, cur)}"))
    if invoice.shipping:
        rows.append(("Delivery", in_currency(invoice.shipping, cur)))
    if invoice.prices_include_tax:
        return [
            *rows,
            ("Tax included", in_currency(invoice.tax, cur)),
            ("Total", in_currency(invoice.total, cur)),
        ]
    return [*rows, ("Tax", in_currency(invoice.tax, cur)), ("Total", in_currency(invoice.total, cur))]
