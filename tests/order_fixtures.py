"""A roastery with one order placed through the portal, a customer client and a staff client side by side.

Used by the back-office order tests (review, edit, approve, conflicts). The order is placed the way a
customer places it: signed in with a link's session, opening /order, pressing Place order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Email, Order, OrderEvent, OrderLine, utcnow

from .conftest import csrf_from
from .factories import make_catalog, make_customer, make_order, make_shipping, sign_in_contact

HX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Shop:
    order_id: int
    line_ids: list[int]
    variant_ids: list[int]
    customer_id: int
    contact_ids: list[int]
    van_id: int
    courier_id: int
    staff_id: int


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def place_through_portal(client, url: str = "/order", second_order: bool = False) -> int:
    """Open the order page as the signed-in contact and press Place order (or, with ``second_order``, the
    button that places a second order for a delivery already ordered); returns the order's id."""
    html = client.get(url).get_data(as_text=True)
    order_id = int(re.search(r'action="/orders/(\d+)/place"', html).group(1))
    response = client.post(
        f"/orders/{order_id}/place",
        data={
            "csrf_token": csrf_from(html),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1),
            "shipping_option_id": re.search(r'<option value="(\d+)" selected', html).group(1),
            "notes": "Back door, please",
            **({"second_order": "y"} if second_order else {}),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return order_id


@pytest.fixture
def customer_client(app):
    return app.test_client()


@pytest.fixture
def shop(app, staff, customer_client) -> Shop:
    """Blue Door Café ordered last week; this week its contact placed 4 × C00 340 g, 2 × C01 340 g and
    1 × C02 5 lb on the portal, by the roastery van (free): 58.00 + 29.00 + 82.00 = 169.00."""
    with app.app_context():
        variants = make_catalog(coffees=3)
        van = make_shipping("Roastery van", "0.00", 0)
        courier = make_shipping("Courier", "12.00", 1)
        blue = make_customer(
            "Blue Door Café",
            contacts=2,
            default_shipping_option=van,
            delivery_address="4 Harbour St\nPortland, OR 97209",
        )
        make_order(
            blue,
            [(variants[0], 4), (variants[2], 2), (variants[5], 1)],
            placed_at=utcnow() - timedelta(days=7),
            shipping_option=van,
        )
        db.session.commit()
        sign_in_contact(customer_client, blue.contacts[0])
        ids = dict(
            variant_ids=[v.id for v in variants],
            customer_id=blue.id,
            contact_ids=[c.id for c in blue.contacts],
            van_id=van.id,
            courier_id=courier.id,
        )
    order_id = place_through_portal(customer_client)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.total) == ("pending", Decimal("169.00"))
        return Shop(order_id=order_id, line_ids=[line.id for line in order.lines], staff_id=staff, **ids)


class StaffPoster:
    """Posts as the signed-in staff member, as a browser (form) or as htmx (header token)."""

    def __init__(self, client):
        self.client = client
        self._token = None

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = csrf_from(self.client.get("/admin/").get_data(as_text=True))
        return self._token

    def post(self, url: str, data: dict | None = None, htmx: bool = False, **kwargs):
        data = dict(data or {})
        if htmx:
            return self.client.post(url, data=data, headers={**HX, "X-CSRFToken": self.token}, **kwargs)
        data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kwargs)


@pytest.fixture
def staff_post(staff_client) -> StaffPoster:
    return StaffPoster(staff_client)


def version_of(app, order_id: int) -> int:
    with app.app_context():
        return db.session.get(Order, order_id).version


def order_state(app, order_id: int) -> dict:
    """What the database holds about one order, to compare before and after a refused request."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        lines = db.session.execute(
            select(
                OrderLine.variant_id,
                OrderLine.quantity,
                OrderLine.unit_price,
                OrderLine.price_override_reason,
            )
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.id)
        ).all()
        return {
            "status": order.status,
            "version": order.version,
            "total": order.total,
            "details": (
                order.shipping_option_id,
                order.shipping_fee,
                order.discount_percent,
                order.discount_amount,
                order.roast_date,
                order.delivery_date,
                order.notes,
            ),
            "lines": [tuple(row) for row in lines],
            "events": db.session.scalar(select(func.count()).where(OrderEvent.order_id == order_id)),
            "emails": db.session.scalar(select(func.count()).select_from(Email)),
        }


def details_data(app, order_id: int, **changes) -> dict:
    """The editor's details form as it stands for the order, with ``changes`` typed over it."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        data = {
            "version": str(order.version),
            "shipping_option_id": str(order.shipping_option_id or ""),
            "shipping_fee": f"{order.shipping_fee:.2f}",
            "discount_percent": f"{order.discount_percent:.2f}",
            "discount_amount": f"{order.discount_amount:.2f}",
            "roast_date": order.roast_date.isoformat() if order.roast_date else "",
            "delivery_date": order.delivery_date.isoformat() if order.delivery_date else "",
            "notes": order.notes,
        }
    data.update({key: str(value) for key, value in changes.items()})
    return data


# --- The staff editor's pages ----------------------------------------------------------------------------

ROAST = date.today() + timedelta(days=3)


def line_url(shop, index: int = 0) -> str:
    return f"/admin/orders/{shop.order_id}/lines/{shop.line_ids[index]}"


def editor(staff_client, shop) -> str:
    response = staff_client.get(f"/admin/orders/{shop.order_id}/edit")
    assert response.status_code == 200
    return text(response)


def total_on_invoice(staff_client, shop) -> str:
    html = text(staff_client.get(f"/admin/orders/{shop.order_id}"))
    return re.search(r'id="invoice-total">([^<]+)<', html).group(1)
