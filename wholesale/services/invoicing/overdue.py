"""Overdue reminders: the tick that emails each overdue invoice's customer once per step.

The steps are ``OVERDUE_REMINDER_DAYS`` ("7, 30": days after the due date; empty: no reminders). The tick
runs every ten minutes in UTC (jobs.schedule), like the weekly reminder tick. For every invoice with a
balance whose due date plus its first step is today or before (in the roastery's zone), it takes the
**latest** step reached: an invoice 45 days past due with steps 7 and 30 gets the 30-day reminder, and only
that one, when reminders are switched on (the 7-day one is long passed and is not sent late); then, as
days go by, each later step once.

A step is claimed by inserting its OverdueReminder row, unique per invoice and step (INSERT … ON CONFLICT DO
NOTHING … RETURNING), so of two ticks at once exactly one writes the emails, and a tick run twice finds the
step taken. The email goes to each contact of the customer who gets reminders, or, when none does, to the
invoice's bill-to address; a claim with nobody to email is kept (so it is not retried every tick) and
logged. Invoices are taken a page at a time, each page one transaction; emails go to the outbox after its
commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from ... import config
from ...extensions import db
from ...models import Customer, Email, Invoice, OverdueReminder, utcnow
from ...transactions import insert_ignoring_taken
from .. import deliveries, settings
from ..customers import links
from ..mail.delivery import deliver_all
from ..mail.outbox import queue_email
from . import balances

log = logging.getLogger(__name__)

KIND = "overdue_reminder"  # as its template is named
PAGE_SIZE = 200


def overdue_steps() -> tuple[int, ...]:
    return config.parse_day_steps(settings.get("OVERDUE_REMINDER_DAYS") or "")


def latest_step(days_past_due: int, steps: tuple[int, ...]) -> int | None:
    """The last of ``steps`` (sorted) reached ``days_past_due`` days after the due date; None before the first."""
    reached = [step for step in steps if step <= days_past_due]
    return reached[-1] if reached else None


@dataclass
class TickReport:
    at: datetime
    reminded: int = 0
    email_ids: list[int] = field(default_factory=list)
    failed: int = 0

    def summary(self) -> str:
        text = f"{self.reminded} overdue invoice{'' if self.reminded == 1 else 's'} reminded "
        text += f"({len(self.email_ids)} email{'' if len(self.email_ids) == 1 else 's'})"
        return text + (f", {self.failed} page(s) failed (retried next tick)" if self.failed else "")


def dispatch_overdue_reminders(now: datetime | None = None) -> TickReport:
    """One tick: each overdue invoice's latest step reached, reminded once. Safe to run twice, or at once."""
    now = now or utcnow()
    report = TickReport(now)
    steps = overdue_steps()
    if not steps:
        return report
    today = deliveries.today(now)
    after_id = 0
    while page := _page(after_id, today, steps[0]):
        after_id = page[-1].invoice.id
        due = {item.invoice.id: (item, latest_step(item.days_past_due, steps)) for item in page}
        taken = _taken({(invoice_id, step) for invoice_id, (_, step) in due.items()})
        work = [(item, step) for invoice_id, (item, step) in due.items() if (invoice_id, step) not in taken]
        if not work:
            db.session.rollback()
            continue
        try:
            emails = _claim_and_write(work, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception(
                "overdue reminders of invoices after %s failed; the next tick tries again", after_id
            )
            report.failed += 1
            continue
        report.reminded += len({email.invoice_id for email in emails})
        report.email_ids.extend(email.id for email in emails)
        deliver_all([email.id for email in emails])
    return report


def _page(after_id: int, today: date, first_step: int) -> list[balances.InvoiceBalance]:
    query = (
        balances.balances_query()
        .where(
            Invoice.due_on <= today - timedelta(days=first_step),
            Invoice.id > after_id,
            balances.remaining() > 0,
        )
        .options(selectinload(Invoice.customer).selectinload(Customer.contacts))
        .order_by(Invoice.id)
        .limit(PAGE_SIZE)
    )
    return balances.read_balances(query, today)


def _taken(keys: set[tuple[int, int]]) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(OverdueReminder.invoice_id, OverdueReminder.step_days).where(
            tuple_(OverdueReminder.invoice_id, OverdueReminder.step_days).in_(sorted(keys))
        )
    )
    return set(rows.tuples())


def _claim_and_write(work: list[tuple[balances.InvoiceBalance, int]], now: datetime) -> list[Email]:
    rows = [{"invoice_id": item.invoice.id, "step_days": step, "created_at": now} for item, step in work]
    statement = (
        insert_ignoring_taken(OverdueReminder)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["invoice_id", "step_days"])
        .returning(OverdueReminder.invoice_id, OverdueReminder.step_days)
    )
    won = set(db.session.execute(statement).tuples())  # only ours, not those another tick holds
    emails = []
    with db.session.no_autoflush:
        for item, step in work:
            if (item.invoice.id, step) in won:
                emails += write_overdue_emails(item, step, now)
    db.session.flush()
    return emails


def write_overdue_emails(item: balances.InvoiceBalance, step: int, now: datetime) -> list[Email]:
    """The reminder of one invoice at one step, into the caller's transaction (never commits)."""
    invoice = item.invoice
    customer = invoice.customer
    recipients = [(contact.email, contact) for contact in customer.contacts if contact.receives_reminders]
    if not recipients and invoice.bill_to_email:
        recipients = [(invoice.bill_to_email, None)]
    if not recipients:
        log.warning("overdue reminder of %s (%s days): nobody to email", invoice.number, step)
    emails = []
    for address, contact in recipients:
        invoices_url = (
            links.login_url(contact, "reminder", now=now, to="invoices")
            if contact and customer.active
            else links.public_url("portal.invoices")
        )
        emails.append(
            queue_email(
                kind=KIND,
                dedupe_key=f"overdue-reminder:{invoice.id}:{step}:{address.casefold()}",
                to_address=address,
                subject=f"Invoice {invoice.number} is overdue: {item.balance:,.2f} {invoice.currency} to pay",
                template="overdue_reminder",
                context={
                    "name": contact.name if contact else customer.business_name,
                    "customer": customer,
                    "invoice": invoice,
                    "balance": item.balance,
                    "days_past_due": item.days_past_due,
                    "invoices_url": invoices_url,
                },
                customer_id=customer.id,
                invoice_id=invoice.id,
            )
        )
    return emails
