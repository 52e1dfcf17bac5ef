"""A line's quantity is one rule with one message (``orders.editing.check_quantity``), however it arrives:
typed or tapped, on the customer's draft, on a placed order, in the staff editor, or added from the catalog."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import OrderLine

from .conftest import csrf_from
from .order_fixtures import (  # noqa: F401  (fixtures)
    HX,
    customer_client,
    order_state,
    shop,
    staff_post,
    text,
    version_of,
)

MESSAGE = "Enter a quantity from 1 to 999."

# What a line's form sends, and the quantity it asks for (None: refused). A tap sends the quantity shown and
# the step; typing sends the quantity alone.
EDGES = [
    pytest.param({"quantity": "0"}, None, id="typed 0"),
    pytest.param({"quantity": "1"}, 1, id="typed 1"),
    pytest.param({"quantity": "999"}, 999, id="typed 999"),
    pytest.param({"quantity": "1000"}, None, id="typed 1000"),
    pytest.param({"quantity": "1", "step": "-1"}, None, id="minus from 1"),
    pytest.param({"quantity": "2", "step": "-1"}, 1, id="minus from 2"),
    pytest.param({"quantity": "998", "step": "1"}, 999, id="plus from 998"),
    pytest.param({"quantity": "999", "step": "1"}, None, id="plus from 999"),
]


def quantity_of(app, line_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(OrderLine.quantity).where(OrderLine.id == line_id))


def check(app, order_id, line_id, response, expected, before, refused_status):
    if expected is None:
        assert response.status_code == refused_status, response.status_code
        assert MESSAGE in text(response)
        assert order_state(app, order_id) == before  # nothing saved
    else:
        assert response.status_code in (200, 303), text(response)[:300]
        assert quantity_of(app, line_id) == expected


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("sent", "expected"), EDGES)
def test_on_the_customers_draft(app, customer_client, shop, sent, expected, htmx):
    html = customer_client.get("/order?second=1").get_data(as_text=True)  # a second order's draft
    url = re.findall(r'<form class="line" id="line-\d+" method="post"\s+action="([^"]+)"', html)[0]
    order_id, line_id = (int(part) for part in re.match(r"/orders/(\d+)/lines/(\d+)", url).groups())
    before = order_state(app, order_id)
    response = customer_client.post(
        url, data={"csrf_token": csrf_from(html), **sent}, headers=HX if htmx else {}
    )
    check(app, order_id, line_id, response, expected, before, 422)


@pytest.mark.parametrize(("sent", "expected"), EDGES)
def test_on_a_placed_order_by_the_customer(app, customer_client, shop, sent, expected):
    html = customer_client.get(f"/orders/{shop.order_id}/edit").get_data(as_text=True)
    before = order_state(app, shop.order_id)
    response = customer_client.post(
        f"/orders/{shop.order_id}/lines/{shop.line_ids[0]}",
        data={"csrf_token": csrf_from(html), "version": before["version"], **sent},
        headers=HX,
    )
    check(app, shop.order_id, shop.line_ids[0], response, expected, before, 422)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("sent", "expected"), EDGES)
def test_in_the_staff_editor(app, staff_post, shop, sent, expected, htmx):
    before = order_state(app, shop.order_id)
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/lines/{shop.line_ids[0]}",
        {"version": before["version"], **sent},
        htmx=htmx,
    )
    # htmx swaps only 2xx answers: the editor's refusal comes back as the line with its message.
    check(app, shop.order_id, shop.line_ids[0], response, expected, before, 200 if htmx else 422)


@pytest.mark.parametrize(("quantity", "expected"), [("0", None), ("1", 1), ("999", 999), ("1000", None)])
def test_adding_a_size_from_the_catalog(app, customer_client, shop, quantity, expected):
    html = customer_client.get(f"/orders/{shop.order_id}/edit").get_data(as_text=True)
    before = order_state(app, shop.order_id)
    variant_id = shop.variant_ids[4]  # not on the order yet
    response = customer_client.post(
        f"/orders/{shop.order_id}/lines",
        data={
            "csrf_token": csrf_from(html),
            "version": before["version"],
            "variant_id": variant_id,
            "quantity": quantity,
        },
        headers=HX,
    )
    if expected is None:
        assert response.status_code == 422 and MESSAGE in text(response)
        assert order_state(app, shop.order_id) == before
    else:
        assert response.status_code == 200
        with app.app_context():
            added = db.session.scalar(
                select(OrderLine.quantity).where(
                    OrderLine.order_id == shop.order_id, OrderLine.variant_id == variant_id
                )
            )
        assert added == expected


def test_adding_a_size_already_on_the_order_past_999_is_refused_the_same_way(app, staff_post, shop):
    """The order has 4 of the first size; adding 996 more would make 1,000."""
    before = order_state(app, shop.order_id)
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/lines",
        {"version": before["version"], "variant_id": shop.variant_ids[0], "quantity": "996"},
    )
    assert response.status_code == 422 and MESSAGE in text(response)
    assert order_state(app, shop.order_id) == before
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/lines",
        {"version": before["version"], "variant_id": shop.variant_ids[0], "quantity": "995"},
    )
    assert response.status_code == 303 and quantity_of(app, shop.line_ids[0]) == 999
