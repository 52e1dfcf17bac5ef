"""Journey 9, the forecast: beside the week board, what the week's roast will likely be, per coffee and size,
in three columns never added together: ordered, standing (still to be placed), and a forecast for the silent
regulars (the median of their last four orders, a size they skipped counting as 0), with roasted and green
weights as the production plan computes them. A small hand-made history, checked to the bag and the gram."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from wholesale.extensions import db
from wholesale.models import (
    Product,
    ReminderSend,
    StandingDelivery,
    StandingOrder,
    StandingOrderLine,
    Variant,
)
from wholesale.services.planning import board, forecast

from .factories import make_catalog, make_customer, make_order, make_shipping
from .test_production_runs import text
from .test_week_board import BEFORE_THE_WEEK, FRIDAY_NOON, TUESDAY, WEEK


def weeks_before(n: int, hours: int = 0):
    return WEEK.begins_at() - timedelta(weeks=n) + timedelta(hours=hours)


def history(customer, *orders, status="fulfilled"):
    """One order per item of ``orders`` ({variant: quantity}), placed 1, 2, 3… weeks before the week."""
    for n, lines in enumerate(orders, start=1):
        make_order(customer, list(lines.items()), status=status, placed_at=weeks_before(n))


def standing(customer, option, lines, **fields) -> StandingOrder:
    order = StandingOrder(
        customer=customer,
        shipping_option=option,
        every_weeks=1,
        first_delivery=TUESDAY - timedelta(weeks=4),
        **fields,
    )
    for variant, quantity in lines.items():
        order.lines.append(StandingOrderLine(variant=variant, quantity=quantity))
    db.session.add(order)
    db.session.flush()
    return order


@pytest.fixture(autouse=True)
def friday():
    """The whole test on Friday noon, staff's sign-in included (a session signed later than the requests that
    carry it is refused)."""
    with time_machine.travel(FRIDAY_NOON, tick=False):
        yield


@pytest.fixture
def week_forecast(app):
    """Coffee 00 and Coffee 01 in 340 g bags and 5 lb bags (2268 g), 15 % roast loss; cups are no coffee."""
    with time_machine.travel(FRIDAY_NOON, tick=False), app.app_context():
        small0, large0, small1, large1 = make_catalog(coffees=2)
        cups = Variant(name="Case", sku="CUP-1", price=Decimal("9"), net_weight_g=1000)
        db.session.add(Product(name="Cups", kind="other", variants=[cups]))
        van = make_shipping("Roastery van")

        ana = make_customer("Ana's Café")  # 4 orders: 340 g of Coffee 00 sorted 0, 2, 4, 5 -> 3
        history(
            ana,
            {small0: 2, small1: 1, cups: 4},
            {small0: 4, small1: 1},
            {small1: 1, large1: 3},  # no 340 g of Coffee 00 here: it counts as 0
            {small0: 5, small1: 2},
        )
        make_order(ana, [(large1, 10)], placed_at=weeks_before(7))  # a fifth order: not among the last four

        bo = make_customer("Bo's Bakery")  # 3 orders (an odd count): 340 g of Coffee 00 0, 1, 2 -> 1
        history(bo, {small0: 1, large0: 1}, {small0: 2, large0: 1}, {large0: 2})
        make_order(bo, [(small0, 50)], status="cancelled", placed_at=weeks_before(1, hours=1))
        db.session.add(
            ReminderSend(customer_id=bo.id, occurrence_at=BEFORE_THE_WEEK, outcome="sent", skip_reason="")
        )

        cy = make_customer("Cy's Corner")  # 340 g of Coffee 01 1, 2, 3, 4 -> 2.5 (an even count)
        history(cy, {small1: 1}, {small1: 2}, {small1: 3}, {small1: 4})

        dee = make_customer("Dee's Deli")  # two orders in eight weeks: not a regular
        history(dee, {small0: 8}, {small0: 8})
        make_order(dee, [(small0, 8)], placed_at=weeks_before(9))
        make_order(dee, [(small0, 8)], placed_at=weeks_before(10))

        eve = make_customer("Eve's Eatery")  # a regular who said "no order this week"
        history(eve, {small0: 6}, {small0: 6}, {small0: 6})
        db.session.add(
            ReminderSend(
                customer_id=eve.id,
                occurrence_at=BEFORE_THE_WEEK,
                outcome="sent",
                skip_reason="",
                no_order_at=BEFORE_THE_WEEK,
            )
        )

        flo = make_customer("Flo's Hotel")  # a regular whose standing order delivers in the week
        history(flo, {small0: 9}, {small0: 9}, {small0: 9})
        standing(flo, van, {small0: 5, large1: 2, cups: 3})
        placed = standing(flo, van, {small1: 40})  # this one's delivery is placed already: an order
        db.session.add(StandingDelivery(standing_order_id=placed.id, delivery_date=TUESDAY, outcome="placed"))

        gus = make_customer("Gus's Grocer")  # a regular who ordered: the order counts, no forecast
        history(gus, {small0: 9}, {small0: 9}, {small0: 9})
        make_order(gus, [(small0, 7), (small1, 1), (cups, 2)], status="pending", delivery_date=TUESDAY)
        make_order(gus, [(small0, 100)], status="cancelled", delivery_date=TUESDAY)
        make_order(gus, [(small0, 100)], status="draft", delivery_date=TUESDAY)
        db.session.commit()
        return {"small 0": small0.id, "large 0": large0.id, "small 1": small1.id}


def columns(plan) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (coffee.name, size.name): (size.bags, size.roasted_g, size.green_g)
        for coffee in plan.coffees
        for size in coffee.sizes
    }


def test_three_columns_kept_apart_with_the_plans_weights(app, week_forecast):
    with time_machine.travel(FRIDAY_NOON, tick=False), app.app_context():
        shown = forecast.week_forecast(board.week_board(WEEK))
    assert columns(shown.ordered) == {
        ("Coffee 00", "340 g bag"): (7, 2380, 2800),
        ("Coffee 01", "340 g bag"): (1, 340, 400),
    }
    assert columns(shown.standing) == {
        ("Coffee 00", "340 g bag"): (5, 1700, 2000),
        ("Coffee 01", "5 lb bag"): (2, 4536, 5337),
    }
    # Ana 3 + Bo 1 = 4 bags of Coffee 00 340 g; Bo's 5 lb: 1, 1, 2 -> 1; Coffee 01 340 g: Ana 1 + Cy 2.5 = 3.5,
    # rounded up to 4. Ana's 5 lb of Coffee 01 (0, 0, 0, 3) has a median of 0; Dee is no regular, Eve said
    # no, Flo's standing order and Gus's order count in their own columns.
    ids = week_forecast
    assert shown.expected == {ids["small 0"]: 4, ids["large 0"]: 1, ids["small 1"]: Decimal("3.5")}
    assert columns(shown.forecast) == {
        ("Coffee 00", "340 g bag"): (4, 1360, 1600),
        ("Coffee 00", "5 lb bag"): (1, 2268, 2669),
        ("Coffee 01", "340 g bag"): (4, 1360, 1600),
    }
    assert shown.regulars == 3  # Ana, Bo, Cy
    coffee0 = next(coffee for coffee in shown.forecast.coffees if coffee.name == "Coffee 00")
    assert (coffee0.roasted_g, coffee0.green_g) == (3628, 4269)  # once per coffee: 3628 / 0.85 rounded up


def test_the_page_shows_the_columns_and_says_how_the_forecast_is_made(staff_client, week_forecast):
    with time_machine.travel(FRIDAY_NOON, tick=False):
        response = staff_client.get("/admin/week/forecast?week=2026-12-07")
    assert response.status_code == 200
    page, html = text(response), response.get_data(as_text=True)
    assert "Week of Mon 7 Dec – Sun 13 Dec 2026" in page
    assert '<a href="/admin/week/forecast?week=2026-12-07" aria-current="page">Roast forecast</a>' in html
    assert '<a href="/admin/week/forecast?week=2026-12-14" aria-current="page">The week after</a>' not in html
    assert '<a href="/admin/week/forecast?week=2026-12-14">Week after →</a>' in html
    assert (
        "the median quantity of each size over their last 4 of those orders (a size missing from an order counts as 0)"
        in page
    )
    assert "(3 silent regulars.)" in page
    # Coffee 00: ordered 7 bags, standing 5, forecast 5 (4 small + 1 large); then its sizes.
    assert (
        "Coffee 00 7 2.38 kg 2.80 kg 5 1.70 kg 2 kg 5 3.63 kg 4.27 kg "
        "340 g bag 7 2.38 kg 2.80 kg 5 1.70 kg 2 kg 4 1.36 kg 1.60 kg "
        "5 lb bag — — 1 2.27 kg 2.67 kg"
    ) in page
    assert (
        "Coffee 01" in page and "340 g bag 1 340 g 400 g — 4 (3.5) 1.36 kg 1.60 kg" in page
    )  # 3.5 rounded up
    assert "Cups" not in page


def test_a_week_that_does_not_parse_is_explained_and_the_next_one_shown(staff_client, week_forecast):
    with time_machine.travel(FRIDAY_NOON, tick=False):
        response = staff_client.get("/admin/week/forecast?week=next-week")
    assert response.status_code == 400
    page = text(response)
    assert "That is not a date on the calendar" in page and "Week of Mon 7 Dec – Sun 13 Dec 2026" in page
