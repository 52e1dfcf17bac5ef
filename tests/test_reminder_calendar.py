"""The reminder calendar gives exact UTC instants, whatever the process time zone and across every DST change.

Each case freezes the clock the day before a reminder and asks when the next one is due, with the process
time zone set to UTC and then to America/Los_Angeles: the answer never depends on where the server runs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from wholesale.models import utcnow
from wholesale.services.reminders.calendar import (
    Schedule,
    describe_delay,
    latest_occurrence,
    next_occurrence,
    wall_clock,
)
from wholesale.services.zones import occurrence_on

UTC = UTC
SUNDAY, MONDAY = 6, 0

# Pure calendar arithmetic: one pass of `make test` is enough (setup.cfg).
pytestmark = pytest.mark.db_independent


def utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


@pytest.fixture(params=["UTC", "America/Los_Angeles"])
def process_timezone(request, monkeypatch):
    """The server's own time zone (TZ), which nothing in the calendar may read."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    assert time.localtime(0).tm_hour == (0 if request.param == "UTC" else 16)  # really switched
    yield request.param
    monkeypatch.undo()
    time.tzset()


LA, LONDON, SYDNEY = "America/Los_Angeles", "Europe/London", "Australia/Sydney"


def case(what: str, weekday: int, at: wall_time, zone: str, expected: datetime, reads: str):
    """A schedule, the exact UTC instant it is due at, and how that reads on the customer's clocks."""
    return pytest.param(Schedule.of(weekday, at, zone), expected, reads, id=what)


CASES = [
    case(
        "LA spring forward 2026: 02:00 does not exist, sent at 03:00 PDT",
        SUNDAY,
        wall_time(2),
        LA,
        utc(2026, 3, 8, 10),
        "Sun 08 Mar 2026, 03:00 PDT",
    ),
    case(
        "LA fall back 2026: 02:00 happens once, in PST",
        SUNDAY,
        wall_time(2),
        LA,
        utc(2026, 11, 1, 10),
        "Sun 01 Nov 2026, 02:00 PST",
    ),
    case(
        "LA fall back 2026: 01:30 happens twice, sent at the first (PDT)",
        SUNDAY,
        wall_time(1, 30),
        LA,
        utc(2026, 11, 1, 8, 30),
        "Sun 01 Nov 2026, 01:30 PDT",
    ),
    case(
        "LA spring forward 2027", SUNDAY, wall_time(2), LA, utc(2027, 3, 14, 10), "Sun 14 Mar 2027, 03:00 PDT"
    ),
    case(
        "LA spring forward 2026: 02:30 is in the gap too, sent when the clocks jump",
        SUNDAY,
        wall_time(2, 30),
        LA,
        utc(2026, 3, 8, 10),
        "Sun 08 Mar 2026, 03:00 PDT",
    ),
    case(
        "LA ordinary summer week", SUNDAY, wall_time(2), LA, utc(2026, 3, 15, 9), "Sun 15 Mar 2026, 02:00 PDT"
    ),
    case(
        "LA ordinary winter week",
        SUNDAY,
        wall_time(2),
        LA,
        utc(2026, 1, 11, 10),
        "Sun 11 Jan 2026, 02:00 PST",
    ),
    case(
        "London winter Monday 09:00",
        MONDAY,
        wall_time(9),
        LONDON,
        utc(2026, 1, 12, 9),
        "Mon 12 Jan 2026, 09:00 GMT",
    ),
    case(
        "London summer Monday 09:00",
        MONDAY,
        wall_time(9),
        LONDON,
        utc(2026, 6, 15, 8),
        "Mon 15 Jun 2026, 09:00 BST",
    ),
    case(
        "London spring forward: 01:30 does not exist, sent at 02:00 BST",
        SUNDAY,
        wall_time(1, 30),
        LONDON,
        utc(2026, 3, 29, 1),
        "Sun 29 Mar 2026, 02:00 BST",
    ),
    case(
        "London fall back: 01:30 happens twice, sent at the first (BST)",
        SUNDAY,
        wall_time(1, 30),
        LONDON,
        utc(2026, 10, 25, 0, 30),
        "Sun 25 Oct 2026, 01:30 BST",
    ),
    case(
        "Sydney winter Sunday 02:00 is Saturday 16:00 UTC",
        SUNDAY,
        wall_time(2),
        SYDNEY,
        utc(2026, 7, 4, 16),
        "Sun 05 Jul 2026, 02:00 AEST",
    ),
    case(
        "Sydney DST ends: 02:30 happens twice, sent at the first (AEDT)",
        SUNDAY,
        wall_time(2, 30),
        SYDNEY,
        utc(2026, 4, 4, 15, 30),
        "Sun 05 Apr 2026, 02:30 AEDT",
    ),
    case(
        "Sydney DST starts: 02:00 does not exist, sent at 03:00 AEDT",
        SUNDAY,
        wall_time(2),
        SYDNEY,
        utc(2026, 10, 3, 16),
        "Sun 04 Oct 2026, 03:00 AEDT",
    ),
]


