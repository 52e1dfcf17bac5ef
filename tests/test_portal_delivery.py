"""The customer's week around the delivery: choosing a date, placing for it, the order already placed opened
instead of a fresh draft, a second order as a deliberate step, the cut-off that closes changes, and the draft
made again when an order or a reminder is newer than it.

The clock is Saturday 5 December 2026, noon in Los Angeles (the roastery's zone), and moves on where a test
says so. The van delivers Tuesday and Friday and closes two days before at 17:00; Blue Door Café's last order
came by van on a Friday.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import ClosedDate, Email, Order, OrderLine, ReminderSend, Variant, utcnow

from .conftest import csrf_from, first_line_url
from .factories import make_catalog, make_customer, make_order, make_shipping, sign_in_contact
from .order_fixtures import staff_post  # noqa: F401  (fixture)

LA = ZoneInfo("America/Los_Angeles")
SATURDAY_NOON = datetime(2026, 12, 5, 12, tzinfo=LA)
TUESDAY, FRIDAY = date(2026, 12, 8), date(2026, 12, 11)
TUESDAY_CUTOFF = datetime(2026, 12, 6, 17, tzinfo=LA)  # Sunday 17:00
HX = {"HX-Request": "true"}


@pytest.fixture
def clock():
    with time_machine.travel(SATURDAY_NOON) as traveller:
        yield traveller


@pytest.fixture
def week(app, clock):
    with app.app_context():
        variants = make_catalog(coffees=3)
        van = make_shipping("Roastery van", "0.00", 0)
        van.weekdays, van.cutoff_days_before, van.cutoff_time = (1, 4), 2, time(17)
        courier = make_shipping("Courier", "12.00", 1)
        courier.weekdays, courier.cutoff_days_before, courier.cutoff_time = (0, 1, 2, 3), 1, time(12)
        blue = make_customer("Blue Door Café", contacts=2, default_shipping_option=van)
        last = make_order(
            blue,
            [(variants[0], 4), (variants[2], 2)],
            placed_at=utcnow() - timedelta(days=9),
            shipping_option=van,
            delivery_date=date(2026, 11, 27),  # a Friday
        )
        db.session.commit()
        customer = app.test_client()
        sign_in_contact(customer, blue.contacts[0])
        return SimpleNamespace(
            customer=customer,
            blue_id=blue.id,
            contact_id=blue.contacts[0].id,
            last_id=last.id,
            van_id=van.id,
            courier_id=courier.id,
            variant_ids=[v.id for v in variants],
        )


def page(client, url: str = "/order") -> str:
    response = client.get(url)
    assert response.status_code == 200, (response.status_code, response.headers.get("Location"))
    return response.get_data(as_text=True)


def offered(html: str) -> list[tuple[str, str]]:
    """The delivery dates the page offers, as (value, label)."""
    select_html = re.search(r'<select id="delivery_date".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([\d-]+)"[^>]*>([^<]+)</option>', select_html)


def chosen(html: str) -> str:
    """The delivery date the page shows chosen."""
    select_html = re.search(r'<select id="delivery_date".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="([\d-]+)" selected>', select_html).group(1)


def place(client, html: str, **overrides):
    order_id = re.search(r'action="/orders/(\d+)/place"', html).group(1)
    data = {
        "csrf_token": csrf_from(html),
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1),
        "shipping_option_id": re.search(r'<option value="(\d+)" selected', html).group(1),
        "delivery_date": chosen(html),
        "notes": "",
        **overrides,
    }
    return client.post(f"/orders/{order_id}/place", data=data)


def placed(app, customer_id: int) -> list[Order]:
    with app.app_context():
        query = (
            select(Order).where(Order.customer_id == customer_id, Order.status != "draft").order_by(Order.id)
        )
        orders = db.session.scalars(query).all()
        db.session.expunge_all()
        return orders


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


# --- Choosing a date and placing for it --------------------------------------------------------------------


def test_the_page_offers_the_open_dates_with_the_usual_weekday_chosen(app, week):
    html = page(week.customer)
    assert offered(html)[:3] == [
        ("2026-12-08", "Tue 8 Dec · order by Sun 17:00"),
        ("2026-12-11", "Fri 11 Dec · order by Wed 17:00"),
        ("2026-12-15", "Tue 15 Dec · order by Sun 17:00"),
    ]
    assert chosen(html) == "2026-12-11"  # the last order came on a Friday
    assert '<label for="delivery_date">Delivery date</label>' in html


def test_choosing_another_option_offers_its_dates(app, week):
    html = page(week.customer)
    order_id = re.search(r'action="/orders/(\d+)/place"', html).group(1)
    response = week.customer.post(
        f"/orders/{order_id}/details",
        data={"csrf_token": csrf_from(html), "shipping_option_id": str(week.courier_id), "notes": ""},
        headers=HX,
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="delivery-field" hx-swap-oob="true"' in fragment
    # The courier delivers Monday to Thursday and closes the day before at noon.
    assert offered(fragment)[:2] == [
        ("2026-12-07", "Mon 7 Dec · order by Sun 12:00"),
        ("2026-12-08", "Tue 8 Dec · order by Mon 12:00"),
    ]


def test_placing_stores_the_date_and_the_roast_day_and_the_emails_say_it(app, week):
    html = page(week.customer)
    response = place(week.customer, html, delivery_date="2026-12-08")
    assert response.status_code == 303
    (order,) = [o for o in placed(app, week.blue_id) if o.id != week.last_id]
    assert (order.delivery_date, order.roast_date, order.status) == (TUESDAY, date(2026, 12, 7), "pending")
    with app.app_context():
        confirmation = db.session.scalar(select(Email).where(Email.kind == "order_confirmation"))
        assert "Delivery: Tue 8 Dec by Roastery van" in confirmation.text_body
        assert "change it until Sun 6 Dec, 17:00" in confirmation.text_body
    detail = text(week.customer.get(response.headers["Location"]))
    assert "Delivery Tue 8 Dec by Roastery van. You can change it until Sun 6 Dec, 17:00." in detail


def test_a_closed_date_is_not_offered_and_not_placed(app, week):
    with app.app_context():
        db.session.add(ClosedDate(day=FRIDAY, note="Staff day"))
        db.session.commit()
    html = page(week.customer)
    assert "2026-12-11" not in dict(offered(html))
    assert chosen(html) == "2026-12-18"  # the next Friday
    response = place(week.customer, html, delivery_date="2026-12-11")
    assert response.status_code == 422
    assert "Roastery van does not deliver on Fri 11 Dec any more." in text(response)
    assert len(placed(app, week.blue_id)) == 1  # last week's only


def test_a_date_whose_orders_closed_while_the_page_was_open_is_refused(app, week, clock):
    html = page(week.customer)
    clock.move_to(TUESDAY_CUTOFF + timedelta(seconds=1))
    response = place(week.customer, html, delivery_date="2026-12-08")
    assert response.status_code == 422
    body = text(response)
    assert "Orders for Tue 8 Dec closed at Sun 6 Dec, 17:00. Please choose another delivery date." in body
    assert "2026-12-08" not in dict(offered(response.get_data(as_text=True)))
    assert len(placed(app, week.blue_id)) == 1


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "2026-12-08\x00", "9999-12-31", "2026-12-09"])
def test_a_bad_date_is_refused_and_nothing_placed(app, week, value):
    response = place(week.customer, page(week.customer), delivery_date=value)
    assert response.status_code == 422
    assert len(placed(app, week.blue_id)) == 1


# --- One order per delivery ------------------------------------------------------------------------------


def test_the_link_opens_the_order_already_placed_for_the_next_delivery(app, week):
    place(week.customer, page(week.customer), delivery_date="2026-12-08")
    order = placed(app, week.blue_id)[-1]
    response = week.customer.get("/order")
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{order.id}/edit"
    html = page(week.customer, response.headers["Location"])
    assert f"Change order {order.number}" in html and "Place order" not in html
    assert (
        "For delivery Tue 8 Dec by Roastery van." in html
        and "You can change it until Sun 6 Dec, 17:00." in html
    )
    # A change before the cut-off is saved.
    line_url = first_line_url(html)
    version = re.search(r'id="order-version" name="version" value="(\d+)"', html).group(1)
    changed = week.customer.post(
        line_url, data={"csrf_token": csrf_from(html), "quantity": "7", "version": version}, headers=HX
    )
    assert changed.status_code == 200
    with app.app_context():
        line_id = int(line_url.rsplit("/", 1)[1])
        assert db.session.get(OrderLine, line_id).quantity == 7


def test_a_second_order_for_the_same_delivery_is_a_step_that_says_so(app, week):
    place(week.customer, page(week.customer), delivery_date="2026-12-08")
    first = placed(app, week.blue_id)[-1]
    html = page(week.customer, "/order?second=1")
    assert f"You already have {first.number} for Tue 8 Dec. This is a second order." in text_of(html)

    refused = place(week.customer, html, delivery_date="2026-12-08")
    assert refused.status_code == 422
    body = text(refused)
    assert f"You already have {first.number} for Tue 8 Dec: change it, or add a second order." in body
    assert "Place as a second order for Tue 8 Dec" in body and f"Change {first.number} instead" in body
    assert len(placed(app, week.blue_id)) == 2

    second = place(week.customer, refused.get_data(as_text=True), second_order="y")
    assert second.status_code == 303
    assert [o.delivery_date for o in placed(app, week.blue_id)[1:]] == [TUESDAY, TUESDAY]


def test_an_order_for_another_delivery_needs_no_second_step(app, week):
    place(week.customer, page(week.customer), delivery_date="2026-12-08")
    response = place(week.customer, page(week.customer, "/order?second=1"), delivery_date="2026-12-11")
    assert response.status_code == 303
    assert [o.delivery_date for o in placed(app, week.blue_id)[1:]] == [TUESDAY, FRIDAY]


def test_after_the_cutoff_the_customer_sees_it_read_only_and_staff_still_change_it(
    app, week, clock, staff_client, staff_post
):
    place(week.customer, page(week.customer), delivery_date="2026-12-08")
    order = placed(app, week.blue_id)[-1]
    edit_html = page(week.customer, f"/orders/{order.id}/edit")
    clock.move_to(TUESDAY_CUTOFF)

    response = week.customer.get("/order")
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{order.id}"
    detail = text(week.customer.get(f"/orders/{order.id}"))
    assert "Orders for Tue 8 Dec closed at Sun 6 Dec, 17:00" in detail
    assert "Change this order" not in detail and "Cancel order" not in detail

    # The page left open from before the cut-off can no longer change or cancel it.
    version = str(order.version)
    refused = week.customer.post(
        first_line_url(edit_html),
        data={"csrf_token": csrf_from(edit_html), "quantity": "9", "version": version},
    )
    assert refused.status_code == 303 and refused.headers["Location"] == f"/orders/{order.id}"
    assert "can no longer be changed here" in text(week.customer.get(refused.headers["Location"]))
    cancel = week.customer.post(
        f"/orders/{order.id}/cancel", data={"csrf_token": csrf_from(edit_html), "version": version}
    )
    assert cancel.status_code == 303
    after = placed(app, week.blue_id)[-1]
    assert (after.status, after.version) == ("pending", order.version)

    invoice = text(staff_client.get(f"/admin/orders/{order.id}"))
    assert "The customer's cut-off for this delivery passed at Sun 6 Dec, 17:00" in invoice
    with app.app_context():
        line_id = db.session.get(Order, order.id).lines[0].id
    response = staff_post.post(
        f"/admin/orders/{order.id}/lines/{line_id}", {"quantity": "9", "version": version}
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(OrderLine, line_id).quantity == 9


def test_an_approved_order_opens_read_only_with_its_status(app, week, staff_post):
    place(week.customer, page(week.customer), delivery_date="2026-12-08")
    order = placed(app, week.blue_id)[-1]
    assert (
        staff_post.post(f"/admin/orders/{order.id}/approve", {"version": str(order.version)}).status_code
        == 303
    )
    response = week.customer.get("/order")
    assert response.headers["Location"] == f"/orders/{order.id}"
    detail = text(week.customer.get(response.headers["Location"]))
    assert "approved" in detail and "It can no longer be changed here." in detail
    assert "Add a second order" in detail


def test_orders_without_a_delivery_date_keep_working(app, week):
    """Orders from before delivery dates: never taken for the next delivery, changed by the customer as before."""
    with app.app_context():
        blue = db.session.get(Order, week.last_id).customer
        variant = db.session.get(Variant, week.variant_ids[1])
        old = make_order(blue, [(variant, 3)], status="pending", placed_at=utcnow() - timedelta(days=2))
        db.session.commit()
        old_id = old.id
    html = page(week.customer)  # a draft: the old pending order is not "the next delivery"
    assert "Place order" in html
    edit = page(week.customer, f"/orders/{old_id}/edit")
    assert "For delivery" not in edit and "Change order" in edit


# --- The draft made again ----------------------------------------------------------------------------------


def draft_lines(app, customer_id: int) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Variant.sku, OrderLine.quantity)
            .join(OrderLine.variant)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.customer_id == customer_id, Order.status == "draft")
            .order_by(OrderLine.id)
        )
        return [tuple(row) for row in rows]


def test_a_draft_is_made_again_from_a_newer_order(app, week, clock):
    page(week.customer)  # the draft, from last week's order
    assert draft_lines(app, week.blue_id) == [("C00-340", 4), ("C01-340", 2)]
    clock.shift(timedelta(minutes=5))
    with app.app_context():  # the roastery took an order by phone meanwhile, delivered since
        blue = db.session.get(Order, week.last_id).customer
        phoned = make_order(blue, [(db.session.get(Variant, week.variant_ids[4]), 6)], channel="staff")
        db.session.commit()
        number = phoned.number
    response = week.customer.get("/order")
    html = response.get_data(as_text=True)
    assert f"Your order was made again from your last order, {number}, at today&#39;s prices." in html
    assert draft_lines(app, week.blue_id) == [("C02-340", 6)]


def test_a_draft_is_made_again_after_a_reminder_but_kept_once_changed_since(app, week, clock):
    html = page(week.customer)
    clock.shift(timedelta(minutes=5))
    with app.app_context():
        db.session.add(ReminderSend(customer_id=week.blue_id, occurrence_at=utcnow(), created_at=utcnow()))
        db.session.commit()
    clock.shift(timedelta(minutes=5))
    # Changed since the reminder: kept.
    week.customer.post(
        first_line_url(html), data={"csrf_token": csrf_from(html), "quantity": "9"}, headers=HX
    )
    clock.shift(timedelta(minutes=5))
    assert "made again" not in page(week.customer)
    assert draft_lines(app, week.blue_id)[0] == ("C00-340", 9)
    # A reminder newer than that change: the week starts again from the last order.
    clock.shift(timedelta(minutes=5))
    with app.app_context():
        db.session.add(ReminderSend(customer_id=week.blue_id, occurrence_at=utcnow(), created_at=utcnow()))
        db.session.commit()
    assert "made again" in page(week.customer)
    assert draft_lines(app, week.blue_id) == [("C00-340", 4), ("C01-340", 2)]


def test_a_price_changed_since_the_last_order_shows_beside_the_new_one(app, week):
    with app.app_context():
        db.session.get(Variant, week.variant_ids[0]).price = Decimal("15.25")
        db.session.commit()
    html = page(week.customer)
    assert '<span class="visually-hidden">was </span><s>$14.50</s>' in html and "$15.25" in html
    response = place(week.customer, html)
    assert response.status_code == 303
    with app.app_context():
        line = db.session.scalar(
            select(OrderLine)
            .join(Variant)
            .where(OrderLine.order_id == order_id_of(response), Variant.sku == "C00-340")
        )
        assert (line.unit_price, line.previous_unit_price) == (Decimal("15.25"), None)


def test_a_price_changed_while_the_page_was_open_is_shown_before_placing(app, week):
    html = page(week.customer)
    with app.app_context():
        db.session.get(Variant, week.variant_ids[2]).price = Decimal("16.00")
        db.session.commit()
    refused = place(week.customer, html)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Prices changed since this page was shown: Coffee 01, 340 g bag from $14.50 to $16.00." in text(
        refused
    )
    assert "<s>$14.50</s>" in body and "$16.00" in body
    assert len(placed(app, week.blue_id)) == 1
    assert place(week.customer, body).status_code == 303  # seen: placed at the new price
    with app.app_context():
        assert db.session.scalar(select(func.max(Order.total))) == Decimal("90.00")  # 4 × 14.50 + 2 × 16.00


def test_a_size_retired_after_the_draft_was_made_is_flagged_on_the_page(app, week):
    page(week.customer)
    with app.app_context():
        db.session.get(Variant, week.variant_ids[2]).retired_at = utcnow()
        db.session.commit()
    html = page(week.customer)
    flagged = re.search(
        r'<form class="line"[^>]*>(?:(?!</form>).)*Coffee 01(?:(?!</form>).)*</form>', html, re.S
    )
    assert flagged and "No longer offered: remove it to place your order." in flagged.group(0)
    assert html.count("No longer offered") == 1


def order_id_of(response) -> int:
    return int(re.search(r"/orders/(\d+)", response.headers["Location"]).group(1))


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_utc_is_not_the_roasterys_day(app, week, clock):
    """At 20:00 on Saturday in Los Angeles it is already Sunday in UTC: the roastery's today is Saturday."""
    clock.move_to(datetime(2026, 12, 6, 4, tzinfo=UTC))
    assert offered(page(week.customer))[0][0] == "2026-12-08"


def test_a_staff_order_is_for_the_customers_usual_delivery_day(app, week, staff_client, staff_post):
    page_html = staff_client.get(f"/admin/orders/new?customer_id={week.blue_id}").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page_html).group(1)
    data = {"customer_id": week.blue_id, "start_from": "last", "idempotency_key": key}
    assert staff_post.post("/admin/orders/new", data).status_code == 303
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.channel == "staff"))
        # Blue Door Café's last order came on a Friday: the next Friday the van delivers, roasted the day before.
        assert (order.delivery_date, order.roast_date) == (FRIDAY, date(2026, 12, 10))
        assert all(line.previous_unit_price is None for line in order.lines)
