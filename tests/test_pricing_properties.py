"""Totals are exact to the cent for any mix of quantities, discounts and price overrides.

The rule lives in one place, ``wholesale.services.orders.pricing``: line amounts are exact (whole cents × whole
quantities), the percentage discount is rounded half up to the cent once, a fixed amount is added, the
discount never exceeds the subtotal, and shipping is added last. These properties check it against an
independent computation in integer cents, first on the pure function, then end to end through the staff
editor's services, the database's money columns and the invoice page.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wholesale.extensions import db
from wholesale.models import Order, Product, Variant
from wholesale.services import orders
from wholesale.services.orders.history import Actor

from .factories import make_customer, make_order

CENTS = st.integers(min_value=0, max_value=5_000_000)  # up to $50,000.00
QUANTITY = st.integers(min_value=1, max_value=999)
PERCENT_HUNDREDTHS = st.integers(min_value=0, max_value=10_000)  # 0.00 % … 100.00 %


def money(cents: int) -> Decimal:
    return Decimal(cents) / 100


def expected_cents(
    lines, percent_hundredths: int, amount_cents: int, shipping_cents: int
) -> tuple[int, int, int]:
    """(subtotal, discount, total) in cents, computed without Decimal or the app's code."""
    subtotal = sum(price * quantity for price, quantity in lines)
    # subtotal × (p / 100) % = subtotal × p / 10 000 cents, rounded half up (all values are >= 0).
    percent_part = (subtotal * percent_hundredths + 5_000) // 10_000
    discount = min(subtotal, percent_part + amount_cents)
    return subtotal, discount, subtotal - discount + shipping_cents


def two_places(value: Decimal) -> bool:
    return value.as_tuple().exponent == -2


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(st.tuples(CENTS, QUANTITY), max_size=30),
    percent=PERCENT_HUNDREDTHS,
    amount=CENTS,
    shipping=st.integers(min_value=0, max_value=100_000),
)
@pytest.mark.db_independent
def test_compute_totals_matches_an_integer_cents_computation(lines, percent, amount, shipping):
    totals = orders.pricing.compute_totals(
        (money(price) * quantity for price, quantity in lines), money(percent), money(amount), money(shipping)
    )
    subtotal, discount, total = expected_cents(lines, percent, amount, shipping)
    assert (totals.subtotal, totals.discount, totals.shipping, totals.total) == (
        money(subtotal),
        money(discount),
        money(shipping),
        money(total),
    )
    assert all(two_places(v) for v in (totals.subtotal, totals.discount, totals.total))
    assert Decimal("0") <= totals.discount <= totals.subtotal and totals.total >= 0


@pytest.mark.db_independent
def test_the_rounding_rule_is_half_up_once_on_the_whole_subtotal():
    # 3 × 0.15 = 0.45 at 50 %: 0.225 → 0.23 (half up), not 3 × round(0.075) = 0.24 nor banker's 0.22.
    assert orders.pricing.compute_totals([Decimal("0.45")], Decimal("50")).discount == Decimal("0.23")
    assert orders.pricing.compute_totals([Decimal("0.15")] * 3, Decimal("50")).discount == Decimal("0.23")
    assert orders.pricing.compute_totals([Decimal("10.00")], Decimal("0"), Decimal("25.00")).total == Decimal(
        "0.00"
    )


ORDER_LINES = st.lists(
    # Up to $1,500.00 a unit: six lines of 999 stay under the largest order total (pricing.MAX_ORDER_AMOUNT).
    st.tuples(
        st.integers(min_value=0, max_value=150_000),
        QUANTITY,
        st.none() | st.integers(min_value=0, max_value=150_000),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=ORDER_LINES,
    percent=PERCENT_HUNDREDTHS,
    amount_share=st.integers(0, 100),
    shipping=st.integers(min_value=0, max_value=100_000),
)
def test_an_order_edited_by_staff_stores_and_shows_exact_totals(
    app, staff, staff_client, lines, percent, amount_share, shipping
):
    """Quantities set, prices overridden with a reason, a discount percent and amount and a fee, through the
    same services the editor calls; the stored total and the invoice agree with the integer computation."""
    actor = Actor(staff_id=staff)
    with app.app_context():
        tag = uuid.uuid4().hex[:10]
        product = Product(name=f"Coffee {tag}", kind="coffee", roast_loss_percent=Decimal("15"))
        variants = [
            Variant(product=product, name=f"size {n}", sku=f"{tag}-{n}", price=money(price), net_weight_g=340)
            for n, (price, _, _) in enumerate(lines)
        ]
        db.session.add(product)
        customer = make_customer(f"Café {tag}")
        order = make_order(customer, [(variant, 1) for variant in variants], status="pending")
        db.session.commit()
        charged = []
        order_id, line_ids = order.id, [line.id for line in order.lines]
        for line_id, (price, quantity, override) in zip(line_ids, lines, strict=True):
            order = orders.editing.set_quantity(order_id, line_id, quantity, actor, order.version)
            if override is not None:
                order = orders.adjustments.set_line_price(
                    order_id, line_id, money(override), "negotiated by phone", actor, order.version
                )
            charged.append((override if override is not None else price, quantity))
        subtotal_cents = sum(p * q for p, q in charged)
        amount = min(subtotal_cents * amount_share // 100, 10_000_000)  # the editor takes up to $100,000
        orders.adjustments.adjust_order(
            order_id,
            orders.adjustments.OrderAdjustments(
                shipping_option_id=None,
                shipping_fee=money(shipping),
                discount_percent=money(percent),
                discount_amount=money(amount),
                roast_date=None,
                delivery_date=None,
                notes="",
            ),
            actor,
            order.version,
        )
        db.session.expire_all()
        stored = db.session.get(Order, order_id)
        subtotal, discount, total = expected_cents(charged, percent, amount, shipping)
        assert (stored.subtotal, stored.total) == (money(subtotal), money(total))
        assert orders.pricing.order_totals(stored).discount == money(discount)

    invoice = staff_client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert re.search(r'id="invoice-total">([^<]+)<', invoice).group(1) == f"${money(total):,.2f}"
