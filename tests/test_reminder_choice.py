"""A customer chooses their weekly reminder's day and time from the roastery's short list (REMINDER_CHOICES;
the test app offers Sun 02:00, Sun 18:00 and Mon 07:00), and moving it never brings a second reminder in the
same week."""

from __future__ import annotations

from datetime import time

import pytest
import time_machine

from wholesale.extensions import db
from wholesale.models import Contact, Customer

from .conftest import csrf_token, sign_in_staff
from .factories import sign_in_contact
from .reminder_data import SUNDAY, remind, reminder_emails, sends, tick, utc

PAGE = "/account/reminder"


@pytest.fixture
def cafes(app):
    """Blue Door Café (reminders on, Sunday 02:00 Los Angeles) and Rival Roasters (Monday 07:00)."""
    with app.app_context():
        blue = remind("Blue Door Café")
        rival = remind("Rival Roasters", weekday=0, at=time(7))
        db.session.commit()
        return blue.id, rival.id


@pytest.fixture
def blue_client(app, client, cafes):
    with app.app_context():
        customer = db.session.get(Customer, cafes[0])
        sign_in_contact(client, db.session.get(Contact, customer.contacts[0].id))
    return client


def schedule_of(app, customer_id: int) -> tuple[int, time, str]:
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        return customer.reminder_weekday, customer.reminder_time, customer.reminder_chosen_by


def choose(client, value: str):
    return client.post(PAGE, data={"csrf_token": csrf_token(client), "choice": value})


def test_the_page_lists_the_choices_with_the_current_one_marked(app, blue_client):
    order_page = blue_client.get("/order").get_data(as_text=True)
    assert f'<a href="{PAGE}"' in order_page  # the navigation links it
    response = blue_client.get(PAGE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "now on <strong>Sundays at 02:00</strong>" in page and "America/Los_Angeles" in page
    radios = [
        ('value="6-02:00" checked', "Sundays at 02:00"),
        ('value="6-18:00"', "Sundays at 18:00"),
        ('value="0-07:00"', "Mondays at 07:00"),
    ]
    for attribute, label in radios:
        assert 'type="radio" id="choice-' in page and attribute in page and f">{label}" in page
    assert page.count('type="radio"') == 3 and page.count(" checked") == 1


def test_an_allowed_choice_is_saved_and_staff_see_who_chose_it(app, blue_client, staff, cafes):
    response = choose(blue_client, "0-07:00")
    assert response.status_code == 303 and response.headers["Location"] == PAGE
    page = blue_client.get(PAGE).get_data(as_text=True)
    assert "Your weekly reminder now comes on Mondays at 07:00 (America/Los_Angeles)." in page
    assert 'value="0-07:00" checked' in page
    weekday, at, chosen_by = schedule_of(app, cafes[0])
    assert (weekday, at) == (0, time(7)) and chosen_by.startswith("Contact 0 of Blue Door Café (c0@")

    staff_client = app.test_client()
    sign_in_staff(staff_client, staff)
    staff_page = staff_client.get(f"/admin/customers/{cafes[0]}").get_data(as_text=True)
    assert "Day and time chosen on the portal by Contact 0 of Blue Door Café" in staff_page


@pytest.mark.parametrize(
    "value", ["3-09:00", "6-02:30", "", "6-18:00; DROP TABLE customer", "\x00", "7-02:00"]
)
def test_a_value_not_offered_is_refused_and_changes_nothing(app, blue_client, cafes, value):
    response = choose(blue_client, value)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose one of the days and times listed." in page
    assert schedule_of(app, cafes[0]) == (SUNDAY, time(2), "")


def test_without_choices_the_page_is_not_there_and_nothing_can_be_changed(
    app, blue_client, cafes, monkeypatch
):
    monkeypatch.setitem(app.config, "REMINDER_CHOICES", "")
    assert PAGE not in blue_client.get("/order").get_data(as_text=True)
    assert blue_client.get(PAGE).status_code == 404
    assert choose(blue_client, "6-18:00").status_code == 404
    assert schedule_of(app, cafes[0]) == (SUNDAY, time(2), "")


def test_a_customer_changes_only_their_own_reminder(app, blue_client, cafes):
    assert choose(blue_client, "6-18:00").status_code == 303
    assert schedule_of(app, cafes[0])[:2] == (SUNDAY, time(18))
    assert schedule_of(app, cafes[1]) == (0, time(7), "")  # Rival Roasters' stays as staff set it


def test_the_page_needs_a_signed_in_customer(client, cafes):
    assert client.get(PAGE).headers["Location"] == "/"
    assert choose(client, "6-18:00").headers["Location"] == "/"


def test_moving_it_later_the_same_day_after_the_reminder_went_sends_no_second_one(app, client, cafes):
    """Sunday 02:00 Los Angeles (09:00 UTC in March) went out; the customer then moves it to Sunday 18:00.
    That week is answered: 18:00 is skipped, and the next Sunday follows the new time."""
    with app.app_context():
        assert tick(utc(2026, 3, 15, 9, 1)).sent == 1
        assert len(reminder_emails(cafes[0])) == 1

    with time_machine.travel(utc(2026, 3, 15, 16), tick=False):  # Sunday 09:00 Los Angeles
        with app.app_context():
            sign_in_contact(client, db.session.get(Customer, cafes[0]).contacts[0])
        assert choose(client, "6-18:00").status_code == 303

    with app.app_context():
        moved = tick(utc(2026, 3, 16, 1, 1))  # Sunday 18:01 Los Angeles
        assert (moved.sent, moved.skipped) == (0, 1)
        assert "this week's reminder went out 16 hours before" in sends(cafes[0])[-1].skip_reason
        assert len(reminder_emails(cafes[0])) == 1

        assert tick(utc(2026, 3, 23, 1, 1)).sent == 1  # the next Sunday, at 18:00
        assert len(reminder_emails(cafes[0])) == 2
