"""Staff edit an order like any order: lines (quantity, add, remove, price with a reason), shipping option and
fee, discount percent or amount, roast date, requested delivery date and notes. With htmx each edit answers
a fragment with the totals out of band; without it, a redirect. Totals are always the server's. Bad input
gets a message beside what was typed and changes nothing; saving the details returns to the invoice.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Email, Order, OrderLine, Variant, utcnow

from .order_fixtures import (  # noqa: F401  (fixtures)
    customer_client,
    details_data,
    order_state,
    shop,
    staff_post,
    text,
    version_of,
)

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


# --- The editor ------------------------------------------------------------------------------------------


def test_the_editor_shows_every_line_and_detail_with_the_orders_version(app, staff_client, shop):
    html = editor(staff_client, shop)
    assert "Edit order" in html and "Blue Door Café" in html
    assert html.count('class="order-line"') == 3
    assert 'aria-label="Quantity of Coffee 00, 340 g bag"' in html and 'value="4"' in html
    assert f'id="order-version" name="version" value="{version_of(app, shop.order_id)}"' in html
    # Without JavaScript every edit form carries its own copy of the version.
    assert (
        html.count(
            f'<noscript><input type="hidden" name="version" value="{version_of(app, shop.order_id)}"></noscript>'
        )
        == 7
    )
    assert (
        "Roastery van" in html
        and "Courier" in html
        and 'id="roast_date"' in html
        and 'id="requested_delivery_date"' in html
    )
    assert "Save and return to invoice" in html and re.search(r'id="editor-total">\$169\.00<', html)


def test_a_quantity_change_with_htmx_answers_the_line_with_totals_and_version_out_of_band(
    app, staff_post, shop
):
    version = version_of(app, shop.order_id)
    response = staff_post.post(line_url(shop), {"quantity": "6", "version": version}, htmx=True)
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="line-{shop.line_ids[0]}"' in body and 'value="6"' in body and "$87.00" in body  # 6 × 14.50
    assert 'id="totals" class="totals" hx-swap-oob="true"' in body and "$198.00" in body
    assert f'id="order-version" name="version" value="{version + 1}" hx-swap-oob="true"' in body
    state = order_state(app, shop.order_id)
    assert (
        state["lines"][0][1] == 6 and state["total"] == Decimal("198.00") and state["version"] == version + 1
    )
    with app.app_context():
        event = db.session.get(Order, shop.order_id).events[-1]
        assert (event.action, event.staff_user_id, event.changes) == (
            "line changed",
            shop.staff_id,
            {"Coffee 00, 340 g bag": ["4", "6"]},
        )


def test_steps_remove_and_add_work_without_javascript(app, staff_client, staff_post, shop):
    response = staff_post.post(
        line_url(shop), {"quantity": "4", "step": "1", "version": version_of(app, shop.order_id)}
    )
    assert (
        response.status_code == 303
        and response.headers["Location"] == f"/admin/orders/{shop.order_id}/edit#line-{shop.line_ids[0]}"
    )
    response = staff_post.post(
        line_url(shop, 1), {"quantity": "2", "remove_line": "1", "version": version_of(app, shop.order_id)}
    )
    assert response.status_code == 303
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/lines",
        {"variant_id": shop.variant_ids[4], "quantity": "3", "version": version_of(app, shop.order_id)},
    )
    assert response.status_code == 303
    assert "Added Coffee 02, 340 g bag." in text(staff_client.get(response.headers["Location"]))
    state = order_state(app, shop.order_id)
    assert [(variant, quantity) for variant, quantity, _, _ in state["lines"]] == [
        (shop.variant_ids[0], 5),
        (shop.variant_ids[5], 1),
        (shop.variant_ids[4], 3),
    ]
    # 5 × 14.50 + 82.00 + 3 × 14.50 = 198.00
    assert state["total"] == Decimal("198.00") and total_on_invoice(staff_client, shop) == "$198.00"


def test_remove_and_add_with_htmx(app, staff_post, shop):
    response = staff_post.post(
        line_url(shop, 2),
        {"quantity": "1", "remove_line": "1", "version": version_of(app, shop.order_id)},
        htmx=True,
    )
    assert (
        response.status_code == 200
        and "Removed Coffee 02, 5 lb bag." in text(response)
        and 'class="order-line"' not in text(response)
    )
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/lines",
        {"variant_id": shop.variant_ids[5], "version": version_of(app, shop.order_id)},
        htmx=True,
    )
    assert (
        "Added Coffee 02, 5 lb bag (1 on the order)." in text(response)
        and "HX-Retarget" not in response.headers
    )
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/lines",
        {"variant_id": shop.variant_ids[0], "quantity": "2", "version": version_of(app, shop.order_id)},
        htmx=True,
    )
    assert response.headers["HX-Retarget"] == f"#line-{shop.line_ids[0]}" and 'value="6"' in text(response)
    assert order_state(app, shop.order_id)["total"] == Decimal("82.00") + 6 * Decimal("14.50") + 2 * Decimal(
        "14.50"
    )


# --- Prices ----------------------------------------------------------------------------------------------


def test_a_price_override_needs_a_reason_and_shows_it(app, staff_client, staff_post, shop):
    url = line_url(shop) + "/price"
    response = staff_post.post(
        url,
        {
            "unit_price": "12.00",
            "price_override_reason": "Damaged bags",
            "version": version_of(app, shop.order_id),
        },
        htmx=True,
    )
    assert (
        response.status_code == 200
        and "price changed: Damaged bags" in text(response)
        and "$48.00" in text(response)
    )
    state = order_state(app, shop.order_id)
    assert state["lines"][0][2:] == (Decimal("12.00"), "Damaged bags") and state["total"] == Decimal("159.00")
    invoice = text(staff_client.get(f"/admin/orders/{shop.order_id}"))
    assert (
        "Price changed: Damaged bags" in invoice
        and "Coffee 00, 340 g bag: unit price: 14.50 → 12.00" in invoice
    )
    assert "Coffee 00, 340 g bag: price reason: — → Damaged bags" in invoice

    # Back to the standard price: the override and its reason go.
    staff_post.post(
        url,
        {
            "unit_price": "14.50",
            "price_override_reason": "Damaged bags",
            "version": version_of(app, shop.order_id),
        },
    )
    assert order_state(app, shop.order_id)["lines"][0][2:] == (Decimal("14.50"), None)


def test_the_standard_price_is_the_customers_negotiated_one(app, staff_post, shop):
    from wholesale.models import Customer

    from .factories import make_price

    with app.app_context():
        make_price(
            db.session.get(Customer, shop.customer_id), db.session.get(Variant, shop.variant_ids[0]), "13.00"
        )
        db.session.commit()
    response = staff_post.post(
        line_url(shop) + "/price", {"unit_price": "13.00", "version": version_of(app, shop.order_id)}
    )
    assert response.status_code == 303
    assert order_state(app, shop.order_id)["lines"][0][2:] == (Decimal("13.00"), None)


# --- Shipping, discount, dates, notes --------------------------------------------------------------------


def test_details_recompute_the_totals_and_saving_returns_to_the_invoice(app, staff_client, staff_post, shop):
    data = details_data(
        app,
        shop.order_id,
        shipping_option_id=shop.courier_id,
        discount_percent="10",
        discount_amount="5",
        roast_date=ROAST.isoformat(),
        requested_delivery_date=(ROAST + timedelta(days=1)).isoformat(),
        notes="Ring twice",
    )
    response = staff_post.post(f"/admin/orders/{shop.order_id}/details", data)
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/orders/{shop.order_id}"
    invoice = text(staff_client.get(response.headers["Location"]))
    # 169.00 − (16.90 + 5.00) + courier 12.00 = 159.10
    assert "Saved order" in invoice and re.search(r'id="invoice-total">\$159\.10<', invoice)
    assert "Discount (10 % + $5.00)" in invoice and "−$21.90" in invoice and "Shipping (Courier)" in invoice
    assert ROAST.strftime("%a %d %b %Y") in invoice and "Ring twice" in invoice
    with app.app_context():
        order = db.session.get(Order, shop.order_id)
        assert (order.shipping_fee, order.discount_percent, order.discount_amount) == (
            Decimal("12.00"),
            Decimal("10.00"),
            Decimal("5.00"),
        )
        assert (order.roast_date, order.requested_delivery_date, order.notes) == (
            ROAST,
            ROAST + timedelta(days=1),
            "Ring twice",
        )
        assert order.total == Decimal("159.10") and order.status == "pending"
        assert order.events[-1].changes["shipping"] == ["Roastery van", "Courier"]
        assert order.events[-1].changes["roast date"] == [None, ROAST.isoformat()]


def test_details_autosave_with_htmx_answers_the_totals_and_the_options_fee(app, staff_post, shop):
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/details",
        details_data(app, shop.order_id, shipping_option_id=shop.courier_id),
        htmx=True,
    )
    body = text(response)
    assert response.status_code == 200 and "<html" not in body and "Saved." in body
    assert 'id="shipping-fee-field" hx-swap-oob="true"' in body and 'value="12.00"' in body
    assert "$181.00" in body  # 169.00 + 12.00
    # A fee typed for this order only is kept; choosing the option again does not reset it.
    staff_post.post(
        f"/admin/orders/{shop.order_id}/details",
        details_data(app, shop.order_id, shipping_fee="7.50"),
        htmx=True,
    )
    assert order_state(app, shop.order_id)["details"][1] == Decimal("7.50")
    # No change at all makes no new version and no history.
    before = order_state(app, shop.order_id)
    staff_post.post(f"/admin/orders/{shop.order_id}/details", details_data(app, shop.order_id), htmx=True)
    assert order_state(app, shop.order_id) == before


def test_a_staff_order_stays_editable_until_it_is_in_a_production_run(app, staff_client, staff_post, shop):
    from wholesale.models import ProductionRun

    staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": version_of(app, shop.order_id)})
    assert (
        staff_client.get(f"/admin/orders/{shop.order_id}/edit").status_code == 200
    )  # approved, not yet in a run
    with app.app_context():
        run = ProductionRun(roast_date=ROAST, status="open")
        db.session.add(run)
        db.session.flush()
        db.session.get(Order, shop.order_id).production_run_id = run.id
        db.session.commit()
    before = order_state(app, shop.order_id)
    response = staff_client.get(f"/admin/orders/{shop.order_id}/edit")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/orders/{shop.order_id}"
    assert "is in a production run" in text(staff_client.get(response.headers["Location"]))
    response = staff_post.post(line_url(shop), {"quantity": "9", "version": before["version"]}, htmx=True)
    assert response.status_code == 409 and response.headers["HX-Redirect"] == f"/admin/orders/{shop.order_id}"
    assert order_state(app, shop.order_id) == before


# --- Bad input: a message, nothing saved, never a 500 ----------------------------------------------------

BAD_LINES = [
    ("", {"quantity": "-1"}, "Enter a quantity from 1 to 999."),
    ("", {"quantity": "0"}, "Enter a quantity from 1 to 999."),
    ("", {"quantity": "1.5"}, "Enter a whole number."),
    ("", {"quantity": "NaN"}, "Enter a whole number."),
    ("", {"quantity": ""}, "Enter a quantity."),
    ("", {"quantity": "99999999999"}, "Enter a quantity from 1 to 999."),
    ("", {"quantity": "1", "step": "-1"}, "Enter a quantity from 1 to 999."),
    ("", {"quantity": "3", "step": "7"}, "Use the + and − buttons."),
    ("/price", {"unit_price": "-1", "price_override_reason": "x"}, "Enter a value from 0 to 100000."),
    ("/price", {"unit_price": "NaN", "price_override_reason": "x"}, "Enter a price as a number"),
    ("/price", {"unit_price": "Infinity", "price_override_reason": "x"}, "Enter a price as a number"),
    ("/price", {"unit_price": "1e9", "price_override_reason": "x"}, "Enter a value from 0 to 100000."),
    ("/price", {"unit_price": "abc", "price_override_reason": "x"}, "Enter a price as a number"),
    ("/price", {"unit_price": "1.234", "price_override_reason": "x"}, "at most two decimal places"),
    ("/price", {"unit_price": ""}, "Enter the unit price."),
    ("/price", {"unit_price": "12.00"}, "Give a reason for the changed price"),
    (
        "/price",
        {"unit_price": "12.00", "price_override_reason": "   "},
        "Give a reason for the changed price",
    ),
    ("/price", {"unit_price": "12.00", "price_override_reason": "x" * 201}, "at most 200 characters"),
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("suffix", "data", "message"), BAD_LINES)
def test_bad_line_input_is_explained_beside_the_line_and_changes_nothing(
    app, staff_post, shop, htmx, suffix, data, message
):
    before = order_state(app, shop.order_id)
    response = staff_post.post(line_url(shop) + suffix, {**data, "version": before["version"]}, htmx=htmx)
    assert response.status_code == (200 if htmx else 422)
    body = text(response)
    assert message in body and f'id="err-{shop.line_ids[0]}"' in body
    assert order_state(app, shop.order_id) == before


BAD_ADDS = [
    ({"variant_id": "999999"}, "not available any more"),
    ({"variant_id": "99999999999999"}, "not available any more"),
    ({"variant_id": "abc"}, "not available any more"),
    ({"variant_id": "-1"}, "not available any more"),
    ({"variant_id": ""}, "Pick a product size."),
    ({"variant_id": "retired"}, "not available any more"),
    ({"variant_id": "ok", "quantity": "0"}, "Enter a quantity from 1 to 999."),
    ({"variant_id": "ok", "quantity": "1000"}, "Enter a quantity from 1 to 999."),
    ({"variant_id": "ok", "quantity": "-3"}, "Enter a quantity from 1 to 999."),
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("data", "message"), BAD_ADDS)
def test_adding_an_unknown_or_retired_size_is_refused(app, staff_post, shop, htmx, data, message):
    with app.app_context():
        db.session.get(Variant, shop.variant_ids[3]).retired_at = utcnow()
        db.session.commit()
    aliases = {"retired": shop.variant_ids[3], "ok": shop.variant_ids[4]}
    data = {k: aliases.get(v, v) for k, v in data.items()}
    before = order_state(app, shop.order_id)
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/lines", {**data, "version": before["version"]}, htmx=htmx
    )
    assert response.status_code == (200 if htmx else 422) and message in text(response)
    assert order_state(app, shop.order_id) == before


TOO_FAR = (date.today() + timedelta(days=400)).isoformat()
BAD_DETAILS = [
    ({"discount_percent": "-5"}, "Enter a value from 0 to 100."),
    ({"discount_percent": "150"}, "Enter a value from 0 to 100."),
    ({"discount_percent": "NaN"}, "Enter a percentage as a number"),
    ({"discount_percent": "1e400"}, "Enter a value from 0 to 100."),
    ({"discount_percent": "ten"}, "Enter a percentage as a number"),
    ({"discount_amount": "-1"}, "Enter a value from 0 to 100000."),
    ({"discount_amount": "sNaN"}, "Enter a price as a number"),
    ({"discount_amount": "99999999999"}, "Enter a value from 0 to 100000."),
    ({"discount_amount": "500"}, "cannot be more than the items cost (169.00)"),
    ({"shipping_fee": "-0.01"}, "Enter a value from 0 to 100000."),
    ({"shipping_fee": "12.345"}, "at most two decimal places"),
    ({"shipping_option_id": "999999"}, "Choose one of the shipping options listed."),
    ({"shipping_option_id": "99999999999999"}, "Choose one of the shipping options listed."),
    ({"shipping_option_id": "abc"}, "Choose one of the shipping options listed."),
    ({"shipping_option_id": "0"}, "Choose one of the shipping options listed."),
    ({"roast_date": "2025-02-30"}, "Enter a date like 2025-03-14."),
    ({"roast_date": "next tuesday"}, "Enter a date like 2025-03-14."),
    ({"roast_date": "0001-01-01"}, "Enter a date within a year of today."),
    ({"roast_date": TOO_FAR}, "Enter a date within a year of today."),
    ({"requested_delivery_date": "9999-12-31"}, "Enter a date within a year of today."),
    (
        {"roast_date": ROAST.isoformat(), "requested_delivery_date": (ROAST - timedelta(days=1)).isoformat()},
        "The delivery date cannot be before the roast date.",
    ),
    ({"notes": "x" * 2001}, "at most 2,000 characters"),
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("changes", "message"), BAD_DETAILS)
def test_bad_details_are_explained_and_change_nothing(app, staff_post, shop, htmx, changes, message):
    before = order_state(app, shop.order_id)
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/details",
        details_data(app, shop.order_id, **({"discount_percent": "10"} | changes)),
        htmx=htmx,
    )
    assert response.status_code == (200 if htmx else 422)
    assert message in text(response)
    if not htmx:  # the whole page comes back with what was typed, so nothing typed is lost
        assert "Save and return to invoice" in text(response)
    assert order_state(app, shop.order_id) == before


def test_a_nul_character_in_notes_or_a_reason_never_reaches_the_database(app, staff_post, shop):
    staff_post.post(
        f"/admin/orders/{shop.order_id}/details", details_data(app, shop.order_id, notes="a\x00b")
    )
    assert order_state(app, shop.order_id)["details"][-1] == "ab"
    response = staff_post.post(
        line_url(shop) + "/price",
        {
            "unit_price": "1.00",
            "price_override_reason": "\x00sample\x00",
            "version": version_of(app, shop.order_id),
        },
    )
    assert response.status_code == 303 and order_state(app, shop.order_id)["lines"][0][3] == "sample"


def test_a_line_of_another_order_or_unknown_ids_are_not_found(app, staff_post, shop):
    with app.app_context():
        other_line = db.session.scalar(select(OrderLine.id).where(OrderLine.order_id != shop.order_id))
    for url in (
        f"/admin/orders/{shop.order_id}/lines/{other_line}",
        f"/admin/orders/{shop.order_id}/lines/{2**40}",
        f"/admin/orders/{2**40}/lines",
        f"/admin/orders/{2**40}/details",
        f"/admin/orders/{2**40}/approve",
    ):
        assert staff_post.post(url, {"quantity": "2", "version": "1"}).status_code == 404, url


def test_editing_sends_the_customer_no_email(app, staff_post, shop):
    emails = order_state(app, shop.order_id)["emails"]
    staff_post.post(line_url(shop), {"quantity": "5", "version": version_of(app, shop.order_id)})
    with app.app_context():
        assert db.session.query(Email).count() == emails


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_an_order_too_large_to_store_is_refused_with_a_message(app, staff_post, shop, htmx):
    response = staff_post.post(
        line_url(shop) + "/price",
        {
            "unit_price": "100000",
            "price_override_reason": "gold-plated",
            "version": version_of(app, shop.order_id),
        },
    )
    assert response.status_code == 303
    before = order_state(app, shop.order_id)
    response = staff_post.post(line_url(shop), {"quantity": "999", "version": before["version"]}, htmx=htmx)
    assert response.status_code == (200 if htmx else 422)
    assert "An order cannot come to more than $10,000,000.00" in text(response)
    assert order_state(app, shop.order_id) == before
