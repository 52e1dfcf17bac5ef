"""The standing-order tick: each delivery's preview sent once, and each delivery placed once at its cut-off.

The tick runs every two minutes in UTC (jobs.schedule), like the reminder tick. For every standing order
not stopped, of an active customer, it looks at the deliveries ``schedule.due`` names:

- before the cut-off, inside the preview window: the preview email to each contact who gets reminders,
  once (``claims.claim_preview``), with Change, Skip this delivery and a sign-in link;
- at the cut-off: the delivery is decided once (``claims.claim_outcome``), in the transaction that places
  its order. It is placed at today's prices, channel "standing", pending (or approved:
  ``STANDING_ORDERS_APPROVED``), with what the standing order holds at that moment, leaving out retired sizes
  and saying so to the customer and the roastery. It is skipped, with the reason, when the customer skipped
  it, already has an order for that delivery, the roastery closed the date, nothing on it can be ordered any
  more, or the tick finds it more than the catch-up window late.

Each delivery is its own transaction, so one that fails stops no other, and a worker killed in the middle
leaves it for the next tick. Emails go to the outbox after each commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...formatting import local_moment, short_day
from ...models import (
    Customer,
    Email,
    Order,
    Product,
    StandingDelivery,
    StandingOrder,
    StandingOrderLine,
    Variant,
    utcnow,
)
from ...models.standing import PLACED, SKIPPED
from .. import deliveries, settings
from ..customers import links
from ..mail.delivery import deliver_all
from ..mail.outbox import queue_email
from ..orders import drafts, notices, pricing
from ..orders.history import Actor, record
from ..reminders import opt_out
from ..reminders.calendar import describe_delay
from ..reminders.dispatch import receiving_contacts
from . import claims, schedule
from .skips import skip_purpose

log = logging.getLogger(__name__)

# Standing orders per page of the tick (each page is read in one statement, then acted on one by one).
PAGE_SIZE = 200


@dataclass
class TickReport:
    """What one tick did; ``failed``: deliveries that could not be done (the next tick tries again)."""

    at: datetime
    previewed: int = 0
    placed: int = 0
    skipped: int = 0
    email_ids: list[int] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)
    failed: list[tuple[int, date]] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.previewed} previewed, {self.placed} placed, {self.skipped} skipped"
        return text + (f", {len(self.failed)} failed (retried next tick)" if self.failed else "")


def dispatch_standing_orders(now: datetime | None = None) -> TickReport:
    """One tick: preview and place every due delivery once. Safe to run twice, or twice at once."""
    now = now or utcnow()
    report = TickReport(now)
    zone = deliveries.roastery_zone()
    today = deliveries.today(now)
    closed = deliveries.closed_days(today - timedelta(days=2), today + timedelta(days=30))
    after_id = 0
    while page := _standing_orders(after_id):
        after_id = page[-1].id
        work = [(standing, due) for standing in page for due in schedule.due(standing, now, zone, closed)]
        steps = _steps_done({(due.standing_order_id, due.day) for _, due in work})
        db.session.rollback()  # end the page's read; each delivery is its own transaction
        for standing, due in work:
            decided, previewed = steps.get((standing.id, due.day), (False, False))
            before_cutoff = now < due.cutoff
            if decided or (before_cutoff and (previewed or due.not_delivered)):
                continue  # (a date not delivered gets no preview; it is recorded at its cut-off)
            _in_own_transaction(standing, due, now, report)
    return report


def _standing_orders(after_id: int) -> list[StandingOrder]:
    query = (
        select(StandingOrder)
        .join(Customer, Customer.id == StandingOrder.customer_id)
        .where(StandingOrder.stopped_at.is_(None), Customer.active.is_(True), StandingOrder.id > after_id)
        .order_by(StandingOrder.id)
        .limit(PAGE_SIZE)
        .options(selectinload(StandingOrder.shipping_option))
    )
    return list(db.session.scalars(query))


def _steps_done(keys: set[tuple[int, date]]) -> dict[tuple[int, date], tuple[bool, bool]]:
    """Of ``keys``, those with a row: (decided, previewed). The tick's filter only; the claims decide."""
    if not keys:
        return {}
    rows = db.session.execute(
        select(
            StandingDelivery.standing_order_id,
            StandingDelivery.delivery_date,
            StandingDelivery.outcome,
            StandingDelivery.previewed_at,
        ).where(tuple_(StandingDelivery.standing_order_id, StandingDelivery.delivery_date).in_(sorted(keys)))
    )
    return {
        (standing_id, day): (outcome is not None, previewed is not None)
        for standing_id, day, outcome, previewed in rows
    }


