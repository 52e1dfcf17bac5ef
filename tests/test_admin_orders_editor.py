"""Staff edit an order like any order: lines (quantity, add, remove, price with a reason), shipping option and
fee, discount percent or amount, roast date, delivery date and notes. With htmx each edit answers
a fragment with the totals out of band; without it, a redirect. Totals are always the server's. Bad input
gets a message beside what was typed and changes nothing; saving the details returns to the invoice.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from wholesale.extensions import db
from wholesale.models import Order, Variant

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
        and 'id="delivery_date"' in html
    )
    assert "Save and return to the order" in html and re.search(r'id="editor-total">\$169\.00<', html)


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
        delivery_date=(ROAST + timedelta(days=1)).isoformat(),
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
        assert (order.roast_date, order.delivery_date, order.notes) == (
            ROAST,
            ROAST + timedelta(days=1),
            "Ring twice",
        )
        assert order.total == Decimal("159.10") and order.status == "pending"
        assert order.events[-1].changes["shipping"] == ["Roastery van", "Courier"]
        # Placed for the first delivery offered, the order had that delivery's roast day.
        assert order.events[-1].changes["roast date"][1] == ROAST.isoformat()


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
