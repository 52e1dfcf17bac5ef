"""The delivery calendar: the dates an option offers, their cut-offs and roast days, closed dates, and the
two daylight-saving weeks (Los Angeles, 2026: clocks go forward on Sun 8 March, back on Sun 1 November)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from wholesale.extensions import db
from wholesale.models import ClosedDate, ShippingOption
from wholesale.services import deliveries
from wholesale.services.errors import ServiceError

LA = ZoneInfo("America/Los_Angeles")
TUE, FRI = 1, 4


def van(**fields) -> ShippingOption:
    """Delivers Tuesday and Friday; orders close two days before at 17:00; roasted the day before."""
    option = ShippingOption(
        name="Roastery van", cutoff_days_before=2, cutoff_time=time(17), roast_days_before=1
    )
    option.weekdays = fields.pop("weekdays", (TUE, FRI))
    for name, value in fields.items():
        setattr(option, name, value)
    return option


def local(*args) -> datetime:
    """A wall-clock time in Los Angeles as a UTC instant (not in a gap or a repeated hour)."""
    return datetime(*args, tzinfo=LA).astimezone(UTC)


def days(found) -> list[date]:
    return [choice.day for choice in found]


SATURDAY_NOON = local(2026, 12, 5, 12)


def test_the_next_dates_are_the_options_weekdays_whose_cutoff_is_to_come():
    found = deliveries.open_days(van(), SATURDAY_NOON, LA, set(), count=4)
    assert days(found) == [date(2026, 12, 8), date(2026, 12, 11), date(2026, 12, 15), date(2026, 12, 18)]
    tuesday = found[0]
    assert tuesday.cutoff == local(2026, 12, 6, 17)  # Sunday 17:00, two days before
    assert tuesday.roast_day == date(2026, 12, 7)


def test_a_date_closes_at_its_cutoff_to_the_second():
    cutoff = local(2026, 12, 6, 17)
    assert days(deliveries.open_days(van(), cutoff - timedelta(seconds=1), LA, set()))[0] == date(2026, 12, 8)
    assert days(deliveries.open_days(van(), cutoff, LA, set()))[0] == date(2026, 12, 11)


def test_closed_dates_are_skipped_and_the_next_open_one_offered():
    found = deliveries.open_days(van(), SATURDAY_NOON, LA, {date(2026, 12, 8), date(2026, 12, 11)}, count=2)
    assert days(found) == [date(2026, 12, 15), date(2026, 12, 18)]


def test_same_day_cutoff_and_every_weekday():
    pickup = van(weekdays=range(7), cutoff_days_before=0, cutoff_time=time(9), roast_days_before=0)
    found = deliveries.open_days(pickup, local(2026, 12, 8, 8, 59), LA, set(), count=2)
    assert days(found) == [date(2026, 12, 8), date(2026, 12, 9)]
    assert found[0].roast_day == date(2026, 12, 8)
    assert days(deliveries.open_days(pickup, local(2026, 12, 8, 9), LA, set(), count=1)) == [
        date(2026, 12, 9)
    ]


def test_an_option_with_no_day_or_every_day_closed_offers_nothing():
    assert deliveries.open_days(van(weekdays=()), SATURDAY_NOON, LA, set()) == []
    every_day = {date(2026, 12, 5) + timedelta(days=n) for n in range(deliveries.HORIZON_DAYS)}
    assert deliveries.open_days(van(), SATURDAY_NOON, LA, every_day) == []


def test_the_spring_forward_week_closes_at_the_same_wall_time():
    """Sunday 8 March 2026 is 23 hours long: Tuesday's cut-off is 17:00 PDT, an hour less after the week
    before's 17:00 PST than seven whole days."""
    before = deliveries.open_days(van(), local(2026, 2, 28, 12), LA, set(), count=1)[0]
    during = deliveries.open_days(van(), local(2026, 3, 7, 12), LA, set(), count=1)[0]
    assert (before.day, during.day) == (date(2026, 3, 3), date(2026, 3, 10))
    assert before.cutoff == datetime(2026, 3, 2, 1, tzinfo=UTC)  # 17:00 PST is 01:00 UTC
    assert during.cutoff == datetime(2026, 3, 9, 0, tzinfo=UTC)  # 17:00 PDT is 00:00 UTC
    assert during.cutoff - before.cutoff == timedelta(days=7, hours=-1)
    # Offered until the wall clock reads 17:00 on that Sunday, not a UTC hour later or earlier.
    assert days(deliveries.open_days(van(), datetime(2026, 3, 8, 23, 59, tzinfo=UTC), LA, set()))[0] == date(
        2026, 3, 10
    )
    assert days(deliveries.open_days(van(), datetime(2026, 3, 9, 0, tzinfo=UTC), LA, set()))[0] == date(
        2026, 3, 13
    )


