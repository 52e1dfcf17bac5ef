"""The customer's week in a real browser at a phone's size, with JavaScript on and off (issue 16's journey).

Open the emailed link, choose a delivery date, place; open the same link again: the placed order is shown,
with no fresh Place order for the same lines; change a quantity before the cut-off; after the cut-off (the
clock moved on) it is read-only. Below the minimum, the page says how far, and Place makes no order.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Customer, Order, utcnow
from wholesale.services.customers.links import login_url

from .factories import make_catalog, make_customer, make_order, make_shipping

pytestmark = pytest.mark.browser

LA = ZoneInfo("America/Los_Angeles")
SATURDAY_NOON = datetime(2026, 12, 5, 12, tzinfo=LA)
TUESDAY_CUTOFF = datetime(2026, 12, 6, 17, tzinfo=LA)


@pytest.fixture
def clock():
    with time_machine.travel(SATURDAY_NOON) as traveller:
        yield traveller


@pytest.fixture
def reminder_link(app, live_server, clock):
    with app.app_context():
        variants = make_catalog(coffees=3)
        van = make_shipping("Roastery van", "0.00")
        van.weekdays, van.cutoff_days_before, van.cutoff_time = (1, 4), 2, time(17)
        customer = make_customer("Blue Door Café", default_shipping_option=van)
        make_order(
            customer,
            [(variants[0], 4), (variants[2], 2)],
            placed_at=utcnow() - timedelta(days=8),
            shipping_option=van,
            delivery_date=date(2026, 11, 27),
        )
        db.session.commit()
        return login_url(db.session.scalar(select(Contact)), "reminder")


def orders_for_tuesday(app) -> list[Order]:
    with app.app_context():
        query = select(Order).where(Order.delivery_date == date(2026, 12, 8)).order_by(Order.id)
        orders = db.session.scalars(query).all()
        return [(order.id, order.status, [line.quantity for line in order.lines]) for order in orders]


def test_choose_a_date_place_then_the_link_opens_that_order_until_its_cutoff(
    app, phone, reminder_link, clock
):
    from playwright.sync_api import expect

    phone.goto(reminder_link)
    expect(phone.get_by_role("heading", name="Your order")).to_be_visible()
    dates = phone.get_by_label("Delivery date")
    expect(dates).to_have_value("2026-12-11")  # the usual Friday
    dates.select_option(label="Tue 8 Dec · order by Sun 17:00")
    phone.get_by_role("button", name="Place order").click()
    expect(phone.get_by_text(re.compile(r"Thank you! Order W\d{6} is placed\."))).to_be_visible()
    expect(phone.locator(".delivery-note")).to_contain_text("Delivery Tue 8 Dec by Roastery van.")
    ((order_id, status, quantities),) = orders_for_tuesday(app)
    assert (status, quantities) == ("pending", [4, 2])

    # The same link again: the order placed, to change; no fresh Place order for the same lines.
    phone.goto(reminder_link)
    expect(phone.get_by_role("heading", name=f"Change order W{order_id:06d}")).to_be_visible()
    expect(phone.get_by_role("button", name="Place order")).to_have_count(0)
    expect(phone.get_by_text("You can change it until Sun 6 Dec, 17:00.")).to_be_visible()
    with phone.expect_response(re.compile(r"/orders/\d+/lines/\d+")):
        phone.get_by_role("button", name="One more Coffee 00, 340 g bag").click()
    expect(phone.get_by_label("Quantity of Coffee 00, 340 g bag")).to_have_value("5")
    assert orders_for_tuesday(app)[0][2] == [5, 2]

    # After the cut-off: read-only, with the reason.
    clock.move_to(TUESDAY_CUTOFF + timedelta(minutes=1))
    phone.goto(reminder_link)
    expect(phone.get_by_role("heading", name=f"Order W{order_id:06d}")).to_be_visible()
    expect(phone.get_by_text("Orders for Tue 8 Dec closed at Sun 6 Dec, 17:00")).to_be_visible()
    expect(phone.get_by_role("link", name="Change this order")).to_have_count(0)
    expect(phone.get_by_text("Cancel this order")).to_have_count(0)
    assert orders_for_tuesday(app) == [(order_id, "pending", [5, 2])]


def test_below_the_minimum_the_page_says_how_far_and_places_nothing(app, phone, reminder_link):
    from playwright.sync_api import expect

    with app.app_context():
        customer = db.session.scalar(select(Customer))
        customer.minimum_kind, customer.minimum_weight_g = "weight", 5000
        db.session.commit()
    phone.expected_problems.append("status of 422")  # Place refused: the page comes back as a 422
    phone.goto(reminder_link)
    # 4 × 340 g + 2 × 340 g = 2.04 kg of coffee.
    expect(phone.get_by_text("Add 3 kg to reach the 5 kg minimum.")).to_be_visible()
    phone.get_by_role("button", name="Place order").click()
    expect(phone.get_by_text("Add 3 kg to reach the 5 kg minimum.").first).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(Order).where(Order.status == "pending")) is None
