"""Invoices as Xero and QuickBooks Online import them: one row per invoice line, in each one's template.

Decisions the export page states to the accountant:

- Invoices only. Credit notes are in the plain credit notes CSV: Xero's and QuickBooks' invoice imports make
  invoices, and a credit note entered as a negative invoice would not be one.
- Amounts are as issued: tax exclusive, or tax inclusive when the invoice's prices include tax. Both
  packages ask which at import; the page says which to choose (PRICES_INCLUDE_TAX).
- Xero: the line's share of the invoice's discount is Xero's per-line Discount percentage, with the fewest
  decimal places (2 to 4) that give back the line's discounted amount to the cent; TaxAmount is the tax the
  invoice shows, so Xero's totals are ours. The address is the bill-to address's lines (POAddressLine1–4);
  the city, region, postal code and country columns stay empty (the portal keeps an address as free text).
- QuickBooks: an import line has no discount, so an invoice's discount is one "Discount" line per tax code
  (a negative amount taxed like the lines it reduces). Item is the line's SKU, "Shipping" for delivery, else
  its description.
- Tax types and codes come from EXPORT_XERO_TAX_TYPES and EXPORT_QBO_TAX_CODES by tax rate name; a name not
  mapped goes as it is, and a line without tax (no rate, or an exempt customer's) as the code mapped to
  "None", else Xero's "Tax Exempt" or QuickBooks' "NON".
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from ...spreadsheets import grouped_csv_chunks
from .reading import ExportSettings, invoice_pages

# Xero's sales invoice import template, column for column (its asterisks mark what Xero requires).
XERO_COLUMNS = (
    "*ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "*InvoiceNumber",
    "Reference",
    "*InvoiceDate",
    "*DueDate",
    "Total",
    "InventoryItemCode",
    "*Description",
    "*Quantity",
    "*UnitAmount",
    "Discount",
    "*AccountCode",
    "*TaxType",
    "TaxAmount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
    "BrandingTheme",
)
# QuickBooks Online's invoice import, the columns of its sample file that an invoice here fills, in its order.
QBO_COLUMNS = (
    "Invoice no",
    "Customer",
    "Invoice date",
    "Due date",
    "Terms",
    "Memo",
    "Item(Product/Service)",
    "Item description",
    "Item quantity",
    "Item rate",
    "Item amount",
    "Item tax code",
)
NO_TAX = "none"  # the name a map gives the code of lines without tax ("None=No VAT")
XERO_UNTAXED, QBO_UNTAXED = "Tax Exempt", "NON"
CENT = Decimal("0.01")


class TaxCodes:
    """The accounting package's code for a line's tax, by the rate's name (see the module's docstring),
    each looked up once per export. An exempt customer's lines carry their rate's name at 0 %: untaxed."""

    def __init__(self, codes: dict[str, str], untaxed: str):
        self.codes, self.untaxed = codes, untaxed
        self.known: dict[tuple[str, bool], str] = {}

    def __call__(self, tax_name: str, exempt: bool) -> str:
        key = (tax_name, exempt)
        if key not in self.known:
            self.known[key] = self.look_up(tax_name, exempt)
        return self.known[key]

    def look_up(self, tax_name: str, exempt: bool) -> str:
        if not tax_name or exempt:
            return self.codes.get(NO_TAX, self.untaxed)
        return self.codes.get(tax_name.casefold(), tax_name)


@lru_cache(maxsize=4096)  # a year's lines share a few thousand (amount, discount) pairs
def discount_percent(amount: Decimal, discount: Decimal) -> Decimal | None:
    """The percentage off ``amount`` that leaves ``amount - discount`` to the cent, with 2 to 4 places."""
    if not discount or not amount:
        return None
    exact = discount * 100 / amount
    for places in (Decimal("0.01"), Decimal("0.001"), Decimal("0.0001")):
        percent = exact.quantize(places, rounding=ROUND_HALF_UP)
        if (amount * (100 - percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP) == amount - discount:
            return percent
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def address_lines(address: str) -> list[str]:
    """A free-text address as Xero's four address lines (a fifth line and after join the fourth)."""
    lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
    if len(lines) > 4:
        lines[3:] = [", ".join(lines[3:])]
    return lines + [""] * (4 - len(lines))


# --- Xero -------------------------------------------------------------------------------------------------


