"""Journey 4, staff side: switch reminders on (one or many), see the next send, send one now, read history.

Each story asserts what staff see on the page and what the database holds.
"""

from __future__ import annotations

import re
from datetime import time as wall_time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from wholesale.extensions import db
from wholesale.models import Customer, Email, ReminderSend
from wholesale.services.reminders.dispatch import send_reminder_now

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .factories import make_catalog, make_order
from .reminder_data import answered_before, remind, reminder_emails, sends, tick, utc, visible_text


def sign_in(forms) -> None:
    """Sign staff in at the frozen time (a session signed later than "now" would not be accepted)."""
    credentials = {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    response = forms.post("/admin/sign-in", credentials, page="/admin/sign-in")
    assert response.status_code == 303


def page_text(response) -> str:
    return visible_text(response.get_data(as_text=True))


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    assert match, element_id
    return visible_text(match.group(0))


def flashes(html: str) -> list[str]:
    return [visible_text(message) for message in re.findall(r'<p class="flash">(.*?)</p>', html, re.S)]


# --- The next send, in both zones ------------------------------------------------------------------------


def test_staff_see_the_next_reminder_in_the_customers_time_and_the_roasterys(app, client, staff, forms):
    with app.app_context():
        customer_id = remind("Thames Deli", weekday=0, at=wall_time(9), zone="Europe/London", contacts=2).id
        db.session.commit()

    with time_machine.travel(utc(2026, 6, 14, 12), tick=False):
        sign_in(forms)
        reminder = section(client.get(f"/admin/customers/{customer_id}").get_data(as_text=True), "reminder")

    assert "Next reminder: Their time Mon 15 Jun 2026, 09:00 BST (Europe/London)" in reminder
    assert "Roastery time Mon 15 Jun 2026, 01:00 PDT (America/Los_Angeles)" in reminder
    assert "Goes to Contact 0 of Thames Deli (c0@thamesdeli.example), Contact 1 of Thames Deli" in reminder
    assert "Send a reminder now" in reminder and "Every reminder sent" in reminder


def test_a_reminder_whose_time_has_come_shows_as_due_now(app, client, staff, forms):
    with app.app_context():
        customer = remind("Blue Door Café")
        answered_before(customer, utc(2026, 3, 8, 10))
        customer_id = customer.id
        db.session.commit()

    with time_machine.travel(utc(2026, 3, 8, 10, 1), tick=False):
        sign_in(forms)
        reminder = section(client.get(f"/admin/customers/{customer_id}").get_data(as_text=True), "reminder")
        assert "Due now: the next reminder tick sends it" in reminder
        assert "Their time Sun 08 Mar 2026, 03:00 PDT" in reminder  # the spring-forward Sunday
        with app.app_context():
            tick(utc(2026, 3, 8, 10, 2))
        reminder = section(client.get(f"/admin/customers/{customer_id}").get_data(as_text=True), "reminder")
        assert "Next reminder: Their time Sun 15 Mar 2026, 02:00 PDT" in reminder


def test_a_customer_whose_time_zone_is_unknown_shows_why_nothing_is_sent(app, staff_client):
    with app.app_context():
        customer_id = remind("Odd Zone Café").id
        db.session.execute(
            update(Customer).where(Customer.id == customer_id).values(reminder_timezone="Mars/Base")
        )
        db.session.commit()

    page = staff_client.get(f"/admin/customers/{customer_id}")

    assert page.status_code == 200
    assert "“Mars/Base” is not a time zone we know, so no reminder goes out" in section(
        page.get_data(as_text=True), "reminder"
    )


# --- Switching reminders on ------------------------------------------------------------------------------


def test_staff_switch_reminders_on_for_one_customer_from_its_page(app, staff_client, forms):
    with app.app_context():
        customer_id = remind("Blue Door Café", reminders_enabled=False).id
        db.session.commit()
    page = f"/admin/customers/{customer_id}"
    html = staff_client.get(page).get_data(as_text=True)
    assert "Off: no weekly email is sent." in section(html, "reminder")

    response = forms.post(
        "/admin/customers/switch-on-reminders",
        {"customer_id": str(customer_id), "return_to": "customer"},
        page=page,
    )

    assert response.status_code == 303 and response.headers["Location"] == f"{page}#reminder"
    html = staff_client.get(page).get_data(as_text=True)
    assert "Weekly reminders are on for Blue Door Café." in flashes(html)
    assert "Next reminder:" in section(html, "reminder")
    with app.app_context():
        assert db.session.get(Customer, customer_id).reminders_enabled


def test_staff_tick_several_customers_in_the_list_and_switch_their_reminders_on(app, staff_client, forms):
    with app.app_context():
        ids = {
            name: remind(name, reminders_enabled=enabled, active=active).id
            for name, enabled, active in (
                ("Blue Door Café", False, True),
                ("Corner Shop", False, True),
                ("Harbour Kiosk", True, True),
                ("Closed Café", False, False),
                ("Untouched Deli", False, True),
            )
        }
        db.session.commit()
    listing = staff_client.get("/admin/customers?q=a").get_data(as_text=True)
    for name, customer_id in ids.items():
        assert f'name="customer_id" value="{customer_id}" aria-label="Select {name}"' in listing
    ticked = [ids[name] for name in ("Blue Door Café", "Corner Shop", "Harbour Kiosk", "Closed Café")]

    response = forms.post(
        "/admin/customers/switch-on-reminders",
        {"customer_id": [str(i) for i in ticked] + ["x", "99999999999"], "q": "a", "page": "1"},
        page="/admin/customers?q=a",
    )

    assert response.status_code == 303 and response.headers["Location"] == "/admin/customers?q=a"
    assert flashes(staff_client.get("/admin/customers?q=a").get_data(as_text=True)) == [
        "Weekly reminders are on for Blue Door Café, Corner Shop.",
        "Already on for Harbour Kiosk.",
        "Left off for Closed Café: inactive customers cannot sign in.",
    ]
    with app.app_context():
        enabled = set(db.session.scalars(select(Customer.business_name).where(Customer.reminders_enabled)))
    assert enabled == {"Blue Door Café", "Corner Shop", "Harbour Kiosk"}


def test_switching_on_with_nothing_ticked_changes_nothing(app, staff_client, forms):
    with app.app_context():
        remind("Blue Door Café", reminders_enabled=False)
        db.session.commit()

    response = forms.post("/admin/customers/switch-on-reminders", {}, page="/admin/customers")

    assert response.headers["Location"] == "/admin/customers"
    html = staff_client.get("/admin/customers").get_data(as_text=True)
    assert flashes(html) == [
        "Tick the customers whose weekly reminder should start, then press “Switch reminders on”."
    ]
    with app.app_context():
        assert not db.session.scalar(select(Customer.reminders_enabled))


# --- Send now --------------------------------------------------------------------------------------------


def test_send_now_emails_each_contact_who_gets_reminders_once(app, client, staff, forms):
    with app.app_context():
        customer = remind("Blue Door Café", contacts=3, reminders_enabled=False)
        customer.contacts[2].receives_reminders = False
        customer_id, addresses = customer.id, [contact.email for contact in customer.contacts[:2]]
        db.session.commit()
    page = f"/admin/customers/{customer_id}"

    with time_machine.travel(utc(2026, 3, 10, 9, 0, 5), tick=False):
        sign_in(forms)
        token = forms.token(page)
        asked = client.post(f"{page}/reminders/send-now", data={"csrf_token": token})
        button = {"csrf_token": token, "confirmed": "1"}  # "Yes, send it now" on the page that asks
        response = client.post(f"{page}/reminders/send-now", data=button)
        again = client.post(f"{page}/reminders/send-now", data=button)  # a double click, the same minute
        shown = flashes(client.get(page).get_data(as_text=True))

    # First the staff member is asked, with who will get it; nothing is sent until they say yes.
    question = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Send Blue Door Café a reminder now?" in question
    assert all(address in question for address in addresses)
    assert asks_with_yes_and_cancel(question, page)
    assert response.headers["Location"] == f"{page}/reminders"
    assert again.headers["Location"] == f"{page}#reminder"
    assert shown == [
        f"A reminder is on its way to {addresses[0]}, {addresses[1]}; its status is below.",
        "A reminder went to Blue Door Café less than a minute ago; it was not sent again.",
    ]
    with app.app_context():
        emails = reminder_emails()
        assert [email.to_address for email in emails] == addresses
        assert all(email.status == "sent" for email in emails)  # no Redis: sent in-process
        [send] = sends(customer_id)
        assert (send.outcome, send.occurrence_at) == ("sent-now", utc(2026, 3, 10, 9))
        # reminders are off, so there is no next reminder: the link lasts LINK_TTL_REMINDER_SECONDS (7 days)
        assert "works until Tue 17 Mar 2026, 02:00 PDT" in emails[0].text_body


def asks_with_yes_and_cancel(question: str, page: str) -> bool:
    """The asking page re-posts, confirmed, to send-now, and offers Cancel back to the customer."""
    return 'name="confirmed" value="1"' in question and f'href="{page}#reminder"' in question


@pytest.mark.parametrize("problem", ["nobody gets reminders", "inactive"])
def test_send_now_refuses_a_customer_it_could_not_reach_and_writes_nothing(app, staff_client, forms, problem):
    with app.app_context():
        customer = remind("Blue Door Café", active=problem != "inactive")
        customer.contacts[0].receives_reminders = problem != "nobody gets reminders"
        customer_id = customer.id
        db.session.commit()
    page = f"/admin/customers/{customer_id}"

    response = forms.post(f"{page}/reminders/send-now", {"confirmed": "1"}, page=page)

    message = flashes(staff_client.get(page).get_data(as_text=True))[0]
    assert response.status_code == 303 and message.endswith("Nothing was sent.")
    assert ("inactive" in message) == (problem == "inactive")
    with app.app_context():
        assert sends() == [] and reminder_emails() == []


# --- The history -----------------------------------------------------------------------------------------


@pytest.fixture
def four_weeks(app):
    """Blue Door's March: reminders, a failed address, orders, a "no order", a send-now, a skipped week."""
    with app.app_context():
        variants = make_catalog(coffees=1)
        customer = remind("Blue Door Café", contacts=2)
        ana, bo = customer.contacts
        ana.name, bo.name = "Ana", "Bo"
        answered_before(customer, utc(2026, 3, 1, 10))
        db.session.commit()
        tick(utc(2026, 3, 1, 10))  # week 1, then a portal order on Tuesday
        bounced = db.session.scalar(select(Email).where(Email.to_address == bo.email))
        bounced.status, bounced.attempts, bounced.sent_at = "failed", 6, None
        bounced.last_error = "SMTPRecipientsRefused: 550 no such user"
        first = make_order(customer, [(variants[0], 2)], placed_at=utc(2026, 3, 3, 17))
        make_order(customer, [(variants[0], 9)], placed_at=utc(2026, 2, 27))  # before: follows nothing
        tick(utc(2026, 3, 8, 10))  # week 2: a staff order only, and Bo says "no order this week"
        make_order(
            customer, [(variants[0], 1)], channel="staff", status="approved", placed_at=utc(2026, 3, 9)
        )
        week_two = sends(customer.id)[-1]
        week_two.no_order_at, week_two.no_order_contact_id = utc(2026, 3, 9, 16), bo.id
        db.session.commit()
        with time_machine.travel(utc(2026, 3, 10, 18), tick=False):
            send_reminder_now(db.session.get(Customer, customer.id))  # staff send one on Tuesday …
        later = make_order(customer, [(variants[1], 3)], placed_at=utc(2026, 3, 11, 17))  # … and it works
        tick(utc(2026, 3, 16, 3))  # week 3: the scheduler was down all Sunday
        db.session.commit()
        return customer.id, first.number, later.number


def history_rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [visible_text(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_history_shows_every_reminder_to_whom_how_sending_went_and_what_followed(
    staff_client, four_weeks
):
    customer_id, first_order, later_order = four_weeks

    rows = history_rows(staff_client.get(f"/admin/customers/{customer_id}/reminders").get_data(as_text=True))

    assert len(rows) == 5  # three weeks, one sent by staff, and the week before the story began
    skipped, sent_now, week_two, week_one, _ = rows
    assert skipped.startswith("Sun 15 Mar 2026, 02:00 Not sent Not sent: it was due 18 hours before")
    assert "None" in skipped and "No portal order" not in skipped  # no email went, so nothing to follow
    assert sent_now.startswith("Tue 10 Mar 2026, 11:00 Sent now by staff")
    assert f"Portal order {later_order} placed Wed 11 Mar, 10:00" in sent_now
    assert week_two.startswith("Sun 08 Mar 2026, 03:00 Sent written Sun 08 Mar, 03:00")
    assert "No portal order" in week_two and "“No order this week” from Bo Mon 09 Mar, 09:00" in week_two
    assert week_one.startswith("Sun 01 Mar 2026, 02:00 Sent")
    assert "c0@bluedoorcaf.example Sent" in week_one
    assert "c1@bluedoorcaf.example Failed 6 attempts: SMTPRecipientsRefused: 550 no such user" in week_one
    assert f"Portal order {first_order} placed Tue 03 Mar, 09:00" in week_one


def test_the_history_pages_back_half_a_year_at_a_time(app, staff_client):
    with app.app_context():
        customer = remind("Blue Door Café")
        for week in range(30):
            due = utc(2026, 1, 4, 10) + timedelta(weeks=week)
            db.session.add(
                ReminderSend(customer_id=customer.id, occurrence_at=due, outcome="sent", skip_reason="")
            )
        db.session.commit()
        page = f"/admin/customers/{customer.id}/reminders"

    first = staff_client.get(page).get_data(as_text=True)
    second = staff_client.get(f"{page}?page=2").get_data(as_text=True)

    assert len(history_rows(first)) == 26 and f'href="{page}?page=2">Older' in first
    assert len(history_rows(second)) == 4 and f'href="{page}?page=1">Newer' in second
    assert staff_client.get(f"{page}?page=0").status_code == 404
    assert staff_client.get("/admin/customers/999/reminders").status_code == 404


def test_a_customer_without_reminders_has_an_empty_history_that_says_so(app, staff_client):
    with app.app_context():
        customer_id = remind("Blue Door Café", reminders_enabled=False).id
        db.session.commit()

    html = staff_client.get(f"/admin/customers/{customer_id}/reminders").get_data(as_text=True)

    assert "No reminder yet. Weekly reminders are off for Blue Door Café." in visible_text(html)


# --- The commands ----------------------------------------------------------------------------------------


def test_flask_reminders_dispatch_runs_one_tick_and_preview_lists_the_next_sends(app, runner):
    with app.app_context():
        blue = remind("Blue Door Café", contacts=2)
        answered_before(blue, utc(2026, 3, 15, 9))
        remind("Thames Deli", weekday=0, at=wall_time(9), zone="Europe/London")
        remind("Harbour Kiosk", zone="Australia/Sydney").contacts[0].receives_reminders = False
        db.session.commit()

    with time_machine.travel(utc(2026, 3, 15, 9, 1), tick=False):
        result = runner.invoke(args=["reminders", "dispatch"])
        assert result.exit_code == 0, result.output
        assert result.output == (
            "Reminder tick at 2026-03-15 09:01:00 UTC: 1 reminder sent (2 emails), 2 skipped.\n"
        )

        preview = runner.invoke(args=["reminders", "preview"]).output.splitlines()

    assert preview[1].startswith("2026-03-16 09:00") and "Mon 16 Mar 2026, 09:00 GMT" in preview[1]
    assert "Mon 16 Mar 2026, 02:00 PDT" in preview[1]  # the roastery's time
    assert preview[1].endswith("Thames Deli (Europe/London; 1 contact)")
    assert preview[2].startswith("2026-03-21 15:00") and "Sun 22 Mar 2026, 02:00 AEDT" in preview[2]
    assert preview[2].endswith("Harbour Kiosk (Australia/Sydney; no contact gets it)")
    assert preview[3].startswith("2026-03-22 09:00")
    assert preview[3].endswith("Blue Door Café (America/Los_Angeles; 2 contacts)")
