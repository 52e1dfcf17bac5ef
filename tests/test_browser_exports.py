"""The accountant's exports in a real browser at a phone's size, with JavaScript on and off (issue 18).

Staff sign in, open Exports from the navigation, choose January, and download each file: the Xero zip, the
QuickBooks CSV and the plain CSVs, each named for what it is and the range, each holding January's documents.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from wholesale.extensions import db

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .export_data import Line, make_document, make_payment
from .factories import make_customer

pytestmark = pytest.mark.browser


@pytest.fixture
def january(app, staff):
    with app.app_context():
        customer = make_customer("Blue Door Café")
        invoice = make_document(customer, [Line("Ethiopia · 340 g", 4, "14.50", "2.90")], date(2026, 1, 12))
        make_document(
            customer,
            [Line("Ethiopia · 340 g", 1, "14.50")],
            date(2026, 1, 20),
            kind="credit_note",
            credited=invoice,
            reason="Damaged bag",
        )
        make_payment(customer, "55.10", date(2026, 1, 26), [(invoice, "55.10")])
        db.session.commit()


def rows_of(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_download_each_export_for_january(app, live_server, phone, january):
    from playwright.sync_api import expect

    phone.goto(f"{live_server}/admin/sign-in")
    phone.get_by_label("Email").fill(STAFF_EMAIL)
    phone.get_by_label("Password").fill(STAFF_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.get_by_role("navigation", name="Staff").get_by_role("link", name="Exports").click()
    expect(phone.get_by_role("heading", name="Exports for the accountant")).to_be_visible()

    phone.get_by_label("From", exact=True).fill("2026-01-01")
    phone.get_by_label("To", exact=True).fill("2026-01-31")
    phone.get_by_label("Dates in the files").select_option("DD/MM/YYYY")
    phone.get_by_role("button", name="Show this range").click()
    expect(phone.get_by_text("1 invoice, 1 credit note, 1 payment.")).to_be_visible()

    files = {}
    for title in (
        "Xero sales invoices (zip)",
        "QuickBooks Online invoices (CSV)",
        "Invoices (CSV)",
        "Credit notes (CSV)",
        "Payments (CSV)",
    ):
        with phone.expect_download() as download:
            phone.get_by_role("link", name=title, exact=True).click()
        files[download.value.suggested_filename] = Path(download.value.path()).read_bytes()
    assert sorted(files) == [
        "credit-notes-2026-01-01-to-2026-01-31.csv",
        "invoices-2026-01-01-to-2026-01-31.csv",
        "payments-2026-01-01-to-2026-01-31.csv",
        "quickbooks-invoices-2026-01-01-to-2026-01-31.csv",
        "xero-invoices-2026-01-01-to-2026-01-31.zip",
    ]
    with zipfile.ZipFile(io.BytesIO(files["xero-invoices-2026-01-01-to-2026-01-31.zip"])) as archive:
        (xero,) = [rows_of(archive.read(name)) for name in archive.namelist()]
    assert [(r["*InvoiceNumber"], r["*InvoiceDate"], r["Discount"]) for r in xero] == [
        ("INV-000001", "12/01/2026", "5.00")
    ]
    qbo = rows_of(files["quickbooks-invoices-2026-01-01-to-2026-01-31.csv"])
    assert [(r["Invoice no"], r["Item amount"]) for r in qbo] == [
        ("INV-000001", "58.00"),
        ("INV-000001", "-2.90"),
    ]
    assert [r["Total"] for r in rows_of(files["invoices-2026-01-01-to-2026-01-31.csv"])] == ["55.10"]
    assert [r["Credits invoice"] for r in rows_of(files["credit-notes-2026-01-01-to-2026-01-31.csv"])] == [
        "INV-000001"
    ]
    assert [r["Received"] for r in rows_of(files["payments-2026-01-01-to-2026-01-31.csv"])] == ["26/01/2026"]
