"""Weekly reminders (journey 4): the tick that sends each one once, the email, and staff's "send now".

The tick (``dispatch_due_reminders``) runs every few minutes in UTC. For every customer with reminders on,
it finds the latest occurrence of its schedule (``calendar``); one not yet answered by a
ReminderSend row is claimed by inserting that row, unique per customer and occurrence, so of two ticks
running at once (two schedulers, a retried job) exactly one writes the emails, and a tick that runs twice
finds everything answered. Occurrences less than ``REMINDER_CATCH_UP_HOURS`` late are sent; older ones are
recorded as skipped with the reason, and logged.

Customers are taken a page at a time. A page is one short transaction: claim the page's due occurrences
(one INSERT … ON CONFLICT DO NOTHING … RETURNING: the set-based form of "insert, and an IntegrityError means
someone else has it"), write their emails, commit. If writing one customer's emails fails, that page is
done again one customer per transaction, so one bad row never stops the others; the failed one stays
unanswered and the next tick tries it again. The emails are handed to the outbox after each commit.

A reminder's sign-in link lasts until the next reminder: the customer's next occurrence plus the catch-up
window (the next reminder may arrive that late). With reminders off ("send now" only) it lasts
``LINK_TTL_REMINDER_SECONDS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Contact, Customer, Email, Order, ReminderSend, StandingOrder, utcnow
from ...transactions import insert_ignoring_taken
from .. import settings
from ..customers import links
from ..errors import ServiceError
from ..mail.delivery import deliver_all
from ..mail.outbox import queue_email
from ..orders.drafts import last_order, last_orders
from . import opt_out
from .calendar import Schedule, describe_delay, latest_occurrence, next_occurrence, wall_clock

log = logging.getLogger(__name__)

KIND = "reminder"
# ReminderSend.outcome: a scheduled reminder sent, one staff sent by hand, or an occurrence not sent.
SENT, SENT_NOW, SKIPPED = "sent", "sent-now", "skipped"
SENT_OUTCOMES = (SENT, SENT_NOW)
# A scheduled reminder sent less than this before an occurrence answers that week already: moving the day or
# the time (later on the same day, or to a weekday still ahead) brings no second one. Six days, not seven: a
# regular week between two occurrences is 7 days give or take an hour across a change of clocks.
SAME_WEEK = timedelta(days=6)
# A standing order replaces the weekly reminder: its customer gets a preview before each delivery instead
# (services.standing.tick), never both. Paused counts as on (a customer away gets no reminder either); a stopped
# one no longer does.
REMINDER_REPLACED = (
    "Not sent: the customer has a standing order, whose preview email goes out before each delivery instead."
)
# Customers per transaction in a tick: short enough that a second tick waits little on the first's claims.
PAGE_SIZE = 200
# Lines of the last order the email lists before "and N more".
SUMMARY_LINES = 6


def catch_up_window() -> timedelta:
    return timedelta(hours=current_app.config["REMINDER_CATCH_UP_HOURS"])


def schedule_of(customer: Customer) -> Schedule:
    return Schedule.of(customer.reminder_weekday, customer.reminder_time, customer.reminder_timezone)


def receiving_contacts(customer: Customer) -> list[Contact]:
    return [contact for contact in customer.contacts if contact.receives_reminders]


def email_dedupe_key(send_id: int, contact_id: int) -> str:
    """One email per contact and reminder; the history reads the ReminderSend id back from it."""
    return f"{KIND}:{send_id}:{contact_id}"


def no_order_purpose(send_id: int) -> str:
    """The token purpose of a "no order this week" link: bound to one reminder, never a sign-in."""
    return f"no-order/{send_id}"


# --- The tick ---------------------------------------------------------------------------------------------


@dataclass
class TickReport:
    """What one tick did; ``failed``: customers whose reminder could not be written (retried next tick)."""

    at: datetime
    sent: int = 0
    skipped: int = 0
    email_ids: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{_count(self.sent, 'reminder')} sent ({_count(len(self.email_ids), 'email')}), "
        text += f"{self.skipped} skipped"
        return text + (f", {len(self.failed)} failed (retried next tick)" if self.failed else "")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


@dataclass
class _Claim:
    customer: Customer
    occurrence_at: datetime
    outcome: str
    skip_reason: str = ""


def dispatch_due_reminders(now: datetime | None = None) -> TickReport:
    """One tick: send every due, unanswered reminder once. Safe to run twice, or twice at once.

    Commits once per page of customers (never one long transaction) and hands that page's emails to the
    outbox after its commit.
    """
    now = now or utcnow()
    report = TickReport(now)
    after_id = 0
    while customers := _customers_with_reminders_on(after_id):
        after_id = customers[-1].id
        claims = _unanswered(customers, now)
        if claims:
            _claim_and_write_each(claims, now, report)
        else:
            db.session.rollback()  # nothing to claim: end the page's read-only transaction
    return report


def _customers_with_reminders_on(after_id: int) -> list[Customer]:
    query = (
        select(Customer)
        .where(Customer.reminders_enabled.is_(True), Customer.active.is_(True), Customer.id > after_id)
        .order_by(Customer.id)
        .limit(PAGE_SIZE)
        .options(selectinload(Customer.contacts))
    )
    return list(db.session.scalars(query))


def _unanswered(customers: list[Customer], now: datetime) -> list[_Claim]:
    """The page's latest occurrences that no ReminderSend answers yet, each decided: send or skip."""
    due = {}
    for customer in customers:
        try:
            due[customer.id] = latest_occurrence(schedule_of(customer), now)
        except (KeyError, ValueError):  # an unknown zone: the staff form refuses them, so this is old data
            zone = customer.reminder_timezone
            log.error("customer %s has an unknown reminder time zone %r", customer.id, zone)
    if not due:
        return []
    answered = set(
        db.session.execute(
            select(ReminderSend.customer_id, ReminderSend.occurrence_at).where(
                ReminderSend.customer_id.in_(due), ReminderSend.occurrence_at >= min(due.values())
            )
        ).tuples()
    )
    last_sent = dict(
        db.session.execute(
            select(ReminderSend.customer_id, func.max(ReminderSend.occurrence_at))
            .where(
                ReminderSend.customer_id.in_(due),
                ReminderSend.outcome == SENT,
                ReminderSend.occurrence_at > min(due.values()) - SAME_WEEK,
            )
            .group_by(ReminderSend.customer_id)
        ).all()
    )
    standing = customers_with_standing_orders(due)
    return [
        _decide(customer, due[customer.id], now, last_sent.get(customer.id), customer.id in standing)
        for customer in customers
        if customer.id in due and (customer.id, due[customer.id]) not in answered
    ]


