"""When a standing order delivers, and when each delivery is previewed and placed.

A standing order delivers on ``first_delivery`` and every ``every_weeks`` weeks after it, never before
``paused_until``. Each delivery is placed at its cut-off, the one its shipping option sets for that date
(``deliveries.delivery_day``), and previewed ``STANDING_PREVIEW_HOURS`` before it. A date the roastery closed,
or one the option no longer delivers on, is not delivered: the tick records it as skipped, with the reason.

Pure apart from the settings: dates and the option in, dates out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from ...formatting import short_day
from ...models import StandingOrder
from .. import settings
from ..deliveries import DeliveryDay, delivery_day

# How far ahead the pages look for a standing order's next delivery (a paused one may restart months on).
HORIZON_DAYS = 400


def preview_window() -> timedelta:
    """How long before a delivery's cut-off its preview email goes out."""
    return timedelta(hours=settings.get("STANDING_PREVIEW_HOURS"))


def catch_up_window() -> timedelta:
    """How late after its cut-off a tick still places a delivery (the scheduler was down): the reminders'."""
    return timedelta(hours=current_app.config["REMINDER_CATCH_UP_HOURS"])


def on_schedule(standing: StandingOrder, day: date) -> bool:
    """Whether ``standing`` delivers on ``day`` (ignoring closed dates and the option's weekdays)."""
    if standing.stopped or day < standing.first_delivery:
        return False
    if standing.paused_until is not None and day < standing.paused_until:
        return False
    return (day - standing.first_delivery).days % (7 * standing.every_weeks) == 0


def dates_from(standing: StandingOrder, start: date, end: date) -> list[date]:
    """The dates ``standing`` delivers on from ``start`` to ``end``, both included."""
    if standing.stopped:
        return []
    step = 7 * standing.every_weeks
    begin = max(start, standing.first_delivery, standing.paused_until or start)
    ahead = (begin - standing.first_delivery).days
    day = standing.first_delivery + timedelta(days=-(-ahead // step) * step)
    found = []
    while day <= end:
        found.append(day)
        day += timedelta(days=step)
    return found


def why_not_delivered(standing: StandingOrder, day: date, closed: frozenset[date] | set[date]) -> str:
    """Why a date on the schedule gets no delivery ("" when it does): the roastery closed it, or the option
    no longer delivers then."""
    option = standing.shipping_option
    if day in closed:
        return f"The roastery is closed on {short_day(day)}."
    if not option.active:
        return f"{option.name} is no longer offered; choose another delivery option for this standing order."
    if day.weekday() not in option.weekdays:
        return f"{option.name} no longer delivers on {day.strftime('%A')}s; choose another day or option."
    return ""


@dataclass(frozen=True)
class Delivery:
    """One date on a standing order's schedule: when it is previewed and placed, and why it is not delivered
    ("" when it is)."""

    standing_order_id: int
    day: date
    cutoff: datetime
    roast_day: date
    preview_at: datetime
    not_delivered: str

    @property
    def calendar_day(self) -> DeliveryDay:
        return DeliveryDay(self.day, self.cutoff, self.roast_day)


def delivery(standing: StandingOrder, day: date, zone: ZoneInfo, closed) -> Delivery:
    at = delivery_day(standing.shipping_option, day, zone)
    return Delivery(
        standing.id,
        day,
        at.cutoff,
        at.roast_day,
        at.cutoff - preview_window(),
        why_not_delivered(standing, day, closed),
    )


def upcoming(
    standing: StandingOrder, now: datetime, zone: ZoneInfo, closed, count: int = 1
) -> list[Delivery]:
    """The next ``count`` deliveries whose cut-off is still ahead, closed dates included (with the reason)."""
    first = now.astimezone(zone).date()
    found = []
    for day in dates_from(standing, first, first + timedelta(days=HORIZON_DAYS)):
        candidate = delivery(standing, day, zone, closed)
        if candidate.cutoff > now:
            found.append(candidate)
            if len(found) == count:
                break
    return found


def next_placement(standing: StandingOrder, now: datetime, zone: ZoneInfo, closed) -> Delivery | None:
    """The next delivery that will be placed (closed dates passed over); None when stopped or none ahead."""
    for candidate in upcoming(standing, now, zone, closed, count=12):
        if not candidate.not_delivered:
            return candidate
    return None


def due(standing: StandingOrder, now: datetime, zone: ZoneInfo, closed) -> list[Delivery]:
    """The deliveries a tick at ``now`` has something to do for: previewed by now (cut-off less than the
    preview window ahead) and not more than the catch-up window past their cut-off, plus any just past it
    (recorded as skipped, too late). Oldest first."""
    option = standing.shipping_option
    today = now.astimezone(zone).date()
    lookahead = option.cutoff_days_before + preview_window().days + 2
    found = []
    for day in dates_from(standing, today - timedelta(days=2), today + timedelta(days=lookahead)):
        candidate = delivery(standing, day, zone, closed)
        if candidate.preview_at <= now:
            found.append(candidate)
    return found
