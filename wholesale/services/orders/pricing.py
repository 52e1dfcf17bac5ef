"""What an order costs. The one place prices and totals are computed, and the one rounding rule.

- A line's unit price is the customer's negotiated price for that variant if there is one, else the list
  price; staff may override it on an order (with a reason).
- subtotal = Σ unit price × quantity (exact: prices are whole cents).
- discount = subtotal × discount percent / 100, **rounded half up to the cent once**, plus any fixed
  discount amount; never more than the subtotal.
- total = subtotal − discount + shipping fee.

Money columns hold whole cents in a 32-bit integer, so an order may come to at most ``MAX_ORDER_AMOUNT``;
``apply_totals`` refuses more with a message instead of letting the database overflow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from ...extensions import db
from ...models import CustomerPrice, Order, Variant
from ...models.types import to_money
from ..errors import ServiceError

ZERO = Decimal("0.00")
MAX_ORDER_AMOUNT = Decimal("10000000.00")


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    total: Decimal


def compute_totals(
    line_amounts: Iterable[Decimal],
    discount_percent: Decimal = ZERO,
    discount_amount: Decimal = ZERO,
    shipping_fee: Decimal = ZERO,
) -> Totals:
    subtotal = sum(line_amounts, ZERO)
    discount = min(subtotal, to_money(subtotal * discount_percent / 100) + discount_amount)
    return Totals(subtotal, discount, shipping_fee, subtotal - discount + shipping_fee)


def order_totals(order: Order) -> Totals:
    return compute_totals(
        (line.unit_price * line.quantity for line in order.lines),
        order.discount_percent,
        order.discount_amount,
        order.shipping_fee,
    )


def storable_totals(order: Order) -> Totals:
    """The order's totals, refused with a message when they are more than its row can hold."""
    totals = order_totals(order)
    if max(totals.subtotal, totals.total) > MAX_ORDER_AMOUNT:
        raise ServiceError(
            f"An order cannot come to more than ${MAX_ORDER_AMOUNT:,.2f}. Please lower a quantity or price."
        )
    return totals


def apply_totals(order: Order) -> Totals:
    """Store the order's subtotal and total (kept on the row so lists never sum lines)."""
    totals = storable_totals(order)
    order.subtotal = totals.subtotal
    order.total = totals.total
    return totals


def customer_prices(customer_id: int, variant_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """The customer's negotiated prices, by variant id, in one query."""
    query = select(CustomerPrice.variant_id, CustomerPrice.price).where(
        CustomerPrice.customer_id == customer_id
    )
    if variant_ids is not None:
        query = query.where(CustomerPrice.variant_id.in_(list(variant_ids)))
    return dict(db.session.execute(query).tuples().all())


def unit_price(variant: Variant, negotiated: dict[int, Decimal]) -> Decimal:
    return negotiated.get(variant.id, variant.price)
