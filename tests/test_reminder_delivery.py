"""Reminders reach a real SMTP server; an address it refuses stops no one else's, and is retried and shown.

Without Redis the tick sends in-process right after its commit; the outbox sweep retries what failed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from jobs.emails import sweep_outbox
from wholesale.extensions import db

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .reminder_data import (  # noqa: F401  (picky_server is a fixture)
    BOUNCING,
    answered_before,
    picky_server,
    remind,
    reminder_emails,
    tick,
    utc,
    visible_text,
)

SUNDAY_MORNING = utc(2026, 3, 15, 9)


@pytest.fixture
def two_customers(app_ctx):
    good = remind("Blue Door Café")
    bad = remind("Bounce Bistro")
    bad.contacts[0].email = BOUNCING
    for customer in (good, bad):
        answered_before(customer, SUNDAY_MORNING)
    db.session.commit()
    return good.id, bad.id


def test_a_refused_address_stops_no_one_else_and_is_retried_until_it_goes(picky_server, two_customers):
    good_id, bad_id = two_customers

    report = tick(SUNDAY_MORNING)

    assert report.sent == 2 and report.failed == []
    assert [recipients for recipients, _ in picky_server.messages] == [["c0@bluedoorcaf.example"]]
    [good], [bad] = reminder_emails(good_id), reminder_emails(bad_id)
    assert (good.status, good.attempts) == ("sent", 1)
    assert (bad.status, bad.attempts) == ("queued", 1)
    assert bad.last_error.startswith("SMTPRecipientsRefused") and "No such user here" in bad.last_error

    picky_server.refused.clear()  # the mailbox exists again (or staff fixed the address)
    with time_machine.travel(SUNDAY_MORNING + timedelta(minutes=2), tick=False):
        assert sweep_outbox() == 1

    [bad] = reminder_emails(bad_id)
    assert (bad.status, bad.attempts, bad.last_error) == ("sent", 2, "")
    assert [recipients for recipients, _ in picky_server.messages][-1] == [BOUNCING]


def test_staff_see_the_refused_address_and_its_error_in_the_customers_reminder_history(
    app, client, staff, forms, picky_server, two_customers
):
    _, bad_id = two_customers
    tick(SUNDAY_MORNING)

    with time_machine.travel(SUNDAY_MORNING + timedelta(minutes=1), tick=False):
        credentials = {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}
        forms.post("/admin/sign-in", credentials, page="/admin/sign-in")
        history = visible_text(client.get(f"/admin/customers/{bad_id}/reminders").get_data(as_text=True))

    assert f"{BOUNCING} Queued 1 attempt: SMTPRecipientsRefused" in history
