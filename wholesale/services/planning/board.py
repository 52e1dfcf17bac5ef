"""The week board: every active customer's state for one delivery week, read in a fixed number of statements.

A customer is, first match wins:

- **ordered**: an order of theirs delivers in the week and is neither a draft nor cancelled;
- **standing**: a standing order of theirs delivers in the week and that delivery is neither placed nor
  skipped yet, nor on a date it cannot be delivered (the roastery closed, the option no longer goes then);
- **no order**: the latest reminder that answers the week (``week.Week.reminders_from``) was answered
  "no order this week", or the customer (or staff) skipped their standing order's delivery in the week;
- **reminded**: such a reminder went out (scheduled, or sent now by staff) and nothing came back;
- **not reminded**: none went out.

The last two are the *silent* ones, whom staff may remind again (``nudge``) and the forecast guesses for.

Seven statements whatever the number of customers (and whatever the week holds): the options, the customers,
the week's orders, the standing orders that may deliver in it, their decided deliveries, the closed dates and
the reminders; the rest is done in Python over those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Customer, Order, ReminderSend, ShippingOption, StandingDelivery, StandingOrder
from ...models.orders import order_number
from .. import deliveries
from ..reminders.dispatch import SENT_OUTCOMES
from ..standing import schedule
from ..standing.skips import SKIPPED_AHEAD
from .week import Week

ORDERED, STANDING, NO_ORDER, REMINDED, NOT_REMINDED = "ordered", "standing", "no-order", "reminded", "silent"
STATES = (ORDERED, STANDING, NO_ORDER, REMINDED, NOT_REMINDED)
# Nothing for the week and no "no order": the ones to remind again, and to forecast.
SILENT = (REMINDED, NOT_REMINDED)
NOT_COUNTED = ("draft", "cancelled")


@dataclass(frozen=True, slots=True)
class WeekOrder:
    id: int
    status: str
    channel: str
    total: Decimal
    delivery_date: date
    shipping_option_id: int | None

    @property
    def number(self) -> str:
        return order_number(self.id)


@dataclass(frozen=True, slots=True)
class StandingDue:
    """A standing order's delivery in the week that is still to be placed, at its cut-off ``places_at``."""

    standing_order_id: int
    day: date
    places_at: datetime
    shipping_option_id: int


@dataclass(slots=True)
class BoardRow:
    customer_id: int
    business_name: str
    default_option_id: int | None
    orders: list[WeekOrder] = field(default_factory=list)
    standing: list[StandingDue] = field(default_factory=list)
    # Standing deliveries in the week skipped ahead: (day, "Skipped by Ana Lopez (Hillside Café).").
    skipped: list[tuple[date, str]] = field(default_factory=list)
    reminded_at: datetime | None = None
    no_order_at: datetime | None = None
    # Decided once the row is complete (``decide``): read for every row by the filters, counts and the page.
    state: str = NOT_REMINDED
    option_id: int | None = None

    def decide(self) -> BoardRow:
        """The state, first match wins; and how the week's delivery goes: the first order's option, else the
        standing order's, else the customer's usual one."""
        if self.orders:
            self.state = ORDERED
        elif self.standing:
            self.state = STANDING
        elif self.no_order_at is not None or self.skipped:
            self.state = NO_ORDER
        else:
            self.state = REMINDED if self.reminded_at is not None else NOT_REMINDED
        first_order_option = self.orders[0].shipping_option_id if self.orders else None
        if first_order_option is not None:
            self.option_id = first_order_option
        else:
            self.option_id = self.standing[0].shipping_option_id if self.standing else self.default_option_id
        return self

    @property
    def silent(self) -> bool:
        return self.state in SILENT

    @property
    def orders_total(self) -> Decimal:
        return sum((order.total for order in self.orders), Decimal("0"))


@dataclass(frozen=True)
class WeekBoard:
    week: Week
    rows: list[BoardRow]  # every active customer, by name
    options: dict[int, ShippingOption]  # every option, as listed to customers (inactive ones included)

    def counts(self, option_id: int | None = None) -> dict[str, int]:
        """Rows per state (of one shipping option's rows, when given)."""
        counted = dict.fromkeys(STATES, 0)
        for row in self.filtered(option_id=option_id):
            counted[row.state] += 1
        return counted

    def filtered(self, state: str | None = None, option_id: int | None = None) -> list[BoardRow]:
        return [
            row
            for row in self.rows
            if (state is None or row.state == state) and (option_id is None or row.option_id == option_id)
        ]


