"""Journey 4, the tick: each weekly reminder goes out once, at its exact instant, to the right people.

Every test freezes the clock; the instants are checked with the process time zone set to UTC and to
America/Los_Angeles (the tick must never read it).
"""

from __future__ import annotations

import time
from datetime import time as wall_time
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import update

from wholesale.extensions import db
from wholesale.models import Customer
from wholesale.services import orders, reminders
from wholesale.services.customers.links import verify

from .factories import make_catalog, make_customer, make_order
from .reminder_data import (
    LA,
    SUNDAY,
    answered_before,
    links_in,
    remind,
    reminder_emails,
    sends,
    tick,
    utc,
    visible_text,
)


@pytest.fixture(params=["UTC", "America/Los_Angeles"])
def process_timezone(request, monkeypatch):
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


# --- Exact instants, through daylight-saving nights ------------------------------------------------------

NIGHTS = {
    # name: [(customer, weekday, wall time, zone, the one UTC instant it is sent at)]
    "LA spring forward 2026-03-08": [("Blue Door Café", SUNDAY, wall_time(2), LA, utc(2026, 3, 8, 10))],
    "LA fall back 2026-11-01": [
        ("Blue Door Café", SUNDAY, wall_time(2), LA, utc(2026, 11, 1, 10)),
        ("Night Owl", SUNDAY, wall_time(1, 30), LA, utc(2026, 11, 1, 8, 30)),
    ],
    "LA spring forward 2027-03-14": [("Blue Door Café", SUNDAY, wall_time(2), LA, utc(2027, 3, 14, 10))],
    "LA ordinary week 2026-03-15": [("Blue Door Café", SUNDAY, wall_time(2), LA, utc(2026, 3, 15, 9))],
    "London summer Monday 09:00": [("Thames Deli", 0, wall_time(9), "Europe/London", utc(2026, 6, 15, 8))],
    "London spring forward, 01:30 does not exist": [
        ("Thames Deli", SUNDAY, wall_time(1, 30), "Europe/London", utc(2026, 3, 29, 1)),
    ],
    "Sydney DST starts, 02:00 does not exist": [
        ("Harbour Kiosk", SUNDAY, wall_time(2), "Australia/Sydney", utc(2026, 10, 3, 16)),
    ],
    "Sydney DST ends, 02:30 happens twice": [
        ("Harbour Kiosk", SUNDAY, wall_time(2, 30), "Australia/Sydney", utc(2026, 4, 4, 15, 30)),
    ],
}


@pytest.mark.parametrize("night", list(NIGHTS))
def test_ticks_every_ten_minutes_send_each_reminder_once_at_its_exact_instant(
    app_ctx, process_timezone, night
):
    expected = {}
    for name, weekday, at, zone, instant in NIGHTS[night]:
        customer = remind(name, weekday, at, zone)
        answered_before(customer, instant)
        expected[customer.id] = instant
    db.session.commit()

    for instant in sorted(set(expected.values())):
        for minutes in range(-180, 181, 10):  # three hours either side, as the scheduler would
            tick(instant + timedelta(minutes=minutes))

    for customer_id, instant in expected.items():
        [send] = [row for row in sends(customer_id) if row.occurrence_at > instant - timedelta(days=1)]
        assert (send.occurrence_at, send.created_at, send.outcome) == (instant, instant, "sent")
        [email] = reminder_emails(customer_id)
        assert email.created_at == instant


def test_a_tick_run_twice_or_again_later_sends_nothing_more(app_ctx):
    customer = remind("Blue Door Café", contacts=2)
    answered_before(customer, utc(2026, 3, 15, 9))
    db.session.commit()

    first = tick(utc(2026, 3, 15, 9, 1))
    again = tick(utc(2026, 3, 15, 9, 1))
    later = tick(utc(2026, 3, 15, 17))

    assert (first.sent, len(first.email_ids)) == (1, 2)
    assert (again.sent, again.email_ids, later.sent, later.email_ids) == (0, [], 0, [])
    assert len(reminder_emails()) == 2 and len(sends(customer.id)) == 2  # last week's and this week's


