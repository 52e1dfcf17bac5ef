"""The staff editor refuses bad input with a message beside what was typed, changes nothing, and never
answers with a 500; ids of another order are not found."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Email, OrderLine, Variant, utcnow

from .order_fixtures import (  # noqa: F401  (fixtures)
    ROAST,
    customer_client,
    details_data,
    editor,
    line_url,
    order_state,
    shop,
    staff_post,
    text,
    total_on_invoice,
    version_of,
)

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
    ({"delivery_date": "9999-12-31"}, "Enter a date within a year of today."),
    (
        {"roast_date": ROAST.isoformat(), "delivery_date": (ROAST - timedelta(days=1)).isoformat()},
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
        assert "Save and return to the order" in text(response)
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
