"""Journey 2 in a real browser at a laptop's size (1280×800), with JavaScript on and off.

A customer places an order on the portal. Staff sign in, open Pending, Review the order, Edit its
quantity, shipping option, discount and roast date, see the order total change, and Approve it. The
customer's order page then shows it approved and read-only.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Order
from wholesale.services.customers.links import login_url

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .order_fixtures import customer_client, shop  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

FRIDAY_NOON = datetime(2026, 12, 4, 12, tzinfo=UTC)
ROAST = date(2026, 12, 7)  # the Monday after: the portal order is for Monday's delivery, not before its roast


@pytest.fixture
def friday():
    """A fixed Friday from before anyone signs in or orders: from the real today, the roast date three days on
    came after the order's delivery (the next weekday) on every day but a Friday, and the edit was refused."""
    with time_machine.travel(FRIDAY_NOON):
        yield


@pytest.fixture(params=["js", "no-js"])
def laptop(request, chromium):
    """A laptop-sized page (1280×800), with JavaScript on and, as a second run, off."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=request.param == "js"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.javascript = request.param == "js"
    problems = []  # a Content-Security-Policy violation is a console error too
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console", lambda message: message.type == "error" and problems.append(f"console: {message.text}")
    )
    yield page
    artifacts = os.environ.get("TEST_ARTIFACTS")
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        page.screenshot(path=os.path.join(artifacts, f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not problems, problems


def test_review_edit_and_approve_a_portal_order(friday, app, live_server, laptop, chromium, shop):
    from playwright.sync_api import expect

    page = laptop
    number = f"W{shop.order_id:06d}"

    # Sign in as staff: the orders overview opens on Pending, with the count in the navigation.
    page.goto(f"{live_server}/admin/sign-in")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Staff").get_by_role("link", name=re.compile(r"Orders 1 pending"))
    ).to_be_visible()
    row = page.get_by_role("row", name=re.compile(number))
    expect(row).to_contain_text("Blue Door Café")
    expect(row).to_contain_text("portal")
    expect(row).to_contain_text("$169.00")

    # Review: the order, Edit bottom left, Approve bottom right; it prints without the buttons.
    row.get_by_role("link", name=f"Review order {number} of Blue Door Café").click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.locator("#invoice-total")).to_have_text("$169.00")
    edit, approve = page.get_by_role("link", name="Edit"), page.get_by_role("button", name="Approve")
    assert edit.bounding_box()["x"] < approve.bounding_box()["x"]
    assert abs(edit.bounding_box()["y"] - approve.bounding_box()["y"]) < 20  # one row, at the order's bottom
    page.emulate_media(media="print")
    expect(page.locator("#invoice-total")).to_be_visible()
    expect(approve).to_be_hidden()
    expect(page.get_by_role("navigation", name="Staff")).to_be_hidden()
    expect(page.get_by_role("heading", name="History")).to_be_hidden()
    page.emulate_media(media="screen")

    # Edit: quantity 4 → 6, the courier, 10 % off, a roast date.
    edit.click()
    expect(page.get_by_role("heading", name=f"Edit order {number}")).to_be_visible()
    quantity = page.get_by_label("Quantity of Coffee 00, 340 g bag")
    quantity.fill("6")
    line = page.locator(f"#line-{shop.line_ids[0]}")
    if page.javascript:
        quantity.press("Tab")
    else:
        line.get_by_role("button", name="Update").click()
    expect(line).to_contain_text("$87.00")
    expect(page.locator("#editor-total")).to_have_text("$198.00")

    page.get_by_label("Shipping option").select_option(label="Courier ($12.00)")
    page.get_by_label("Discount (%)").fill("10")
    page.get_by_label("Discount (%)").press("Tab")
    page.get_by_label("Roast date").fill(ROAST.isoformat())
    if page.javascript:  # saved as they change: the totals follow without a reload
        expect(page.locator("#editor-total")).to_have_text("$190.20")  # 198.00 − 19.80 + 12.00
        expect(page.locator("#shipping_fee")).to_have_value("12.00")
    page.get_by_role("button", name="Save and return to the order").click()

    # Back on the order, with the new total.
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.locator("#invoice-total")).to_have_text("$190.20")
    expect(page.locator(".invoice")).to_contain_text(ROAST.strftime("%a %d %b %Y"))
    expect(page.locator(".invoice")).to_contain_text("Discount (10 %)")
    expect(page.locator(".invoice")).to_contain_text("Shipping (Courier)")

    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"Approved order {number}; Blue Door Café is emailed.")).to_be_visible()
    expect(page.get_by_text("No pending orders.")).to_be_visible()

    # Approved, it is invoiced: the order links its invoice, which prints as the document alone.
    page.goto(f"{live_server}/admin/orders/{shop.order_id}")
    page.get_by_role("link", name="INV-000001").click()
    expect(page.get_by_role("heading", name="Invoice INV-000001")).to_be_visible()
    expect(page.locator("#document-total")).to_have_text("$190.20")
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Download PDF")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Staff")).to_be_hidden()
    page.emulate_media(media="screen")

    with app.app_context():
        order = db.session.get(Order, shop.order_id)
        assert (order.status, str(order.total), order.roast_date) == ("approved", "190.20", ROAST)
        assert order.approved_by_staff_id == shop.staff_id and order.approved_at is not None
        contact = db.session.scalar(select(Contact).where(Contact.id == shop.contact_ids[0]))
        link = login_url(contact, "reminder")

    # The customer's order page: approved and read-only.
    customer = chromium.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=page.javascript
    )
    try:
        phone = customer.new_page()
        phone.goto(link)
        phone.goto(f"{live_server}/orders/{shop.order_id}")
        expect(phone.get_by_role("heading", name=f"Order {number}")).to_be_visible()
        expect(phone.get_by_text("approved", exact=True)).to_be_visible()
        expect(phone.get_by_text("It can no longer be changed here.")).to_be_visible()
        expect(phone.get_by_text("$190.20", exact=True)).to_be_visible()
        expect(phone.get_by_role("link", name="download the PDF")).to_be_visible()  # its invoice
        expect(phone.get_by_role("link", name="Change this order")).to_have_count(0)
        phone.goto(f"{live_server}/orders/{shop.order_id}/edit")
        expect(phone.get_by_text("is approved and can no longer be changed here")).to_be_visible()
        assert phone.url.endswith(f"/orders/{shop.order_id}")
    finally:
        customer.close()


@pytest.mark.parametrize("who", ["staff", "customer"])
def test_a_typed_quantity_then_tab_saves_what_was_typed(app, live_server, chromium, shop, who):
    """Tab from a quantity focuses the + button; the saved quantity is still the one typed (not one more)."""
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        if who == "staff":
            page.goto(f"{live_server}/admin/sign-in")
            page.get_by_label("Email").fill(STAFF_EMAIL)
            page.get_by_label("Password").fill(STAFF_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.goto(f"{live_server}/admin/orders/{shop.order_id}/edit")
        else:
            with app.app_context():
                page.goto(login_url(db.session.get(Contact, shop.contact_ids[0]), "reminder"))
            page.goto(f"{live_server}/orders/{shop.order_id}/edit")
        quantity = page.get_by_label("Quantity of Coffee 00, 340 g bag")
        quantity.fill("6")
        quantity.press("Tab")
        expect(page.locator("#totals")).to_contain_text("$198.00")  # 6 × 14.50 + 29.00 + 82.00
        with app.app_context():
            assert db.session.get(Order, shop.order_id).lines[0].quantity == 6
    finally:
        context.close()
