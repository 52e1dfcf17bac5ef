"""Journey 1: a contact opens the order page with last week's order loaded, adjusts it inline, places it."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_mail import Message
from sqlalchemy import func, select

from wholesale.extensions import db, mail
from wholesale.models import Email, Order, OrderLine, Variant, utcnow

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


def open_order_page(client) -> tuple[str, Order]:
    response = client.get("/order")
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


# --- the page ---------------------------------------------------------------------------------------


def test_the_order_page_starts_from_last_weeks_order_at_todays_prices(app, customer_client, shop):
    with app.app_context():
        db.session.get(Variant, shop.variant_ids[2]).price = Decimal("15.25")  # price went up since
        db.session.commit()
        html, draft = open_order_page(customer_client)
        assert draft.status == "draft" and draft.channel == "portal"
        assert lines_of(draft.id) == [
            ("C00-340", 4, Decimal("13.00")),  # Blue Door's negotiated price
            ("C01-340", 2, Decimal("15.25")),  # today's list price, not last week's
            ("C02-2268", 1, Decimal("82.00")),
        ]
        assert draft.shipping_option_id == shop.courier_id  # as last time
    assert "Coffee 00" in html and "$52.00" in html  # 4 × 13.00
    # (52.00 + 30.50 + 82.00) = 164.50, less 10 % = 16.45, plus courier 12.00 = 160.05
    assert "−$16.45" in html and "$160.05" in html
    assert "Place order" in html


def test_retired_products_are_left_out_with_a_notice(app, customer_client, shop):
    with app.app_context():
        db.session.get(Variant, shop.variant_ids[5]).retired_at = utcnow()
        db.session.get(Variant, shop.variant_ids[2]).product.retired_at = utcnow()
        db.session.commit()
        html, draft = open_order_page(customer_client)
        assert [sku for sku, _, _ in lines_of(draft.id)] == ["C00-340"]
    assert "Left out because no longer offered: Coffee 01, 340 g bag, Coffee 02, 5 lb bag." in html


def test_a_customer_without_orders_starts_from_the_catalog(app, client, shop):
    with app.app_context():
        newcomer = make_customer("New Café")
        db.session.commit()
        sign_in_contact(client, newcomer.contacts[0])
        html, draft = open_order_page(client)
        assert draft.lines == []
    assert "Your order is empty" in html and "Add a product" in html


def test_the_draft_is_kept_on_the_server_for_every_contact_of_the_customer(app, client, shop):
    with app.app_context():
        from wholesale.models import Contact

        first, second = (db.session.get(Contact, i) for i in shop.contact_ids)
        sign_in_contact(client, first)
        html, draft = open_order_page(client)
        client.post(line_urls(html)[0], data={"csrf_token": csrf_from(html), "quantity": "7"})

        other = client.application.test_client()
        sign_in_contact(other, second)
        again, same = open_order_page(other)
        assert same.id == draft.id
        assert lines_of(same.id)[0][1] == 7
        assert (
            db.session.scalar(
                select(func.count()).where(Order.status == "draft", Order.customer_id == shop.blue_id)
            )
            == 1
        )


def test_requests_sharing_an_app_context_each_see_their_own_customer(app, shop):
    """Who is signed in is worked out per request, even where requests share an app context (``g``): a script,
    a test. Rival Roasters' order page after Blue Door's shows Rival's draft, not Blue Door's."""
    with app.app_context():
        from wholesale.models import Contact

        blue, rival = app.test_client(), app.test_client()
        sign_in_contact(blue, db.session.get(Contact, shop.contact_ids[0]))
        rival_contact = db.session.scalar(select(Contact).where(Contact.customer_id != shop.blue_id))
        sign_in_contact(rival, rival_contact)
        db.session.delete(
            db.session.get(Order, shop.rival_draft_id)
        )  # Rival's draft is made on its next visit
        db.session.commit()

        _, blue_draft = open_order_page(blue)
        html, rival_draft = open_order_page(rival)

        assert (blue_draft.customer_id, rival_draft.customer_id) == (shop.blue_id, rival_contact.customer_id)
        assert "Rival Roasters" in html and "Blue Door" not in html


def test_the_order_page_needs_a_signed_in_customer(client, shop):
    for path in ("/order", "/orders", f"/orders/{shop.last_week_id}"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/"


# --- inline edits -----------------------------------------------------------------------------------


def test_a_quantity_change_answers_with_the_line_and_the_totals_out_of_band(app, customer_client, shop):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        response = customer_client.post(
            line_urls(html)[0], data={"csrf_token": csrf_from(html), "quantity": "4", "step": "1"}, headers=HX
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert len(response.data) < 2048, len(response.data)
        assert 'value="5"' in body and "$65.00" in body  # 5 × 13.00
        assert 'id="totals"' in body and 'hx-swap-oob="true"' in body
        assert "<html" not in body
        assert lines_of(draft.id)[0][1] == 5


def test_a_quantity_change_stores_the_line_the_totals_and_a_new_version_and_nothing_when_unchanged(
    app, customer_client, shop
):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        draft_id, version, changed_at = draft.id, draft.version, draft.updated_at
        url, token = line_urls(html)[1], csrf_from(html)
        assert (
            customer_client.post(url, data={"csrf_token": token, "quantity": "3"}, headers=HX).status_code
            == 200
        )
        db.session.expire_all()
        draft = db.session.get(Order, draft_id)
        assert lines_of(draft_id)[1][1] == 3
        # Blue Door's 4 × 13.00 and one 82.00 bag as before; discount 10 %, courier 12.00.
        assert draft.subtotal == Decimal("52.00") + 3 * lines_of(draft_id)[1][2] + Decimal("82.00")
        assert draft.total == draft.subtotal - (draft.subtotal / 10).quantize(Decimal("0.01")) + Decimal(
            "12.00"
        )
        assert draft.version == version + 1 and draft.updated_at >= changed_at
        # The same quantity again (a repeated request) writes nothing.
        assert (
            customer_client.post(url, data={"csrf_token": token, "quantity": "3"}, headers=HX).status_code
            == 200
        )
        db.session.expire_all()
        assert db.session.get(Order, draft_id).version == version + 1


def test_a_quantity_that_would_take_the_order_past_its_largest_total_is_refused(app, customer_client, shop):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        draft.lines[0].unit_price = Decimal("20000.00")  # as a staff price override could make it
        db.session.commit()
        before = lines_of(draft.id), draft.total, draft.version
        response = customer_client.post(
            line_urls(html)[0], data={"csrf_token": csrf_from(html), "quantity": "999"}, headers=HX
        )
        assert response.status_code == 422
        assert "An order cannot come to more than $10,000,000.00" in response.get_data(as_text=True)
        db.session.expire_all()
        order = db.session.get(Order, draft.id)
        assert (lines_of(draft.id), order.total, order.version) == before


def test_minus_typing_remove_and_add_work_with_htmx(app, customer_client, shop):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        token, urls = csrf_from(html), line_urls(html)
        customer_client.post(urls[0], data={"csrf_token": token, "quantity": "4", "step": "-1"}, headers=HX)
        customer_client.post(urls[1], data={"csrf_token": token, "quantity": "12"}, headers=HX)
        removed = customer_client.post(
            urls[2], data={"csrf_token": token, "quantity": "1", "remove_line": "1"}, headers=HX
        )
        assert removed.status_code == 200 and 'class="line"' not in removed.get_data(as_text=True)
        added = customer_client.post(
            f"/orders/{draft.id}/lines",
            data={"csrf_token": token, "variant_id": shop.variant_ids[4]},
            headers=HX,
        )
        assert added.status_code == 200 and "Added Coffee 02, 340 g bag" in added.get_data(as_text=True)
        again = customer_client.post(
            f"/orders/{draft.id}/lines",
            data={"csrf_token": token, "variant_id": shop.variant_ids[4]},
            headers=HX,
        )
        assert again.headers["HX-Retarget"].startswith("#line-")
        assert lines_of(draft.id) == [
            ("C00-340", 3, Decimal("13.00")),
            ("C01-340", 12, Decimal("14.50")),
            ("C02-340", 2, Decimal("14.50")),
        ]
        db.session.refresh(draft)
        # 39.00 + 174.00 + 29.00 = 242.00; −24.20; +12.00
        assert draft.total == Decimal("229.80")


def test_the_same_edits_work_without_javascript(app, customer_client, shop):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        token, urls = csrf_from(html), line_urls(html)
        response = customer_client.post(urls[0], data={"csrf_token": token, "quantity": "4", "step": "1"})
        assert response.status_code == 303 and response.headers["Location"].startswith("/order#line-")
        response = customer_client.post(
            urls[1], data={"csrf_token": token, "quantity": "1", "remove_line": "1"}
        )
        assert response.status_code == 303
        page = customer_client.get(f"/orders/{draft.id}/catalog").get_data(as_text=True)
        assert "Coffee 02" in page and "Add Coffee 02, 340 g bag, $14.50" in page
        response = customer_client.post(
            f"/orders/{draft.id}/lines", data={"csrf_token": token, "variant_id": shop.variant_ids[4]}
        )
        assert response.status_code == 303
        response = customer_client.post(
            f"/orders/{draft.id}/details",
            data={"csrf_token": token, "shipping_option_id": shop.van_id, "notes": "Back door"},
        )
        assert response.status_code == 303
        db.session.refresh(draft)
        assert [sku for sku, _, _ in lines_of(draft.id)] == ["C00-340", "C02-2268", "C02-340"]
        assert lines_of(draft.id)[0][1] == 5
        assert (draft.shipping_option_id, draft.shipping_fee, draft.notes) == (
            shop.van_id,
            Decimal("0.00"),
            "Back door",
        )


def test_the_catalog_can_be_searched(app, customer_client, shop):
    with app.app_context():
        _, draft = open_order_page(customer_client)
    page = customer_client.get(f"/orders/{draft.id}/catalog?q=coffee 01", headers=HX).get_data(as_text=True)
    assert "Coffee 01" in page and "Coffee 02" not in page and "<html" not in page
    assert "Nothing matches" in customer_client.get(f"/orders/{draft.id}/catalog?q=zzz").get_data(
        as_text=True
    )


BAD_QUANTITIES = [
    ({"quantity": "-1"}, "Enter a quantity from 1 to 999."),
    ({"quantity": "0"}, "Enter a quantity from 1 to 999."),
    ({"quantity": "1.5"}, "Enter a whole number."),
    ({"quantity": "1e3"}, "Enter a whole number."),
    ({"quantity": "99999999999"}, "Enter a quantity from 1 to 999."),
    ({"quantity": "NaN"}, "Enter a whole number."),
    ({"quantity": ""}, "Enter a quantity."),
    ({"quantity": ["2", "3"]}, "Enter one number only."),
    ({"quantity": "999", "step": "1"}, "Enter a quantity from 1 to 999."),
    ({"quantity": "1", "step": "-1"}, "Enter a quantity from 1 to 999."),
    ({"quantity": "3", "step": "5"}, "Use the + and − buttons."),
    ({"quantity": "3", "unit_price": "0.01"}, "Prices are set by the roastery"),
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("data", "message"), BAD_QUANTITIES)
def test_bad_quantities_get_a_message_and_change_nothing(app, customer_client, shop, data, message, htmx):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        before = lines_of(draft.id), draft.total
        response = customer_client.post(
            line_urls(html)[0], data={"csrf_token": csrf_from(html), **data}, headers=HX if htmx else {}
        )
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        db.session.expire_all()
        assert (lines_of(draft.id), db.session.get(Order, draft.id).total) == before


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("unknown", "not available any more"),
        ("retired", "not available any more"),
        ("abc", "not available any more"),
    ],
)
def test_adding_an_unknown_or_retired_product_is_refused(app, customer_client, shop, variant, message):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        before = lines_of(draft.id)
        variant_id = {"unknown": "999999", "retired": str(shop.variant_ids[1]), "abc": "abc"}[variant]
        db.session.get(Variant, shop.variant_ids[1]).retired_at = utcnow()
        db.session.commit()
        response = customer_client.post(
            f"/orders/{draft.id}/lines",
            data={"csrf_token": csrf_from(html), "variant_id": variant_id},
            headers=HX,
        )
        assert response.status_code == 422 and message in response.get_data(as_text=True)
        assert lines_of(draft.id) == before


def test_an_unknown_shipping_option_is_refused(app, customer_client, shop):
    with app.app_context():
        html, draft = open_order_page(customer_client)
        response = customer_client.post(
            f"/orders/{draft.id}/details",
            data={"csrf_token": csrf_from(html), "shipping_option_id": "999"},
            headers=HX,
        )
        assert response.status_code == 422 and "choose one of the delivery options" in response.get_data(
            as_text=True
        )
        db.session.refresh(draft)
        assert draft.shipping_option_id == shop.courier_id


# --- placing ----------------------------------------------------------------------------------------


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

        # The next visit starts a new draft from the order just placed.
        _, next_draft = open_order_page(customer_client)
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


def placed_order(app, client) -> int:
    html, draft = open_order_page(client)
    place(client, html)
    return draft.id


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
