"""What only staff change on an order: a line's price (with a reason), shipping and its fee, the discount,
the roast date, the delivery date and the notes.

Each function is one edit in one transaction, run as ``editing`` runs every edit: the order read
locked, still editable by staff and the version the page showed, totals recomputed on the server, every
change written to the history (from → to), and a refusal saves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ...converters import is_id
from ...extensions import db
from ...models import Order, OrderLine, ShippingOption
from ...models.types import to_money
from ..errors import ServiceError
from . import pricing
from .editing import editing, finish, line_on
from .history import Actor

PRICE_MAX = Decimal("100000")
REASON_MAX = 200
NOTES_MAX = 2000
SHIPPING_NOT_LISTED = "Choose one of the shipping options listed."
# Roast and delivery dates further than this from today are typing mistakes, not plans.
DATE_WINDOW = timedelta(days=366)


@dataclass(frozen=True)
class OrderAdjustments:
    """The order's details as staff set them on the editor."""

    shipping_option_id: int | None
    # None: the chosen option's own fee.
    shipping_fee: Decimal | None
    discount_percent: Decimal
    discount_amount: Decimal
    roast_date: date | None
    delivery_date: date | None
    notes: str


def _staff_only(actor: Actor) -> None:
    if not actor.is_staff:
        raise ServiceError("Only the roastery can change prices, fees and discounts.")


def _clean(text: str | None) -> str:
    # PostgreSQL refuses NUL in text; nothing a person types needs it.
    return (text or "").replace("\x00", "").strip()


def standard_price(order: Order, line: OrderLine) -> Decimal:
    """What the line would cost without an override: the customer's negotiated price, else the list price."""
    return pricing.unit_price(line.variant, pricing.customer_prices(order.customer_id, [line.variant_id]))


def set_line_price(
    order_id: int, line_id: int, price: Decimal, reason: str, actor: Actor, seen_version: int | None
) -> Order:
    """Override a line's unit price. A price other than the standard one needs a reason, kept on the line
    and in the history; setting the standard price again clears the override."""
    _staff_only(actor)
    with editing(order_id, actor, seen_version, line_id) as order:
        return _set_line_price(order, line_on(order, line_id), price, reason, actor)


def _set_line_price(order: Order, line: OrderLine, price: Decimal, reason: str, actor: Actor) -> Order:
    if not price.is_finite() or not Decimal("0") <= price <= PRICE_MAX:
        raise ServiceError(f"Enter a price from 0 to {PRICE_MAX:,}.", "unit_price")
    price = to_money(price)
    reason = _clean(reason)
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Keep the reason under {REASON_MAX} characters.", "price_override_reason")
    if price == line.unit_price and reason == (line.price_override_reason or ""):
        return order
    overridden = price != standard_price(order, line)
    if overridden and not reason:
        raise ServiceError(
            "Give a reason for the changed price; it is kept with the order.", "price_override_reason"
        )
    new_reason = reason if overridden else None
    label = line.label
    changes = {}
    if price != line.unit_price:
        changes[f"{label}: unit price"] = (line.unit_price, price)
    if new_reason != line.price_override_reason:
        changes[f"{label}: price reason"] = (line.price_override_reason, new_reason)
    line.unit_price, line.price_override_reason = price, new_reason
    return finish(order, actor, "price changed", changes)


def adjust_order(
    order_id: int, adjustments: OrderAdjustments, actor: Actor, seen_version: int | None
) -> Order:
    """Set shipping, fee, discount, dates and notes as staff entered them."""
    _staff_only(actor)
    with editing(order_id, actor, seen_version) as order:
        _check(adjustments)
        subtotal = pricing.order_totals(order).subtotal
        amount = adjustments.discount_amount
        if amount is not None and amount != order.discount_amount and amount > subtotal:
            raise ServiceError(
                f"The discount cannot be more than the items cost ({subtotal:,.2f}).", "discount_amount"
            )
        return finish(order, actor, "details changed", _apply(order, adjustments))


def _check(a: OrderAdjustments) -> None:
    for value, field, high in (
        (a.discount_percent, "discount_percent", Decimal("100")),
        (a.discount_amount, "discount_amount", PRICE_MAX),
        (a.shipping_fee, "shipping_fee", PRICE_MAX),
    ):
        if value is not None and (not value.is_finite() or not Decimal("0") <= value <= high):
            raise ServiceError(f"Enter a value from 0 to {high:,}.", field)
    today = date.today()
    for value, field in (
        (a.roast_date, "roast_date"),
        (a.delivery_date, "delivery_date"),
    ):
        if value is not None and not today - DATE_WINDOW <= value <= today + DATE_WINDOW:
            raise ServiceError("Enter a date within a year of today.", field)
    if a.roast_date and a.delivery_date and a.delivery_date < a.roast_date:
        raise ServiceError("The delivery date cannot be before the roast date.", "delivery_date")
    if len(_clean(a.notes)) > NOTES_MAX:
        raise ServiceError(f"Keep the notes under {NOTES_MAX:,} characters.", "notes")


def _shipping_option(order: Order, option_id: int | None) -> ShippingOption | None:
    if not option_id:
        return None
    option = db.session.get(ShippingOption, option_id) if is_id(option_id) else None
    # A retired option may stay on the order that already has it; it cannot be chosen anew.
    if option is None or (not option.active and option.id != order.shipping_option_id):
        raise ServiceError(SHIPPING_NOT_LISTED, "shipping_option_id")
    return option


def _apply(order: Order, a: OrderAdjustments) -> dict:
    changes: dict = {}

    def change(field: str, attribute: str, new) -> None:
        old = getattr(order, attribute)
        if old != new:
            changes[field] = (old, new)
            setattr(order, attribute, new)

    option = _shipping_option(order, a.shipping_option_id)
    option_changed = (option.id if option else None) != order.shipping_option_id
    fee = a.shipping_fee
    # A new option brings its own fee, unless staff typed a different fee in the same step.
    if fee is None or (option_changed and fee == order.shipping_fee):
        fee = option.fee if option else pricing.ZERO
    if option_changed:
        changes["shipping"] = (
            order.shipping_option.name if order.shipping_option else None,
            option.name if option else None,
        )
        order.shipping_option = option
    change("shipping fee", "shipping_fee", to_money(fee))
    change("discount %", "discount_percent", to_money(a.discount_percent))
    change("discount amount", "discount_amount", to_money(a.discount_amount))
    change("roast date", "roast_date", a.roast_date)
    change("delivery date", "delivery_date", a.delivery_date)
    change("notes", "notes", _clean(a.notes))
    return changes