def xero_groups(invoices, settings: ExportSettings) -> Iterator[tuple[tuple, Iterator[tuple]]]:
    """Each invoice's cells (the head of its rows) and the cells of each of its lines."""
    tax_type = TaxCodes(settings.xero_tax_types, XERO_UNTAXED)
    for invoice in invoices:
        head = (
            invoice.bill_to_name,
            invoice.bill_to_email,
            *address_lines(invoice.bill_to_address),
            "",
            "",
            "",
            "",
            invoice.number,
            invoice.order_number,
            settings.day(invoice.issued_on),
            settings.day(invoice.due_on),
            "",
            "",
        )
        yield head, xero_lines(invoice, settings.account_code, tax_type)


def xero_lines(invoice, account_code: str, tax_type: TaxCodes) -> Iterator[tuple]:
    currency, exempt = invoice.currency, bool(invoice.tax_exempt_certificate)
    for line in invoice.lines:
        yield (
            line.description,
            line.quantity,
            line.unit_price,
            discount_percent(line.amount, line.discount) if line.discount else "",
            account_code,
            tax_type(line.tax_name, exempt),
            line.tax,
            "",
            "",
            "",
            "",
            currency,
            "",
        )


def xero_files(start: date, end: date, settings: ExportSettings) -> Iterator[tuple[str, bytes]]:
    """The invoices issued from ``start`` to ``end`` in Xero's template, a file per 500 invoices (Xero's
    limit; PAGE_SIZE), no invoice split across two: (file name, CSV) one file at a time. An empty range
    gives one file with the header only."""
    name = export_name("xero-invoices", start, end)
    part = 0
    for part, page in enumerate(invoice_pages(start, end), start=1):
        yield (
            f"{name}-part-{part}.csv",
            b"".join(grouped_csv_chunks(XERO_COLUMNS, xero_groups(page, settings))),
        )
    if part == 0:
        yield f"{name}-part-1.csv", b"".join(grouped_csv_chunks(XERO_COLUMNS, ()))


def xero_zip(start: date, end: date, settings: ExportSettings) -> Iterator[bytes]:
    """``xero_files`` as one zip, streamed: each file is compressed and handed on before the next is read."""
    out = _Chunks()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in xero_files(start, end, settings):
            archive.writestr(name, body)
            yield out.take()
    yield out.take()


class _Chunks(io.RawIOBase):
    """A stream a zip is written to and read from as it grows (not seekable, so zipfile writes as it goes)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


# --- QuickBooks Online ------------------------------------------------------------------------------------


def qbo_terms(days: int) -> str:
    return "Due on receipt" if days == 0 else f"Net {days}"


def qbo_item(line) -> str:
    if line.is_shipping:
        return "Shipping"
    return line.sku or line.description


def qbo_groups(invoices, settings: ExportSettings) -> Iterator[tuple[tuple, Iterator[tuple]]]:
    """Each invoice's cells (the head of its rows) and the cells of each of its lines, then its discounts."""
    tax_code = TaxCodes(settings.qbo_tax_codes, QBO_UNTAXED)
    for invoice in invoices:
        head = (
            invoice.number,
            invoice.bill_to_name,
            settings.day(invoice.issued_on),
            settings.day(invoice.due_on),
            qbo_terms(invoice.terms_days),
            f"Order {invoice.order_number}" if invoice.order_number else "",
        )
        yield head, qbo_lines(invoice, tax_code)


def qbo_lines(invoice, tax_code: TaxCodes) -> Iterator[tuple]:
    exempt = bool(invoice.tax_exempt_certificate)
    discounts: dict[str, Decimal] = defaultdict(Decimal)
    for line in invoice.lines:
        code = tax_code(line.tax_name, exempt)
        yield (qbo_item(line), line.description, line.quantity, line.unit_price, line.amount, code)
        if line.discount:
            discounts[code] += line.discount
    for code, discount in discounts.items():
        yield ("Discount", "Discount", 1, -discount, -discount, code)


def qbo_csv(start: date, end: date, settings: ExportSettings) -> Iterator[bytes]:
    pages = invoice_pages(start, end)
    return grouped_csv_chunks(QBO_COLUMNS, (group for page in pages for group in qbo_groups(page, settings)))


def export_name(what: str, start: date, end: date) -> str:
    """ "xero-invoices-2026-01-01-to-2026-12-31": what a download is, and its range (ISO dates, always)."""
    return f"{what}-{start.isoformat()}-to-{end.isoformat()}"
