"""Journey 4 in a real browser at a phone's size, with JavaScript on and off: staff switch reminders on for
two customers, send one a reminder now and read its history; the contact answers "no order this week"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Customer, ReminderSend

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .reminder_data import links_in, remind, reminder_emails

pytestmark = pytest.mark.browser


@pytest.fixture
def customers_off(app, staff, live_server):
    with app.app_context():
        blue = remind("Blue Door Café", reminders_enabled=False)
        blue.contacts[0].name = "Ana"
        remind("Corner Shop", reminders_enabled=False)
        remind("Harbour Kiosk", reminders_enabled=False)
        db.session.commit()


def test_staff_invite_customers_send_one_now_and_the_contact_answers_no_order(
    app, phone, live_server, customers_off
):
    from playwright.sync_api import expect

    page = phone
    page.goto(f"{live_server}/admin/customers")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("Select Blue Door Café").check()
    page.get_by_label("Select Corner Shop").check()
    page.get_by_role("button", name="Switch reminders on").click()
    expect(page.get_by_text("Weekly reminders are on for Blue Door Café, Corner Shop.")).to_be_visible()
    with app.app_context():
        on = set(db.session.scalars(select(Customer.business_name).where(Customer.reminders_enabled)))
    assert on == {"Blue Door Café", "Corner Shop"}

    page.get_by_role("link", name="Blue Door Café").click()
    reminder = page.locator("#reminder")
    expect(reminder).to_contain_text("Next reminder:")
    expect(reminder).to_contain_text("(America/Los_Angeles)")
    reminder.get_by_role("button", name="Send a reminder now").click()
    expect(page.get_by_role("heading", name="Send Blue Door Café a reminder now?")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="c0@bluedoorcaf.example")).to_be_visible()
    page.get_by_role("button", name="Yes, send it now").click()
    expect(page.get_by_role("heading", name="Weekly reminders of Blue Door Café")).to_be_visible()
    expect(page.get_by_text("Sent now by staff")).to_be_visible()
    expect(page.locator("tbody")).to_contain_text("c0@bluedoorcaf.example Sent")

    with app.app_context():
        [email] = reminder_emails()
        _, no_order = links_in(email.text_body)
    page.goto(f"{live_server}{no_order}")
    expect(page.get_by_role("heading", name="No order this week?")).to_be_visible()
    page.get_by_role("button", name="Yes, no order this week").click()
    expect(page.get_by_role("heading", name="Thanks, we have noted it")).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(ReminderSend.no_order_contact_id)) is not None

    page.goto(f"{live_server}/admin/customers")
    page.get_by_role("link", name="Blue Door Café").click()
    page.get_by_role("link", name="Every reminder sent").click()
    expect(page.locator("tbody")).to_contain_text("“No order this week” from Ana")
