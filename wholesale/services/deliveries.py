"""The delivery calendar: which dates a shipping option delivers on, when orders for each close, and the
roast day each one sets.

Every date is a date in the roastery's zone (``ROASTERY_TIMEZONE``); a cut-off is an exact instant, the
option's cut-off time that many days before the delivery, read through ``zones.occurrence_on`` so a
daylight-saving week closes at the same wall-clock time as any other. A date is offered while its cut-off is
in the future, on the option's weekdays, unless staff closed it (``ClosedDate``, a holiday for every option).

``open_days`` is pure (dates in, dates out); the rest read the closed dates and the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, bindparam, cast, delete, func, select

from ..extensions import db
from ..formatting import local_moment, short_day
from ..models import ClosedDate, Order, ShippingOption, utcnow
from ..transactions import begin_writing
from . import settings
from .errors import ServiceError
from .zones import occurrence_on

# How many dates the order page offers, and how far ahead it looks for them (a van that delivers once a
# month still shows its next date; an option with no weekday, or every day closed, offers none).
OFFERED = 6
HORIZON_DAYS = 62
# Staff close dates this far ahead at most, and the list shows them from today.
CLOSE_AHEAD_DAYS = 2 * 365


@dataclass(frozen=True)
class DeliveryDay:
    """A date an option delivers on, with the instant orders for it close and the day it is roasted."""

    day: date
    cutoff: datetime
    roast_day: date


def roastery_zone() -> ZoneInfo:
    return ZoneInfo(settings.get("ROASTERY_TIMEZONE"))


def today(now: datetime | None = None) -> date:
    """Today's date in the roastery's zone."""
    return (now or utcnow()).astimezone(roastery_zone()).date()


def delivery_day(option: ShippingOption, day: date, zone: ZoneInfo) -> DeliveryDay:
    cutoff = occurrence_on(day - timedelta(days=option.cutoff_days_before), option.cutoff_time, zone)
    return DeliveryDay(day, cutoff, day - timedelta(days=option.roast_days_before))


def open_days(
    option: ShippingOption, now: datetime, zone: ZoneInfo, closed: set[date], count: int = OFFERED
) -> list[DeliveryDay]:
    """The next ``count`` dates ``option`` delivers on whose cut-off is after ``now``, skipping ``closed``."""
    weekdays = set(option.weekdays)
    first = now.astimezone(zone).date()
    found = []
    for offset in range(HORIZON_DAYS):
        day = first + timedelta(days=offset)
        if day.weekday() not in weekdays or day in closed:
            continue
        candidate = delivery_day(option, day, zone)
        if candidate.cutoff > now:
            found.append(candidate)
            if len(found) == count:
                break
    return found


def closed_days(start: date, end: date) -> set[date]:
    rows = db.session.scalars(select(ClosedDate.day).where(ClosedDate.day >= start, ClosedDate.day <= end))
    return set(rows)


def choices(
    option: ShippingOption | None, now: datetime | None = None, closed: frozenset[date] | None = None
) -> list[DeliveryDay]:
    """The dates the order page offers for ``option`` (none without an option). ``closed``: the closed dates
    ahead, when the caller read them already (``calendar``)."""
    if option is None:
        return []
    now = now or utcnow()
    if closed is None:
        start = today(now)
        closed = closed_days(start, start + timedelta(days=HORIZON_DAYS))
    return open_days(option, now, roastery_zone(), closed)


@dataclass(frozen=True)
class Calendar:
    """What the order page reads of the calendar: the options offered, as listed, and the closed dates ahead."""

    options: list[ShippingOption]
    closed: frozenset[date]


# Built once (the order page runs it on every visit): the closed dates come along as one string on every
# option's row.
CALENDAR = (
    select(
        ShippingOption,
        select(func.aggregate_strings(cast(ClosedDate.day, String), ","))
        .where(ClosedDate.day >= bindparam("start"), ClosedDate.day <= bindparam("end"))
        .scalar_subquery(),
    )
    .where(ShippingOption.active)
    .order_by(ShippingOption.position, ShippingOption.name)
)


def calendar(now: datetime | None = None) -> Calendar:
    """The active shipping options with the closed dates of the next ``HORIZON_DAYS``, in one statement (none
    are needed when no option is offered)."""
    start = today(now)
    rows = db.session.execute(CALENDAR, {"start": start, "end": start + timedelta(days=HORIZON_DAYS)}).all()
    days = rows[0][1] if rows else None
    return Calendar(
        [option for option, _ in rows],
        frozenset(date.fromisoformat(day) for day in days.split(",")) if days else frozenset(),
    )


def preferred(offered: list[DeliveryDay], chosen: date | None, weekday: int | None) -> DeliveryDay | None:
    """The date to show chosen: ``chosen`` while it is still offered, else the first on ``weekday`` (the one
    the customer chose last time), else the first."""
    for candidate in offered:
        if candidate.day == chosen:
            return candidate
    for candidate in offered:
        if candidate.day.weekday() == weekday:
            return candidate
    return offered[0] if offered else None


def cutoff_of(order: Order) -> datetime | None:
    """When the customer can no longer change ``order``: the cut-off of its delivery date (None for an order
    without a date or an option, which only staff's review closes)."""
    if order.delivery_date is None or order.shipping_option is None:
        return None
    return delivery_day(order.shipping_option, order.delivery_date, roastery_zone()).cutoff


def past_cutoff(order: Order, now: datetime | None = None) -> bool:
    cutoff = cutoff_of(order)
    return cutoff is not None and cutoff <= (now or utcnow())


def closed(day: date, cutoff: datetime) -> str:
    """ "Orders for Tue 8 Dec closed at Sun 6 Dec, 17:00": how every refusal after a cut-off begins."""
    return f"Orders for {short_day(day)} closed at {local_moment(cutoff)}"


def not_offered(option: ShippingOption | None, day: date, now: datetime | None = None) -> str:
    """Why ``day`` is not among the dates offered for ``option``, as the customer is told."""
    if option is None:
        return "Choose how your order reaches you first, then a delivery date."
    cutoff = delivery_day(option, day, roastery_zone()).cutoff
    if day.weekday() in option.weekdays and cutoff <= (now or utcnow()):
        return f"{closed(day, cutoff)}. Please choose another delivery date."
    return (
        f"{option.name} does not deliver on {short_day(day)} any more. Please choose one of the dates listed."
    )


# --- Staff close and reopen dates ----------------------------------------------------------------------


def upcoming_closed_dates() -> list[ClosedDate]:
    return list(
        db.session.scalars(select(ClosedDate).where(ClosedDate.day >= today()).order_by(ClosedDate.day))
    )


def close_date(day: date, note: str) -> ClosedDate:
    """No option delivers on ``day``: it is no longer offered to customers. Orders already placed for it keep
    it (staff move them)."""
    if day < today():
        raise ServiceError("Choose a date from today on.", "day")
    if day > today() + timedelta(days=CLOSE_AHEAD_DAYS):
        raise ServiceError("Choose a date within two years.", "day")
    begin_writing()
    note = note.replace("\x00", "").strip()[:120]
    existing = db.session.scalar(select(ClosedDate).where(ClosedDate.day == day))
    if existing is not None:
        existing.note = note or existing.note
        db.session.commit()
        return existing
    closed = ClosedDate(day=day, note=note)
    db.session.add(closed)
    db.session.commit()
    return closed


def reopen_date(closed_id: int) -> None:
    begin_writing()
    db.session.execute(delete(ClosedDate).where(ClosedDate.id == closed_id))
    db.session.commit()
