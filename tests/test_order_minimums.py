"""The minimum per order, seen by the customer (journey 7's last sentence): the order page says how far below
it the order is, the message follows each quantity change, and Place is refused with it, placing nothing.

Blue Door Café's last order (portal_shop) is 4 × 340 g + 2 × 340 g + 1 × 5 lb bag (2268 g) = 4308 g of
coffee, and $169.00 of items at list prices (4 × $14.50 + 2 × $14.50 + $82.00); the draft made from it is at
Blue Door's prices, $163.00 (4 × $13.00 negotiated), before the 10 % discount.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wholesale import create_app
from wholesale.config import ConfigurationError, parse_order_minimum, parse_reminder_choices
from wholesale.extensions import db
from wholesale.models import Customer, Order, Product, Variant
from wholesale.services.orders import minimums

from .conftest import csrf_from
from .factories import make_catalog, make_customer, make_order
from .portal_shop import (  # noqa: F401  (fixtures)
    HX,
    customer_client,
    line_urls,
    open_order_page,
    place,
    shop,
)


@pytest.fixture
def roastery_minimum(app, monkeypatch):
    """Set the roastery's ORDER_MINIMUM (and WEIGHT_UNIT) for one test."""

    def set_minimum(value: str, unit: str = "kg") -> None:
        monkeypatch.setitem(app.config, "ORDER_MINIMUM", value)
        monkeypatch.setitem(app.config, "WEIGHT_UNIT", unit)

    return set_minimum


def note_of(html: str) -> str:
    """The text of the order page's minimum note (empty when the order reaches it)."""
    start = html.index('id="minimum-note"')
    return html[html.index(">", start) + 1 : html.index("</p>", start)].strip()


def placed_count(customer_id: int) -> int:
    return db.session.scalar(
        select(func.count(Order.id)).where(Order.customer_id == customer_id, Order.status == "pending")
    )


# --- The rule ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("5 kg", "Add 0.7 kg to reach the 5 kg minimum."),  # 692 g short, rounded up
        ("4.5 kg", "Add 0.2 kg to reach the 4.5 kg minimum."),  # 192 g short
        ("11 lb", "Add 1.6 lb to reach the 11 lb minimum."),  # 4990 g − 4308 g = 1.504 lb, rounded up
        ("200.00", "Add $31.00 to reach the $200.00 minimum."),
        ("$169.01", "Add $0.01 to reach the $169.01 minimum."),
        ("4308 kg", "Add 4,303.7 kg to reach the 4,308 kg minimum."),
    ],
)
def test_the_message_says_how_far_below_in_the_minimums_unit(app, shop, roastery_minimum, setting, message):
    roastery_minimum(setting)
    with app.app_context():
        order = db.session.get(Order, shop.last_week_id)
        assert minimums.coffee_weight_g(order) == 4308
        assert minimums.shortfall(order).message == message


@pytest.mark.parametrize("setting", ["", "4 kg", "4.308 kg", "169.00", "9.49 lb"])
def test_an_order_at_or_above_the_minimum_has_no_shortfall(app, shop, roastery_minimum, setting):
    roastery_minimum(setting)
    with app.app_context():
        assert minimums.shortfall(db.session.get(Order, shop.last_week_id)) is None


def test_only_coffee_counts_towards_a_weight_minimum(app, roastery_minimum):
    roastery_minimum("1 kg")
    with app.app_context():
        coffee = make_catalog(coffees=1, sizes=(("340 g bag", 340, "14.50"),))[0]
        papers = Product(name="Filter papers", kind="other")
        kit = Variant(
            product=papers, name="1 kg box", sku="FP-1000", price=Decimal("9.00"), net_weight_g=1000
        )
        db.session.add(kit)
        order = make_order(make_customer("Kit Shop"), [(coffee, 2), (kit, 3)], status="draft")
        assert minimums.coffee_weight_g(order) == 680
        assert minimums.shortfall(order).message == "Add 0.4 kg to reach the 1 kg minimum."
        db.session.rollback()


def test_a_customer_overrides_the_roastery_minimum_with_their_own_or_none(app, shop, roastery_minimum):
    roastery_minimum("5 kg", unit="lb")
    with app.app_context():
        customer = db.session.get(Customer, shop.blue_id)
        order = db.session.get(Order, shop.last_week_id)
        assert minimums.shortfall(order).message == "Add 0.7 kg to reach the 5 kg minimum."  # as configured

        customer.minimum_kind = "none"
        assert minimums.shortfall(order) is None

        customer.minimum_kind, customer.minimum_weight_g = "weight", 4990  # 11 lb, in WEIGHT_UNIT
        assert minimums.shortfall(order).message == "Add 1.6 lb to reach the 11 lb minimum."

        customer.minimum_kind, customer.minimum_subtotal = "subtotal", Decimal("170.00")
        assert minimums.shortfall(order).message == "Add $1.00 to reach the $170.00 minimum."
        db.session.rollback()


def test_existing_customers_follow_the_roastery(app, shop):
    with app.app_context():
        assert db.session.get(Customer, shop.blue_id).minimum_kind == "default"


# --- The order page ---------------------------------------------------------------------------------------


