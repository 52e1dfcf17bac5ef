"""Journey 1: a contact opens the order page with last week's order loaded, adjusts it inline, places it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Order, Variant, utcnow

from .conftest import csrf_from
from .factories import make_customer, sign_in_contact
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
    assert "No coffee matches “zzz”." in customer_client.get(f"/orders/{draft.id}/catalog?q=zzz").get_data(
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