def test_nothing_is_sent_before_the_instant_or_to_customers_off_or_inactive(app_ctx):
    on = remind("Blue Door Café")
    off = remind("Corner Shop", reminders_enabled=False)
    gone = remind("Closed Café", active=False)
    for customer in (on, off, gone):
        answered_before(customer, utc(2026, 3, 15, 9))
    db.session.commit()

    assert tick(utc(2026, 3, 15, 8, 59, 59)).sent == 0
    assert tick(utc(2026, 3, 15, 9)).sent == 1

    assert {email.customer_id for email in reminder_emails()} == {on.id}


# --- Catching up after downtime --------------------------------------------------------------------------


def test_after_downtime_reminders_under_twelve_hours_late_are_sent_and_older_ones_skipped_with_a_reason(
    app_ctx, caplog
):
    late = remind("Blue Door Café")  # due Sun 09:00 UTC
    borderline = remind("Corner Shop", at=wall_time(1, 59))  # due Sun 08:59 UTC
    too_late = remind("Harbour Kiosk", weekday=5, at=wall_time(8))  # due Sat 15:00 UTC
    for customer, due in (
        (late, utc(2026, 3, 15, 9)),
        (borderline, utc(2026, 3, 15, 8, 59)),
        (too_late, utc(2026, 3, 14, 15)),
    ):
        answered_before(customer, due)
    db.session.commit()

    report = tick(utc(2026, 3, 15, 20, 59))  # the scheduler comes back at 13:59 PDT

    assert (report.sent, report.skipped) == (1, 2)
    assert [email.customer_id for email in reminder_emails()] == [late.id]
    [_, skipped] = sends(too_late.id)
    assert (skipped.outcome, skipped.occurrence_at) == ("skipped", utc(2026, 3, 14, 15))
    assert skipped.skip_reason.startswith("Not sent: it was due 1 day 5 hours before the reminder tick")
    assert sends(borderline.id)[-1].skip_reason.startswith("Not sent: it was due 12 hours before")
    logged = f"reminder of customer {too_late.id} due 2026-03-14 15:00:00+00:00 skipped. Not sent"
    assert logged in caplog.text

    caplog.clear()
    assert tick(utc(2026, 3, 15, 21, 1)).skipped == 0 and "skipped" not in caplog.text  # recorded once


