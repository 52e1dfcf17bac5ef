"""Options on a line in a real browser at a phone's size, with JavaScript on and off: the customer picks a
grind for a size in the catalog, adds the same size in a second grind, and places the order; each line shows
its grind, and the database holds two lines of that size.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Order
from wholesale.services import catalog
from wholesale.services.customers.links import login_url

from .factories import make_catalog, make_customer, make_shipping

pytestmark = pytest.mark.browser


@pytest.fixture
def reminder_link(app, live_server):
    with app.app_context():
        variants = make_catalog(coffees=2)
        catalog.set_options(variants[0].product, "Whole bean\nEspresso\nFilter")
        van = make_shipping("Roastery van", "0.00")
        make_customer("Blue Door Café", default_shipping_option=van)
        db.session.commit()
        return login_url(db.session.scalar(select(Contact)), "reminder")


def test_a_customer_orders_one_size_in_two_grinds_on_a_phone(app, phone, reminder_link):
    from playwright.sync_api import expect

    phone.goto(reminder_link)
    expect(phone.get_by_text("Your order is empty")).to_be_visible()
    for grind in ("Espresso", "Filter"):
        if not phone.locator("#offers").is_visible():
            phone.get_by_role("link", name="+ Add a product").click()
        phone.get_by_label("Option for Coffee 00").select_option(grind)
        phone.get_by_role("button", name=re.compile(r"Add Coffee 00, 340 g bag")).click()
        expect(phone.locator("form.line", has_text=grind)).to_have_count(1)
    expect(phone.locator("form.line")).to_have_count(2)
    expect(phone.locator("form.line .line-option")).to_have_text(["Espresso", "Filter"])

    phone.get_by_role("button", name="Place order").click()
    expect(phone.get_by_text(re.compile(r"Thank you! Order W\d{6} is placed\."))).to_be_visible()
    expect(phone.get_by_text("Coffee 00, 340 g bag · Espresso")).to_be_visible()
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.status == "pending"))
        assert [(line.variant.sku, line.option, line.quantity) for line in order.lines] == [
            ("C00-340", "Espresso", 1),
            ("C00-340", "Filter", 1),
        ]
