"""The layout of the roastery's PDF documents (invoices, credit notes, and any other, a customer's statement
say), on fpdf2's core fonts: ``PdfDocument`` written top to bottom::

    document = PdfDocument("Statement", currency="USD")
    document.letterhead("Statement", [("Customer", name), ("Date", "4 December 2026")])
    document.address("TO", [name, *address_lines])
    document.table([Column("Date", 2), Column("Document", 3), Column("Amount", 2, "RIGHT")], rows)
    document.totals([("Balance", "$120.00")])
    document.paragraph("Thank you.")
    data = document.to_bytes()

The letterhead is the roastery's name, address and email (settings); a table's heading row is repeated on
each page it runs onto and a row never splits; several pages are numbered at their foot. Text outside
Windows-1252 (the core fonts' range) is written as near as it can be ("−" as "-", "Ō" as "O").
fpdf2 is imported when a document is made, never with this module: web workers that make no PDF never
load it.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .. import settings

FONT = "Helvetica"
ENCODING = "windows-1252"
MARGIN = 15  # mm
LOGO_HEIGHT = 14  # mm
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
        pdf.set_author(printable(settings.get("ROASTERY_NAME")))
        pdf.set_creator("wholesale portal")
        pdf.add_page()
        self.pdf, self.title = pdf, title

    def _text(self, text: str, size: float = 10, bold: bool = False, height: float = 5) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.multi_cell(0, height, printable(text), new_x="LMARGIN", new_y="NEXT")

    def letterhead(self, title: str, facts: Sequence[tuple[str, str]]) -> None:
        """The roastery (left), the document's title and its facts ("Number", "INV-000001"…) (right)."""
        pdf = self.pdf
        top = pdf.get_y()
        half = (pdf.w - 2 * MARGIN) / 2
        self._logo(half)
        pdf.set_font(FONT, "B", 14)
        pdf.cell(half, 7, printable(settings.get("ROASTERY_NAME")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        for line in (settings.get("ROASTERY_ADDRESS"), settings.get("ROASTERY_EMAIL")):
            pdf.multi_cell(half, 4.5, printable(line), new_x="LMARGIN", new_y="NEXT")
        left_bottom = pdf.get_y()
        pdf.set_xy(MARGIN + half, top)
        pdf.set_font(FONT, "B", 18)
        pdf.cell(half, 8, printable(title), align="R", new_x="LEFT", new_y="NEXT")
        for label, value in facts:
            pdf.set_font(FONT, "", 9)
            pdf.cell(half, 5, printable(f"{label}: {value}"), align="R", new_x="LEFT", new_y="NEXT")
        pdf.set_xy(MARGIN, max(left_bottom, pdf.get_y()) + 6)

    def _logo(self, width: float) -> None:
        """The roastery's logo (settings), 14 mm high or narrower than ``width``, above its name."""
        shown = settings.logo()
        image = settings.logo_file(shown.version) if shown else None
        if image is None:
            return
        height = min(LOGO_HEIGHT, width * shown.height / shown.width)
        self.pdf.image(io.BytesIO(image.content), x=MARGIN, y=self.pdf.get_y(), h=height)
        self.pdf.set_y(self.pdf.get_y() + height + 2)

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
