"""A customer cancels their own pending order from its page, with an optional reason; the roastery is emailed
and staff see it. An approved order, a draft, another customer's order or an out-of-date page cannot be."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Email, Order

from .conftest import csrf_from
from .order_fixtures import (  # noqa: F401  (fixtures)
    customer_client,
    order_state,
    shop,
    staff_post,
    text,
)


def cancel_form(client, order_id: int) -> dict:
    """The fields of the order page's cancel form, as a browser would send them."""
    page = client.get(f"/orders/{order_id}").get_data(as_text=True)
    form = re.search(rf'<form method="post" action="/orders/{order_id}/cancel">.*?</form>', page, re.S)
    assert form is not None, "a pending order's page offers to cancel it"
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))


def test_the_customer_cancels_a_pending_order_and_the_roastery_is_told(
    app, customer_client, shop, staff_client
):
    fields = cancel_form(customer_client, shop.order_id)
    response = customer_client.post(
        f"/orders/{shop.order_id}/cancel", data={**fields, "reason": "Closed for a week"}
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{shop.order_id}"
    page = text(customer_client.get(response.headers["Location"]))
    assert f"Order W{shop.order_id:06d} is cancelled" in page and "Cancel this order" not in page
    with app.app_context():
        order = db.session.get(Order, shop.order_id)
        assert (order.status, order.cancel_reason) == ("cancelled", "Closed for a week")
        assert order.cancelled_at is not None
        assert order.events[-1].action == "cancelled by the customer"
        assert order.events[-1].contact_id == shop.contact_ids[0]
        notice = db.session.scalar(select(Email).where(Email.kind == "order_cancelled_by_customer"))
        assert notice.to_address == app.config["ROASTERY_EMAIL"] and "Closed for a week" in notice.text_body
    invoice = text(staff_client.get(f"/admin/orders/{shop.order_id}"))
    assert "Cancelled: Closed for a week" in invoice and "Cancelled by the customer" in invoice
    assert f"W{shop.order_id:06d}" in text(staff_client.get("/admin/?status=cancelled"))


def test_the_reason_is_optional(app, customer_client, shop):
    fields = cancel_form(customer_client, shop.order_id)
    assert customer_client.post(f"/orders/{shop.order_id}/cancel", data=fields).status_code == 303
    with app.app_context():
        assert db.session.get(Order, shop.order_id).status == "cancelled"


def test_an_approved_order_cannot_be_cancelled_by_the_customer(app, customer_client, shop, staff_post):
    fields = cancel_form(customer_client, shop.order_id)
    approved = staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": fields["version"]})
    assert approved.status_code == 303
    page = customer_client.get(f"/orders/{shop.order_id}").get_data(as_text=True)
    assert f'action="/orders/{shop.order_id}/cancel"' not in page
    before = order_state(app, shop.order_id)
    response = customer_client.post(f"/orders/{shop.order_id}/cancel", data=fields)
    assert response.status_code == 303
    assert "can no longer be changed" in text(customer_client.get(response.headers["Location"]))
    assert order_state(app, shop.order_id) == before


def test_a_page_shown_before_the_roastery_changed_the_order_cancels_nothing(
    app, customer_client, shop, staff_post
):
    fields = cancel_form(customer_client, shop.order_id)
    changed = staff_post.post(
        f"/admin/orders/{shop.order_id}/lines/{shop.line_ids[0]}",
        {"quantity": "6", "version": fields["version"]},
    )
    assert changed.status_code == 303
    response = customer_client.post(f"/orders/{shop.order_id}/cancel", data=fields)
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{shop.order_id}/edit"
    assert "was changed by the roastery" in text(customer_client.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.get(Order, shop.order_id).status == "pending"


def test_the_draft_cannot_be_cancelled(app, customer_client, shop):
    html = customer_client.get("/order?second=1").get_data(as_text=True)
    draft_id = int(re.search(r'action="/orders/(\d+)/place"', html).group(1))
    response = customer_client.post(f"/orders/{draft_id}/cancel", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Order, draft_id).status == "draft"


@pytest.mark.parametrize("reason", ["x" * 501])
def test_a_reason_too_long_is_refused_with_a_message(app, customer_client, shop, reason):
    fields = cancel_form(customer_client, shop.order_id)
    response = customer_client.post(f"/orders/{shop.order_id}/cancel", data={**fields, "reason": reason})
    assert response.status_code == 303
    assert "Keep the reason under 500 characters." in text(customer_client.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.get(Order, shop.order_id).status == "pending"


def test_another_customers_order_is_not_found(app, client, shop):
    from wholesale.models import Contact

    from .factories import make_customer, sign_in_contact

    with app.app_context():
        rival = make_customer("Rival Roasters")
        db.session.commit()
        sign_in_contact(client, db.session.get(Contact, rival.contacts[0].id))
    page = client.get("/order").get_data(as_text=True)
    response = client.post(
        f"/orders/{shop.order_id}/cancel", data={"csrf_token": csrf_from(page), "version": "1"}
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Order, shop.order_id).status == "pending"
