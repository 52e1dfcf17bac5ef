"""Blue Door Café, signed in, with last week's order: the world of the order page's journey tests
(test_portal_order, test_portal_placing), and the steps they share."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Order, OrderLine, Variant, utcnow

from .conftest import csrf_from
from .factories import make_catalog, make_customer, make_order, make_price, make_shipping, sign_in_contact

HX = {"HX-Request": "true"}


@pytest.fixture
def shop(app):
    """Blue Door Café ordered three items last week; Rival Roasters is another customer with its own order."""
    with app.app_context():
        variants = make_catalog(coffees=3)
        courier = make_shipping("Courier", "12.00", 1)
        van = make_shipping("Roastery van", "0.00", 0)
        blue = make_customer("Blue Door Café", contacts=2, discount="10", default_shipping_option=van)
        make_price(blue, variants[0], "13.00")
        last_week = make_order(
            blue,
            [(variants[0], 4), (variants[2], 2), (variants[5], 1)],
            placed_at=utcnow() - timedelta(days=7),
            shipping_option=courier,
            shipping_fee=Decimal("12.00"),
        )
        make_order(blue, [(variants[1], 9)], status="cancelled", placed_at=utcnow() - timedelta(days=1))
        rival = make_customer("Rival Roasters")
        rival_order = make_order(rival, [(variants[3], 5)], status="pending")
        rival_draft = make_order(rival, [(variants[4], 1)], status="draft")
        db.session.commit()
        return SimpleNamespace(
            variant_ids=[v.id for v in variants],
            blue_id=blue.id,
            contact_ids=[c.id for c in blue.contacts],
            last_week_id=last_week.id,
            courier_id=courier.id,
            van_id=van.id,
            rival_order_id=rival_order.id,
            rival_line_id=rival_order.lines[0].id,
            rival_draft_id=rival_draft.id,
            rival_draft_line_id=rival_draft.lines[0].id,
        )


@pytest.fixture
def customer_client(app, client, shop):
    with app.app_context():
        from wholesale.models import Contact

        sign_in_contact(client, db.session.get(Contact, shop.contact_ids[0]))
    return client


def draft_of(customer_id: int) -> Order | None:
    return db.session.scalar(select(Order).where(Order.customer_id == customer_id, Order.status == "draft"))


def open_order_page(client, url: str = "/order") -> tuple[str, Order]:
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    order_id = int(re.search(r'action="/orders/(\d+)/place"', html).group(1))
    return html, db.session.get(Order, order_id)


def line_urls(html: str) -> list[str]:
    return re.findall(r'<form class="line" id="line-\d+" method="post"\s+action="([^"]+)"', html)


def lines_of(order_id: int) -> list[tuple[str, int, Decimal]]:
    rows = db.session.execute(
        select(Variant.sku, OrderLine.quantity, OrderLine.unit_price)
        .join(OrderLine.variant)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.id)
    )
    return [tuple(row) for row in rows]


def place(client, html, **overrides):
    order_id = re.search(r'action="/orders/(\d+)/place"', html).group(1)
    data = {
        "csrf_token": csrf_from(html),
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1),
        "shipping_option_id": re.search(r'<option value="(\d+)" selected', html).group(1),
        "notes": "",
    }
    data.update(overrides)
    return client.post(f"/orders/{order_id}/place", data=data)


def placed_order(app, client) -> int:
    html, draft = open_order_page(client)
    place(client, html)
    return draft.id