def week_board(week: Week) -> WeekBoard:
    """Every active customer's state for ``week``. Only reads."""
    options = {
        option.id: option
        for option in db.session.scalars(
            select(ShippingOption).order_by(ShippingOption.position, ShippingOption.name)
        )
    }
    rows = {
        customer_id: BoardRow(customer_id, name, option_id)
        for customer_id, name, option_id in db.session.execute(
            select(Customer.id, Customer.business_name, Customer.default_shipping_option_id)
            .where(Customer.active.is_(True))
            .order_by(func.lower(Customer.business_name), Customer.id)
        ).tuples()
    }
    for customer_id, order in _orders(week):
        if customer_id in rows:
            rows[customer_id].orders.append(order)
    due, skipped = standing_deliveries(week)
    for customer_id, delivery in due:
        if customer_id in rows:
            rows[customer_id].standing.append(delivery)
    for customer_id, day, reason in skipped:
        if customer_id in rows:
            rows[customer_id].skipped.append((day, reason))
    for customer_id, occurrence_at, no_order_at in _reminders(week):  # oldest first: the latest stays
        if customer_id in rows:
            rows[customer_id].reminded_at, rows[customer_id].no_order_at = occurrence_at, no_order_at
    return WeekBoard(week, [row.decide() for row in rows.values()], options)


def _orders(week: Week) -> list[tuple[int, WeekOrder]]:
    query = (
        select(
            Order.customer_id,
            Order.id,
            Order.status,
            Order.channel,
            Order.total,
            Order.delivery_date,
            Order.shipping_option_id,
        )
        .where(
            Order.delivery_date >= week.start,
            Order.delivery_date <= week.end,
            Order.status.not_in(NOT_COUNTED),
        )
        .order_by(Order.delivery_date, Order.id)
    )
    return [(customer_id, WeekOrder(*order)) for customer_id, *order in db.session.execute(query).tuples()]


def standing_deliveries(week: Week) -> tuple[list[tuple[int, StandingDue]], list[tuple[int, date, str]]]:
    """The standing orders' deliveries in ``week``, active customers' only: (customer id, delivery) for each
    still to be placed (not placed, not skipped, on a date it can be delivered), and (customer id, day,
    reason) for each skipped ahead by the customer or staff."""
    standing = db.session.scalars(
        select(StandingOrder)
        .join(Customer, Customer.id == StandingOrder.customer_id)
        .where(
            Customer.active.is_(True),
            StandingOrder.stopped_at.is_(None),
            StandingOrder.first_delivery <= week.end,
            or_(StandingOrder.paused_until.is_(None), StandingOrder.paused_until <= week.end),
        )
        .options(joinedload(StandingOrder.shipping_option, innerjoin=True))
        .order_by(StandingOrder.id)
    ).all()
    decided = {
        (standing_id, day): reason
        for standing_id, day, reason in db.session.execute(
            select(
                StandingDelivery.standing_order_id, StandingDelivery.delivery_date, StandingDelivery.reason
            ).where(
                StandingDelivery.delivery_date >= week.start,
                StandingDelivery.delivery_date <= week.end,
                StandingDelivery.outcome.is_not(None),
            )
        ).tuples()
    }
    closed = deliveries.closed_days(week.start, week.end)
    zone = deliveries.roastery_zone()
    found, skipped = [], []
    for order in standing:
        for day in schedule.dates_from(order, week.start, week.end):
            if (order.id, day) in decided:
                if decided[order.id, day].startswith(SKIPPED_AHEAD):
                    skipped.append((order.customer_id, day, decided[order.id, day]))
                continue
            delivery = schedule.delivery(order, day, zone, closed)
            if not delivery.not_delivered:
                found.append(
                    (order.customer_id, StandingDue(order.id, day, delivery.cutoff, order.shipping_option_id))
                )
    return found, skipped


def _reminders(week: Week) -> list[tuple[int, datetime, datetime | None]]:
    """Every reminder sent for the week, oldest first: (customer id, when, "no order" answered when)."""
    query = (
        select(ReminderSend.customer_id, ReminderSend.occurrence_at, ReminderSend.no_order_at)
        .where(
            ReminderSend.outcome.in_(SENT_OUTCOMES),
            ReminderSend.occurrence_at >= week.reminders_from(),
            ReminderSend.occurrence_at < week.reminders_until(),
        )
        .order_by(ReminderSend.occurrence_at, ReminderSend.id)
    )
    return list(db.session.execute(query).tuples())
