"""Placing the customer's draft: it becomes a pending portal order, with its confirmation email."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from ...models import Contact, Customer, Order, utcnow
from ...transactions import commit_keeping_loaded
from ..errors import ServiceError
from . import notices, pricing
from .editing import OrderNotFound, apply_details, check_quantity, locked_order, withdrawn_options
from .history import Actor, record
from .idempotency import check_key, order_with_key


def place_order(
    customer: Customer,
    contact: Contact,
    draft_id: int,
    idempotency_key: str,
    shipping_option_id: int | None = None,
    notes: str | None = None,
) -> Order:
    """Turn the draft into a pending order and queue its confirmation, in one transaction.

    Idempotent: a double tap or a retried request with the same key returns the order the first one made,
    however the requests interleave (the draft row is locked, and the key is unique per customer).
    Prices and fees are taken again from the catalog now; nothing the browser sent about money is used.
    """
    try:
        return _place(customer, contact, draft_id, idempotency_key, shipping_option_id, notes)
    except (IntegrityError, StaleDataError):
        # A concurrent request with the same key won the race; answer with its order.
        db.session.rollback()
        already = order_with_key(customer.id, idempotency_key)
        if already is None:
            raise
        return already


def _place(customer, contact, draft_id, idempotency_key, shipping_option_id, notes) -> Order:
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
        apply_details(draft, shipping_option_id, notes)
    _check_orderable(draft)
    _reprice(draft, customer)
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
    notice = notices.queue_roastery_notice(draft, contact)
    commit_keeping_loaded()  # the caller shows the placed order: nothing to read back
    notices.deliver_all(email, notice)
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


def _reprice(order: Order, customer: Customer) -> None:
    negotiated = pricing.customer_prices(customer.id, [line.variant_id for line in order.lines])
    for line in order.lines:
        line.unit_price = pricing.unit_price(line.variant, negotiated)
    order.discount_percent = customer.discount_percent
    order.shipping_fee = order.shipping_option.fee if order.shipping_option else pricing.ZERO
    pricing.apply_totals(order)
