"""Standing orders, the tick: each delivery previewed once before its cut-off and placed once at it, at
today's prices; skipped, with the reason, when skipped ahead, ordered already, closed, or found too late.

The van delivers Tuesday and Friday; orders for Tue 8 Dec 2026 close on Sun 6 Dec at 17:00 in Los Angeles,
and its preview goes out 48 hours before (Fri 4 Dec, 17:00).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import ClosedDate, ReminderSend, utcnow
from wholesale.models.standing import PLACED, SKIPPED
from wholesale.services import reminders
from wholesale.services.customers import links
from wholesale.services.errors import ServiceError
from wholesale.services.standing import schedule, skips

from .factories import make_catalog, make_customer, make_order, sign_in_contact
from .reminder_data import LINK, tick, visible_text
from .standing_data import (
    CUTOFF,
    LA,
    PREVIEW,
    TUESDAY,
    deliveries_of,
    emails_of,
    local,
    make_standing,
    make_van,
    run_tick,
    standing_orders_placed,
)

SECOND = timedelta(seconds=1)


@pytest.fixture
def shop(app_ctx):
    variants = make_catalog(coffees=2)
    van = make_van()
    customer = make_customer("Hillside Café", contacts=2)
    customer.contacts[1].receives_reminders = False
    standing = make_standing(customer, van, [(variants[0], 3), (variants[1], 1)])
    db.session.commit()
    return customer, standing, variants, van


# --- The schedule -----------------------------------------------------------------------------------------


def test_every_two_weeks_from_the_first_delivery_and_none_while_paused(shop):
    customer, standing, variants, van = shop
    standing.every_weeks = 2
    assert schedule.dates_from(standing, date(2026, 12, 1), date(2027, 1, 10)) == [
        date(2026, 12, 8),
        date(2026, 12, 22),
        date(2027, 1, 5),
    ]
    standing.paused_until = date(2026, 12, 20)
    assert schedule.dates_from(standing, date(2026, 12, 1), date(2027, 1, 10)) == [
        date(2026, 12, 22),
        date(2027, 1, 5),
    ]
    assert not schedule.on_schedule(standing, date(2026, 12, 15))
    standing.stopped_at = utcnow()
    assert schedule.dates_from(standing, date(2026, 12, 1), date(2027, 1, 10)) == []


def test_the_next_placement_passes_over_a_closed_date(shop):
    customer, standing, variants, van = shop
    found = schedule.next_placement(standing, PREVIEW, LA, {TUESDAY})
    assert found.day == date(2026, 12, 15)
    assert (
        schedule.upcoming(standing, PREVIEW, LA, {TUESDAY})[0].not_delivered
        == "The roastery is closed on Tue 8 Dec."
    )


# --- The preview ------------------------------------------------------------------------------------------


def test_the_preview_goes_once_at_48_hours_before_the_cutoff_to_contacts_who_get_reminders(shop):
    customer, standing, variants, van = shop
    assert run_tick(PREVIEW - SECOND).previewed == 0
    assert emails_of("standing_preview") == []
    report = run_tick(PREVIEW)
    assert report.previewed == 1
    run_tick(PREVIEW + timedelta(minutes=2))
    run_tick(CUTOFF - SECOND)
    emails = emails_of("standing_preview")
    assert [email.to_address for email in emails] == [customer.contacts[0].email]
    text = emails[0].text_body
    assert "places itself at Sun 6 Dec, 17:00 for delivery on Tue 8 Dec by Roastery van" in text
    assert f"3 × {variants[0].label}" in text and f"1 × {variants[1].label}" in text
    assert "Items: $125.50 at today's prices" in text  # 3 × 14.50 + 82.00
    assert "Sun 6 Dec, 17:00" in visible_text(emails[0].html_body)
    assert deliveries_of(standing)[0].previewed_at is not None
    assert standing_orders_placed(customer) == []


def test_the_previews_links_change_skip_and_sign_in(shop, client):
    customer, standing, variants, van = shop
    run_tick(PREVIEW)
    body = emails_of("standing_preview")[0].text_body
    found = LINK.findall(body)
    skip = next(url for url in found if "/skip/" in url)
    change = next(url for url in found if url.endswith("?to=standing"))
    sign_in = next(url for url in found if url.count("/") == 2 and "?" not in url)  # /link/<token>
    # Read when the preview is sent (the links last until a week after the cut-off, not for ever).
    assert links.verify(sign_in.split("/link/")[1], now=PREVIEW).id == customer.contacts[0].id
    assert links.verify(change.split("/link/")[1].split("?")[0], now=PREVIEW).id == customer.contacts[0].id
    delivery = deliveries_of(standing)[0]
    assert skip.endswith(f"/skip/{delivery.id}")
    token = skip.split("/link/")[1].split("/")[0]
    found_link = skips.read_skip_link(delivery.id, token, now=PREVIEW)
    assert found_link.delivery.id == delivery.id and found_link.contact.id == customer.contacts[0].id
    with pytest.raises(links.LinkError):  # the link works until the cut-off
        skips.read_skip_link(delivery.id, token, now=CUTOFF + SECOND)


def test_a_skip_link_names_one_delivery_of_the_contacts_own_customer(shop):
    customer, standing, variants, van = shop
    other = make_customer("Other Café")
    theirs = make_standing(other, van, [(variants[0], 1)])
    db.session.commit()
    run_tick(PREVIEW)
    mine, other_delivery = deliveries_of(standing)[0], deliveries_of(theirs)[0]
    token = links.make_token(customer.contacts[0], skips.skip_purpose(mine.id), CUTOFF)
    assert skips.read_skip_link(mine.id, token, now=PREVIEW).delivery.id == mine.id
    with pytest.raises(links.LinkError):  # the token is bound to its delivery's id
        skips.read_skip_link(other_delivery.id, token, now=PREVIEW)
    forged = links.make_token(customer.contacts[0], skips.skip_purpose(other_delivery.id), CUTOFF)
    with pytest.raises(links.LinkError):  # and to the contact's own customer
        skips.read_skip_link(other_delivery.id, forged, now=PREVIEW)


# --- Placing at the cut-off -------------------------------------------------------------------------------


def test_placed_once_at_the_cutoff_at_todays_prices(shop):
    customer, standing, variants, van = shop
    customer.discount_percent = Decimal("10")
    standing.notes = "Side door"
    db.session.commit()
    run_tick(PREVIEW)
    variants[0].price = Decimal("15.00")  # a price change after the preview: today's price is placed
    standing.lines[1].quantity = 2  # a change before the cut-off is what gets placed
    db.session.commit()
    assert run_tick(CUTOFF - SECOND).placed == 0
    report = run_tick(CUTOFF)
    assert report.placed == 1
    for later in (CUTOFF + SECOND, CUTOFF + timedelta(minutes=2), CUTOFF + timedelta(hours=3)):
        assert run_tick(later).placed == 0
    [order] = standing_orders_placed(customer)
    assert (order.status, order.channel, order.delivery_date, order.roast_date) == (
        "pending",
        "standing",
        TUESDAY,
        date(2026, 12, 7),
    )
    assert [(line.variant_id, line.quantity, line.unit_price) for line in order.lines] == [
        (variants[0].id, 3, Decimal("15.00")),
        (variants[1].id, 2, Decimal("82.00")),
    ]
    assert order.subtotal == Decimal("209.00")
    assert order.total == Decimal("200.10")  # 209.00 − 10 % + 12.00 delivery
    assert order.notes == "Side door" and order.placed_at == CUTOFF
    assert order.events[0].action == "placed by standing order"
    [delivery] = deliveries_of(standing)
    assert (delivery.outcome, delivery.order_id, delivery.reason) == (PLACED, order.id, "")
    placed = emails_of("standing_placed")
    assert [email.to_address for email in placed] == [customer.contacts[0].email]
    assert f"Your standing order placed order {order.number}" in placed[0].text_body
    [notice] = emails_of("standing_placed_staff_notice")
    assert notice.to_address == "orders@hillside.example"
    assert f"placed order {order.number}" in notice.text_body


def test_placed_approved_when_the_roastery_says_so(shop, app):
    customer, standing, variants, van = shop
    app.config["STANDING_ORDERS_APPROVED"] = True
    try:
        run_tick(CUTOFF)
    finally:
        app.config["STANDING_ORDERS_APPROVED"] = False
    [order] = standing_orders_placed(customer)
    assert order.status == "approved" and order.approved_at == CUTOFF


def test_a_delivery_not_previewed_is_still_placed_and_a_late_tick_catches_up_within_the_window(shop):
    customer, standing, variants, van = shop
    assert run_tick(CUTOFF + timedelta(hours=11)).placed == 1  # no preview: the scheduler was down
    assert emails_of("standing_preview") == []
    assert len(standing_orders_placed(customer)) == 1


def test_found_more_than_the_catch_up_window_late_it_is_skipped_with_the_reason(shop):
    customer, standing, variants, van = shop
    report = run_tick(CUTOFF + timedelta(hours=13))
    assert (report.placed, report.skipped) == (0, 1)
    [delivery] = deliveries_of(standing)
    assert delivery.outcome == SKIPPED
    assert delivery.reason.startswith("Not placed: its cut-off was 13 hours before the tick found it")
    assert standing_orders_placed(customer) == []


def test_a_retired_size_is_left_out_and_both_sides_are_told(shop):
    customer, standing, variants, van = shop
    variants[1].retired_at = utcnow()
    db.session.commit()
    run_tick(PREVIEW)
    assert "(no longer sold: it will be left out)" in emails_of("standing_preview")[0].text_body
    run_tick(CUTOFF)
    [order] = standing_orders_placed(customer)
    assert [line.variant_id for line in order.lines] == [variants[0].id]
    told = f"Left out because no longer offered: {variants[1].label}."
    assert told in emails_of("standing_placed")[0].text_body
    assert told in emails_of("standing_placed_staff_notice")[0].text_body
    assert deliveries_of(standing)[0].reason == told


def test_nothing_left_to_order_is_a_skip_with_the_reason(shop):
    customer, standing, variants, van = shop
    for variant in variants[:2]:
        variant.retired_at = utcnow()
    db.session.commit()
    assert run_tick(CUTOFF).skipped == 1
    [delivery] = deliveries_of(standing)
    assert delivery.outcome == SKIPPED and delivery.reason.startswith(
        "Not placed: nothing on it can be ordered"
    )
    assert standing_orders_placed(customer) == []


def test_an_order_already_placed_for_the_delivery_wins(shop):
    customer, standing, variants, van = shop
    already = make_order(
        customer, [(variants[0], 9)], status="pending", delivery_date=TUESDAY, shipping_option=van
    )
    db.session.commit()
    assert run_tick(CUTOFF).skipped == 1
    assert (
        deliveries_of(standing)[0].reason == f"Not placed: {already.number} was already placed for Tue 8 Dec."
    )
    assert standing_orders_placed(customer) == []


def test_a_cancelled_order_for_the_delivery_does_not_stop_it(shop):
    customer, standing, variants, van = shop
    make_order(customer, [(variants[0], 9)], status="cancelled", delivery_date=TUESDAY, shipping_option=van)
    db.session.commit()
    assert run_tick(CUTOFF).placed == 1


def test_a_closed_date_gets_no_preview_and_is_recorded_as_skipped_at_its_cutoff(shop):
    customer, standing, variants, van = shop
    db.session.add(ClosedDate(day=TUESDAY, note="Holiday"))
    db.session.commit()
    assert run_tick(PREVIEW).previewed == 0
    assert emails_of("standing_preview") == []
    assert run_tick(CUTOFF).skipped == 1
    assert deliveries_of(standing)[0].reason == "Not placed: The roastery is closed on Tue 8 Dec."


def test_every_two_weeks_the_week_between_is_left_alone(shop):
    customer, standing, variants, van = shop
    standing.every_weeks = 2
    db.session.commit()
    run_tick(CUTOFF)
    run_tick(CUTOFF + timedelta(days=7))  # Sun 13 Dec: the cut-off of Tue 15 Dec, not on the schedule
    run_tick(CUTOFF + timedelta(days=14))
    assert [order.delivery_date for order in standing_orders_placed(customer)] == [
        TUESDAY,
        date(2026, 12, 22),
    ]


def test_paused_and_stopped_standing_orders_place_nothing(shop):
    customer, standing, variants, van = shop
    standing.paused_until = date(2026, 12, 9)
    db.session.commit()
    run_tick(CUTOFF)
    assert standing_orders_placed(customer) == []
    standing.stopped_at = utcnow()
    db.session.commit()
    run_tick(CUTOFF + timedelta(days=7))
    assert standing_orders_placed(customer) == [] and deliveries_of(standing) == []


def test_an_inactive_customers_standing_order_places_nothing(shop):
    customer, standing, variants, van = shop
    customer.active = False
    db.session.commit()
    run_tick(PREVIEW)
    run_tick(CUTOFF)
    assert standing_orders_placed(customer) == [] and emails_of("standing_preview") == []


# --- Skipping ahead ---------------------------------------------------------------------------------------


def test_a_skip_before_the_cutoff_stops_that_delivery_only(shop):
    customer, standing, variants, van = shop
    run_tick(PREVIEW)
    skips.skip(standing, TUESDAY, "Contact 0 of Hillside Café", now=PREVIEW + SECOND)
    skips.skip(standing, TUESDAY, "Contact 0 of Hillside Café", now=PREVIEW + SECOND)  # twice is once
    assert skips.skipped_days([standing.id], TUESDAY) == {
        standing.id: {TUESDAY: "Skipped by Contact 0 of Hillside Café."}
    }
    assert run_tick(CUTOFF).placed == 0
    run_tick(CUTOFF + timedelta(days=3))  # Friday is not on a Tuesday standing order
    run_tick(CUTOFF + timedelta(days=7))
    assert [order.delivery_date for order in standing_orders_placed(customer)] == [date(2026, 12, 15)]


def test_a_skip_taken_back_before_the_cutoff_is_placed_after_all(shop):
    customer, standing, variants, van = shop
    skips.skip(standing, TUESDAY, "staff: Bo", now=PREVIEW)
    skips.unskip(standing, TUESDAY, now=PREVIEW + SECOND)
    assert skips.skipped_days([standing.id], TUESDAY) == {standing.id: {}}
    assert run_tick(CUTOFF).placed == 1


def test_a_skip_after_the_cutoff_or_off_the_schedule_is_refused(shop):
    customer, standing, variants, van = shop
    run_tick(CUTOFF)
    with pytest.raises(ServiceError, match="Orders for Tue 8 Dec closed at Sun 6 Dec, 17:00"):
        skips.skip(standing, TUESDAY, "x", now=CUTOFF + SECOND)
    with pytest.raises(ServiceError, match="does not deliver on Fri 11 Dec"):
        skips.skip(standing, date(2026, 12, 11), "x", now=CUTOFF + SECOND)
    with pytest.raises(ServiceError, match="Orders for Tue 8 Dec closed"):
        skips.unskip(standing, TUESDAY, now=CUTOFF + SECOND)
    assert deliveries_of(standing)[0].outcome == PLACED


# --- Never both: the weekly reminder ----------------------------------------------------------------------


def test_a_customer_with_a_standing_order_gets_the_preview_instead_of_the_weekly_reminder(shop):
    customer, standing, variants, van = shop
    customer.reminders_enabled = True
    other = make_customer("Reminded Café", reminders_enabled=True)
    db.session.commit()
    sunday = local(2026, 12, 6, 2)  # both customers' reminder: Sunday 02:00 Los Angeles
    tick(sunday)
    sends = {send.customer_id: send for send in db.session.scalars(select(ReminderSend))}
    assert sends[other.id].outcome == "sent"
    assert sends[customer.id].outcome == "skipped"
    assert sends[customer.id].skip_reason == reminders.dispatch.REMINDER_REPLACED
    standing.stopped_at = utcnow()
    db.session.commit()
    tick(sunday + timedelta(days=7))
    assert (
        db.session.scalar(
            select(ReminderSend.outcome).where(
                ReminderSend.customer_id == customer.id,
                ReminderSend.occurrence_at == sunday + timedelta(days=7),
            )
        )
        == "sent"
    )


# --- Daylight saving --------------------------------------------------------------------------------------


def test_a_cutoff_on_the_fall_back_sunday_places_at_17_00_local_time(app_ctx):
    variants = make_catalog(coffees=1)
    van = make_van()
    customer = make_customer("Autumn Café")
    first = date(2026, 11, 3)  # Tue 3 Nov 2026; its cut-off is Sun 1 Nov, the day clocks go back
    make_standing(customer, van, [(variants[0], 2)], first=first)
    db.session.commit()
    cutoff = local(2026, 11, 1, 17)  # 17:00 PST = 01:00 UTC on Mon 2 Nov (PDT would be 00:00)
    assert cutoff.hour == 1
    preview = cutoff - timedelta(hours=48)  # Fri 30 Oct 18:00 PDT: 48 real hours before
    assert run_tick(preview - SECOND).previewed == 0
    assert run_tick(preview).previewed == 1
    assert run_tick(cutoff - SECOND).placed == 0
    assert run_tick(cutoff).placed == 1
    assert run_tick(cutoff + timedelta(hours=1)).placed == 0
    [order] = standing_orders_placed(customer)
    assert order.delivery_date == first and order.roast_date == date(2026, 11, 2)


def test_a_cutoff_on_the_spring_forward_sunday(app_ctx):
    variants = make_catalog(coffees=1)
    van = make_van()
    customer = make_customer("Spring Café")
    make_standing(customer, van, [(variants[0], 2)], first=date(2027, 3, 16))
    db.session.commit()
    cutoff = local(2027, 3, 14, 17)  # 17:00 PDT = 00:00 UTC Mon 15 Mar
    assert run_tick(cutoff - SECOND).placed == 0
    assert run_tick(cutoff).placed == 1
    assert standing_orders_placed(customer)[0].delivery_date == date(2027, 3, 16)


# --- Where a placed order shows that a standing order placed it ------------------------------------------


@pytest.fixture
def an_hour_after_the_cutoff():
    """The clock from before anyone signs in (a session signed later than the requests carrying it is refused)."""
    with time_machine.travel(CUTOFF + timedelta(hours=1), tick=False):
        yield


def test_the_customer_and_staff_see_the_standing_order_placed_it(
    shop, an_hour_after_the_cutoff, app, staff_client
):
    customer, standing, variants, van = shop
    run_tick(CUTOFF)
    [order] = standing_orders_placed(customer)
    customer_client = app.test_client()
    sign_in_contact(customer_client, customer.contacts[0])
    page = customer_client.get(f"/orders/{order.id}").get_data(as_text=True)
    listed = staff_client.get("/admin/?status=pending").get_data(as_text=True)
    assert re.search(r"Placed Sun 06 Dec 2026, 17:00 by your <a href=\"/standing\">standing order</a>", page)
    row = listed[listed.index(order.number) :].split("</tr>")[0]
    assert "Standing order" in row and 'class="pill standing"' in row
