"""Deciding on orders: staff approve one (from its page) or several (from the Pending tab), or cancel one;
a customer cancels their own pending order.

Each use case is one transaction that changes the order, writes its history and queues the customer's email
(the outbox), then delivers the email after the commit. Staff approve what they reviewed: the page sends the
order's version, and an order changed since (by the customer, say) is refused, not approved unseen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from ...models import Contact, Order, OrderLine, Variant, utcnow
from ...transactions import commit_keeping_loaded
from ..errors import ServiceError
from ..invoicing.issuing import APPROVED, issue_on
from .editing import OrderLocked, editing, ensure_current, refused_if_stale
from .history import Actor, record
from .minimums import check_staff_reason, shortfall
from .notices import deliver_all, queue_approved, queue_cancelled, queue_cancelled_by_customer

REASON_MAX = 500
NOT_APPROVED = "it was not approved. This is the order as it is now: review it again before approving"
NOT_CANCELLED = "it was not cancelled. This is the order as it is now"


def _staff_only(actor: Actor) -> None:
    if not actor.is_staff:
        raise ServiceError("Only the roastery can approve or cancel orders.")


def _approvable(order: Order) -> None:
    if order.status != "pending":
        raise OrderLocked(
            f"Order {order.number} is {order.status.replace('_', ' ')}, not pending; nothing was changed."
        )
    if not order.lines:
        raise ServiceError(f"Order {order.number} has no items. Add one, or cancel the order.")


def _mark_approved(order: Order, actor: Actor, below_minimum: dict | None = None) -> None:
    order.status = "approved"
    order.approved_at = utcnow()
    order.approved_by_staff_id = actor.staff_id
    record(order, actor, "approved", {"status": ("pending", "approved"), **(below_minimum or {})})


def approve_order(
    order: Order, actor: Actor, seen_version: int, below_minimum_reason: str | None = None
) -> Order:
    """Approve a pending order as reviewed at ``seen_version``: it becomes available to production, who
    and when are recorded, and the customer is emailed. Below the customer's minimum it needs
    ``below_minimum_reason``, which its history keeps (refused, nothing changed, without one)."""
    _staff_only(actor)
    _approvable(order)
    ensure_current(order, seen_version, actor, NOT_APPROVED)
    below_minimum = check_staff_reason(order, below_minimum_reason, "approve")
    with refused_if_stale(order, actor, NOT_APPROVED):
        _mark_approved(order, actor, below_minimum)
        email = queue_approved(order)
        invoice_email = issue_on(order, APPROVED, actor.staff_id)
        db.session.commit()
    deliver_all(email, invoice_email)
    return order


@dataclass
class BulkApproval:
    approved: list[Order] = field(default_factory=list)
    # (order number, why it was left pending)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def approve_orders(selected: Sequence[tuple[int, int]], actor: Actor) -> BulkApproval:
    """Approve each selected (order id, version seen) pair that is still pending and unchanged, in one
    transaction; the others are left as they are and listed with the reason. An order below its customer's
    minimum is left too: it is approved from its page, with a reason."""
    _staff_only(actor)
    wanted = dict(selected)
    orders = db.session.scalars(
        select(Order)
        .where(Order.id.in_(list(wanted)))
        .options(
            selectinload(Order.lines).joinedload(OrderLine.variant).joinedload(Variant.product),
            joinedload(Order.customer),
        )
        .order_by(Order.id)
    ).all()
    result = BulkApproval()
    try:
        for order in orders:
            if order.status != "pending":
                result.skipped.append((order.number, f"it is {order.status.replace('_', ' ')} now"))
            elif order.version != wanted[order.id]:
                result.skipped.append(
                    (order.number, "it was changed since the list was shown; review it again")
                )
            elif not order.lines:
                result.skipped.append((order.number, "it has no items"))
            elif (short := shortfall(order)) is not None:
                result.skipped.append(
                    (
                        order.number,
                        f"it is below the customer's minimum ({short.message.rstrip('.')}); "
                        "approve it from its page with a reason",
                    )
                )
            else:
                _mark_approved(order, actor)
                result.approved.append(order)
        emails = [queue_approved(order) for order in result.approved]
        emails += [issue_on(order, APPROVED, actor.staff_id) for order in result.approved]
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ServiceError(
            "Some of these orders changed at this very moment; nothing was approved. Try again."
        ) from None
    deliver_all(*emails)
    return result


def cancel_order(order: Order, actor: Actor, reason: str, seen_version: int) -> Order:
    """Cancel a pending or approved order (not one in production) with a reason the customer is emailed."""
    _staff_only(actor)
    if order.status not in ("pending", "approved"):
        raise OrderLocked(
            f"Order {order.number} is {order.status.replace('_', ' ')} and cannot be cancelled."
        )
    if order.production_run_id is not None:
        raise OrderLocked(
            f"Order {order.number} is in a production run. Take it out of the run to cancel it."
        )
    ensure_current(order, seen_version, actor, NOT_CANCELLED)
    reason = _cancel_reason(reason)
    if not reason:
        raise ServiceError("Give the reason for cancelling; the customer is emailed it.", "reason")
    with refused_if_stale(order, actor, NOT_CANCELLED):
        _mark_cancelled(order, actor, "cancelled", reason)
        email = queue_cancelled(order)
        db.session.commit()
    deliver_all(email)
    return order


def cancel_by_customer(
    order_id: int, actor: Actor, contact: Contact, reason: str, seen_version: int | None
) -> Order:
    """A customer's contact cancels their pending order (the reason is optional): one transaction, the
    order read locked and at the version their page showed, as for any edit; the roastery is emailed."""
    with editing(order_id, actor, seen_version) as order:
        if order.status != "pending":  # a draft is not an order yet: there is nothing to cancel
            raise OrderLocked(f"Order {order.number} has not been placed, so there is nothing to cancel.")
        _mark_cancelled(order, actor, "cancelled by the customer", _cancel_reason(reason))
        emails = queue_cancelled_by_customer(order, contact)
        commit_keeping_loaded()
    deliver_all(*emails)
    return order


def _cancel_reason(reason: str | None) -> str:
    """The reason as typed, trimmed and without NUL (PostgreSQL refuses it); refused when too long."""
    reason = (reason or "").replace("\x00", "").strip()
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Keep the reason under {REASON_MAX} characters.", "reason")
    return reason


def _mark_cancelled(order: Order, actor: Actor, action: str, reason: str) -> None:
    record(order, actor, action, {"status": (order.status, "cancelled"), "reason": (None, reason or None)})
    order.status = "cancelled"
    order.cancelled_at = utcnow()
    order.cancel_reason = reason
