"""What staff see of weekly reminders: the next send, every reminder sent and what followed, the preview.

Only reads. Times are UTC instants; the views show them in the customer's zone and the roastery's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Contact, Customer, Email, Order, ReminderSend, utcnow
from .. import settings
from .calendar import latest_occurrence, next_occurrence, wall_clock
from .dispatch import KIND, SENT_OUTCOMES, catch_up_window, receiving_contacts, schedule_of

HISTORY_PAGE = 26  # half a year of weekly reminders


# --- The next send ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextSend:
    at: datetime
    # The occurrence has passed and is not answered yet: the next tick sends it.
    due_now: bool
    in_customer_zone: str
    in_roastery_zone: str


def next_send(customer: Customer, now: datetime | None = None) -> NextSend | None:
    """When the customer's next reminder goes out; None while reminders are off (or the customer inactive).

    Raises ``KeyError`` for a time zone zoneinfo does not know (the staff form refuses them; old data).
    """
    if not (customer.reminders_enabled and customer.active):
        return None
    now = now or utcnow()
    latest = latest_occurrence(schedule_of(customer), now)
    answered = _answered({customer.id: latest})
    return _next_send(customer, now, latest, answered=bool(answered))


def _answered(latest: dict[int, datetime]) -> set[int]:
    """Of these customers, those whose latest occurrence a ReminderSend answers: one query."""
    if not latest:
        return set()
    rows = db.session.execute(
        select(ReminderSend.customer_id, ReminderSend.occurrence_at).where(
            ReminderSend.customer_id.in_(latest), ReminderSend.occurrence_at >= min(latest.values())
        )
    ).tuples()
    return {customer_id for customer_id, occurrence_at in rows if latest[customer_id] == occurrence_at}


def _next_send(customer: Customer, now: datetime, latest: datetime, answered: bool) -> NextSend:
    due_now = not answered and now - latest < catch_up_window() and bool(receiving_contacts(customer))
    at = latest if due_now else next_occurrence(schedule_of(customer), now)
    return NextSend(
        at=at,
        due_now=due_now,
        in_customer_zone=wall_clock(at, customer.reminder_timezone),
        in_roastery_zone=wall_clock(at, settings.get("ROASTERY_TIMEZONE")),
    )


@dataclass(frozen=True)
class ReminderOverview:
    """The "Weekly reminder" section of a customer's page."""

    next: NextSend | None
    receiving: list[Contact]
    last: ReminderSend | None
    roastery_timezone: str
    # Reminders are on but the zone is not one zoneinfo knows: nothing goes out until staff fix it.
    unknown_zone: bool = False


def reminder_overview(customer: Customer, now: datetime | None = None) -> ReminderOverview:
    last = db.session.scalar(
        select(ReminderSend)
        .where(ReminderSend.customer_id == customer.id)
        .order_by(ReminderSend.occurrence_at.desc(), ReminderSend.id.desc())
        .limit(1)
    )
    try:
        upcoming, unknown_zone = next_send(customer, now), False
    except (KeyError, ValueError):
        upcoming, unknown_zone = None, True
    return ReminderOverview(
        next=upcoming,
        receiving=receiving_contacts(customer),
        last=last,
        roastery_timezone=settings.get("ROASTERY_TIMEZONE"),
        unknown_zone=unknown_zone,
    )


# --- Every reminder, and what followed it ----------------------------------------------------------------


@dataclass
class ReminderRecord:
    send: ReminderSend
    emails: list[Email] = field(default_factory=list)
    # The first portal order placed after this reminder went out and before the next one did.
    followed_by: Order | None = None
    no_order_by: Contact | None = None


@dataclass(frozen=True)
class ReminderHistory:
    records: list[ReminderRecord]
    page: int
    has_next: bool


