"""What customers and staff read of standing orders: one, a customer's, every customer's in a state, and
what comes next for each (its next deliveries, skipped and closed ones marked, and its next placement).

Each read is a fixed number of statements, however many standing orders it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Customer, StandingOrder, StandingOrderLine, Variant, utcnow
from .. import deliveries
from . import schedule, skips

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CADENCES = {1: "Every week", 2: "Every 2 weeks", 4: "Every 4 weeks"}


def describe(standing: StandingOrder) -> str:
    """ "Every 2 weeks on Tuesday by Courier"."""
    return f"{CADENCES[standing.every_weeks]} on {WEEKDAY_NAMES[standing.weekday]} by {standing.shipping_option.name}"


# --- Loading ---------------------------------------------------------------------------------------------


def _as_shown(query):
    """With everything its pages show: lines, their sizes and products, the option, the customer."""
    return query.options(
        selectinload(StandingOrder.lines).joinedload(StandingOrderLine.variant).joinedload(Variant.product),
        joinedload(StandingOrder.shipping_option),
        joinedload(StandingOrder.customer),
    )


def customer_standing(standing_id: int, customer_id: int) -> StandingOrder | None:
    """One of the customer's standing orders; None for an unknown id or another customer's."""
    query = select(StandingOrder).where(
        StandingOrder.id == standing_id, StandingOrder.customer_id == customer_id
    )
    return db.session.scalar(_as_shown(query))


def standing_for_staff(standing_id: int) -> StandingOrder | None:
    return db.session.scalar(_as_shown(select(StandingOrder).where(StandingOrder.id == standing_id)))


def customer_standing_orders(customer_id: int) -> list[StandingOrder]:
    """The customer's standing orders, the running ones first, in two statements."""
    query = (
        select(StandingOrder)
        .where(StandingOrder.customer_id == customer_id)
        .order_by(StandingOrder.stopped_at.is_not(None), StandingOrder.id)
    )
    return list(db.session.scalars(_as_shown(query)))


STATES = ("active", "paused", "stopped")


def _in_state(state: str, today: date):
    running = StandingOrder.stopped_at.is_(None)
    if state == "stopped":
        return StandingOrder.stopped_at.is_not(None)
    if state == "paused":
        return and_(running, StandingOrder.paused_until > today)
    return and_(running, or_(StandingOrder.paused_until.is_(None), StandingOrder.paused_until <= today))


def standing_orders_in_state(state: str) -> list[StandingOrder]:
    """Every customer's standing orders that are active, paused or stopped, by customer: two statements."""
    query = (
        select(StandingOrder)
        .join(StandingOrder.customer)
        .where(_in_state(state, deliveries.today()))
        .order_by(Customer.business_name, StandingOrder.id)
    )
    return list(db.session.scalars(_as_shown(query)))


# --- What comes next -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upcoming:
    """A date on the schedule whose cut-off is ahead; ``skipped``: why, when it was skipped ahead."""

    delivery: schedule.Delivery
    skipped: str | None = None

    @property
    def placed(self) -> bool:
        """Whether it will place itself at its cut-off, as things stand."""
        return self.skipped is None and not self.delivery.not_delivered


@dataclass(frozen=True)
class Outlook:
    """A standing order with its next deliveries and the next one that will place itself."""

    standing: StandingOrder
    upcoming: list[Upcoming] = field(default_factory=list)
    next_placement: schedule.Delivery | None = None

    @property
    def description(self) -> str:
        return describe(self.standing)

    @property
    def state(self) -> str:
        if self.standing.stopped:
            return "stopped"
        if self.standing.paused_until is not None and self.standing.paused_until > deliveries.today():
            return "paused"
        return "active"


# Enough dates to find the next placement past a few skips and closed days.
LOOK_AHEAD = 12


def outlooks(standings: list[StandingOrder], shown: int = 4, now: datetime | None = None) -> list[Outlook]:
    """Each standing order's next ``shown`` deliveries (closed and skipped ones marked) and next placement;
    two statements for any number (the closed dates ahead, the skips)."""
    now = now or utcnow()
    zone = deliveries.roastery_zone()
    today = deliveries.today(now)
    running = [standing for standing in standings if not standing.stopped]
    closed = (
        deliveries.closed_days(today, today + timedelta(days=schedule.HORIZON_DAYS)) if running else set()
    )
    skipped = skips.skipped_days([standing.id for standing in running], today) if running else {}
    found = []
    for standing in standings:
        if standing.stopped:
            found.append(Outlook(standing))
            continue
        ahead = [
            Upcoming(delivery, skipped.get(standing.id, {}).get(delivery.day))
            for delivery in schedule.upcoming(standing, now, zone, closed, count=LOOK_AHEAD)
        ]
        following = next((one.delivery for one in ahead if one.placed), None)
        found.append(Outlook(standing, ahead[:shown], following))
    return found
