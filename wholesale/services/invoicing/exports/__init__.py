"""The accountant's exports: for a date range (by issue date; payments by the day received), invoices as
Xero and QuickBooks Online import them, and plain CSVs of invoices, credit notes and payments.

Each export is a stream of bytes, written as the documents are read a page at a time, so a year's export
holds one page in memory whatever the year's size. Reading only, in the request's session: no export
changes anything. ``accounting`` states what each package's file says and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from ....models.invoicing import CREDIT_NOTE, INVOICE
from .accounting import QBO_COLUMNS, XERO_COLUMNS, export_name, qbo_csv, xero_files, xero_zip
from .ledgers import credit_notes_csv, invoices_csv, payments_csv
from .reading import ExportSettings, check_range, count_documents, count_payments

__all__ = [
    "EXPORTS",
    "QBO_COLUMNS",
    "XERO_COLUMNS",
    "Export",
    "ExportSettings",
    "check_range",
    "counts",
    "xero_files",
]


@dataclass(frozen=True)
class Export:
    key: str  # its URL's and its file's name
    title: str
    extension: str
    mimetype: str
    write: Callable[[date, date, ExportSettings], Iterator[bytes]]

    def filename(self, start: date, end: date) -> str:
        return f"{export_name(self.key, start, end)}.{self.extension}"


EXPORTS = (
    Export("xero-invoices", "Xero sales invoices (zip)", "zip", "application/zip", xero_zip),
    Export("quickbooks-invoices", "QuickBooks Online invoices (CSV)", "csv", "text/csv", qbo_csv),
    Export("invoices", "Invoices (CSV)", "csv", "text/csv", invoices_csv),
    Export("credit-notes", "Credit notes (CSV)", "csv", "text/csv", credit_notes_csv),
    Export("payments", "Payments (CSV)", "csv", "text/csv", payments_csv),
)


def counts(start: date, end: date) -> dict[str, int]:
    """How many documents of each kind the range holds (what the export page shows before a download)."""
    return {
        "invoices": count_documents(INVOICE, start, end),
        "credit_notes": count_documents(CREDIT_NOTE, start, end),
        "payments": count_payments(start, end),
    }