def _in_own_transaction(standing: StandingOrder, due: schedule.Delivery, now: datetime, report: TickReport):
    try:
        emails = _act(standing.id, due, now, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception(
            "standing order %s, delivery %s: failed; the next tick tries again", standing.id, due.day
        )
        report.failed.append((standing.id, due.day))
        return
    report.email_ids.extend(email.id for email in emails)
    deliver_all([email.id for email in emails])


def _act(standing_id: int, due: schedule.Delivery, now: datetime, report: TickReport) -> list[Email]:
    """Preview or decide one delivery, in the caller's transaction; the emails written."""
    standing = _loaded(standing_id)
    row = claims.delivery_rows({(standing.id, due.day)})[(standing.id, due.day)]
    if now < due.cutoff:
        if not claims.claim_preview(row, now):
            return []
        report.previewed += 1
        return write_preview_emails(standing, row, due, now)
    reason = _why_not_placed(standing, due, now)
    if reason:
        if claims.claim_outcome(row, SKIPPED, reason, now):
            report.skipped += 1
            log.info("standing order %s, delivery %s skipped: %s", standing.id, due.day, reason)
        return []
    order = Order(customer=standing.customer, channel="standing")
    copied = drafts.copy_lines(standing, order, standing.customer)
    if not order.lines:
        reason = f"Not placed: nothing on it can be ordered any more ({', '.join(copied.left_out)})."
        if claims.claim_outcome(row, SKIPPED, reason, now):
            report.skipped += 1
        return []
    if not claims.claim_outcome(row, PLACED, copied.notice, now):
        return []  # decided by another tick (or skipped a moment ago): the order is not added
    _place(order, standing, due, now)
    db.session.flush()
    row.order_id = order.id
    report.placed += 1
    report.order_ids.append(order.id)
    contacts = receiving_contacts(standing.customer) or standing.customer.contacts[:1]
    return [
        *notices.queue_standing_placed(order, contacts, copied.notice),
        *notices.queue_standing_roastery_notice(order, copied.notice),
    ]


def _loaded(standing_id: int) -> StandingOrder:
    """The standing order with all a delivery reads: lines, sizes, products and options, customer, contacts."""
    return db.session.scalars(
        select(StandingOrder)
        .where(StandingOrder.id == standing_id)
        .options(
            selectinload(StandingOrder.lines)
            .selectinload(StandingOrderLine.variant)
            .selectinload(Variant.product)
            .selectinload(Product.options),
            selectinload(StandingOrder.customer).selectinload(Customer.contacts),
            selectinload(StandingOrder.shipping_option),
        )
        .execution_options(populate_existing=True)
    ).one()


def _why_not_placed(standing: StandingOrder, due: schedule.Delivery, now: datetime) -> str:
    if due.not_delivered:
        return f"Not placed: {due.not_delivered}"
    if now - due.cutoff >= schedule.catch_up_window():
        return (
            f"Not placed: its cut-off was {describe_delay(now - due.cutoff)} before the tick found it "
            "(no scheduler ran). Staff can enter the order by hand."
        )
    already = drafts.ordered_for(standing.customer_id, due.day)
    if already is not None:
        return f"Not placed: {already.number} was already placed for {short_day(due.day)}."
    return ""


def _place(order: Order, standing: StandingOrder, due: schedule.Delivery, now: datetime) -> None:
    """Fill in the order the standing order places, priced today (its lines are on it already)."""
    customer = standing.customer
    approved = settings.get("STANDING_ORDERS_APPROVED")
    order.status = "approved" if approved else "pending"
    order.placed_at = now
    order.approved_at = now if approved else None
    order.shipping_option = standing.shipping_option
    order.shipping_fee = standing.shipping_option.fee
    order.discount_percent = customer.discount_percent
    order.delivery_date = due.day
    order.roast_date = due.roast_day
    order.notes = standing.notes
    order.idempotency_key = f"standing:{standing.id}:{due.day.isoformat()}"
    pricing.apply_totals(order)
    db.session.add(order)
    record(
        order,
        Actor(customer_id=customer.id),
        "placed by standing order",
        {"standing order": (None, standing.id)},
    )


# --- The preview ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    quantity: int
    label: str
    amount: object
    left_out: bool


def write_preview_emails(
    standing: StandingOrder, row: StandingDelivery, due: schedule.Delivery, now: datetime
) -> list[Email]:
    """One preview per contact who gets reminders, into the caller's transaction (never commits)."""
    customer = standing.customer
    negotiated = pricing.customer_prices(customer.id, [line.variant_id for line in standing.lines])
    lines = [
        PreviewLine(
            line.quantity,
            line.label,
            pricing.unit_price(line.variant, negotiated) * line.quantity,
            not line.variant.on_sale,
        )
        for line in standing.lines
    ]
    items_total = sum((line.amount for line in lines if not line.left_out), pricing.ZERO)
    expires_at = due.cutoff + timedelta(days=7 * standing.every_weeks)
    emails = []
    for contact in receiving_contacts(customer):
        emails.append(
            queue_email(
                kind="standing_preview",
                dedupe_key=f"standing-preview:{row.id}:{contact.id}",
                to_address=contact.email,
                subject=(
                    f"Your standing order for {short_day(due.day)} places itself at {local_moment(due.cutoff)}"
                ),
                template="standing_preview",
                context={
                    "contact": contact,
                    "customer": customer,
                    "standing": standing,
                    "delivery": due,
                    "lines": lines,
                    "items_total": items_total,
                    "change_url": links.login_url(
                        contact, "reminder", now=now, expires_at=expires_at, to="standing"
                    ),
                    "order_url": links.login_url(contact, "reminder", now=now, expires_at=expires_at),
                    "skip_url": links.public_url(
                        "portal.standing_skip",
                        delivery_id=row.id,
                        token=links.make_token(contact, skip_purpose(row.id), due.cutoff),
                    ),
                    "link_until": local_moment(expires_at),
                    "stop_url": (stop_url := opt_out.opt_out_url(contact, now)),
                },
                customer_id=customer.id,
                list_unsubscribe=stop_url,
            )
        )
    db.session.flush()
    return emails
