"""Journey 10 in a real browser on a phone, with JavaScript on and off: getting paid.

Staff approve a pending order; its invoice has its number and due date; the PDF opens; staff record a
partial payment against it, then the rest; the customer, signed in from their link, sees it paid on their
Invoices page.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Invoice
from wholesale.services import deliveries
from wholesale.services.customers.links import login_url

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .factories import make_catalog, make_customer, make_order

pytestmark = pytest.mark.browser


@pytest.fixture
def pending_order(app, staff):
    with app.app_context():
        variants = make_catalog(coffees=1)
        customer = make_customer("Blue Door Café")
        order = make_order(customer, [(variants[0], 4)], status="pending")  # 4 × 14.50 = 58.00
        db.session.commit()
        return order.number, order.id


def test_approve_invoice_pdf_pay_in_two_parts_and_the_customer_sees_it_paid(
    app, live_server, phone, pending_order
):
    from playwright.sync_api import expect

    page = phone
    number, order_id = pending_order
    page.goto(f"{live_server}/admin/sign-in")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Approve: the order gets its invoice, numbered, due in the payment terms.
    page.get_by_role("link", name=f"Review order {number} of Blue Door Café").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"Approved order {number}")).to_be_visible()
    with app.app_context():
        invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order_id))
        invoice_id, invoice_number, due_on = invoice.id, invoice.number, invoice.due_on
        assert due_on == deliveries.today() + timedelta(days=app.config["PAYMENT_TERMS_DAYS"])
    page.goto(f"{live_server}/admin/orders/{order_id}")
    expect(page.locator("#order-invoice")).to_contain_text(invoice_number)
    page.locator("#order-invoice").get_by_role("link", name=invoice_number).click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice_number}")).to_be_visible()
    expect(page.locator(".invoice")).to_contain_text(f"{due_on.day} {due_on:%B %Y}")
    expect(page.locator("#invoice-state")).to_have_text("unpaid")

    # The PDF opens: the download link answers a PDF.
    href = page.get_by_role("link", name="Download PDF").get_attribute("href")
    pdf = page.context.request.get(f"{live_server}{href}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # A partial payment, allocated by hand.
    page.get_by_role("link", name="Record a payment").click()
    expect(page.get_by_role("heading", name="Record a payment from Blue Door Café")).to_be_visible()
    page.get_by_label("Amount", exact=True).fill("20.00")
    page.get_by_label("Method").select_option("cheque")
    page.get_by_label("Reference").fill("CHQ 881")
    page.get_by_label(re.compile("The amounts entered beside each invoice")).check()
    page.get_by_label(f"Amount to pay of {invoice_number}").fill("20.00")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Recorded 20.00 from Blue Door Café.")).to_be_visible()
    page.goto(f"{live_server}/admin/invoices/{invoice_id}")
    expect(page.locator("#invoice-state")).to_have_text("partly paid")
    expect(page.locator("#invoice-balance")).to_have_text("$38.00")

    # The rest, oldest first (nothing entered by hand).
    page.get_by_role("link", name="Record a payment").click()
    page.get_by_label("Amount", exact=True).fill("38.00")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Recorded 38.00 from Blue Door Café.")).to_be_visible()
    page.goto(f"{live_server}/admin/invoices/{invoice_id}")
    expect(page.locator("#invoice-state")).to_have_text("paid")
    expect(page.locator("#invoice-balance")).to_have_text("$0.00")

    # The customer, from their link, sees it paid.
    with app.app_context():
        link = login_url(db.session.scalar(select(Contact)), "reminder", to="invoices")
    page.goto(link)
    expect(page.get_by_role("heading", name="Your invoices")).to_be_visible()
    card = page.locator(f"#invoice-{invoice_id}")
    expect(card).to_contain_text(invoice_number)
    expect(card.locator(".pill")).to_have_text("paid")
    expect(card.locator(".balance")).to_have_text("$0.00")
    pdf_link = card.get_by_role("link", name=f"PDF of {invoice_number}").get_attribute("href")
    assert page.context.request.get(f"{live_server}{pdf_link}").headers["content-type"] == "application/pdf"
