"""Standing orders for tests: a van that delivers Tuesday and Friday (orders close two days before at 17:00
in Los Angeles, roasted the day before), a customer with a weekly standing order, and the tick at an instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import time_machine

from wholesale.extensions import db
from wholesale.models import Email, Order, ShippingOption, StandingDelivery, StandingOrder, StandingOrderLine
from wholesale.services.standing import tick as standing_tick

LA = ZoneInfo("America/Los_Angeles")
TUE, FRI = 1, 4
# The first delivery the tests use, its cut-off (Sunday 17:00) and its preview (48 hours before).
TUESDAY = date(2026, 12, 8)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LA).astimezone(UTC)


CUTOFF = local(2026, 12, 6, 17)
PREVIEW = local(2026, 12, 4, 17)


def make_van(fee: str = "12.00") -> ShippingOption:
    option = ShippingOption(
        name="Roastery van",
        fee=fee,
        position=0,
        active=True,
        cutoff_days_before=2,
        cutoff_time=time(17),
        roast_days_before=1,
    )
    option.weekdays = (TUE, FRI)
    db.session.add(option)
    db.session.flush()
    return option


def make_standing(customer, option, lines, first: date = TUESDAY, every: int = 1, **fields) -> StandingOrder:
    """``lines``: [(variant, quantity)] or [(variant, quantity, option)]."""
    standing = StandingOrder(
        customer=customer, shipping_option=option, every_weeks=every, first_delivery=first, notes="", **fields
    )
    for variant, quantity, *chosen in lines:
        standing.lines.append(
            StandingOrderLine(variant=variant, quantity=quantity, option=chosen[0] if chosen else "")
        )
    db.session.add(standing)
    db.session.flush()
    return standing


def run_tick(at: datetime):
    with time_machine.travel(at, tick=False):
        report = standing_tick.dispatch_standing_orders(at)
    db.session.expire_all()
    return report


def deliveries_of(standing: StandingOrder) -> list[StandingDelivery]:
    return list(
        db.session.scalars(
            db.select(StandingDelivery)
            .where(StandingDelivery.standing_order_id == standing.id)
            .order_by(StandingDelivery.delivery_date)
        )
    )


def standing_orders_placed(customer) -> list[Order]:
    return list(
        db.session.scalars(
            db.select(Order)
            .where(Order.customer_id == customer.id, Order.channel == "standing")
            .order_by(Order.id)
        )
    )


def emails_of(kind: str) -> list[Email]:
    return list(db.session.scalars(db.select(Email).where(Email.kind == kind).order_by(Email.id)))
