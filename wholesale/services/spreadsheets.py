"""Files people open in a spreadsheet: text cells that cannot run as formulas, CSV written as it streams."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

# Rows written before the text so far is handed on as bytes: small enough to keep memory flat, large enough
# that a download is not thousands of tiny chunks.
ROWS_PER_CHUNK = 500
BYTE_ORDER_MARK = "\ufeff"


def spreadsheet_safe(cell):
    """A text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets an apostrophe."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def csv_chunks(
    header: Iterable[str], rows: Iterable[Iterable], byte_order_mark: bool = False
) -> Iterator[bytes]:
    """``header`` then ``rows`` as UTF-8 CSV, every text cell made spreadsheet-safe, a chunk at a time.

    ``byte_order_mark`` for files opened in a spreadsheet program (so it reads café names as UTF-8); files
    an accounting package imports go without one.
    """
    out = io.StringIO()
    if byte_order_mark:
        out.write(BYTE_ORDER_MARK)
    writer = csv.writer(out)
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
        if count % ROWS_PER_CHUNK == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()
