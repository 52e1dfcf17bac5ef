"""Wall-clock times in IANA zones as exact UTC instants, with the two daylight-saving cases decided once.

- A wall time that does not exist (02:00 on the spring-forward Sunday in Los Angeles) is read as the first
  instant after it, the moment the clocks jump (03:00 PDT): 02:00 and 02:30 both become 03:00.
- A wall time that happens twice (01:30 on the fall-back Sunday) is read as the first of the two, and only
  that: a day has one occurrence, so the repeated hour cannot make a second.

Weekly reminders and delivery cut-offs are both read through here. Pure: no database, no clock.

The zones one may choose (``zone_names``) and the check of a typed one (``canonical_timezone``) live here too,
so every form that takes a time zone offers and accepts the same list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

# The tz database's areas: every current zone is named <area>/<place> in one of them. Names outside them
# (US/Pacific, Canada/Eastern, Etc/GMT+5, EST5EDT, Japan) are older aliases and fixed offsets kept for
# compatibility, each the same clock as a zone in the list; UTC is offered by its own name.
AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA time zone one may choose, sorted: those of the tz database's areas, and UTC."""
    names = {name for name in available_timezones() if name.partition("/")[0] in AREAS and "/" in name}
    return tuple(sorted(names | {"UTC"}))


@lru_cache(maxsize=1)
def _zone_names_by_lowercase() -> dict[str, str]:
    return {name.lower(): name for name in zone_names()}


def canonical_timezone(name: str | None) -> str | None:
    """The zone of ``zone_names`` that ``name`` is, spelt as there ('america/new_york' → 'America/New_York'),
    or None when it is none of them."""
    if not name:
        return None
    return _zone_names_by_lowercase().get(name.strip().lower())


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
