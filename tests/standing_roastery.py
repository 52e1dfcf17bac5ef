"""A roastery for the standing order tests, on a fixed clock: Saturday 5 December 2026, noon in Los Angeles.

The roastery van delivers Tuesday and Friday, its orders close two days before at 17:00 (Tue 8 Dec closes
Sun 6 Dec, 17:00); the courier delivers Monday to Friday, closing the day before at 17:00. Blue Door Café
(contact Ana Lopez) last had 4 × Coffee 00 340 g · Espresso, 2 × Coffee 01 340 g and 1 × Coffee 02 5 lb
(since retired) delivered by the van on Tuesday 1 December. Rival Roasters has an order and a standing order
of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from wholesale.extensions import db
from wholesale.models import Contact, ProductOption, StaffUser, StandingOrder, StandingOrderLine, utcnow

from .factories import make_catalog, make_customer, make_order, make_shipping

LA = ZoneInfo("America/Los_Angeles")
SATURDAY_NOON = datetime(2026, 12, 5, 12, tzinfo=LA).astimezone(UTC)
TUE, FRI = date(2026, 12, 8), date(2026, 12, 11)
MON, WED = 0, 2


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LA).astimezone(UTC)


@dataclass(frozen=True)
class Roastery:
    customer_id: int
    contact_id: int
    order_id: int
    order_number: str
    variant_ids: list[int]
    van_id: int
    courier_id: int
    rival_id: int
    rival_order_id: int
    rival_standing_id: int
    staff_id: int


def build() -> Roastery:
    variants = make_catalog(coffees=3)
    espresso = ProductOption(product=variants[0].product, name="Espresso", is_default=True)
    filter_ = ProductOption(product=variants[0].product, name="Filter", position=1)
    db.session.add_all([espresso, filter_])
    van = make_shipping("Roastery van", "0.00", 0)
    van.weekdays, van.cutoff_days_before, van.cutoff_time = (1, 4), 2, time(17)
    courier = make_shipping("Courier", "12.00", 1)
    blue = make_customer("Blue Door Café", default_shipping_option=van)
    blue.contacts[0].name = "Ana Lopez"
    order = make_order(
        blue,
        [(variants[0], 4), (variants[2], 2), (variants[5], 1)],
        shipping_option=van,
        delivery_date=date(2026, 12, 1),
    )
    order.lines[0].option = "Espresso"
    variants[5].retired_at = utcnow()
    rival = make_customer("Rival Roasters")
    rival_order = make_order(
        rival, [(variants[1], 3)], shipping_option=courier, delivery_date=date(2026, 12, 2)
    )
    rival_standing = StandingOrder(
        customer=rival, shipping_option=courier, every_weeks=1, first_delivery=date(2026, 12, 9)
    )
    rival_standing.lines.append(StandingOrderLine(variant=variants[1], quantity=3))
    staff = StaffUser(email="bo@hillside.example", name="Bo Smith")
    staff.set_password("correct horse battery")
    db.session.add_all([rival_standing, staff])
    db.session.commit()
    return Roastery(
        customer_id=blue.id,
        contact_id=blue.contacts[0].id,
        order_id=order.id,
        order_number=order.number,
        variant_ids=[variant.id for variant in variants],
        van_id=van.id,
        courier_id=courier.id,
        rival_id=rival.id,
        rival_order_id=rival_order.id,
        rival_standing_id=rival_standing.id,
        staff_id=staff.id,
    )


@pytest.fixture
def clock():
    """Saturday 5 December 2026, noon in Los Angeles, standing still unless a test moves it."""
    with time_machine.travel(SATURDAY_NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def roastery(app, clock) -> Roastery:
    with app.app_context():
        built = build()
        db.session.remove()
    return built


def contact(roastery: Roastery) -> Contact:
    return db.session.get(Contact, roastery.contact_id)
