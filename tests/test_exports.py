"""The accountant's exports (issue 18), read back as the accountant's software would read them.

Each file is parsed with the csv module (and zipfile) and checked row by row against the invoices it came
from: numbers, dates in each format, quantities, unit amounts, discounts, tax types and the account code,
and totals that reconcile (what each package computes from the lines, plus tax, is the invoice's total).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wholesale.extensions import db
from wholesale.services.invoicing.exports import QBO_COLUMNS, XERO_COLUMNS, ExportSettings, xero_files
from wholesale.services.invoicing.exports.accounting import discount_percent, xero_zip

from .export_data import Line, make_document, make_payment
from .factories import make_catalog, make_customer
from .invoice_data import issued_invoice
from .statements import recorded_statements

JANUARY = {"start": "2026-01-01", "end": "2026-01-31"}
CENT = Decimal("0.01")


def money(text: str) -> Decimal:
    return Decimal(text)


def read_csv(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def read_zip(body: bytes) -> dict[str, list[dict]]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: read_csv(archive.read(name)) for name in archive.namelist()}


def download(client, path: str, **query):
    response = client.get(path, query_string={**JANUARY, **query})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def export_settings(app, monkeypatch):
    for name, value in {
        "EXPORT_ACCOUNT_CODE": "4000",
        "EXPORT_XERO_TAX_TYPES": "Sales tax=OUTPUT2, Zero=ZERORATEDOUTPUT",
        "EXPORT_QBO_TAX_CODES": "Sales tax=TAX, Zero=ZR",
        "EXPORT_DATE_FORMAT": "YYYY-MM-DD",
    }.items():
        monkeypatch.setitem(app.config, name, value)


@pytest.fixture
def january(app, export_settings):
    """Two customers' January invoices (a percent discount, a fixed-amount discount shared unevenly, a zero
    rated line, delivery), a credit note, payments; and documents just outside the month."""
    with app.app_context():
        blue = make_customer("Blue Door Café")
        corner = make_customer("Corner Grocer", contacts=2)
        first = make_document(
            blue,
            [
                Line("Ethiopia Washed · 340 g", 4, "14.50", "2.90", "Sales tax", "8.875", sku="C00-340"),
                Line("Decaf · 5 lb", 1, "82.00", "8.20", "Sales tax", "8.875", sku="C01-2268"),
                Line("Delivery: Courier", 1, "12.00", is_shipping=True, tax_name="Zero"),
            ],
            date(2026, 1, 1),
            order_id=None,
        )
        second = make_document(
            corner,
            [
                Line("House Blend · 340 g", 3, "13.00", "3.33", "Sales tax", "8.875", sku="C02-340"),
                Line("Paper cups", 7, "4.10", "2.18", "Zero", "0", sku="CUPS"),
            ],
            date(2026, 1, 31),
            terms_days=0,
            bill_to_address="Unit 4\nHarbour Building\n1 Quay Street\nOld Town\nPortland\nOR 97209",
        )
        credit = make_document(
            corner,
            [Line("House Blend · 340 g", 1, "13.00", tax_name="Sales tax", tax_rate="8.875")],
            date(2026, 1, 20),
            kind="credit_note",
            credited=second,
            reason="One bag arrived damaged",
        )
        make_document(blue, [Line("December", 1, "10.00")], date(2025, 12, 31))
        make_document(blue, [Line("February", 1, "10.00")], date(2026, 2, 1))
        make_payment(blue, "100.00", date(2026, 1, 15), [(first, "60.00")], reference="BACS 991")
        make_payment(corner, "20.00", date(2026, 1, 31), [(second, "15.00"), (first, "5.00")])
        make_payment(corner, "9.00", date(2026, 2, 1))
        db.session.commit()
        return {"invoices": [first.id, second.id], "credit": credit.id}


def invoices(app, ids):
    from wholesale.models import Invoice

    with app.app_context():
        found = [db.session.get(Invoice, id_) for id_ in ids]
        return [
            {
                "number": inv.number,
                "name": inv.bill_to_name,
                "email": inv.bill_to_email,
                "issued_on": inv.issued_on,
                "due_on": inv.due_on,
                "terms_days": inv.terms_days,
                "total": inv.total,
                "tax": inv.tax,
                "subtotal": inv.subtotal,
                "discount": inv.discount,
                "shipping": inv.shipping,
                "prices_include_tax": inv.prices_include_tax,
                "exempt": bool(inv.tax_exempt_certificate),
                "lines": [
                    {
                        c: getattr(line, c)
                        for c in ("description", "quantity", "unit_price", "amount", "discount")
                    }
                    | {
                        "tax": line.tax,
                        "tax_name": line.tax_name,
                        "sku": line.sku,
                        "is_shipping": line.is_shipping,
                    }
                    for line in inv.lines
                ],
            }
            for inv in found
        ]


XERO_TAX_TYPES = {"Sales tax": "OUTPUT2", "Zero": "ZERORATEDOUTPUT", "": "Tax Exempt"}
QBO_TAX_CODES = {"Sales tax": "TAX", "Zero": "ZR", "": "NON"}


def check_xero(rows: list[dict], expected: list[dict], tax_types: dict[str, str]) -> None:
    """Xero's rows are the invoices' lines, in order, and what Xero computes from them is each total."""
    assert [row["*InvoiceNumber"] for row in rows] == [
        inv["number"] for inv in expected for _ in inv["lines"]
    ]
    for invoice in expected:
        mine = [row for row in rows if row["*InvoiceNumber"] == invoice["number"]]
        nets, taxes = Decimal("0.00"), Decimal("0.00")
        for row, line in zip(mine, invoice["lines"], strict=True):
            assert row["*ContactName"] == invoice["name"] and row["EmailAddress"] == invoice["email"]
            assert row["*InvoiceDate"] == invoice["issued_on"].isoformat()
            assert row["*DueDate"] == invoice["due_on"].isoformat()
            assert row["*Description"] == line["description"]
            assert int(row["*Quantity"]) == line["quantity"]
            assert money(row["*UnitAmount"]) == line["unit_price"]
            assert row["*AccountCode"] == "4000"
            assert row["*TaxType"] == tax_types["" if invoice["exempt"] else line["tax_name"]]
            assert money(row["TaxAmount"]) == line["tax"]
            assert row["Currency"] == "USD" and row["InventoryItemCode"] == "" and row["Total"] == ""
            # What Xero makes of the line: quantity × unit amount, less the Discount percentage, to the cent.
            percent = Decimal(row["Discount"] or "0")
            net = (line["quantity"] * money(row["*UnitAmount"]) * (100 - percent) / 100).quantize(
                CENT, ROUND_HALF_UP
            )
            assert net == line["amount"] - line["discount"], (row, line)
            nets += net
            taxes += money(row["TaxAmount"])
        assert taxes == invoice["tax"], invoice["number"]
        assert nets + (0 if invoice["prices_include_tax"] else taxes) == invoice["total"], invoice["number"]


def check_qbo(rows: list[dict], expected: list[dict], codes: dict[str, str]) -> None:
    """QuickBooks' rows are the invoices' lines then a discount line per tax code; they add up to each total."""
    assert list(dict.fromkeys(row["Invoice no"] for row in rows)) == [inv["number"] for inv in expected]
    for invoice in expected:
        mine = [row for row in rows if row["Invoice no"] == invoice["number"]]
        items, discounts = mine[: len(invoice["lines"])], mine[len(invoice["lines"]) :]
        code_of = {
            id(line): codes["" if invoice["exempt"] else line["tax_name"]] for line in invoice["lines"]
        }
        for row, line in zip(items, invoice["lines"], strict=True):
            assert row["Customer"] == invoice["name"]
            assert (row["Invoice date"], row["Due date"]) == (
                invoice["issued_on"].isoformat(),
                invoice["due_on"].isoformat(),
            )
            terms = invoice["terms_days"]
            assert row["Terms"] == ("Due on receipt" if terms == 0 else f"Net {terms}")
            assert row["Item(Product/Service)"] == ("Shipping" if line["is_shipping"] else line["sku"])
            assert row["Item description"] == line["description"]
            assert (
                int(row["Item quantity"]) * money(row["Item rate"])
                == money(row["Item amount"])
                == line["amount"]
            )
            assert row["Item tax code"] == code_of[id(line)]
        # One discount line per tax code, each the sum of its lines' discounts, taxed like them.
        by_code = {}
        for line in invoice["lines"]:
            if line["discount"]:
                by_code[code_of[id(line)]] = by_code.get(code_of[id(line)], 0) + line["discount"]
        assert {row["Item tax code"]: -money(row["Item amount"]) for row in discounts} == by_code
        assert {row["Item(Product/Service)"] for row in discounts} <= {"Discount"}
        amounts = sum(money(row["Item amount"]) for row in mine)
        assert amounts == invoice["subtotal"] - invoice["discount"] + invoice["shipping"]
        assert amounts + (0 if invoice["prices_include_tax"] else invoice["tax"]) == invoice["total"]


# --- Xero ---------------------------------------------------------------------------------------------------


def test_xero_rows_are_the_invoices_lines_in_xeros_template(app, staff_client, january):
    response = download(staff_client, "/admin/exports/xero-invoices.zip")
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="xero-invoices-2026-01-01-to-2026-01-31.zip"'
    )
    files = read_zip(response.get_data())
    assert list(files) == ["xero-invoices-2026-01-01-to-2026-01-31-part-1.csv"]
    (rows,) = files.values()
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        header = archive.read(archive.namelist()[0]).decode().splitlines()[0]
    assert header == ",".join(XERO_COLUMNS)
    assert header.startswith("*ContactName,EmailAddress,POAddressLine1,") and header.endswith(
        ",Currency,BrandingTheme"
    )

    check_xero(rows, invoices(app, january["invoices"]), XERO_TAX_TYPES)
    assert {row["Discount"] for row in rows} >= {"5.00", "10.00", "8.54", "7.60"}  # ...and "" for none


def test_xero_address_lines_fill_four_columns(app, staff_client, january):
    rows = next(
        iter(read_zip(download(staff_client, "/admin/exports/xero-invoices.zip").get_data()).values())
    )
    blue = rows[0]
    assert [blue[f"POAddressLine{n}"] for n in range(1, 5)] == ["12 Mill Lane", "Portland, OR 97201", "", ""]
    corner = rows[-1]
    assert [corner[f"POAddressLine{n}"] for n in range(1, 5)] == [
        "Unit 4",
        "Harbour Building",
        "1 Quay Street",
        "Old Town, Portland, OR 97209",
    ]
    assert {corner[c] for c in ("POCity", "PORegion", "POPostalCode", "POCountry")} == {""}


def test_501_invoices_make_two_xero_files_and_no_invoice_is_split(app, export_settings):
    with app.app_context():
        customer = make_customer("Hotel Grand")
        for n in range(501):
            lines = [Line(f"Bag {n}", 1 + n % 3, "10.00")] + ([Line("Extra", 1, "1.00")] if n % 2 else [])
            make_document(customer, lines, date(2026, 3, 1 + n % 28), sequence_value=n + 1)
        db.session.commit()
        march = (date(2026, 3, 1), date(2026, 3, 31), ExportSettings.from_config())
        with recorded_statements(app) as statements:
            files = list(xero_files(*march))
        # Read a page at a time: per 500 invoices, one statement for them and one for their lines.
        assert len(statements) == 4, statements
        # The zip is handed on as it is written: a piece per file, before the next file is read.
        pieces = [piece for piece in xero_zip(*march) if piece]
        assert len(pieces) >= 2
        with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as archive:
            assert [archive.read(name) for name in archive.namelist()] == [body for _, body in files]
    assert [name for name, _ in files] == [
        "xero-invoices-2026-03-01-to-2026-03-31-part-1.csv",
        "xero-invoices-2026-03-01-to-2026-03-31-part-2.csv",
    ]
    numbers = [[row["*InvoiceNumber"] for row in read_csv(body)] for _, body in files]
    assert [len(set(part)) for part in numbers] == [500, 1]
    assert set(numbers[0]).isdisjoint(numbers[1])
    assert len(numbers[0]) == 500 + 250  # every line of each invoice in its file
    assert numbers[1] == ["INV-000501"]


# --- QuickBooks Online --------------------------------------------------------------------------------------


def test_quickbooks_rows_reconcile_with_a_discount_line_per_tax_code(app, staff_client, january):
    response = download(staff_client, "/admin/exports/quickbooks-invoices.csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="quickbooks-invoices-2026-01-01-to-2026-01-31.csv"'
    )
    body = response.get_data()
    assert not body.startswith(b"\xef\xbb\xbf")  # an import file: no byte order mark
    assert body.decode().splitlines()[0] == ",".join(QBO_COLUMNS)
    check_qbo(read_csv(body), invoices(app, january["invoices"]), QBO_TAX_CODES)


# --- Plain CSVs ---------------------------------------------------------------------------------------------


def test_invoices_csv_has_one_row_per_invoice_of_the_range(app, staff_client, january):
    response = download(staff_client, "/admin/exports/invoices.csv")
    assert response.get_data().startswith(b"\xef\xbb\xbf")  # a spreadsheet reads café names as UTF-8
    rows = read_csv(response.get_data())
    expected = invoices(app, january["invoices"])
    assert [row["Number"] for row in rows] == [inv["number"] for inv in expected]
    for row, invoice in zip(rows, expected, strict=True):
        assert row["Customer"] == invoice["name"] and row["Date"] == invoice["issued_on"].isoformat()
        parts = {k: money(row[k.capitalize()]) for k in ("subtotal", "discount", "shipping", "tax", "total")}
        assert parts == {k: invoice[k] for k in parts}
        assert parts["subtotal"] - parts["discount"] + parts["shipping"] + parts["tax"] == parts["total"]
        assert row["Prices include tax"] == "no" and row["Terms (days)"] == str(invoice["terms_days"])


def test_credit_notes_csv_names_the_invoice_each_credits(app, staff_client, january):
    rows = read_csv(download(staff_client, "/admin/exports/credit-notes.csv").get_data())
    assert [(r["Number"], r["Credits invoice"], r["Customer"], r["Total"], r["Reason"]) for r in rows] == [
        ("CN-000001", "INV-000002", "Corner Grocer", "14.15", "One bag arrived damaged")
    ]
    assert rows[0]["Date"] == "2026-01-20" and rows[0]["Tax"] == "1.15"


def test_payments_csv_has_a_row_per_allocation_and_one_for_the_unallocated_rest(app, staff_client, january):
    rows = read_csv(download(staff_client, "/admin/exports/payments.csv").get_data())
    assert [(r["Payment"], r["Received"], r["Customer"], r["Invoice"], r["Amount"]) for r in rows] == [
        ("1", "2026-01-15", "Blue Door Café", "INV-000001", "60.00"),
        ("1", "2026-01-15", "Blue Door Café", "", "40.00"),
        ("2", "2026-01-31", "Corner Grocer", "INV-000002", "15.00"),
        ("2", "2026-01-31", "Corner Grocer", "INV-000001", "5.00"),
    ]
    for payment in {row["Payment"] for row in rows}:
        mine = [row for row in rows if row["Payment"] == payment]
        assert sum(money(r["Amount"]) for r in mine) == money(mine[0]["Payment amount"])
    assert rows[0]["Reference"] == "BACS 991" and rows[0]["Method"] == "bank transfer"


# --- Dates, safety, ranges ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_format", "issued", "due"),
    [
        ("YYYY-MM-DD", "2026-01-31", "2026-01-31"),
        ("DD/MM/YYYY", "31/01/2026", "31/01/2026"),
        ("MM/DD/YYYY", "01/31/2026", "01/31/2026"),
    ],
)
def test_dates_in_every_file_follow_the_chosen_format(
    app, staff_client, january, monkeypatch, date_format, issued, due
):
    monkeypatch.setitem(app.config, "EXPORT_DATE_FORMAT", date_format)  # the setting, the page's default
    xero = next(
        iter(read_zip(download(staff_client, "/admin/exports/xero-invoices.zip").get_data()).values())
    )
    assert (xero[-1]["*InvoiceDate"], xero[-1]["*DueDate"]) == (issued, due)
    qbo = read_csv(download(staff_client, "/admin/exports/quickbooks-invoices.csv").get_data())
    assert (qbo[-1]["Invoice date"], qbo[-1]["Due date"]) == (issued, due)
    plain = read_csv(download(staff_client, "/admin/exports/invoices.csv").get_data())
    assert (plain[-1]["Date"], plain[-1]["Due date"]) == (issued, due)
    payments = read_csv(download(staff_client, "/admin/exports/payments.csv").get_data())
    assert payments[-1]["Received"] == issued
    # Chosen on the page for one download, whatever the setting says.
    other = "DD/MM/YYYY" if date_format != "DD/MM/YYYY" else "YYYY-MM-DD"
    credit = read_csv(download(staff_client, "/admin/exports/credit-notes.csv", date_format=other).get_data())
    assert credit[0]["Date"] == ("20/01/2026" if other == "DD/MM/YYYY" else "2026-01-20")


DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+1", "-2", "@x"]


def test_every_text_cell_is_spreadsheet_safe_and_unicode_survives(app, staff_client, export_settings):
    with app.app_context():
        for n, name in enumerate([*DANGEROUS, "Café Ñandú 東京"], start=1):
            customer = make_customer(name)
            invoice = make_document(customer, [Line(name, 1, "5.00", "0.50")], date(2026, 1, n), reason=name)
            make_document(
                customer,
                [Line("Back", 1, "1.00")],
                date(2026, 1, n),
                kind="credit_note",
                credited=invoice,
                reason=name,
            )
            make_payment(customer, "5.00", date(2026, 1, n), [(invoice, "4.50")], reference=name, notes=name)
        db.session.commit()
    cells = {
        "xero": [
            (r["*ContactName"], r["*Description"])
            for r in next(
                iter(read_zip(download(staff_client, "/admin/exports/xero-invoices.zip").get_data()).values())
            )
        ],
        "qbo": [
            (r["Customer"], r["Item description"])
            for r in read_csv(download(staff_client, "/admin/exports/quickbooks-invoices.csv").get_data())
            if r["Item(Product/Service)"] != "Discount"
        ],
        "invoices": [
            (r["Customer"],)
            for r in read_csv(download(staff_client, "/admin/exports/invoices.csv").get_data())
        ],
        "credit notes": [
            (r["Customer"], r["Reason"])
            for r in read_csv(download(staff_client, "/admin/exports/credit-notes.csv").get_data())
        ],
        "payments": [
            (r["Customer"], r["Reference"], r["Notes"])
            for r in read_csv(download(staff_client, "/admin/exports/payments.csv").get_data())
        ],
    }
    neutralised = ["'" + name for name in DANGEROUS] + ["Café Ñandú 東京"]
    for export, rows in cells.items():
        names = [row[0] for row in rows]
        assert sorted(set(names)) == sorted(neutralised), export
        assert all(set(row) <= set(neutralised) for row in rows), export
    # Numbers are numbers: a QuickBooks discount line's negative amount is not "neutralised".
    qbo = read_csv(download(staff_client, "/admin/exports/quickbooks-invoices.csv").get_data())
    assert {r["Item amount"] for r in qbo if r["Item(Product/Service)"] == "Discount"} == {"-0.50"}


def test_an_empty_range_gives_headers_only(app, staff_client, january):
    empty = {"start": "2024-01-01", "end": "2024-12-31"}
    files = read_zip(download(staff_client, "/admin/exports/xero-invoices.zip", **empty).get_data())
    assert files == {"xero-invoices-2024-01-01-to-2024-12-31-part-1.csv": []}
    for path in ("quickbooks-invoices.csv", "invoices.csv", "credit-notes.csv", "payments.csv"):
        body = download(staff_client, f"/admin/exports/{path}", **empty).get_data()
        assert len(body.decode("utf-8-sig").splitlines()) == 1, path
    page = staff_client.get("/admin/exports", query_string=empty).get_data(as_text=True)
    assert "0 invoices, 0 credit notes, 0 payments." in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-02-01", "end": "2026-01-01"}, "The start date is after the end date."),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "Choose a range of at most three years."),
        ({"start": "2026-02-30", "end": "2026-03-01"}, "That is not a date on the calendar."),
        ({"end": "2026-03-01"}, "Choose the first day."),
        ({"start": "2026-01-01", "end": "2026-01-31", "date_format": "YY.MM"}, "Not a valid choice."),
    ],
)
def test_a_bad_range_is_refused_with_a_message_and_no_file(staff_client, query, message):
    for path in ("/admin/exports", "/admin/exports/xero-invoices.zip", "/admin/exports/payments.csv"):
        response = staff_client.get(path, query_string=query)
        assert response.status_code == 400 and response.mimetype == "text/html", path
        assert message in response.get_data(as_text=True)
        assert "Content-Disposition" not in response.headers


def test_the_page_offers_last_month_by_default_and_each_download(app, staff_client, january, monkeypatch):
    monkeypatch.setattr("wholesale.admin.exports.today", lambda: date(2026, 2, 10))  # in the roastery's zone
    page = staff_client.get("/admin/exports")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="2026-01-01"' in html and 'value="2026-01-31"' in html
    assert "2 invoices, 1 credit note, 2 payments." in html
    for filename in (
        "xero-invoices-2026-01-01-to-2026-01-31.zip",
        "quickbooks-invoices-2026-01-01-to-2026-01-31.csv",
        "invoices-2026-01-01-to-2026-01-31.csv",
        "credit-notes-2026-01-01-to-2026-01-31.csv",
        "payments-2026-01-01-to-2026-01-31.csv",
    ):
        assert filename in html
    assert (
        "/admin/exports/xero-invoices.zip?start=2026-01-01&amp;end=2026-01-31&amp;date_format=YYYY-MM-DD"
        in html
    )
    assert "start=2026-01-01&amp;end=2026-12-31" in html and "start=2025-01-01&amp;end=2025-12-31" in html
    assert "Tax exclusive" in html and "credit notes CSV only" in html
    assert 'href="/admin/exports" aria-current="page"' in html  # the nav says where we are


def test_prices_with_tax_included_say_tax_inclusive(app, staff_client, monkeypatch):
    monkeypatch.setitem(app.config, "PRICES_INCLUDE_TAX", True)
    assert "Tax inclusive" in staff_client.get("/admin/exports").get_data(as_text=True)


def test_discount_percentages_give_back_the_discounted_amount():
    assert discount_percent(Decimal("58.00"), Decimal("2.90")) == Decimal("5.00")
    assert discount_percent(Decimal("39.00"), Decimal("3.33")) == Decimal("8.54")
    assert discount_percent(Decimal("28.70"), Decimal("2.18")) == Decimal("7.60")
    assert discount_percent(Decimal("1000.00"), Decimal("75.55")) == Decimal("7.555")  # 7.56 % is 5 cents off
    assert discount_percent(Decimal("10.00"), Decimal("0")) is None


QUERY = st.dictionaries(
    st.sampled_from(["start", "end", "date_format", "page"]),
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(
            ["2026-01-01", "2026-02-30", "0000-01-01", "9999-12-31", "1-1-1", "YYYY-MM-DD", "\x00"]
        ),
        st.dates().map(str),
    ),
)


def test_no_query_makes_a_500(app, staff_client):
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(
        query=QUERY,
        path=st.sampled_from(
            ["/admin/exports", "/admin/exports/xero-invoices.zip", "/admin/exports/invoices.csv"]
        ),
    )
    def fetch(query, path):
        response = staff_client.get(path, query_string=query)
        assert response.status_code in (200, 400), (path, query, response.status_code)
        response.get_data()

    fetch()


@pytest.mark.parametrize("prices_include_tax", [False, True], ids=["tax exclusive", "tax inclusive"])
def test_invoices_issued_by_the_core_reconcile_in_both_packages(
    app, staff_client, export_settings, monkeypatch, prices_include_tax
):
    """Invoices as approving an order issues them (services.invoicing): a percent discount shared by largest
    remainder, a zero-rated product, delivery, an exempt customer; with prices entered with or without tax."""
    rules = {"TAX_RATES": "Sales tax 8.875%, Zero 0%", "PRICES_INCLUDE_TAX": prices_include_tax}
    with app.app_context():
        variants = make_catalog(coffees=3, sizes=(("340 g bag", 340, "14.45"), ("5 lb bag", 2268, "81.99")))
        variants[4].product.tax_rate_name = "Zero"
        blue = make_customer("Blue Door Café")
        corner = make_customer("Corner Grocer", tax_exempt_certificate="EX-2291")
        hotel = make_customer("Hotel Grand", payment_terms_days=30)
        ids = [
            issued_invoice(
                blue,
                [(variants[0], 3), (variants[1], 1), (variants[4], 7)],
                "7.5",
                "12.00",
                today=date(2026, 1, 5),
                **rules,
            ).id,
            issued_invoice(
                corner, [(variants[2], 2), (variants[3], 1)], "2.5", "0", today=date(2026, 1, 9), **rules
            ).id,
            issued_invoice(
                hotel, [(variants[5], 11), (variants[0], 1)], "0", "9.99", today=date(2026, 1, 30), **rules
            ).id,
        ]
    for name, value in rules.items():
        monkeypatch.setitem(app.config, name, value)
    expected = invoices(app, ids)
    assert any(inv["discount"] for inv in expected) and any(inv["exempt"] for inv in expected)
    assert {line["tax_name"] for inv in expected for line in inv["lines"]} == {"Sales tax", "Zero"}
    xero = read_zip(download(staff_client, "/admin/exports/xero-invoices.zip").get_data())
    check_xero(next(iter(xero.values())), expected, XERO_TAX_TYPES)
    qbo = read_csv(download(staff_client, "/admin/exports/quickbooks-invoices.csv").get_data())
    check_qbo(qbo, expected, QBO_TAX_CODES)
    page = staff_client.get("/admin/exports").get_data(as_text=True)
    assert ("Tax inclusive" if prices_include_tax else "Tax exclusive") in page


def test_tax_codes_follow_the_maps_by_name_and_untaxed_lines_have_their_own():
    from wholesale.services.invoicing.exports.accounting import TaxCodes

    code = TaxCodes({"vat": "OUTPUT2", "none": "NONE"}, "Tax Exempt")
    assert code("VAT", False) == "OUTPUT2"
    assert code("Reduced", False) == "Reduced"
    assert code("", False) == "NONE"
    assert code("VAT", True) == "NONE"  # an exempt customer's line
    assert TaxCodes({}, "Tax Exempt")("", False) == "Tax Exempt"


def test_a_credit_note_issued_by_the_core_is_in_the_credit_notes_csv(
    app, staff_client, export_settings, monkeypatch
):
    from wholesale.models import Invoice
    from wholesale.services.deliveries import today
    from wholesale.services.invoicing.credit_notes import issue_credit_note

    monkeypatch.setitem(app.config, "TAX_RATES", "Sales tax 8.875%")
    with app.app_context():
        variants = make_catalog(coffees=1)
        invoice = issued_invoice(make_customer("Blue Door Café"), [(variants[0], 3)], "10")
        with app.test_request_context():
            note_id = issue_credit_note(invoice.id, {invoice.lines[0].id: 1}, "One bag damaged", None).id
        note = db.session.get(Invoice, note_id)
        expected = (note.number, invoice.number, note.subtotal, note.discount, note.tax, note.total)
        day = today().isoformat()
    body = download(staff_client, "/admin/exports/credit-notes.csv", start=day, end=day).get_data()
    rows = [
        (r["Number"], r["Credits invoice"], *(money(r[k]) for k in ("Subtotal", "Discount", "Tax", "Total")))
        for r in read_csv(body)
    ]
    assert rows == [expected]
    number, credited, subtotal, discount, tax, total = rows[0]
    assert subtotal - discount + tax == total and total > 0


def test_payments_across_pages_come_once_each_by_day_received(app, export_settings):
    from wholesale.services.invoicing.exports import ledgers

    with app.app_context():
        customer = make_customer("Hotel Grand")
        for n in range(520):  # more than a page, and a page ends inside a day
            make_payment(customer, f"{n + 1}.00", date(2026, 3, 1 if n < 510 else 2 + n % 3))
        db.session.commit()
        body = b"".join(
            ledgers.payments_csv(date(2026, 3, 1), date(2026, 3, 31), ExportSettings.from_config())
        )
    rows = read_csv(body)
    assert sorted(int(row["Payment"]) for row in rows) == list(range(1, 521))
    assert [row["Received"] for row in rows] == sorted(row["Received"] for row in rows)
