"""Journey 1 in a real browser at a phone's size, with JavaScript on and off.

Open the emailed link, place the unchanged order with one more tap, see the confirmation; then change two
quantities, remove a line, add a product and place that too.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Order, utcnow
from wholesale.services.customers.links import login_url

from .factories import make_catalog, make_customer, make_order, make_shipping

pytestmark = pytest.mark.browser


@pytest.fixture
def reminder_link(app, live_server):
    with app.app_context():
        variants = make_catalog(coffees=3)
        van = make_shipping("Roastery van", "0.00")
        customer = make_customer("Blue Door Café", default_shipping_option=van)
        make_order(
            customer,
            [(variants[0], 4), (variants[2], 2), (variants[5], 1)],
            placed_at=utcnow() - timedelta(days=7),
            shipping_option=van,
        )
        db.session.commit()
        contact = db.session.scalar(select(Contact))
        return login_url(contact, "reminder")


def placed_orders(app) -> list[Order]:
    with app.app_context():
        # Placed here (the fixture's last week's order has no delivery date), delivered or not.
        placed = Order.status.in_(("pending", "fulfilled")) & Order.delivery_date.is_not(None)
        orders = db.session.scalars(select(Order).where(placed).order_by(Order.id)).all()
        return [
            (order.number, [(line.variant.sku, line.quantity) for line in order.lines]) for order in orders
        ]


def line(page, label: str):
    return page.locator("form.line", has_text=label)


def test_reorder_in_two_taps_then_change_and_place_again(app, phone, reminder_link):
    from playwright.sync_api import expect

    referers = []
    phone.on("request", lambda request: referers.append(request.headers.get("referer") or ""))

    # Tap 1: the link in the email. It signs in and lands on the order, the token gone from the address bar.
    phone.goto(reminder_link)
    expect(phone.get_by_role("heading", name="Your order")).to_be_visible()
    assert phone.url.endswith("/order") and "/link/" not in phone.url
    expect(phone.locator("form.line")).to_have_count(3)

    # Tap 2: Place order.
    phone.get_by_role("button", name="Place order").click()
    expect(phone.get_by_text(re.compile(r"Thank you! Order W\d{6} is placed\."))).to_be_visible()
    assert placed_orders(app)[0][1] == [("C00-340", 4), ("C01-340", 2), ("C02-2268", 1)]

    # Next week, that order delivered: two quantities changed, one line removed, one product added.
    with app.app_context():
        delivered = db.session.scalar(select(Order).where(Order.status == "pending"))
        delivered.status, delivered.delivery_date = "fulfilled", delivered.delivery_date - timedelta(days=7)
        db.session.commit()
    phone.get_by_role("link", name="Order", exact=True).click()
    expect(phone.locator("form.line")).to_have_count(3)
    first = line(phone, "Coffee 00")
    first.get_by_role("button", name="One more Coffee 00, 340 g bag").click()
    first = line(phone, "Coffee 00")
    first.get_by_role("button", name="One more Coffee 00, 340 g bag").click()
    if not phone.javascript:
        line(phone, "Coffee 00").get_by_label("Quantity of Coffee 00, 340 g bag").fill("6")
        line(phone, "Coffee 00").get_by_role("button", name="Update").click()
    expect(line(phone, "Coffee 00").get_by_label("Quantity of Coffee 00, 340 g bag")).to_have_value("6")

    quantity = line(phone, "Coffee 01").get_by_label("Quantity of Coffee 01, 340 g bag")
    quantity.fill("5")
    if phone.javascript:
        quantity.blur()
    else:
        line(phone, "Coffee 01").get_by_role("button", name="Update").click()
    expect(line(phone, "Coffee 01")).to_contain_text("$72.50")

    line(phone, "Coffee 02").get_by_role("button", name="Remove Coffee 02, 5 lb bag").click()
    expect(phone.locator("form.line")).to_have_count(2)

    phone.get_by_role("link", name="+ Add a product").click()
    phone.get_by_role("button", name=re.compile(r"Add Coffee 02, 340 g bag")).click()
    expect(phone.locator("form.line")).to_have_count(3)
    expect(phone.get_by_text("Total")).to_be_visible()

    phone.get_by_role("button", name="Place order").click()
    expect(phone.get_by_text(re.compile(r"Thank you! Order W\d{6} is placed\."))).to_be_visible()
    orders = placed_orders(app)
    assert len(orders) == 2
    assert orders[1][1] == [("C00-340", 6), ("C01-340", 5), ("C02-340", 1)]
    token = reminder_link.rsplit("/", 1)[1]
    assert len(referers) > 10 and not [r for r in referers if token in r or "/link/" in r]
