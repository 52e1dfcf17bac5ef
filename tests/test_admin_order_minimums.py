"""Staff and the minimum per order: they may approve or enter an order below the customer's minimum, but only
with a reason, which the order's history keeps; bulk approve leaves such orders for their invoice. Staff set
each customer's minimum on the customer form.

Blue Door Café follows the roastery's 5 kg; its pending order holds 3 × 340 g = 1020 g of coffee, 3.98 kg short.
Corner Shop's pending order holds 2 × 5 lb bags (4536 g) and it has a 4 kg minimum of its own.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Customer, Order, OrderEvent

from .customer_helpers import customer_data
from .factories import make_catalog, make_customer, make_order
from .order_fixtures import staff_post  # noqa: F401  (fixture)

SHORT = "Add 4 kg to reach the 5 kg minimum."  # 3980 g short, rounded up to a tenth: 4.0 kg


@pytest.fixture
def world(app, staff, monkeypatch):
    monkeypatch.setitem(app.config, "ORDER_MINIMUM", "5 kg")
    with app.app_context():
        small, large = make_catalog(coffees=1)
        blue = make_customer("Blue Door Café")
        below = make_order(blue, [(small, 3)], status="pending")
        corner = make_customer("Corner Shop", minimum_kind="weight", minimum_weight_g=4000)
        enough = make_order(corner, [(large, 2)], status="pending")
        db.session.commit()
        return SimpleNamespace(
            blue_id=blue.id,
            corner_id=corner.id,
            below_id=below.id,
            below_number=below.number,
            enough_id=enough.id,
            enough_number=enough.number,
        )


def order_status(app, order_id: int) -> str:
    with app.app_context():
        return db.session.get(Order, order_id).status


def events_of(app, order_id: int) -> list[tuple[str, dict]]:
    with app.app_context():
        rows = db.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        )
        return [(event.action, event.changes) for event in rows]


def version(app, order_id: int) -> int:
    with app.app_context():
        return db.session.get(Order, order_id).version


# --- Approving one order ----------------------------------------------------------------------------------


def test_the_invoice_shows_the_shortfall_and_asks_for_a_reason_beside_approve(app, staff_client, world):
    page = staff_client.get(f"/admin/orders/{world.below_id}").get_data(as_text=True)
    assert f"Below the customer's minimum: {SHORT}" in page
    assert 'name="below_minimum_reason"' in page and "Approve below the minimum" in page

    reaching = staff_client.get(f"/admin/orders/{world.enough_id}").get_data(as_text=True)
    assert "Below the customer's minimum" not in reaching and 'name="below_minimum_reason"' not in reaching


def test_approving_below_the_minimum_without_a_reason_is_refused_and_changes_nothing(app, staff_post, world):
    url = f"/admin/orders/{world.below_id}/approve"
    for reason in ("", "   "):
        response = staff_post.post(
            url, {"version": version(app, world.below_id), "below_minimum_reason": reason}
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert (
            f"Order {world.below_number} is below the customer&#39;s minimum. {SHORT} Give a reason" in page
        )
        assert 'aria-invalid="true"' in page
        assert order_status(app, world.below_id) == "pending"
    assert events_of(app, world.below_id) == []


def test_approving_below_the_minimum_with_a_reason_keeps_it_in_the_history(
    app, staff_client, staff_post, world
):
    response = staff_post.post(
        f"/admin/orders/{world.below_id}/approve",
        {
            "version": version(app, world.below_id),
            "below_minimum_reason": "First order, we agreed on a trial",
        },
    )
    assert response.status_code == 303
    assert order_status(app, world.below_id) == "approved"
    assert events_of(app, world.below_id) == [
        (
            "approved",
            {
                "status": ["pending", "approved"],
                "below minimum": [None, SHORT],
                "reason": [None, "First order, we agreed on a trial"],
            },
        )
    ]
    invoice = staff_client.get(f"/admin/orders/{world.below_id}").get_data(as_text=True)
    assert "reason: — → First order, we agreed on a trial" in invoice
    assert f"below minimum: — → {SHORT}" in invoice


def test_an_order_reaching_the_minimum_is_approved_as_before(app, staff_post, world):
    response = staff_post.post(
        f"/admin/orders/{world.enough_id}/approve", {"version": version(app, world.enough_id)}
    )
    assert response.status_code == 303 and order_status(app, world.enough_id) == "approved"
    assert events_of(app, world.enough_id) == [("approved", {"status": ["pending", "approved"]})]


def test_bulk_approve_skips_orders_below_the_minimum_and_says_which_need_a_reason(
    app, staff_client, staff_post, world
):
    ticked = [
        f"{world.below_id}:{version(app, world.below_id)}",
        f"{world.enough_id}:{version(app, world.enough_id)}",
    ]
    response = staff_post.post("/admin/orders/approve", {"order": ticked, "confirmed": "1"})
    assert response.status_code == 303
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Approved 1 order: {world.enough_number}." in page
    assert (
        f"Order {world.below_number} was not approved: it is below the customer&#39;s minimum "
        f"({SHORT.rstrip('.')}); approve it from its page with a reason." in page
    )
    assert order_status(app, world.below_id) == "pending"
    assert order_status(app, world.enough_id) == "approved"


# --- Entering an order --------------------------------------------------------------------------------------


def enter(staff_post, customer_id: int, key: str, **fields):
    data = {"customer_id": customer_id, "start_from": "last", "idempotency_key": key, **fields}
    return staff_post.post("/admin/orders/new", data)


def test_entering_an_order_below_the_minimum_asks_for_a_reason_in_a_second_step(app, staff_post, world):
    key = "k" * 32
    with app.app_context():
        before = db.session.query(Order).count()
    response = enter(staff_post, world.blue_id, key)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        f"This order is below the customer&#39;s minimum. {SHORT} Give a reason to enter it anyway." in page
    )
    assert '<label for="below_minimum_reason">Reason for entering it below the minimum</label>' in page
    assert f'name="idempotency_key" value="{key}"' in page  # the second step is the same order
    with app.app_context():
        assert db.session.query(Order).count() == before

    response = enter(staff_post, world.blue_id, key, below_minimum_reason="Phone order, topped up next week")
    assert response.status_code == 303
    with app.app_context():
        entered = db.session.scalar(select(Order).where(Order.idempotency_key == key))
        assert (entered.status, entered.channel) == ("approved", "staff")
        event = entered.events[0]
        assert event.action == "entered by staff"
        assert event.changes["reason"] == [None, "Phone order, topped up next week"]
        assert event.changes["below minimum"] == [None, SHORT]


def test_an_empty_staff_order_or_one_reaching_the_minimum_needs_no_reason(app, staff_post, world):
    assert enter(staff_post, world.blue_id, "e" * 32, start_from="empty").status_code == 303
    assert enter(staff_post, world.corner_id, "c" * 32).status_code == 303


# --- The customer form ------------------------------------------------------------------------------------


def test_staff_set_a_customers_own_minimum_or_none(app, staff_client, staff_post, world, monkeypatch):
    url = f"/admin/customers/{world.blue_id}/edit"
    form = staff_client.get(url).get_data(as_text=True)
    assert "The roastery&#39;s (5 kg of coffee)" in form

    response = staff_post.post(url, customer_data(minimum_kind="weight", minimum_amount="3.5"))
    assert response.status_code == 303
    with app.app_context():
        blue = db.session.get(Customer, world.blue_id)
        assert (blue.minimum_kind, blue.minimum_weight_g, blue.minimum_subtotal) == ("weight", 3500, None)
    page = staff_client.get(f"/admin/customers/{world.blue_id}").get_data(as_text=True)
    assert "3.5 kg of coffee (their own)" in page
    assert re.search(r'id="minimum_amount"[^>]*value="3.50"', staff_client.get(url).get_data(as_text=True))

    monkeypatch.setitem(app.config, "WEIGHT_UNIT", "lb")
    assert staff_post.post(url, customer_data(minimum_kind="weight", minimum_amount="11")).status_code == 303
    with app.app_context():
        assert db.session.get(Customer, world.blue_id).minimum_weight_g == 4990

    assert (
        staff_post.post(url, customer_data(minimum_kind="subtotal", minimum_amount="$150")).status_code == 303
    )
    assert staff_post.post(url, customer_data(minimum_kind="none", minimum_amount="")).status_code == 303
    with app.app_context():
        blue = db.session.get(Customer, world.blue_id)
        assert (blue.minimum_kind, blue.minimum_weight_g, blue.minimum_subtotal) == ("none", None, None)
    assert staff_client.get(f"/admin/orders/{world.below_id}").get_data(as_text=True).count("Below the") == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"minimum_kind": "weight", "minimum_amount": ""},
            "minimum_amount",
            "Enter the minimum coffee weight",
        ),
        ({"minimum_kind": "subtotal", "minimum_amount": "0"}, "minimum_amount", "Enter the minimum subtotal"),
        (
            {"minimum_kind": "weight", "minimum_amount": "NaN"},
            "minimum_amount",
            "Enter an amount as a number",
        ),
        ({"minimum_kind": "heavy", "minimum_amount": "5"}, "minimum_kind", "Choose a minimum from the list."),
    ],
)
def test_a_minimum_that_cannot_be_used_is_explained_and_saves_nothing(
    app, staff_post, world, fields, field, message
):
    response = staff_post.post(f"/admin/customers/{world.blue_id}/edit", customer_data(**fields))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', page), page[:200]
    with app.app_context():
        assert db.session.get(Customer, world.blue_id).minimum_kind == "default"