def reminder_history(customer: Customer, page: int = 1, per_page: int = HISTORY_PAGE) -> ReminderHistory:
    """The customer's reminders, newest first: each one's emails (to whom, status), whether a portal order
    followed, and a "no order this week" answer. A fixed number of queries per page, whatever the history."""
    sends = list(
        db.session.scalars(
            select(ReminderSend)
            .where(ReminderSend.customer_id == customer.id)
            .order_by(ReminderSend.occurrence_at.desc(), ReminderSend.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    has_next, sends = len(sends) > per_page, sends[:per_page]
    records = [ReminderRecord(send) for send in sends]
    if records:
        _attach_emails(customer, records)
        _attach_orders(customer, records)
        _attach_no_order_contacts(records)
    return ReminderHistory(records, page, has_next)


def _attach_emails(customer: Customer, records: list[ReminderRecord]) -> None:
    by_send = {record.send.id: record for record in records}
    keys = [Email.dedupe_key.startswith(f"{KIND}:{send_id}:", autoescape=True) for send_id in by_send]
    emails = db.session.scalars(
        select(Email)
        .where(Email.customer_id == customer.id, Email.kind == KIND, or_(*keys))
        .order_by(Email.id)
    )
    for email in emails:
        _, send_id, _ = email.dedupe_key.split(":")  # "reminder:<send id>:<contact id>"
        if int(send_id) in by_send:
            by_send[int(send_id)].emails.append(email)


def _attach_orders(customer: Customer, records: list[ReminderRecord]) -> None:
    """A reminder's window runs from its occurrence to the next reminder that went out (or now)."""
    sent = [record for record in records if record.send.outcome in SENT_OUTCOMES]
    if not sent:
        return
    newer = db.session.scalar(  # the reminder sent just after this page's newest, which ends its window
        select(ReminderSend.occurrence_at)
        .where(
            ReminderSend.customer_id == customer.id,
            ReminderSend.outcome.in_(SENT_OUTCOMES),
            ReminderSend.occurrence_at > sent[0].send.occurrence_at,
        )
        .order_by(ReminderSend.occurrence_at)
        .limit(1)
    )
    window_start = sent[-1].send.occurrence_at
    query = select(Order).where(
        Order.customer_id == customer.id,
        Order.channel == "portal",
        Order.placed_at.is_not(None),
        Order.status != "draft",
        Order.placed_at >= window_start,
    )
    if newer is not None:
        query = query.where(Order.placed_at < newer)
    orders = list(db.session.scalars(query.order_by(Order.placed_at, Order.id)))
    window_end = newer
    for record in sent:  # newest first, so each window ends where the previous record's began
        start = record.send.occurrence_at
        after = [order for order in orders if order.placed_at >= start]
        record.followed_by = next((o for o in after if window_end is None or o.placed_at < window_end), None)
        window_end = start


def _attach_no_order_contacts(records: list[ReminderRecord]) -> None:
    ids = {record.send.no_order_contact_id for record in records if record.send.no_order_contact_id}
    if not ids:
        return
    contacts = {
        contact.id: contact for contact in db.session.scalars(select(Contact).where(Contact.id.in_(ids)))
    }
    for record in records:
        record.no_order_by = contacts.get(record.send.no_order_contact_id)


# --- The preview (flask reminders preview) ---------------------------------------------------------------


@dataclass(frozen=True)
class UpcomingReminder:
    customer: Customer
    next: NextSend
    contacts: int


def upcoming_reminders(now: datetime | None = None, limit: int = 50) -> list[UpcomingReminder]:
    """The next reminder of every customer with reminders on, soonest first."""
    now = now or utcnow()
    customers = db.session.scalars(
        select(Customer)
        .where(Customer.reminders_enabled.is_(True), Customer.active.is_(True))
        .options(selectinload(Customer.contacts))
        .order_by(Customer.id)
    )
    latest = {}
    for customer in customers:
        try:
            latest[customer] = latest_occurrence(schedule_of(customer), now)
        except (KeyError, ValueError):  # an unknown zone; the tick logs it
            continue
    answered = _answered({customer.id: at for customer, at in latest.items()})
    upcoming = [
        UpcomingReminder(
            customer,
            _next_send(customer, now, at, customer.id in answered),
            len(receiving_contacts(customer)),
        )
        for customer, at in latest.items()
    ]
    upcoming.sort(key=lambda item: (item.next.at, item.customer.business_name))
    return upcoming[:limit]
