"""Staff enter an order for a customer (taken by phone or email): it starts approved, with channel staff.

The new order is then changed in the same editor as any other order. It never passes through the portal's
draft (that one belongs to the customer's contacts), and it is approved at once: staff took it themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from ...converters import is_id
from ...extensions import db
from ...models import Customer, Order, utcnow
from ..errors import ServiceError
from ..invoicing.issuing import APPROVED, issue_on
from ..mail.delivery import deliver
from . import drafts, pricing
from .history import Actor, record
from .idempotency import check_key, order_with_key
from .minimums import check_staff_reason

CUSTOMER_NOT_LISTED = "Choose a customer from the list."


@dataclass
class EnteredOrder:
    order: Order
    # What copying the last order could not keep as it was (retired sizes, options no longer offered).
    copied: drafts.Copied = field(default_factory=drafts.Copied)


def enter_order(
    customer_id: int,
    actor: Actor,
    idempotency_key: str,
    copy_last_order: bool = True,
    below_minimum_reason: str | None = None,
) -> EnteredOrder:
    """Make an approved staff-channel order for the customer, in one transaction.

    It starts from the customer's last order at today's prices (or empty), their discount and default
    shipping, for the next delivery that option offers on the customer's usual weekday (and its roast day);
    staff change any of it in the editor. Idempotent: a double click or a retried request with the same key returns the same order.
    Started from a last order below the customer's minimum, it needs ``below_minimum_reason`` (kept in its
    history; refused, nothing made, without one). An empty order is a start that staff fill in the editor,
    and is not held to the minimum.
    """
    if not actor.is_staff:
        raise ServiceError("Only the roastery can enter orders for customers.")
    check_key(idempotency_key)
    customer = db.session.get(Customer, customer_id) if is_id(customer_id) else None
    if customer is None:
        raise ServiceError(CUSTOMER_NOT_LISTED, "customer_id")
    already = order_with_key(customer.id, idempotency_key)
    if already is not None:
        return EnteredOrder(already)
    if not customer.active:
        raise ServiceError(f"{customer.business_name} is inactive. Make it active first.", "customer_id")
    now = utcnow()
    order = Order(
        customer=customer,
        channel="staff",
        status="approved",
        entered_by_staff_id=actor.staff_id,
        approved_by_staff_id=actor.staff_id,
        placed_at=now,
        approved_at=now,
        discount_percent=customer.discount_percent,
        idempotency_key=idempotency_key,
    )
    option = customer.default_shipping_option
    if option is not None and option.active:
        order.shipping_option, order.shipping_fee = option, option.fee
    last = drafts.last_order(customer)
    source = last if copy_last_order else None
    delivery = drafts.apply_usual_delivery(order, last)
    order.roast_date = delivery.roast_day if delivery else None
    copied = drafts.copy_lines(source, order, customer) if source else drafts.Copied()
    pricing.apply_totals(order)
    below_minimum = check_staff_reason(order, below_minimum_reason, "enter") if order.lines else {}
    db.session.add(order)
    record(order, actor, "entered by staff", {"status": (None, "approved"), **below_minimum})
    try:
        invoice_email = issue_on(order, APPROVED, actor.staff_id) if order.lines else None
        db.session.commit()
    except IntegrityError:
        # The same request twice at once: the key is unique per customer, so answer with the first order.
        db.session.rollback()
        already = order_with_key(customer.id, idempotency_key)
        if already is None:
            raise
        return EnteredOrder(already)
    if invoice_email is not None:
        deliver(invoice_email.id)
    return EnteredOrder(order, copied)