def test_the_order_page_says_how_far_below_and_each_change_updates_it(
    app, customer_client, shop, roastery_minimum
):
    roastery_minimum("5 kg")
    with app.app_context():
        html, _ = open_order_page(customer_client)
        assert note_of(html) == "Add 0.7 kg to reach the 5 kg minimum."
        first = line_urls(html)[0]  # Coffee 00, 340 g bag × 4

        response = customer_client.post(
            first, data={"csrf_token": csrf_from(html), "quantity": "6"}, headers=HX
        )
        fragment = response.get_data(as_text=True)
        assert response.status_code == 200
        assert 'id="minimum-note"' in fragment and 'hx-swap-oob="true"' in fragment
        assert note_of(fragment) == "Add 0.1 kg to reach the 5 kg minimum."  # 12 g short

        response = customer_client.post(
            first, data={"csrf_token": csrf_from(html), "quantity": "7"}, headers=HX
        )
        fragment = response.get_data(as_text=True)
        assert note_of(fragment) == ""  # 5328 g: the message goes, its place stays
        assert 'class="minimum-note"' in fragment


def test_without_a_minimum_the_page_keeps_no_room_for_the_message(app, customer_client, shop):
    with app.app_context():
        html, _ = open_order_page(customer_client)
        assert note_of(html) == "" and 'class="minimum-note"' not in html


def test_place_below_the_minimum_is_refused_with_the_message_and_places_nothing(
    app, customer_client, shop, roastery_minimum
):
    roastery_minimum("200.00")
    with app.app_context():
        html, draft = open_order_page(customer_client)
        response = place(customer_client, html)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert '<p class="error-summary">Add $37.00 to reach the $200.00 minimum.</p>' in page
        db.session.expire_all()
        assert db.session.get(Order, draft.id).status == "draft"
        assert placed_count(shop.blue_id) == 0

        customer = db.session.get(Customer, shop.blue_id)
        customer.minimum_kind = "none"  # this customer has no minimum: the same order places
        db.session.commit()
        assert place(customer_client, html).status_code == 303
        assert placed_count(shop.blue_id) == 1


def test_the_minimum_is_checked_at_todays_prices_when_placing(app, customer_client, shop, roastery_minimum):
    """The draft's captured prices may be stale; Place reprices first, and checks what it would place."""
    roastery_minimum("163.00")
    with app.app_context():
        html, draft = open_order_page(customer_client)
        for line in db.session.get(Order, draft.id).lines:
            line.unit_price = Decimal("0.01")  # what the draft captured, long ago
        db.session.commit()
        assert "Add $162.93 to reach the $163.00 minimum." in customer_client.get("/order").get_data(
            as_text=True
        )
        # Place first shows today's prices beside the old ones (never repriced silently)...
        refused = place(customer_client, html)
        assert refused.status_code == 422 and "Prices changed since this page was shown" in refused.get_data(
            as_text=True
        )
        assert placed_count(shop.blue_id) == 0
        # ...then checks the minimum at today's prices: $163.00, exactly enough.
        assert place(customer_client, html).status_code == 303
        assert placed_count(shop.blue_id) == 1


# --- The settings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 kg", ("weight", 5000, "kg")),
        ("2.5KG", ("weight", 2500, "kg")),
        ("11 lb", ("weight", 4990, "lb")),
        ("120.00", ("subtotal", Decimal("120.00"), None)),
        ("$120", ("subtotal", Decimal("120.00"), None)),
    ],
)
def test_order_minimum_is_read_as_weight_or_subtotal(text, expected):
    minimum = parse_order_minimum(text)
    kind, amount, unit = expected
    assert minimum.kind == kind
    assert (minimum.grams, minimum.unit) == (amount, unit) if kind == "weight" else minimum.amount == amount
    assert parse_order_minimum("") is None and parse_order_minimum(" none ") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORDER_MINIMUM", "5 kgs"),
        ("ORDER_MINIMUM", "five kilos"),
        ("ORDER_MINIMUM", "0 kg"),
        ("ORDER_MINIMUM", "-3"),
        ("ORDER_MINIMUM", "1e3"),
        ("WEIGHT_UNIT", "stone"),
        ("REMINDER_CHOICES", "Sunday at six"),
        ("REMINDER_CHOICES", "Sun 25:00"),
        ("REMINDER_CHOICES", "Funday 18:00"),
        ("ORDER_NOTIFY_EMAILS", "orders@ridge.example, roaster"),
    ],
)
def test_a_setting_that_cannot_be_read_stops_the_app_naming_it(tmp_path, name, value):
    with pytest.raises(ConfigurationError) as refused:
        create_app(
            {
                "ENV_NAME": "development",
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                name: value,
            }
        )
    assert f"{name}={value!r}" in str(refused.value)


def test_reminder_choices_are_read_as_weekdays_and_times():
    assert [
        (day, at.strftime("%H:%M")) for day, at in parse_reminder_choices("Sun 18:00, mon 7:00, Thu 16:30")
    ] == [
        (6, "18:00"),
        (0, "07:00"),
        (3, "16:30"),
    ]
    assert parse_reminder_choices("") == ()