def customers_with_standing_orders(customer_ids) -> set[int]:
    """Those of ``customer_ids`` with a standing order not stopped: they get no weekly reminder."""
    return set(
        db.session.scalars(
            select(StandingOrder.customer_id)
            .where(StandingOrder.customer_id.in_(customer_ids), StandingOrder.stopped_at.is_(None))
            .distinct()
        )
    )


def _decide(
    customer: Customer, occurrence_at: datetime, now: datetime, last_sent: datetime | None, standing: bool
) -> _Claim:
    if standing:
        return _Claim(customer, occurrence_at, SKIPPED, REMINDER_REPLACED)
    if last_sent is not None and occurrence_at - SAME_WEEK < last_sent < occurrence_at:
        reason = (
            f"Not sent: this week's reminder went out {describe_delay(occurrence_at - last_sent)} before this "
            "time, which the schedule moved to since; the next one follows the new schedule."
        )
        return _Claim(customer, occurrence_at, SKIPPED, reason)
    late = now - occurrence_at
    if late >= catch_up_window():
        hours = current_app.config["REMINDER_CATCH_UP_HOURS"]
        reason = (
            f"Not sent: it was due {describe_delay(late)} before the reminder tick found it, and reminders "
            f"more than {hours} hours late are skipped (reminders were off then, or no scheduler ran)."
        )
        return _Claim(customer, occurrence_at, SKIPPED, reason)
    if not receiving_contacts(customer):
        reason = "Not sent: no contact of the customer gets the reminder."
        return _Claim(customer, occurrence_at, SKIPPED, reason)
    return _Claim(customer, occurrence_at, SENT)


def _claim_and_write_each(claims: list[_Claim], now: datetime, report: TickReport) -> None:
    """All the page's claims in one transaction; if that fails, each in its own, so one bad row stops none."""
    batches = [claims]
    while batches:
        batch = batches.pop(0)
        try:
            sent, skipped, email_ids = _claim_and_write(batch, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            if len(batch) > 1:
                batches.extend([claim] for claim in batch)
                continue
            customer_id = batch[0].customer.id
            log.exception(
                "could not write the reminder of customer %s; the next tick tries again", customer_id
            )
            report.failed.append(customer_id)
            continue
        for claim in skipped:
            (log.info if claim.skip_reason == REMINDER_REPLACED else log.warning)(
                "reminder of customer %s due %s skipped. %s",
                claim.customer.id,
                claim.occurrence_at,
                claim.skip_reason,
            )
        report.sent += sent
        report.skipped += len(skipped)
        report.email_ids.extend(email_ids)
        deliver_all(email_ids)  # committed: the outbox may send them now, while the next page is written


def _claim_and_write(claims: list[_Claim], now: datetime) -> tuple[int, list[_Claim], list[int]]:
    """Insert the claims' ReminderSend rows (those another tick holds are left out) and write the emails."""
    by_customer = {claim.customer.id: claim for claim in claims}
    rows = [
        {
            "customer_id": claim.customer.id,
            "occurrence_at": claim.occurrence_at,
            "outcome": claim.outcome,
            "skip_reason": claim.skip_reason,
            "created_at": utcnow(),
        }
        for claim in claims
    ]
    statement = (
        insert_ignoring_taken(ReminderSend)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["customer_id", "occurrence_at"])
        .returning(ReminderSend.id, ReminderSend.customer_id)
    )
    inserted = db.session.execute(statement).tuples()  # only our rows, not those another tick holds
    won = {send_id: by_customer[customer_id] for send_id, customer_id in inserted}
    skipped = [claim for claim in won.values() if claim.outcome == SKIPPED]
    to_send = {send_id: claim for send_id, claim in won.items() if claim.outcome == SENT}
    orders = last_orders([claim.customer.id for claim in to_send.values()])
    emails = []
    with db.session.no_autoflush:  # one INSERT for all the emails at the end, not one flush per email
        for send_id, claim in sorted(to_send.items()):
            customer = claim.customer
            contacts = receiving_contacts(customer)
            emails += write_reminder_emails(send_id, customer, contacts, orders.get(customer.id), now)
    db.session.flush()
    return len(to_send), skipped, [email.id for email in emails]


