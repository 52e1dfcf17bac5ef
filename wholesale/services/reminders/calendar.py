"""The weekly reminder calendar: when a customer's reminder is due, as exact UTC instants.

Pure: no database, no clock, and never the process time zone. Every function takes aware instants and
answers in UTC. A schedule is a weekday, a wall-clock time and an IANA zone; its occurrence on a day is that
wall time in that zone, read by ``zones.occurrence_on`` (which decides the two daylight-saving cases, once,
for reminders and delivery cut-offs alike).

rq-scheduler's ``cron()`` reads the process time zone, which is why none of this is left to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..zones import occurrence_on

UTC = UTC
# UTC offsets differ by at most 26 hours, so the occurrence for a local date is within a day of it, and a
# weekly occurrence is always found within this many days of any instant.
_SEARCH_DAYS = 8


@dataclass(frozen=True)
class Schedule:
    """A weekly reminder: ``weekday`` (Monday=0 … Sunday=6) at wall-clock ``at`` in ``zone``."""

    weekday: int
    at: time
    zone: ZoneInfo

    @classmethod
    def of(cls, weekday: int, at: time, zone_name: str) -> Schedule:
        """Raises ``zoneinfo.ZoneInfoNotFoundError`` (a ``KeyError``) for a zone the system does not know."""
        return cls(weekday, at.replace(tzinfo=None), ZoneInfo(zone_name))


def _candidates(schedule: Schedule, around: datetime) -> list[datetime]:
    """The schedule's occurrences on the local dates within ``_SEARCH_DAYS`` of ``around``, in order."""
    local_day = around.astimezone(schedule.zone).date()
    days = (local_day + timedelta(days=n) for n in range(-_SEARCH_DAYS, _SEARCH_DAYS + 1))
    return [
        occurrence_on(day, schedule.at, schedule.zone) for day in days if day.weekday() == schedule.weekday
    ]


def latest_occurrence(schedule: Schedule, now: datetime) -> datetime:
    """The most recent occurrence at or before ``now`` (UTC)."""
    return max(instant for instant in _candidates(schedule, now) if instant <= now)


def next_occurrence(schedule: Schedule, after: datetime) -> datetime:
    """The first occurrence strictly after ``after`` (UTC)."""
    return min(instant for instant in _candidates(schedule, after) if instant > after)


# --- How instants and delays read ------------------------------------------------------------------------


def wall_clock(instant: datetime, zone_name: str) -> str:
    """``instant`` on the clocks of ``zone_name``, with its abbreviation: "Sun 08 Mar 2026, 03:00 PDT"."""
    return instant.astimezone(ZoneInfo(zone_name)).strftime("%a %d %b %Y, %H:%M %Z")


def describe_delay(delay: timedelta) -> str:
    """A delay in words, to the minute: "2 days 3 hours", "12 hours", "5 minutes"."""
    minutes = max(0, int(delay.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    units = ((days, "day"), (hours, "hour"), (minutes, "minute"))
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in units if n]
    return " ".join(parts[:2]) or "0 minutes"
