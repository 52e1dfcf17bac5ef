"""A contact answers "no order this week" from the reminder: GET only asks, POST records, the roaster sees it.

The link is bound to one reminder and one contact, never signs anyone in, and stops when the week is over.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from wholesale.extensions import db
from wholesale.models import ReminderSend
from wholesale.services.customers.links import revoke_links

from .conftest import csrf_from
from .reminder_data import answered_before, links_in, remind, reminder_emails, sends, tick, utc

SENT_AT = utc(2026, 3, 15, 9)
MONDAY_MORNING = utc(2026, 3, 16, 15)


@pytest.fixture
def reminded(app_ctx):
    """Blue Door got this week's reminder (Ana and Bo each have their own links)."""
    customer = remind("Blue Door Café", contacts=2)
    customer.contacts[0].name, customer.contacts[1].name = "Ana", "Bo"
    answered_before(customer, SENT_AT)
    db.session.commit()
    tick(SENT_AT)
    ana, bo = (links_in(email.text_body) for email in reminder_emails())
    [send] = [row for row in sends(customer.id) if row.occurrence_at == SENT_AT]
    return customer, send.id, ana, bo


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY_MORNING, tick=False):
        yield


def answer(send_id: int) -> tuple:
    db.session.expire_all()
    send = db.session.get(ReminderSend, send_id)
    return send.no_order_at, send.no_order_contact_id


def test_opening_the_link_only_asks_and_confirming_records_it_for_the_roaster(client, reminded, monday):
    customer, send_id, (_, ana_no_order), _ = reminded

    page = client.get(ana_no_order)

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "No order this week?" in html
    assert "Yes, no order this week" in html and f'action="{ana_no_order}"' in html
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "strict-origin"
    assert answer(send_id) == (None, None)  # an email scanner fetching the link records nothing
    with client.session_transaction() as session:
        assert "contact_id" not in session  # and signs nobody in

    response = client.post(ana_no_order, data={"csrf_token": csrf_from(html)})

    assert response.status_code == 303 and response.headers["Location"] == ana_no_order
    assert answer(send_id) == (MONDAY_MORNING, customer.contacts[0].id)
    html = client.get(ana_no_order).get_data(as_text=True)
    assert "Thanks, we have noted it" in html and "Mon 16 Mar 2026, 08:00 PDT" in html
    assert "Yes, no order this week" not in html


def test_the_first_answer_stands_and_a_colleague_sees_it(app, reminded, monday):
    customer, send_id, (_, ana_no_order), (_, bo_no_order) = reminded
    ana, bo = app.test_client(), app.test_client()
    ana.post(ana_no_order, data={"csrf_token": csrf_from(ana.get(ana_no_order).get_data(as_text=True))})

    html = bo.get(bo_no_order).get_data(as_text=True)

    assert "Thanks, we have noted it" in html and "someone else on your team told us" in html
    assert answer(send_id) == (MONDAY_MORNING, customer.contacts[0].id)


def test_a_later_tick_does_not_send_that_weeks_reminder_again(forms, reminded, monday):
    customer, send_id, (_, ana_no_order), _ = reminded
    forms.post(ana_no_order)

    report = tick(SENT_AT + timedelta(hours=2))

    assert report.sent == 0 and len(reminder_emails()) == 2
    assert answer(send_id)[1] == customer.contacts[0].id


def test_the_no_order_link_is_not_a_sign_in_link_nor_the_other_way_round(client, reminded, monday):
    _, send_id, (ana_order, ana_no_order), _ = reminded
    no_order_token = ana_no_order.split("/")[2]
    order_token = ana_order.removeprefix("/link/")

    assert client.get(f"/link/{no_order_token}").status_code == 400
    assert client.get(f"/link/{order_token}/no-order/{send_id}").status_code == 400
    with client.session_transaction() as session:
        assert "contact_id" not in session


def test_a_link_changed_to_another_reminder_is_refused(client, reminded, monday):
    customer, send_id, (_, ana_no_order), _ = reminded
    other = remind("Corner Shop")
    db.session.add(ReminderSend(customer_id=other.id, occurrence_at=SENT_AT, outcome="sent", skip_reason=""))
    db.session.commit()
    other_send = sends(other.id)[0].id

    page = client.get(ana_no_order.replace(f"/no-order/{send_id}", f"/no-order/{other_send}"))
    assert page.status_code == 400 and "This link is no longer valid" in page.get_data(as_text=True)
    # A number that cannot be a reminder's id is no address at all (the id converter).
    assert (
        client.get(ana_no_order.replace(f"/no-order/{send_id}", "/no-order/99999999999")).status_code == 404
    )
    assert answer(other_send) == (None, None)


def test_once_links_are_revoked_or_the_week_is_over_the_link_records_nothing(client, reminded):
    customer, send_id, (_, ana_no_order), _ = reminded
    with time_machine.travel(MONDAY_MORNING, tick=False):
        token = csrf_from(client.get(ana_no_order).get_data(as_text=True))
        revoke_links(customer)
        response = client.post(ana_no_order, data={"csrf_token": token})
        assert response.status_code == 400 and "Nothing was recorded" in response.get_data(as_text=True)

    with time_machine.travel(utc(2026, 3, 22, 21), tick=False):  # the next reminder + its 12 catch-up hours
        page = client.get(ana_no_order)
        assert page.status_code == 410 and "This link has expired" in page.get_data(as_text=True)
    assert answer(send_id) == (None, None)


def test_posting_without_the_csrf_token_records_nothing(client, reminded, monday):
    _, send_id, (_, ana_no_order), _ = reminded

    assert client.post(ana_no_order).status_code == 400
    assert answer(send_id) == (None, None)