# --- The email --------------------------------------------------------------------------------------------


def link_expiry(customer: Customer, now: datetime) -> datetime:
    """Until the next reminder has had its chance to arrive; a fixed lifetime when reminders are off."""
    if customer.reminders_enabled:
        return next_occurrence(schedule_of(customer), now) + catch_up_window()
    return now + timedelta(seconds=current_app.config["LINK_TTL_REMINDER_SECONDS"])


def write_reminder_emails(
    send_id: int, customer: Customer, contacts: list[Contact], order: Order | None, now: datetime
) -> list[Email]:
    """One email per contact into the caller's transaction (never commits): who it is for, the last order,
    the personal sign-in link and the "no order this week" link."""
    expires_at = link_expiry(customer, now)
    lines = order.lines if order else []
    placed = wall_clock(order.placed_at or order.created_at, customer.reminder_timezone) if order else ""
    roastery = settings.get("ROASTERY_NAME")
    return [
        queue_email(
            kind=KIND,
            dedupe_key=email_dedupe_key(send_id, contact.id),
            to_address=contact.email,
            subject=f"Your weekly order for {customer.business_name} from {roastery}",
            template="reminder",
            context={
                "contact": contact,
                "customer": customer,
                "last_order": order,
                "last_order_placed": placed,
                "lines": lines[:SUMMARY_LINES],
                "more_lines": max(0, len(lines) - SUMMARY_LINES),
                "order_url": links.login_url(contact, "reminder", now=now, expires_at=expires_at),
                "no_order_url": links.public_url(
                    "portal.no_order",
                    token=links.make_token(contact, no_order_purpose(send_id), expires_at),
                    reminder_id=send_id,
                ),
                "link_until": wall_clock(expires_at, customer.reminder_timezone),
                "stop_url": (stop_url := opt_out.opt_out_url(contact, now)),
            },
            customer_id=customer.id,
            list_unsubscribe=stop_url,
        )
        for contact in contacts
    ]


# --- Staff: send now, and switch reminders on -------------------------------------------------------------


def send_reminder_now(customer: Customer, now: datetime | None = None) -> list[Email]:
    """Staff's "send now": a reminder to each contact who gets reminders, at once. One transaction.

    Recorded as a ReminderSend of its own (outcome "sent-now") at the current minute, so a double click
    sends once; it does not answer the customer's next scheduled occurrence. Refused (nothing written) for
    an inactive customer or one with no contact who gets reminders.
    """
    now = now or utcnow()
    if not customer.active:
        raise ServiceError(
            f"{customer.business_name} is inactive, so its links would not work. Nothing was sent."
        )
    contacts = receiving_contacts(customer)
    if not contacts:
        raise ServiceError(
            f"No contact of {customer.business_name} gets the weekly reminder: tick "
            "“Gets the weekly reminder” for someone first. Nothing was sent."
        )
    send = ReminderSend(
        customer_id=customer.id,
        occurrence_at=now.replace(second=0, microsecond=0),
        outcome=SENT_NOW,
        skip_reason="",
        created_at=now,
    )
    db.session.add(send)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(
            f"A reminder went to {customer.business_name} less than a minute ago; it was not sent again."
        ) from None
    emails = write_reminder_emails(send.id, customer, contacts, last_order(customer), now)
    db.session.commit()
    deliver_all([email.id for email in emails])
    return emails


@dataclass(frozen=True)
class SwitchedOn:
    switched: list[str]
    already_on: list[str]
    inactive: list[str]


def switch_reminders_on(customer_ids: list[int]) -> SwitchedOn:
    """Staff switch weekly reminders on for several customers at once. One transaction.

    Inactive customers are left off (their links would not work); unknown ids are ignored.
    """
    rows = db.session.execute(
        select(Customer.id, Customer.business_name, Customer.active, Customer.reminders_enabled)
        .where(Customer.id.in_(customer_ids))
        .order_by(func.lower(Customer.business_name))
    ).all()
    to_switch = [row for row in rows if row.active and not row.reminders_enabled]
    if to_switch:
        db.session.execute(
            update(Customer)
            .where(Customer.id.in_([row.id for row in to_switch]), Customer.active.is_(True))
            .values(reminders_enabled=True)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return SwitchedOn(
        switched=[row.business_name for row in to_switch],
        already_on=[row.business_name for row in rows if row.active and row.reminders_enabled],
        inactive=[row.business_name for row in rows if not row.active],
    )
