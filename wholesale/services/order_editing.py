"""Changing an order's lines and details: the customer's draft or pending order, or staff before approval.

Every function checks the order may still be changed, recomputes the totals on the server (prices come
from the catalog, never from the client), writes the change to the order's history once it is placed,
and commits once.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Order, OrderLine, ShippingOption, Variant
from . import pricing
from .errors import ServiceError
from .history import Actor, record

MAX_QUANTITY = 999
MAX_LINES = 200
EDITABLE_BY_CUSTOMER = ("draft", "pending")


class OrderLocked(ServiceError):
    """The order has moved on (approved, in production…) and can no longer be changed."""


def ensure_editable(order: Order, actor: Actor) -> None:
    allowed = ("pending",) if actor.is_staff else EDITABLE_BY_CUSTOMER
    if order.status not in allowed:
        raise OrderLocked(
            f"Order {order.number} is {order.status.replace('_', ' ')} and can no longer be changed here. "
            "Please contact the roastery."
        )


def check_quantity(quantity: int) -> None:
    if not 0 <= quantity <= MAX_QUANTITY:
        raise ServiceError(f"Enter a quantity from 0 to {MAX_QUANTITY}.", "quantity")


def _finish(order: Order, actor: Actor, action: str, changes: dict) -> None:
    pricing.apply_totals(order)
    if order.status != "draft" and changes:
        record(order, actor, action, changes)
    db.session.commit()


def set_quantity(order: Order, line: OrderLine, quantity: int, actor: Actor) -> OrderLine | None:
    """Set a line's quantity; 0 removes the line. Returns the line, or None when it was removed."""
    ensure_editable(order, actor)
    check_quantity(quantity)
    if quantity == 0:
        remove_line(order, line, actor)
        return None
    old = line.quantity
    line.quantity = quantity
    _finish(order, actor, "line changed", {line.variant.label: (old, quantity)} if old != quantity else {})
    return line


def remove_line(order: Order, line: OrderLine, actor: Actor) -> None:
    ensure_editable(order, actor)
    label, old = line.variant.label, line.quantity
    order.lines.remove(line)
    _finish(order, actor, "line removed", {label: (old, 0)})


def orderable_variant(variant_id: int) -> Variant:
    variant = db.session.get(Variant, variant_id)
    if variant is None or variant.retired:
        raise ServiceError("That product is not available any more. Please pick another.", "variant_id")
    return variant


def add_line(order: Order, variant_id: int, quantity: int, actor: Actor) -> OrderLine:
    """Add a product size; if the order already has it, its quantity goes up instead."""
    ensure_editable(order, actor)
    if quantity < 1:
        raise ServiceError(f"Enter a quantity from 1 to {MAX_QUANTITY}.", "quantity")
    variant = orderable_variant(variant_id)
    line = next((line for line in order.lines if line.variant_id == variant.id), None)
    if line is not None:
        old = line.quantity
        check_quantity(old + quantity)
        line.quantity = old + quantity
        _finish(order, actor, "line changed", {variant.label: (old, line.quantity)})
        return line
    check_quantity(quantity)
    if len(order.lines) >= MAX_LINES:
        raise ServiceError(f"An order can have at most {MAX_LINES} lines.", "variant_id")
    negotiated = pricing.customer_prices(order.customer, [variant.id])
    line = OrderLine(variant=variant, quantity=quantity, unit_price=pricing.unit_price(variant, negotiated))
    order.lines.append(line)
    _finish(order, actor, "line added", {variant.label: (0, quantity)})
    return line


def active_shipping_options() -> list[ShippingOption]:
    query = select(ShippingOption).where(ShippingOption.active).order_by(ShippingOption.position, ShippingOption.name)
    return list(db.session.scalars(query))


def set_details(order: Order, shipping_option_id: int | None, notes: str, actor: Actor) -> None:
    """The customer's choice of shipping option (its fee comes from the catalog) and their notes."""
    ensure_editable(order, actor)
    _finish(order, actor, "details changed", apply_details(order, shipping_option_id, notes))


def apply_details(order: Order, shipping_option_id: int | None, notes: str) -> dict:
    """Set shipping and notes on ``order`` without committing; returns what changed, for the history."""
    option = None
    if shipping_option_id:
        option = db.session.get(ShippingOption, shipping_option_id)
        if option is None or not option.active:
            raise ServiceError("Please choose one of the delivery options listed.", "shipping_option_id")
    changes = {}
    if order.shipping_option_id != (option.id if option else None):
        old = order.shipping_option.name if order.shipping_option else None
        changes["shipping"] = (old, option.name if option else None)
        order.shipping_option = option
        order.shipping_fee = option.fee if option else pricing.ZERO
    notes = notes.strip()
    if notes != order.notes:
        changes["notes"] = (order.notes, notes)
        order.notes = notes
    return changes
