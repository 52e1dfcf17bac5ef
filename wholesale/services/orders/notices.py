"""The emails an order's lifecycle sends, written into the caller's transaction (the outbox never commits).

Each has a dedupe key made from the event that causes it, so a retried request never sends one twice.
The caller commits, then hands the returned emails to ``deliver_all``.
"""

from __future__ import annotations

from ...models import Contact, Email, Order
from .. import deliveries, settings
from ..invoicing.issuing import APPROVED, issue_on
from ..mail import delivery, outbox
from . import pricing
from .queries import order_contact


def _roastery() -> str:
    return settings.get("ROASTERY_NAME")


def _order_email(
    kind: str, order: Order, contact: Contact, to_address: str, subject: str, key: str = "", **extra
) -> Email:
    """An email about ``order``: its template is named as its kind, its dedupe key is the kind and the order
    (each of these happens to an order once; ``key`` tells apart several of one kind, one per contact), and
    it shows the order's lines and totals (and ``extra`` to its template)."""
    return outbox.queue_email(
        kind=kind,
        dedupe_key=f"{kind.replace('_', '-')}:{order.id}{key}",
        to_address=to_address,
        subject=subject,
        template=kind,
        context={
            "order": order,
            "contact": contact,
            "totals": pricing.order_totals(order),
            "changes_close": deliveries.cutoff_of(order),
            **extra,
        },
        customer_id=order.customer_id,
        order_id=order.id,
    )


def queue_confirmation(order: Order, contact: Contact) -> Email:
    """The customer's confirmation of a placed order, to the contact who placed it."""
    subject = f"Order {order.number} received — {_roastery()}"
    return _order_email("order_confirmation", order, contact, contact.email, subject)


def _to_customer(kind: str, order: Order, happened: str) -> Email | None:
    """ "Order W000123 approved — Hillside" to the order's contact (None when it has none)."""
    contact = order_contact(order)
    if contact is None:
        return None
    subject = f"Order {order.number} {happened} — {_roastery()}"
    return _order_email(kind, order, contact, contact.email, subject)


def _to_roastery(kind: str, order: Order, contact: Contact | None, subject: str, **extra) -> list[Email]:
    """An email about ``contact``'s order to each address the roastery is notified at (settings'
    ``notify_addresses``: none when notices are switched off)."""
    return [
        _order_email(kind, order, contact, address, subject, f"/{address.lower()}", **extra)
        for address in settings.notify_addresses()
    ]


def queue_approved(order: Order) -> Email | None:
    return _to_customer("order_approved", order, "approved")


def queue_cancelled(order: Order) -> Email | None:
    return _to_customer("order_cancelled", order, "cancelled")


def queue_roastery_notice(order: Order, contact: Contact) -> list[Email]:
    """Tell the roastery a portal order is waiting for review."""
    subject = f"New order {order.number} from {order.customer.business_name}"
    return _to_roastery("order_placed_staff_notice", order, contact, subject)


def queue_cancelled_by_customer(order: Order, contact: Contact) -> list[Email]:
    """Tell the roastery a customer cancelled their pending order."""
    subject = f"Order {order.number} cancelled by {order.customer.business_name}"
    return _to_roastery("order_cancelled_by_customer", order, contact, subject)


def queue_standing_placed(order: Order, contacts: list[Contact], left_out: str) -> list[Email]:
    """Tell each of ``contacts`` that their standing order placed ``order`` (and what it left out). Placed
    approved (STANDING_ORDERS_APPROVED), the order is invoiced here too, as any order is when approved: this
    is the one step of every placement that belongs to the orders' lifecycle (services.standing calls it)."""
    subject = f"Order {order.number} placed by your standing order — {_roastery()}"
    emails = [
        _order_email(
            "standing_placed", order, contact, contact.email, subject, f":{contact.id}", left_out=left_out
        )
        for contact in contacts
    ]
    if order.status == "approved":
        emails += filter(None, [issue_on(order, APPROVED, None)])
    return emails


def queue_standing_roastery_notice(order: Order, left_out: str) -> list[Email]:
    """Tell the roastery a standing order placed ``order`` (and what it left out)."""
    subject = f"Standing order placed {order.number} for {order.customer.business_name}"
    return _to_roastery("standing_placed_staff_notice", order, None, subject, left_out=left_out)


def deliver_all(*emails: Email | None) -> None:
    """After the commit: hand the emails written in the transaction to the outbox, as one send job."""
    delivery.deliver_all([email.id for email in emails if email is not None])