@pytest.mark.parametrize(("schedule", "expected", "reads"), CASES)
def test_the_next_reminder_is_due_at_the_exact_utc_instant(process_timezone, schedule, expected, reads):
    with time_machine.travel(expected - timedelta(hours=20), tick=False):  # the day before
        due = next_occurrence(schedule, utcnow())

    assert due == expected and due.tzinfo == UTC
    assert wall_clock(due, schedule.zone.key) == reads


@pytest.mark.parametrize(("schedule", "expected", "reads"), CASES)
def test_at_that_instant_it_is_the_latest_occurrence_and_a_second_earlier_it_is_not(
    process_timezone, schedule, expected, reads
):
    with time_machine.travel(expected, tick=False):
        assert latest_occurrence(schedule, utcnow()) == expected
    with time_machine.travel(expected - timedelta(seconds=1), tick=False):
        assert latest_occurrence(schedule, utcnow()) < expected - timedelta(days=6)  # last week's
        assert next_occurrence(schedule, utcnow()) == expected


def test_a_whole_fall_back_night_holds_one_occurrence_for_a_repeated_time(process_timezone):
    """Minute by minute through the night the clocks go back, the 01:30 reminder is due once, not twice."""
    plan = Schedule.of(SUNDAY, wall_time(1, 30), LA)
    minutes = [utc(2026, 11, 1, 6) + timedelta(minutes=n) for n in range(6 * 60)]
    seen = {latest_occurrence(plan, minute) for minute in minutes}

    assert seen == {utc(2026, 10, 25, 8, 30), utc(2026, 11, 1, 8, 30)}


def test_the_occurrence_on_a_day_is_the_wall_time_in_the_zone():
    zone = ZoneInfo(LA)
    assert occurrence_on(datetime(2026, 3, 8).date(), wall_time(2), zone) == utc(2026, 3, 8, 10)
    assert occurrence_on(datetime(2026, 3, 8).date(), wall_time(3), zone) == utc(2026, 3, 8, 10)
    assert occurrence_on(datetime(2026, 3, 8).date(), wall_time(1, 59), zone) == utc(2026, 3, 8, 9, 59)


def test_an_unknown_zone_is_refused():
    with pytest.raises(KeyError):
        Schedule.of(SUNDAY, wall_time(2), "Mars/Olympus_Mons")


ZONES = [
    LA,
    LONDON,
    SYDNEY,
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
    "UTC",
]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    at=st.times(),
    now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)),
)
def test_every_schedule_has_one_occurrence_a_week_on_its_day_at_its_time(zone, weekday, at, now):
    plan = Schedule.of(weekday, at.replace(microsecond=0), zone)
    now = now.replace(tzinfo=UTC)
    latest, upcoming = latest_occurrence(plan, now), next_occurrence(plan, now)

    assert latest <= now < upcoming
    assert next_occurrence(plan, latest) == upcoming and latest_occurrence(plan, upcoming) == upcoming
    assert abs(upcoming - latest - timedelta(days=7)) <= timedelta(hours=2)  # a week, give or take DST
    for instant in (latest, upcoming):
        local = instant.astimezone(ZoneInfo(zone))
        assert local.weekday() == weekday
        wall = datetime.combine(local.date(), plan.at)
        if local.replace(tzinfo=None) != wall:  # that wall time did not exist: due as the clocks jumped
            just_before = (instant - timedelta(seconds=1)).astimezone(ZoneInfo(zone))
            assert local.replace(tzinfo=None) > wall > just_before.replace(tzinfo=None)
            assert just_before.utcoffset() != local.utcoffset()


def test_delays_read_in_words():
    assert describe_delay(timedelta(hours=12)) == "12 hours"
    assert describe_delay(timedelta(days=1, hours=6, minutes=5)) == "1 day 6 hours"
    assert describe_delay(timedelta(minutes=1)) == "1 minute"
    assert describe_delay(timedelta(seconds=20)) == "0 minutes"
