"""A delivery week: Monday to Sunday on the roastery's calendar, and the one the week board opens on.

The board opens on the *next delivery week*: the week holding the earliest delivery date any active shipping
option still takes orders for (its cut-off is ahead), so on a Monday morning, with Tuesday's deliveries
still open, it is this week, and on a Friday evening it is next week. A roastery with no option offering a
date opens on the current week.

A reminder answers a week when it went out (its occurrence) from the Monday before the week to the week's
end: the Sunday reminder just before the week, a "send now" during it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ...formatting import short_day
from ...models import utcnow
from .. import deliveries
from ..zones import occurrence_on

REMINDED_MEANS = (
    "Reminded: a weekly reminder (or one staff sent now) went out from the Monday before the week to its "
    "end; “no order this week” is the answer to the latest of them."
)
# How far from today staff may look (a forged or mistyped week is refused, not computed).
REACH = timedelta(days=366)


@dataclass(frozen=True)
class Week:
    start: date  # a Monday

    @classmethod
    def containing(cls, day: date) -> Week:
        return cls(day - timedelta(days=day.weekday()))

    @property
    def end(self) -> date:
        """The Sunday, the week's last day (included)."""
        return self.start + timedelta(days=6)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(7)]

    @property
    def after(self) -> Week:
        return Week(self.start + timedelta(days=7))

    @property
    def before(self) -> Week:
        return Week(self.start - timedelta(days=7))

    def begins_at(self) -> datetime:
        """Monday, 00:00 roastery time."""
        return _midnight(self.start)

    def reminders_from(self) -> datetime:
        """The first instant a reminder for this week may go out: the Monday before, 00:00 roastery time."""
        return _midnight(self.before.start)

    def reminders_until(self) -> datetime:
        """The instant the week ends (exclusive): the next Monday, 00:00 roastery time."""
        return _midnight(self.after.start)

    def label(self) -> str:
        """ "Mon 7 Dec – Sun 13 Dec 2026"."""
        return f"{short_day(self.start)} – {short_day(self.end)} {self.end.year}"


def _midnight(day: date) -> datetime:
    return occurrence_on(day, time(0, 0), deliveries.roastery_zone())


def next_delivery_week(calendar: deliveries.Calendar, now: datetime | None = None) -> Week:
    """The week of the earliest date an active option still takes orders for; this week when there is none."""
    now = now or utcnow()
    firsts = [
        offered[0].day
        for option in calendar.options
        if (offered := deliveries.choices(option, now, calendar.closed))
    ]
    return Week.containing(min(firsts, default=deliveries.today(now)))


def within_reach(week: Week, now: datetime | None = None) -> bool:
    return abs(week.start - deliveries.today(now)) <= REACH
