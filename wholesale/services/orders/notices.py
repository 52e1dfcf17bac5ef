"""The emails an order's lifecycle sends, written into the caller's transaction (the outbox never commits).

Each has a dedupe key made from the event that causes it, so a retried request never sends one twice.
The caller commits, then hands the returned emails to ``deliver_all``.
"""

from __future__ import annotations

from flask import current_app

from ...models import Contact, Email, Order
from ..mail import delivery, outbox
from . import pricing
from .queries import order_contact


def _roastery() -> str:
    return current_app.config["ROASTERY_NAME"]


def queue_approved(order: Order) -> Email | None:
    contact = order_contact(order)
    if contact is None:
        return None
    return outbox.queue_email(
        kind="order_approved",
        dedupe_key=f"order-approved:{order.id}",
        to_address=contact.email,
        subject=f"Order {order.number} approved — {_roastery()}",
        template="order_approved",
        context={"order": order, "contact": contact, "totals": pricing.order_totals(order)},
        customer_id=order.customer_id,
        order_id=order.id,
    )


def queue_cancelled(order: Order) -> Email | None:
    contact = order_contact(order)
    if contact is None:
        return None
    return outbox.queue_email(
        kind="order_cancelled",
        dedupe_key=f"order-cancelled:{order.id}",
        to_address=contact.email,
        subject=f"Order {order.number} cancelled — {_roastery()}",
        template="order_cancelled",
        context={"order": order, "contact": contact, "totals": pricing.order_totals(order)},
        customer_id=order.customer_id,
        order_id=order.id,
    )


def queue_roastery_notice(order: Order, contact: Contact) -> Email | None:
    """Tell the roastery a portal order is waiting for review (setting ORDER_NOTIFY_ROASTERY, on by default)."""
    config = current_app.config
    if not config.get("ORDER_NOTIFY_ROASTERY") or not config.get("ROASTERY_EMAIL"):
        return None
    return outbox.queue_email(
        kind="order_placed_staff_notice",
        dedupe_key=f"order-placed-notice:{order.id}",
        to_address=config["ROASTERY_EMAIL"],
        subject=f"New order {order.number} from {order.customer.business_name}",
        template="order_placed_staff_notice",
        context={"order": order, "contact": contact, "totals": pricing.order_totals(order)},
        customer_id=order.customer_id,
        order_id=order.id,
    )


def queue_cancelled_by_customer(order: Order, contact: Contact) -> Email | None:
    """Tell the roastery a customer cancelled their pending order (with ORDER_NOTIFY_ROASTERY, as for placing)."""
    config = current_app.config
    if not config.get("ORDER_NOTIFY_ROASTERY") or not config.get("ROASTERY_EMAIL"):
        return None
    return outbox.queue_email(
        kind="order_cancelled_by_customer",
        dedupe_key=f"order-cancelled-by-customer:{order.id}",
        to_address=config["ROASTERY_EMAIL"],
        subject=f"Order {order.number} cancelled by {order.customer.business_name}",
        template="order_cancelled_by_customer",
        context={"order": order, "contact": contact, "totals": pricing.order_totals(order)},
        customer_id=order.customer_id,
        order_id=order.id,
    )


def deliver_all(*emails: Email | None) -> None:
    """After the commit: hand the emails written in the transaction to the outbox, as one send job."""
    delivery.deliver_all([email.id for email in emails if email is not None])
