"""Files people open in a spreadsheet: text cells that cannot run as formulas, CSV written as it streams."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

# Rows written before the text so far is handed on as bytes: small enough to keep memory flat, large enough
# that a download is not thousands of tiny chunks.
ROWS_PER_CHUNK = 500
BYTE_ORDER_MARK = "\ufeff"
FORMULA_STARTS = frozenset("=+-@\t\r")


def spreadsheet_safe_row(row: Iterable) -> list:
    """Each text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets an apostrophe;
    numbers stay numbers (a negative amount is not text). A row at a time: a call per cell is most of the
    cost of a year's export."""
    return ["'" + cell if isinstance(cell, str) and cell[:1] in FORMULA_STARTS else cell for cell in row]


def spreadsheet_safe(cell):
    """One cell, by the same rule."""
    return spreadsheet_safe_row((cell,))[0]


def csv_chunks(
    header: Iterable[str], rows: Iterable[Iterable], byte_order_mark: bool = False
) -> Iterator[bytes]:
    """``header`` then ``rows`` as UTF-8 CSV, every text cell made spreadsheet-safe, a chunk at a time.

    ``byte_order_mark`` for files opened in a spreadsheet program (so it reads café names as UTF-8); files
    an accounting package imports go without one.
    """
    return grouped_csv_chunks(header, [((), rows)], byte_order_mark)


def grouped_csv_chunks(
    header: Iterable[str],
    groups: Iterable[tuple[Iterable, Iterable[Iterable]]],
    byte_order_mark: bool = False,
) -> Iterator[bytes]:
    """``csv_chunks`` for rows that share their first cells (an invoice's on each of its lines): each group
    is (head, tails), a row head + tail for each tail. The head is made safe and written as CSV once per
    group, not once per row: at a year's size, that is most of the work."""
    out = io.StringIO()
    if byte_order_mark:
        out.write(BYTE_ORDER_MARK)
    writer = csv.writer(out)
    writer.writerow(header)
    count = 0
    for head, tails in groups:
        prefix = _csv_prefix(head)
        for tail in tails:
            out.write(prefix)
            writer.writerow(spreadsheet_safe_row(tail))
            count += 1
            if count % ROWS_PER_CHUNK == 0:
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
    yield out.getvalue().encode()


def _csv_prefix(head: Iterable) -> str:
    """The head's cells as the start of a CSV row (each followed by its comma); '' for no cells."""
    cells = spreadsheet_safe_row(head)
    if not cells:
        return ""
    line = io.StringIO()
    csv.writer(line).writerow(cells)
    return line.getvalue().removesuffix("\r\n") + ","
