"""The minimum per order: the one home of the rule, and of the message that says how far below it an order is.

A minimum is a coffee weight (Σ quantity × net weight over the lines whose product is a coffee) or an items
subtotal (the pricing service's subtotal: line prices × quantities, before discount and delivery). The
roastery sets one (``ORDER_MINIMUM``, read only by ``roastery_minimum``); a customer follows it ("default"),
has none, or has a weight or subtotal of their own.

Who asks: the portal's order page (beside the totals), placing (refused below it), and staff, who may enter or
approve an order below it with a reason that goes into the order's history (``check_staff_reason``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from ... import config
from ...config import OrderMinimum
from ...models import Customer, Order
from .. import settings
from ..errors import ServiceError
from . import pricing

REASON_MAX = 500
REASON_FIELD = "below_minimum_reason"


@dataclass(frozen=True)
class Shortfall:
    """How far an order is below its customer's minimum, in words: "Add 1.2 kg to reach the 5 kg minimum." """

    minimum: OrderMinimum
    message: str


def roastery_minimum() -> OrderMinimum | None:
    """The roastery's minimum per order, or None. (The one place it is read: a later issue moves it from the
    environment into the database.)"""
    return config.parse_order_minimum(settings.get("ORDER_MINIMUM") or "")


weight_unit = config.weight_unit  # a customer's own weight minimum is entered and shown in it


def minimum_for(customer: Customer) -> OrderMinimum | None:
    """The minimum that applies to the customer's orders: their own, none, or the roastery's."""
    kind = customer.minimum_kind
    if kind == "none":
        return None
    if kind == "weight" and customer.minimum_weight_g:
        return OrderMinimum("weight", grams=customer.minimum_weight_g, unit=weight_unit())
    if kind == "subtotal" and customer.minimum_subtotal:
        return OrderMinimum("subtotal", amount=customer.minimum_subtotal)
    return roastery_minimum()


def coffee_weight_g(order: Order) -> int:
    return sum(
        line.quantity * line.variant.net_weight_g for line in order.lines if line.variant.product.is_coffee
    )


def shortfall(order: Order) -> Shortfall | None:
    """How far the order is below its customer's minimum, or None when it reaches it (or there is none)."""
    minimum = minimum_for(order.customer)
    if minimum is None:
        return None
    if minimum.kind == "weight":
        missing = minimum.grams - coffee_weight_g(order)
        if missing <= 0:
            return None
        # Rounded up: adding what the message says always reaches the minimum.
        add = weight_text(missing, minimum.unit, ROUND_CEILING)
        return Shortfall(
            minimum, f"Add {add} to reach the {weight_text(minimum.grams, minimum.unit)} minimum."
        )
    missing = minimum.amount - pricing.order_totals(order).subtotal
    if missing <= 0:
        return None
    return Shortfall(minimum, f"Add ${missing:,.2f} to reach the ${minimum.amount:,.2f} minimum.")


def weight_text(grams: int, unit: str, rounding: str = ROUND_HALF_UP) -> str:
    """Grams in kg or lb to a tenth, without a trailing ".0": "5 kg", "1.2 kg", "11 lb"."""
    value = (Decimal(grams) / config.GRAMS_PER[unit]).quantize(Decimal("0.1"), rounding=rounding)
    if value == 0:
        value = Decimal("0.1")
    text = f"{value:,.1f}".removesuffix(".0")
    return f"{text} {unit}"


def describe(minimum: OrderMinimum | None) -> str:
    """A minimum as staff read it: "5 kg of coffee", "$120.00 of items", "none"."""
    if minimum is None:
        return "none"
    if minimum.kind == "weight":
        return f"{weight_text(minimum.grams, minimum.unit)} of coffee"
    return f"${minimum.amount:,.2f} of items"


def describe_for(customer: Customer) -> str:
    """The customer's minimum as staff read it, saying whose it is: "5 kg of coffee (the roastery's)"."""
    if customer.minimum_kind in ("weight", "subtotal"):
        return f"{describe(minimum_for(customer))} (their own)"
    if customer.minimum_kind == "none":
        return "None (the roastery's does not apply)"
    return f"{describe(roastery_minimum())} (the roastery's)".capitalize()


def refuse_below(order: Order) -> None:
    """Refuse (ServiceError) an order below its minimum, with the message that says how far."""
    short = shortfall(order)
    if short is not None:
        raise ServiceError(short.message)


def check_staff_reason(order: Order, reason: str | None, doing: str) -> dict:
    """Staff may ``doing`` ("approve", "enter") an order below its minimum only with a reason.

    Returns the changes the order's history records ({} when the order reaches its minimum); refuses, with
    the shortfall and a request for the reason beside the reason field, when none was given.
    """
    short = shortfall(order)
    if short is None:
        return {}
    reason = (reason or "").replace("\x00", "").strip()
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Keep the reason under {REASON_MAX} characters.", REASON_FIELD)
    if not reason:
        subject = f"Order {order.number}" if order.id else "This order"
        raise ServiceError(
            f"{subject} is below the customer's minimum. {short.message} Give a reason to {doing} it anyway.",
            REASON_FIELD,
        )
    return {"below minimum": (None, short.message), "reason": (None, reason)}
