"""Invoices and credit notes as PDF: what the printed invoice page says, made by fpdf2 (pure Python, from
PyPI alone). fpdf2 is imported only when a PDF is made, so web workers that never make one never load it.

``invoice_pdf(invoice)`` makes one document; ``email_attachments`` gives the outbox the PDF of an email's
invoice when it sends the email (registered by ``register``, at app start). ``PdfDocument`` is the layout it is made with, reusable for any
document of the roastery's (a customer's statement, say)::

    document = PdfDocument("Statement", currency="USD")
    document.letterhead("Statement", [("Customer", name), ("Date", "4 December 2026")])
    document.address("To", [name, *address_lines])
    document.table([Column("Date", 2), Column("Document", 3), Column("Amount", 2, "RIGHT")], rows)
    document.totals([("Balance", "$120.00")])
    data = document.to_bytes()

The letterhead is the roastery's name, address and email (settings); the table repeats its headings on each
page; text outside Windows-1252 (the PDF core fonts' range) is written as near as it can be ("−" as "-").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app

from ...extensions import db
from ...formatting import in_currency, long_day, payment_terms, percent
from ...models import Email, Invoice
from .credit_notes import credit_notes_of

FONT = "Helvetica"
ENCODING = "windows-1252"
MARGIN = 15  # mm
CELL_PADDING = 1  # mm
ROW_LINE = 4.5  # mm, a line of a table cell
ALIGN = {"LEFT": "L", "RIGHT": "R"}
LETTER_CURRENCIES = ("USD", "CAD")
_PLAIN = str.maketrans({"−": "-", "‑": "-", "\u00a0": " ", "\u202f": " "})


def printable(text: object) -> str:
    """``text`` in what the core fonts can print: Windows-1252, anything else as near as it comes."""
    text = str(text).translate(_PLAIN)
    try:
        text.encode(ENCODING)
        return text
    except UnicodeEncodeError:
        plain = unicodedata.normalize("NFKD", text)
        return "".join(ch if _encodable(ch) else ("" if unicodedata.combining(ch) else "?") for ch in plain)


def _encodable(ch: str) -> bool:
    try:
        ch.encode(ENCODING)
        return True
    except UnicodeEncodeError:
        return False


@dataclass(frozen=True)
class Column:
    """A table column: its heading, its width relative to the others, and how its cells align."""

    heading: str
    width: float
    align: str = "LEFT"


class PdfDocument:
    """One document on Letter (dollars) or A4 paper, written top to bottom."""

    def __init__(self, title: str, currency: str = "USD", compress: bool = True):
        from fpdf import FPDF  # here, not at import: only a PDF's maker loads fpdf2

        pdf = FPDF(format="Letter" if currency in LETTER_CURRENCIES else "A4")
        pdf.core_fonts_encoding = ENCODING
        pdf.set_compression(compress)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=MARGIN)
        pdf.set_title(printable(title))
        pdf.set_author(printable(current_app.config["ROASTERY_NAME"]))
        pdf.set_creator("wholesale portal")
        pdf.add_page()
        self.pdf, self.title = pdf, title

    def _text(self, text: str, size: float = 10, bold: bool = False, height: float = 5) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.multi_cell(0, height, printable(text), new_x="LMARGIN", new_y="NEXT")

    def letterhead(self, title: str, facts: Sequence[tuple[str, str]]) -> None:
        """The roastery (left), the document's title and its facts ("Number", "INV-000001"…) (right)."""
        pdf, config = self.pdf, current_app.config
        top = pdf.get_y()
        half = (pdf.w - 2 * MARGIN) / 2
        pdf.set_font(FONT, "B", 14)
        pdf.cell(half, 7, printable(config["ROASTERY_NAME"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        for line in (config["ROASTERY_ADDRESS"], config["ROASTERY_EMAIL"]):
            pdf.multi_cell(half, 4.5, printable(line), new_x="LMARGIN", new_y="NEXT")
        left_bottom = pdf.get_y()
        pdf.set_xy(MARGIN + half, top)
        pdf.set_font(FONT, "B", 18)
        pdf.cell(half, 8, printable(title), align="R", new_x="LEFT", new_y="NEXT")
        for label, value in facts:
            pdf.set_font(FONT, "", 9)
            pdf.cell(half, 5, printable(f"{label}: {value}"), align="R", new_x="LEFT", new_y="NEXT")
        pdf.set_xy(MARGIN, max(left_bottom, pdf.get_y()) + 6)

    def address(self, heading: str, lines: Sequence[str]) -> None:
        self._text(heading, size=8, bold=True, height=4)
        for line in lines:
            if line:
                self._text(line, height=4.5)
        self.pdf.ln(4)

    def paragraph(self, text: str, bold: bool = False) -> None:
        self._text(text, size=9, bold=bold, height=4.5)
        self.pdf.ln(1)

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
        """A table with a heading row (repeated on each page it runs onto) and a rule under each row; a
        cell's text wraps at word boundaries within its column, and a row never splits across pages.

        Drawn line by line with ``text()`` (fpdf2's own ``table()`` lays out every cell twice and took
        ~8 ms a row; a ``cell()`` each, ~2 ms)."""
        pdf = self.pdf
        usable = pdf.w - 2 * MARGIN
        scale = usable / sum(column.width for column in columns)
        widths = [column.width * scale for column in columns]
        aligns = [ALIGN[column.align] for column in columns]
        self._row([column.heading for column in columns], widths, aligns, bold=True)
        for cells in rows:
            self._row(cells, widths, aligns, heading=[column.heading for column in columns])
        pdf.ln(3)

    def _row(self, cells, widths, aligns, bold: bool = False, heading: Sequence[str] | None = None) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", 9)
        wrapped = [
            self._wrap(printable(cell), width - 2 * CELL_PADDING)
            for cell, width in zip(cells, widths, strict=True)
        ]
        height = max(len(lines) for lines in wrapped) * ROW_LINE + 2 * CELL_PADDING
        if heading is not None and pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            self._row(heading, widths, aligns, bold=True)
            pdf.set_font(FONT, "", 9)
        top, x = pdf.get_y(), MARGIN
        baseline = top + CELL_PADDING + (ROW_LINE + pdf.font_size * 0.7) / 2
        for lines, width, align in zip(wrapped, widths, aligns, strict=True):
            for n, line in enumerate(lines):
                offset = width - 2 * CELL_PADDING - self._width(line) if align == "R" else 0
                pdf.text(x + CELL_PADDING + offset, baseline + n * ROW_LINE, line)
            x += width
        bottom = top + height
        pdf.line(MARGIN, bottom, MARGIN + sum(widths), bottom)
        pdf.set_xy(MARGIN, bottom)

    def _width(self, text: str) -> float:
        """The width of ``text`` in the current core font, in mm (as ``get_string_width``, without the
        text shaping and state copies that made it a tenth of a millisecond a call)."""
        pdf = self.pdf
        widths = pdf.current_font.cw
        return sum(widths.get(ch, 500) for ch in text) * pdf.font_size_pt / 1000 / pdf.k

    def _wrap(self, text: str, width: float) -> list[str]:
        """``text`` in lines no wider than ``width`` (words kept whole unless one alone is wider)."""
        measure = self._width
        if measure(text) <= width:
            return [text]
        lines, line = [], ""
        for word in text.split():
            candidate = f"{line} {word}" if line else word
            if measure(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while measure(word) > width:  # a word wider than the column: broken where it must be
                cut = max(1, next((i for i in range(len(word), 0, -1) if measure(word[:i]) <= width), 1))
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
        return lines

    def totals(self, rows: Sequence[tuple[str, str]], bold_last: bool = True) -> None:
        """Label and amount pairs, right-aligned under the table; the last one bold (the total)."""
        pdf = self.pdf
        label_width, amount_width = 50, 30
        for position, (label, amount) in enumerate(rows, start=1):
            pdf.set_font(FONT, "B" if bold_last and position == len(rows) else "", 10)
            pdf.set_x(pdf.w - MARGIN - label_width - amount_width)
            pdf.cell(label_width, 6, printable(label), align="R")
            pdf.cell(amount_width, 6, printable(amount), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

    def to_bytes(self) -> bytes:
        """The document, each page numbered at its foot ("INV-000001 · page 2 of 4") when it has several."""
        pdf = self.pdf
        pages = pdf.pages_count
        if pages > 1:
            pdf.set_auto_page_break(False)
            for number in range(1, pages + 1):
                pdf.page = number
                pdf.set_font(FONT, "", 8)
                label = printable(f"{self.title} · page {number} of {pages}")
                pdf.text(pdf.w - MARGIN - self._width(label), pdf.h - MARGIN / 2, label)
        return bytes(pdf.output())


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