def test_a_cutoff_in_the_skipped_hour_is_when_the_clocks_jump():
    """02:30 does not exist on Sun 8 March in Los Angeles: orders close at 03:00 PDT, the moment it would be."""
    early = van(cutoff_time=time(2, 30))
    tuesday = deliveries.delivery_day(early, date(2026, 3, 10), LA)
    assert tuesday.cutoff == datetime(2026, 3, 8, 10, tzinfo=UTC)  # 03:00 PDT


def test_the_fall_back_week_closes_once_at_the_first_of_the_repeated_hour():
    """01:30 happens twice on Sun 1 November: orders close at the first, 01:30 PDT."""
    early = van(cutoff_time=time(1, 30))
    tuesday = deliveries.delivery_day(early, date(2026, 11, 3), LA)
    assert tuesday.cutoff == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    usual = deliveries.delivery_day(van(), date(2026, 11, 3), LA)
    assert usual.cutoff == datetime(2026, 11, 2, 1, tzinfo=UTC)  # 17:00 PST, the day clocks went back


@pytest.mark.parametrize(
    ("chosen", "weekday", "expected"),
    [
        (date(2026, 12, 11), None, date(2026, 12, 11)),  # still offered: kept
        (date(2026, 12, 4), FRI, date(2026, 12, 11)),  # gone: the next on the same weekday
        (None, FRI, date(2026, 12, 11)),  # the weekday chosen last time
        (None, None, date(2026, 12, 8)),  # else the first
        (None, 2, date(2026, 12, 8)),  # a weekday the option does not deliver on: the first
    ],
)
def test_the_date_shown_chosen(chosen, weekday, expected):
    offered = deliveries.open_days(van(), SATURDAY_NOON, LA, set())
    assert deliveries.preferred(offered, chosen, weekday).day == expected
    assert deliveries.preferred([], chosen, weekday) is None


# --- With the database: the roastery's zone and its closed dates ------------------------------------------


def test_choices_read_the_closed_dates_and_the_roasterys_zone(app):
    with app.app_context(), time_machine.travel(SATURDAY_NOON, tick=False):
        option = van()
        db.session.add(option)
        db.session.add(ClosedDate(day=date(2026, 12, 8), note="Staff day"))
        db.session.commit()
        assert deliveries.today() == date(2026, 12, 5)
        assert days(deliveries.choices(option))[:2] == [date(2026, 12, 11), date(2026, 12, 15)]
        assert deliveries.choices(None) == []


def test_staff_close_and_reopen_a_date(app):
    with app.app_context(), time_machine.travel(SATURDAY_NOON, tick=False):
        closed = deliveries.close_date(date(2026, 12, 25), " Christmas ")
        again = deliveries.close_date(date(2026, 12, 25), "")  # closing it twice keeps one row and its note
        assert again.id == closed.id and again.note == "Christmas"
        with pytest.raises(ServiceError, match="from today on"):
            deliveries.close_date(date(2026, 12, 4), "")
        with pytest.raises(ServiceError, match="within two years"):
            deliveries.close_date(date(2029, 1, 1), "")
        assert [c.day for c in deliveries.upcoming_closed_dates()] == [date(2026, 12, 25)]
        deliveries.reopen_date(closed.id)
        assert deliveries.upcoming_closed_dates() == []


@pytest.fixture
def saturday_noon():
    """The clock from before staff sign in (a session signed later than the requests carrying it is refused)."""
    with time_machine.travel(SATURDAY_NOON, tick=False):
        yield


def test_the_shipping_options_page_closes_and_reopens_dates(saturday_noon, app, staff_client, forms):
    response = forms.post(
        "/admin/shipping-options/closed-dates",
        {"closed-day": "2026-12-24", "closed-note": "Christmas Eve"},
    )
    assert response.status_code == 303
    page = staff_client.get("/admin/shipping-options").get_data(as_text=True)
    assert "Thu 24 Dec 2026" in page and "Christmas Eve" in page
    bad = forms.post("/admin/shipping-options/closed-dates", {"closed-day": "2026-12-01"})
    assert bad.status_code == 400 and "Choose a date from today on." in bad.get_data(as_text=True)
    bad = forms.post("/admin/shipping-options/closed-dates", {"closed-day": "24/12"})
    assert bad.status_code == 400 and "Not a valid date value." in bad.get_data(as_text=True)
    with app.app_context():
        closed_id = db.session.scalar(db.select(ClosedDate.id))
    response = forms.post(f"/admin/shipping-options/closed-dates/{closed_id}/remove", {})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(ClosedDate.id)) is None
    assert forms.post("/admin/shipping-options/closed-dates/999/remove", {}).status_code == 404