def test_the_catch_up_window_is_a_setting(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_CATCH_UP_HOURS", 48)
    customer = remind("Harbour Kiosk", weekday=5, at=wall_time(8))
    answered_before(customer, utc(2026, 3, 14, 15))
    db.session.commit()

    assert tick(utc(2026, 3, 15, 20, 59)).sent == 1


def test_a_customer_with_nobody_to_remind_is_skipped_and_says_why(app_ctx):
    customer = remind("Blue Door Café", contacts=2)
    for contact in customer.contacts:
        contact.receives_reminders = False
    answered_before(customer, utc(2026, 3, 15, 9))
    db.session.commit()

    assert tick(utc(2026, 3, 15, 9)).skipped == 1

    assert reminder_emails() == []
    assert sends(customer.id)[-1].skip_reason == "Not sent: no contact of the customer gets the reminder."


# --- One bad customer stops nobody -----------------------------------------------------------------------


def test_a_customer_whose_reminder_cannot_be_written_stops_no_one_and_is_tried_again(
    app_ctx, monkeypatch, caplog
):
    customers = [remind(name) for name in ("Blue Door Café", "Broken Bistro", "Corner Shop")]
    for customer in customers:
        answered_before(customer, utc(2026, 3, 15, 9))
    db.session.commit()
    broken_id = customers[1].id
    write = reminders.dispatch.write_reminder_emails

    def failing_for_one(send_id, customer, *args):
        if customer.id == broken_id:
            raise RuntimeError("template exploded")
        return write(send_id, customer, *args)

    monkeypatch.setattr(reminders.dispatch, "write_reminder_emails", failing_for_one)
    report = tick(utc(2026, 3, 15, 9, 2))

    assert (report.sent, report.failed) == (2, [broken_id])
    assert {email.customer_id for email in reminder_emails()} == {customers[0].id, customers[2].id}
    assert len(sends(broken_id)) == 1  # this week's is not claimed: the next tick tries again
    assert "could not write the reminder of customer" in caplog.text and "template exploded" in caplog.text

    monkeypatch.setattr(reminders.dispatch, "write_reminder_emails", write)
    assert tick(utc(2026, 3, 15, 9, 4)).sent == 1
    assert len(reminder_emails(broken_id)) == 1


def test_a_customer_with_an_unknown_time_zone_is_logged_and_the_others_are_sent(app_ctx, caplog):
    good = remind("Blue Door Café")
    odd = remind("Odd Zone Café")
    answered_before(good, utc(2026, 3, 15, 9))
    db.session.execute(update(Customer).where(Customer.id == odd.id).values(reminder_timezone="Mars/Base"))
    db.session.commit()

    assert tick(utc(2026, 3, 15, 9)).sent == 1
    assert f"customer {odd.id} has an unknown reminder time zone 'Mars/Base'" in caplog.text


# --- The email ------------------------------------------------------------------------------------------


@pytest.fixture
def ordered_before(app_ctx):
    """Blue Door: three contacts (Kim does not get reminders) and an eight-line order from the week before."""
    variants = make_catalog(coffees=4)
    customer = remind("Blue Door Café", contacts=3)
    ana, bo, kim = customer.contacts
    ana.name, bo.name, kim.name = "Ana", "Bo", "Kim"
    kim.receives_reminders = False
    last = make_order(
        customer, [(variant, n + 1) for n, variant in enumerate(variants)], placed_at=utc(2026, 3, 10, 17)
    )
    make_order(customer, [(variants[0], 9)], status="cancelled", placed_at=utc(2026, 3, 12))
    answered_before(customer, utc(2026, 3, 15, 9))
    db.session.commit()
    return customer, last


def test_each_contact_who_gets_reminders_gets_their_own_email_with_the_last_order(app_ctx, ordered_before):
    customer, last = ordered_before

    tick(utc(2026, 3, 15, 9))

    emails = reminder_emails()
    assert [email.to_address for email in emails] == [customer.contacts[0].email, customer.contacts[1].email]
    [send] = [row for row in sends(customer.id) if row.occurrence_at == utc(2026, 3, 15, 9)]
    assert [email.dedupe_key for email in emails] == [
        f"reminder:{send.id}:{customer.contacts[0].id}",
        f"reminder:{send.id}:{customer.contacts[1].id}",
    ]
    ana = emails[0]
    assert ana.subject == "Your weekly order for Blue Door Café from Hillside Coffee Roasters"
    for body in (" ".join(ana.text_body.split()), visible_text(ana.html_body)):
        assert "Hello Ana," in body and "this week's coffee order for Blue Door Café" in body
        assert f"Your last order, {last.number} (Tue 10 Mar 2026, 10:00 PDT)" in body
        assert "1 × Coffee 00, 340 g bag" in body and "6 × Coffee 02, 5 lb bag" in body
        assert "7 × Coffee 03, 340 g bag" not in body and "and 2 more" in body
        assert "9 × " not in body  # the cancelled order is not the last order
        assert "works until Sun 22 Mar 2026, 14:00 PDT" in body
    assert links_in(ana.text_body) == links_in(unescape(ana.html_body))  # the plain-text twin has both links
    assert "Hello Bo," in emails[1].text_body and links_in(emails[1].text_body) != links_in(ana.text_body)


def test_a_customer_who_never_ordered_is_invited_to_pick_coffees(app_ctx):
    customer = remind("New Café")
    answered_before(customer, utc(2026, 3, 15, 9))
    db.session.commit()

    tick(utc(2026, 3, 15, 9))

    [email] = reminder_emails()
    assert "Pick your coffees" in email.text_body and "Your last order" not in email.text_body


def test_the_link_signs_the_contact_in_until_the_next_reminder_has_had_time_to_arrive(
    app, app_ctx, ordered_before
):
    customer, _ = ordered_before
    tick(utc(2026, 3, 15, 9))
    order_link, _ = links_in(reminder_emails()[0].text_body)
    token = order_link.removeprefix("/link/")
    next_reminder = utc(2026, 3, 22, 9)

    last_second = next_reminder + timedelta(hours=12) - timedelta(seconds=1)
    assert verify(token, now=last_second).id == customer.contacts[0].id
    with pytest.raises(Exception, match="expired"):
        verify(token, now=next_reminder + timedelta(hours=12))

    client = app.test_client()
    with time_machine.travel(utc(2026, 3, 16, 7), tick=False):
        response = client.get(order_link)
        assert response.status_code == 303 and response.headers["Location"] == "/order"
        with client.session_transaction() as session:
            assert session["contact_id"] == customer.contacts[0].id
        assert "Blue Door Café" in client.get("/order").get_data(as_text=True)


def test_the_last_order_of_many_customers_is_the_one_drafts_picks(app_ctx):
    variants = make_catalog(coffees=1)
    plain, staffed, cancelled, draft_only = (make_customer(name) for name in ("A", "B", "C", "D"))
    make_order(plain, [(variants[0], 1)], placed_at=utc(2026, 3, 1))
    make_order(plain, [(variants[1], 2)], placed_at=utc(2026, 3, 8))
    make_order(staffed, [(variants[0], 3)], placed_at=utc(2026, 3, 2))
    make_order(staffed, [(variants[0], 4)], channel="staff", status="approved", placed_at=utc(2026, 3, 9))
    make_order(cancelled, [(variants[0], 5)], placed_at=utc(2026, 3, 1))
    make_order(cancelled, [(variants[1], 6)], status="cancelled", placed_at=utc(2026, 3, 9))
    make_order(draft_only, [(variants[0], 7)], status="draft")
    db.session.commit()
    customers = [plain, staffed, cancelled, draft_only]

    found = orders.drafts.last_orders([customer.id for customer in customers])

    for customer in customers:
        expected = orders.drafts.last_order(customer)
        assert (found.get(customer.id) and found[customer.id].id) == (expected and expected.id)
    assert [line.quantity for line in found[plain.id].lines] == [2] and draft_only.id not in found
    assert found[staffed.id].channel == "staff"


# --- Moving the schedule ------------------------------------------------------------------------------


def test_moving_the_reminder_later_on_the_day_it_was_sent_sends_no_second_one(app_ctx):
    """Sunday 02:00 Los Angeles (09:00 UTC in March) went out; staff then move it to 10:00 the same day. That
    week is answered: 10:00 is skipped with the reason, and the next Sunday follows the new time."""
    customer = remind("Blue Door Café")
    answered_before(customer, utc(2026, 3, 15, 9))
    db.session.commit()
    assert tick(utc(2026, 3, 15, 9, 1)).sent == 1

    customer.reminder_time = wall_time(10)
    db.session.commit()
    moved = tick(utc(2026, 3, 15, 17, 1))  # 10:01 Los Angeles
    assert (moved.sent, moved.skipped) == (0, 1)
    assert "this week's reminder went out 8 hours before" in sends(customer.id)[-1].skip_reason
    assert len(reminder_emails()) == 1

    assert tick(utc(2026, 3, 22, 17, 1)).sent == 1  # the next Sunday, at the new time
    assert len(reminder_emails()) == 2


def test_moving_the_weekday_ahead_waits_for_the_next_week(app_ctx):
    customer = remind("Blue Door Café")  # Sunday
    answered_before(customer, utc(2026, 3, 15, 9))
    db.session.commit()
    assert tick(utc(2026, 3, 15, 9, 1)).sent == 1

    customer.reminder_weekday = 2  # Wednesday: three days after Sunday's went out
    db.session.commit()
    assert tick(utc(2026, 3, 18, 9, 1)).skipped == 1
    assert tick(utc(2026, 3, 25, 9, 1)).sent == 1  # ten days after Sunday's: a new week
    assert len(reminder_emails()) == 2
