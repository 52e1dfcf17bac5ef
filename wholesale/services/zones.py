"""Wall-clock times in IANA zones as exact UTC instants, with the two daylight-saving cases decided once.

- A wall time that does not exist (02:00 on the spring-forward Sunday in Los Angeles) is read as the first
  instant after it, the moment the clocks jump (03:00 PDT): 02:00 and 02:30 both become 03:00.
- A wall time that happens twice (01:30 on the fall-back Sunday) is read as the first of the two, and only
  that: a day has one occurrence, so the repeated hour cannot make a second.

Weekly reminders and delivery cut-offs are both read through here. Pure: no database, no clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones


def occurrence_on(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``zone`` (see the module's two DST rules)."""
    wall = datetime.combine(day, at.replace(tzinfo=None))
    # fold=0: the first of a repeated wall time; a wall time in a gap is read with the offset before the jump.
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant the clocks jumped over ``wall``, a wall time that does not exist in ``zone``.

    Read with the offset before the jump and with the one after, ``wall`` gives two instants that bracket
    the jump; zoneinfo does not expose its transitions, so find it by halving (transitions fall on whole
    seconds, and a gap is at most a day: about 17 steps).
    """
    readings = (wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1))
    low, high = sorted(int(reading.timestamp()) for reading in readings)
    offset_after = datetime.fromtimestamp(high, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """The IANA zones to choose from, sorted: regions' zones ("Europe/London") and UTC, without the old
    aliases kept for compatibility ("US/Pacific", "Etc/GMT+8")."""
    regional = (name for name in available_timezones() if "/" in name and name.split("/")[0] not in _ALIASES)
    return tuple(sorted([*regional, "UTC"]))


_ALIASES = {"Etc", "SystemV", "US", "Brazil", "Canada", "Chile", "Mexico"}


@lru_cache(maxsize=1)
def _zones_by_lowercase_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def canonical_timezone(name: str | None) -> str | None:
    """The IANA name as zoneinfo spells it ('america/new_york' → 'America/New_York'), or None if unknown."""
    if not name:
        return None
    return _zones_by_lowercase_name().get(name.strip().lower())
