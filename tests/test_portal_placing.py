"""Journey 1, its end: placing the order, and what the customer can do with it afterwards."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask_mail import Message
from sqlalchemy import func, select

from wholesale.extensions import db, mail
from wholesale.models import Email, Order, Variant, utcnow

from .conftest import csrf_from
from .portal_shop import (  # noqa: F401  (fixtures)
    HX,
    customer_client,
    draft_of,
    line_urls,
    lines_of,
    open_order_page,
    place,
    placed_order,
    shop,
)

# --- placing ----------------------------------------------------------------------------------------


def test_placing_the_unchanged_order_makes_a_pending_portal_order_and_a_confirmation(
    app, customer_client, shop
):
    with app.app_context(), mail.record_messages() as outbox:
        html, draft = open_order_page(customer_client)
        response = place(customer_client, html, notes="Leave at the back door")
        assert response.status_code == 303
        assert response.headers["Location"] == f"/orders/{draft.id}?placed=1"
        page = customer_client.get(response.headers["Location"]).get_data(as_text=True)
        assert f"Thank you! Order W{draft.id:06d} is placed." in page
        # (52.00 + 29.00 + 82.00) = 163.00, less 10 % = 16.30, plus courier 12.00 = 158.70
        assert "Coffee 00, 340 g bag" in page and "$158.70" in page

        order = db.session.get(Order, draft.id)
        assert (order.status, order.channel, order.placed_by_contact_id) == (
            "pending",
            "portal",
            shop.contact_ids[0],
        )
        assert order.notes == "Leave at the back door" and order.placed_at is not None
        assert [e.action for e in order.events] == ["placed"]

        email = db.session.scalar(select(Email).where(Email.order_id == order.id).order_by(Email.id))
        assert (email.kind, email.status, email.to_address) == (
            "order_confirmation",
            "sent",
            "c0@bluedoorcaf.example",
        )
        assert "$158.70" in email.text_body and "$158.70" in email.html_body
        # The confirmation to the contact, and the roastery's notice (ORDER_NOTIFY_ROASTERY, on by default).
        assert [m.recipients for m in outbox] == [["c0@bluedoorcaf.example"], ["orders@hillside.example"]]
        assert isinstance(outbox[0], Message)

        # The next visit opens the order just placed (its delivery is to come), not a fresh Place order for
        # the same lines; a second order is a deliberate step, and starts from the order just placed.
        again = customer_client.get("/order")
        assert again.status_code == 303 and again.headers["Location"] == f"/orders/{order.id}/edit"
        assert draft_of(shop.blue_id) is None
        _, next_draft = open_order_page(customer_client, "/order?second=1")
        assert next_draft.id != order.id and len(lines_of(next_draft.id)) == 3


def test_a_double_tap_or_a_retry_makes_one_order(app, customer_client, shop):
    with app.app_context(), mail.record_messages() as outbox:
        html, draft = open_order_page(customer_client)
        first, second = place(customer_client, html), place(customer_client, html)
        assert first.headers["Location"] == second.headers["Location"]
        placed = db.session.scalar(
            select(func.count()).where(Order.customer_id == shop.blue_id, Order.status == "pending")
        )
        assert placed == 1
        # One confirmation and one roastery notice, not two of each.
        assert db.session.scalar(select(func.count()).select_from(Email)) == 2 and len(outbox) == 2


def test_prices_sent_by_the_browser_are_refused(app, customer_client, shop):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        response = place(customer_client, html, total="0.01")
        assert response.status_code == 422
        assert "Prices are set by the roastery" in response.get_data(as_text=True)
        assert db.session.get(Order, draft.id).status == "draft"


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "has spaces in it!!!!"])
def test_a_missing_or_malformed_idempotency_key_places_nothing(app, customer_client, shop, key):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        response = place(customer_client, html, idempotency_key=key)
        assert response.status_code == 422 and "out of date" in response.get_data(as_text=True)
        assert db.session.get(Order, draft.id).status == "draft"


def test_an_empty_order_cannot_be_placed(app, customer_client, shop):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        for url in line_urls(html):
            customer_client.post(
                url, data={"csrf_token": csrf_from(html), "quantity": "1", "remove_line": "1"}
            )
        html, _ = open_order_page(customer_client)
        response = place(customer_client, html)
        assert response.status_code == 422 and "Your order is empty" in response.get_data(as_text=True)


def test_a_product_retired_while_the_draft_was_open_blocks_placing_with_a_message(app, customer_client, shop):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        db.session.get(Variant, shop.variant_ids[0]).retired_at = utcnow()
        db.session.commit()
        response = place(customer_client, html)
        assert response.status_code == 422
        assert "Coffee 00, 340 g bag can no longer be ordered" in response.get_data(as_text=True)


def test_placing_takes_prices_from_the_catalog_at_that_moment(app, customer_client, shop):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        db.session.get(Variant, shop.variant_ids[5]).price = Decimal("90.00")
        db.session.commit()
        place(customer_client, html)
        assert lines_of(draft.id)[2] == ("C02-2268", 1, Decimal("90.00"))


# --- after placing ----------------------------------------------------------------------------------


def test_a_pending_order_can_still_be_changed_and_each_change_is_in_its_history(app, customer_client, shop):
    with app.app_context():
        order_id = placed_order(app, customer_client)
        page = customer_client.get(f"/orders/{order_id}").get_data(as_text=True)
        assert "Change this order" in page
        html = customer_client.get(f"/orders/{order_id}/edit").get_data(as_text=True)
        assert "Save changes" in html
        customer_client.post(
            line_urls(html)[0],
            data={
                "csrf_token": csrf_from(html),
                "quantity": "6",
                "version": re.search(r'id="order-version" name="version" value="(\d+)"', html).group(1),
            },
            headers=HX,
        )
        order = db.session.get(Order, order_id)
        db.session.refresh(order)
        assert order.status == "pending" and order.lines[0].quantity == 6
        assert [(e.action, e.contact_id) for e in order.events][-1] == ("line changed", shop.contact_ids[0])
        assert order.events[-1].changes == {"Coffee 00, 340 g bag": ["4", "6"]}


def test_an_approved_order_is_read_only(app, customer_client, shop):
    with app.app_context():
        order_id = placed_order(app, customer_client)
        order = db.session.get(Order, order_id)
        order.status = "approved"
        db.session.commit()
        line_id = order.lines[0].id
        page = customer_client.get(f"/orders/{order_id}").get_data(as_text=True)
        assert "Change this order" not in page and "can no longer be changed" in page
        token = csrf_from(page)
        assert customer_client.get(f"/orders/{order_id}/edit").status_code == 303
        response = customer_client.post(
            f"/orders/{order_id}/lines/{line_id}", data={"csrf_token": token, "quantity": "9"}, headers=HX
        )
        assert response.status_code == 409 and "can no longer be changed" in response.get_data(as_text=True)
        response = customer_client.post(
            f"/orders/{order_id}/lines", data={"csrf_token": token, "variant_id": shop.variant_ids[1]}
        )
        assert response.status_code == 303
        db.session.expire_all()
        assert [line.quantity for line in db.session.get(Order, order_id).lines] == [4, 2, 1]


def test_the_history_lists_orders_and_any_can_be_ordered_again(app, customer_client, shop):
    with app.app_context():
        page = customer_client.get("/orders").get_data(as_text=True)
        assert f"W{shop.last_week_id:06d}" in page and "cancelled" in page
        assert f"W{shop.rival_order_id:06d}" not in page
        _, draft = open_order_page(customer_client)
        customer_client.post(
            f"/orders/{draft.id}/lines/{draft.lines[0].id}",
            data={"csrf_token": csrf_from(page), "quantity": "1", "remove_line": "1"},
        )
        # The draft still holds two lines: the customer is asked first, and nothing changes until they confirm.
        before = lines_of(draft.id)
        response = customer_client.post(
            f"/orders/{shop.last_week_id}/reorder", data={"csrf_token": csrf_from(page)}
        )
        asked = response.get_data(as_text=True)
        assert response.status_code == 200 and "Replace your current order?" in asked
        assert 'name="confirmed" value="1"' in asked and "Keep my current order" in asked
        assert lines_of(draft.id) == before
        response = customer_client.post(
            f"/orders/{shop.last_week_id}/reorder", data={"csrf_token": csrf_from(page), "confirmed": "1"}
        )
        assert response.status_code == 303 and response.headers["Location"] == "/order"
        assert [sku for sku, _, _ in lines_of(draft.id)] == ["C00-340", "C01-340", "C02-2268"]
        # Its lines were replaced even if the totals come out the same: a new version, so an edit made
        # against the lines it had (a tap still on its way) is refused and made again on these.
        db.session.expire_all()
        version = db.session.get(Order, draft.id).version
        customer_client.post(
            f"/orders/{shop.last_week_id}/reorder", data={"csrf_token": csrf_from(page), "confirmed": "1"}
        )
        db.session.expire_all()
        assert db.session.get(Order, draft.id).version == version + 1


def test_a_product_is_added_to_a_placed_order_from_the_catalog_page_without_javascript(
    app, customer_client, shop
):
    """The catalog page (no htmx) carries the version the customer was shown, so the add is not refused as
    made against another version."""
    with app.app_context():
        order_id = placed_order(app, customer_client)
    catalog = customer_client.get(f"/orders/{order_id}/catalog").get_data(as_text=True)
    form = re.search(r'<form method="post" action="(/orders/\d+/lines)".*?</form>', catalog, re.S).group(0)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    assert "version" in fields and "variant_id" in fields
    response = customer_client.post(f"/orders/{order_id}/lines", data=fields)
    assert response.status_code == 303 and response.headers["Location"].startswith(f"/orders/{order_id}/edit")
    with app.app_context():
        assert int(fields["variant_id"]) in [
            line.variant_id for line in db.session.get(Order, order_id).lines
        ]


def test_a_refused_add_to_another_customers_order_is_not_found(app, customer_client, shop):
    page = customer_client.get("/order").get_data(as_text=True)
    for order_id in (shop.rival_order_id, shop.rival_draft_id):
        response = customer_client.post(
            f"/orders/{order_id}/lines", data={"csrf_token": csrf_from(page), "variant_id": ""}, headers=HX
        )
        assert response.status_code == 404


def test_order_these_again_leaves_a_draft_placed_meanwhile_as_it_was_placed(
    app, customer_client, shop, monkeypatch
):
    """Another tab places the draft while "order these again" waits for its lock: the placed order keeps the
    lines it was placed with, and a new draft takes the lines ordered again."""
    from wholesale.services.orders import drafts

    with app.app_context():
        placed_id = placed_order(app, customer_client)
        placed_lines = lines_of(placed_id)
    real_open_draft, calls = drafts.open_draft, []

    def stale_open_draft(customer, contact):  # the first look still saw the draft that was then placed
        calls.append(1)
        if len(calls) == 1:
            return drafts.Draft(db.session.get(Order, placed_id))
        return real_open_draft(customer, contact)

    monkeypatch.setattr(drafts, "open_draft", stale_open_draft)
    page = customer_client.get(f"/orders/{shop.last_week_id}").get_data(as_text=True)
    response = customer_client.post(
        f"/orders/{shop.last_week_id}/reorder", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 303 and len(calls) == 2
    with app.app_context():
        assert lines_of(placed_id) == placed_lines
        draft = draft_of(shop.blue_id)
        assert draft is not None and draft.id != placed_id
        assert [sku for sku, _, _ in lines_of(draft.id)] == ["C00-340", "C01-340", "C02-2268"]
