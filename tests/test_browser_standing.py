"""Issue 17's journey in a real browser, the clock frozen: a customer makes an order standing on a phone, skips
next week's delivery from the preview email's link; staff see it on the week board; the week after, the
standing order places itself at the cut-off and the board shows the order. JavaScript on and off.

The van delivers Tuesday and Friday, orders closing two days before at 17:00 in Los Angeles. It is Saturday
5 December 2026 at noon: Tuesday 8 December closes on Sunday at 17:00, and its preview is due already.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Email, Order, StandingOrder, utcnow
from wholesale.services.customers.links import login_url
from wholesale.services.standing.tick import dispatch_standing_orders

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .factories import make_catalog, make_customer, make_order, make_shipping
from .reminder_data import LINK

pytestmark = pytest.mark.browser

LA = ZoneInfo("America/Los_Angeles")
SATURDAY_NOON = datetime(2026, 12, 5, 12, tzinfo=LA)
NEXT_CUTOFF = datetime(2026, 12, 13, 17, tzinfo=LA)  # Sun 13 Dec, 17:00: orders for Tue 15 Dec close


@pytest.fixture
def clock():
    with time_machine.travel(SATURDAY_NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def customer_link(app, live_server, clock):
    with app.app_context():
        variants = make_catalog(coffees=2)
        van = make_shipping("Roastery van", "0.00")
        van.weekdays, van.cutoff_days_before, van.cutoff_time = (1, 4), 2, time(17)
        customer = make_customer("Blue Door Café", default_shipping_option=van, reminders_enabled=True)
        make_order(
            customer,
            [(variants[0], 4), (variants[2], 2)],
            placed_at=utcnow() - timedelta(days=6),
            shipping_option=van,
            delivery_date=date(2026, 12, 1),
        )
        db.session.commit()
        return login_url(db.session.scalar(select(Contact)), "reminder")


def tick(app, at: datetime) -> None:
    with app.app_context():
        dispatch_standing_orders(at)


def skip_link(app) -> str:
    with app.app_context():
        email = db.session.scalar(select(Email).where(Email.kind == "standing_preview"))
        path = next(url for url in LINK.findall(email.text_body) if "/skip/" in url)
    return path


def standing_orders_placed(app) -> list[tuple[date, str]]:
    with app.app_context():
        orders = db.session.scalars(select(Order).where(Order.channel == "standing").order_by(Order.id))
        return [(order.delivery_date, order.status) for order in orders]


def test_make_an_order_standing_skip_next_week_from_the_preview_and_it_places_itself_the_week_after(
    app, live_server, phone, chromium, staff, customer_link, clock
):
    from playwright.sync_api import expect

    # On the phone: the emailed link, the last order, "Make this standing".
    phone.goto(customer_link)
    phone.get_by_role("link", name="Your orders").first.click()
    phone.get_by_role("link", name=re.compile(r"W\d{6}")).first.click()
    phone.get_by_role("link", name="Make this standing").click()
    phone.get_by_label("Every week").check()
    phone.get_by_label("Delivery day").select_option(label="Tuesday")
    phone.get_by_role("button", name=re.compile("Make it standing|Make standing|Start")).click()
    card = phone.locator(".standing-order")
    expect(card).to_contain_text("Every week on Tuesday by Roastery van")
    expect(card).to_contain_text("Next order places itself at Sun 6 Dec, 17:00, for delivery Tue 8 Dec")
    with app.app_context():
        assert db.session.scalar(select(StandingOrder.first_delivery)) == date(2026, 12, 8)

    # The tick sends Tuesday's preview (due since Friday 17:00); its "Skip this delivery" asks, then skips.
    tick(app, SATURDAY_NOON)
    phone.goto(live_server + skip_link(app))
    expect(phone.get_by_role("heading", name="Skip the delivery of Tue 8 Dec?")).to_be_visible()
    phone.get_by_role("button", name="Yes, skip Tue 8 Dec").click()
    expect(phone.get_by_role("heading", name="Skipped")).to_be_visible()

    # Staff: the week board shows the skip for the week of 7 December.
    laptop = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    laptop.goto(f"{live_server}/admin/sign-in")
    laptop.get_by_label("Email").fill(STAFF_EMAIL)
    laptop.get_by_label("Password").fill(STAFF_PASSWORD)
    laptop.get_by_role("button", name="Sign in").click()
    laptop.goto(f"{live_server}/admin/week?week=2026-12-07")
    row = laptop.get_by_role("row", name=re.compile("Blue Door Café"))
    expect(row).to_contain_text("Skipped")

    # Sunday 6 December, 17:00: Tuesday's cut-off passes and nothing is placed (it was skipped).
    tick(app, datetime(2026, 12, 6, 17, tzinfo=LA))
    assert standing_orders_placed(app) == []

    # The week after, at its cut-off, the standing order places itself; the board shows the order.
    clock.move_to(NEXT_CUTOFF)
    tick(app, NEXT_CUTOFF)
    assert standing_orders_placed(app) == [(date(2026, 12, 15), "pending")]
    laptop.goto(f"{live_server}/admin/week?week=2026-12-14")
    row = laptop.get_by_role("row", name=re.compile("Blue Door Café"))
    expect(row).to_contain_text("placed by its standing order")
    laptop.context.close()

    # The customer sees it among their orders, and what their standing order places next.
    phone.goto(f"{live_server}/orders")
    expect(phone.get_by_text(re.compile(r"W\d{6}")).first).to_be_visible()
    phone.goto(f"{live_server}/standing")
    expect(phone.locator(".standing-order")).to_contain_text(
        "Next order places itself at Sun 20 Dec, 17:00, for delivery Tue 22 Dec"
    )
