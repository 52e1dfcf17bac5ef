"""Placing the customer's draft: it becomes a pending portal order for a delivery date, with its
confirmation email.

Place refuses, and says why, rather than place something the customer did not see: a delivery date whose
orders have closed, a second order for a delivery already ordered (unless asked for as such), or a price that
changed since the page was shown (the draft then shows the old price beside the new one, to place again).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from ...formatting import short_day
from ...models import Contact, Customer, Order, OrderLine, utcnow
from ...transactions import commit_keeping_loaded
from .. import deliveries
from ..errors import ServiceError
from . import drafts, minimums, notices, pricing
from .editing import (
    OrderNotFound,
    active_shipping_options,
    apply_details,
    check_quantity,
    locked_order,
    withdrawn_options,
)
from .history import Actor, record
from .idempotency import check_key, order_with_key


def place_order(
    customer: Customer,
    contact: Contact,
    draft_id: int,
    idempotency_key: str,
    shipping_option_id: int | None = None,
    notes: str | None = None,
    delivery_date: date | None = None,
    second_order: bool = False,
) -> Order:
    """Turn the draft into a pending order and queue its confirmation, in one transaction.

    Idempotent: a double tap or a retried request with the same key returns the order the first one made,
    however the requests interleave (the draft row is locked, and the key is unique per customer).
    Prices and fees are taken again from the catalog now; nothing the browser sent about money is used.
    """
    details = (shipping_option_id, notes, delivery_date)
    try:
        return _place(customer, contact, draft_id, idempotency_key, details, second_order)
    except (IntegrityError, StaleDataError):
        # A concurrent request with the same key won the race; answer with its order.
        db.session.rollback()
        already = order_with_key(customer.id, idempotency_key)
        if already is None:
            raise
        return already


class AlreadyOrdered(ServiceError):
    """The customer already has an order for this delivery; a second one is placed only when asked for."""

    def __init__(self, order: Order) -> None:
        self.order = order
        day = short_day(order.delivery_date)
        super().__init__(f"You already have {order.number} for {day}: change it, or add a second order.")


class PricesChanged(ServiceError):
    """A price changed since the page was shown: the draft now has today's prices, shown beside the old."""


def _place(customer, contact, draft_id, idempotency_key, details, second_order) -> Order:
    shipping_option_id, notes, delivery_date = details
    check_key(idempotency_key)
    already = order_with_key(customer.id, idempotency_key)
    if already is not None:
        return already
    actor = Actor(contact_id=contact.id, customer_id=customer.id)
    try:  # with its lines, sizes and products, all of which placing reads
        draft = locked_order(draft_id, actor)
    except OrderNotFound:
        draft = None
    if draft is None or draft.status != "draft":
        # Placed a moment ago by a concurrent request with this key, or not a draft at all.
        db.session.rollback()
        already = order_with_key(customer.id, idempotency_key)
        if already is not None:
            return already
        raise ServiceError("This order was already placed. Your orders are listed under “Your orders”.")
    if notes is not None:
        apply_details(draft, shipping_option_id, notes, delivery_date)
    _check_orderable(draft)
    delivery = _delivery(draft)
    if delivery is not None and not second_order:
        already = drafts.ordered_for(customer.id, delivery.day)
        if already is not None:
            raise AlreadyOrdered(already)
    changed = _reprice(draft, customer)
    if changed:
        commit_keeping_loaded()  # the draft keeps today's prices, the old ones beside them
        raise PricesChanged(_prices_changed_message(changed))
    minimums.refuse_below(draft)  # at today's prices, as placed
    if delivery is not None:
        draft.roast_date = delivery.roast_day
    for line in draft.lines:
        line.previous_unit_price = None  # shown on the draft only
    now = utcnow()
    draft.status = "pending"
    draft.channel = "portal"
    draft.placed_at = now
    draft.placed_by_contact_id = contact.id
    draft.idempotency_key = idempotency_key
    record(draft, actor, "placed")
    db.session.flush()
    email = notices.queue_confirmation(draft, contact)
    # The roastery hears of it in the same transaction (ORDER_NOTIFY_ROASTERY, on by default).
    roastery_notices = notices.queue_roastery_notice(draft, contact)
    commit_keeping_loaded()  # the caller shows the placed order: nothing to read back
    notices.deliver_all(email, *roastery_notices)
    return draft


def _check_orderable(draft: Order) -> None:
    if not draft.lines:
        raise ServiceError("Your order is empty. Add at least one product first.")
    retired = [line.label for line in draft.lines if not line.variant.on_sale]
    if retired:
        raise ServiceError(
            f"{', '.join(retired)} can no longer be ordered. Please remove {'it' if len(retired) == 1 else 'them'}."
        )
    withdrawn = [line.label for line in withdrawn_options(draft.lines)]
    if withdrawn:
        raise ServiceError(
            f"{', '.join(withdrawn)}: that option is no longer offered. "
            f"Please remove {'it' if len(withdrawn) == 1 else 'them'} and add the size again in another."
        )
    for line in draft.lines:
        check_quantity(line.quantity)
    if draft.shipping_option is not None and not draft.shipping_option.active:
        raise ServiceError("Your delivery option is no longer offered. Please choose another.")


def _delivery(draft: Order) -> deliveries.DeliveryDay | None:
    """The delivery the draft is placed for: its date must still be offered for its option. None only when
    the roastery offers no delivery option at all."""
    option = draft.shipping_option
    if option is None:
        if active_shipping_options():
            raise ServiceError("Please choose how your order reaches you.", "shipping_option_id")
        return None
    offered = deliveries.choices(option)
    if not offered:
        raise ServiceError(
            f"{option.name} has no delivery dates open at the moment. Please choose another option or "
            "contact the roastery.",
            "delivery_date",
        )
    if draft.delivery_date is None:
        draft.delivery_date = offered[0].day
    for candidate in offered:
        if candidate.day == draft.delivery_date:
            return candidate
    raise ServiceError(deliveries.not_offered(option, draft.delivery_date), "delivery_date")


def _reprice(order: Order, customer: Customer) -> list[OrderLine]:
    """Today's prices and fees on the order; returns the lines whose price is not the one the page showed
    (each keeps the shown one as its previous price)."""
    negotiated = pricing.customer_prices(customer.id, [line.variant_id for line in order.lines])
    changed = []
    for line in order.lines:
        price = pricing.unit_price(line.variant, negotiated)
        if price != line.unit_price:
            line.previous_unit_price = line.unit_price
            line.unit_price = price
            changed.append(line)
    order.discount_percent = customer.discount_percent
    order.shipping_fee = order.shipping_option.fee if order.shipping_option else pricing.ZERO
    pricing.apply_totals(order)
    return changed


def _prices_changed_message(lines: list[OrderLine]) -> str:
    changes = "; ".join(
        f"{line.variant.label} from ${line.previous_unit_price:,.2f} to ${line.unit_price:,.2f}"
        for line in lines
    )
    return f"Prices changed since this page was shown: {changes}. Please check your order and place it again."
