"""A contact stops their own weekly reminder from the link in its footer, or with their mail client's one-click
unsubscribe (RFC 8058: List-Unsubscribe and List-Unsubscribe-Post on every reminder), and starts it again."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from wholesale.extensions import db, mail
from wholesale.models import Contact, Email
from wholesale.services.reminders import opt_out

from .conftest import csrf_from
from .reminder_data import answered_before, remind, tick, utc


@pytest.fixture(autouse=True)
def just_after_the_reminder():
    """Every test a few minutes after Sunday's reminder (15 March 2026, 09:01): its stop link lasts 400 days from
    then, so opened with the real clock it would stop working from April 2027."""
    with time_machine.travel(utc(2026, 3, 15, 9, 5), tick=False):
        yield


def reminded(app) -> tuple[int, str]:
    """Blue Door's contact got this week's reminder; returns the contact's id and the email's stop link."""
    with app.app_context():
        customer = remind("Blue Door Café")
        answered_before(customer, utc(2026, 3, 15, 9))
        db.session.commit()
        tick(utc(2026, 3, 15, 9, 1))
        email = db.session.scalar(select(Email).where(Email.kind == "reminder"))
        link = re.search(r"https?://[^/\s]+(/link/[^\s\"<]+/reminders)\b", email.text_body).group(1)
        assert email.list_unsubscribe.endswith(link) and link in email.html_body
        return customer.contacts[0].id, link


def receives(app, contact_id: int) -> bool:
    with app.app_context():
        return db.session.get(Contact, contact_id).receives_reminders


def test_every_reminder_carries_one_click_unsubscribe_headers(app):
    with app.app_context():
        customer = remind("Blue Door Café")
        answered_before(customer, utc(2026, 3, 15, 9))
        db.session.commit()
        with mail.record_messages() as outbox:  # sent in-process after the tick's commit (no Redis here)
            tick(utc(2026, 3, 15, 9, 1))
        email = db.session.scalar(select(Email).where(Email.kind == "reminder"))
        assert email.status == "sent" and len(outbox) == 1
        headers = dict(outbox[0].extra_headers)
        assert headers["List-Unsubscribe"] == f"<{email.list_unsubscribe}>"
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "List-Unsubscribe: <" in outbox[0].as_string()


def test_opening_the_link_asks_and_changes_nothing(app, client):
    contact_id, link = reminded(app)
    page = client.get(link)
    assert page.status_code == 200 and "Stop the weekly reminders?" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert receives(app, contact_id)


def test_the_button_stops_them_and_the_next_reminder_skips_that_contact(app, client):
    contact_id, link = reminded(app)
    page = client.post(link)
    assert page.status_code == 200 and "No more weekly reminders" in page.get_data(as_text=True)
    assert not receives(app, contact_id)
    with app.app_context():
        report = tick(utc(2026, 3, 22, 9, 1))
        assert (report.sent, report.skipped) == (0, 1)  # its only contact gets none now


def test_a_mail_clients_one_click_post_needs_no_session_or_csrf_token(app, client):
    contact_id, link = reminded(app)
    response = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not receives(app, contact_id)


def test_starting_again_needs_the_pages_token_and_works(app, client):
    contact_id, link = reminded(app)
    stopped = client.post(link).get_data(as_text=True)
    assert client.post(f"{link}/start").status_code == 400  # no CSRF token: a forged post changes nothing
    assert not receives(app, contact_id)
    response = client.post(f"{link}/start", data={"csrf_token": csrf_from(stopped)})
    assert response.status_code == 303 and response.headers["Location"] == link
    assert "Weekly reminders start again" in client.get(link).get_data(as_text=True)
    assert receives(app, contact_id)


def test_a_tampered_link_or_one_of_another_purpose_changes_nothing(app, client):
    contact_id, link = reminded(app)
    for bad in (link.replace("/reminders", "x/reminders"), "/link/not-a-token/reminders"):
        response = client.post(bad)
        assert response.status_code == 400 and "no longer works" in response.get_data(as_text=True)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        from wholesale.services.customers import links

        sign_in = links.make_token(contact, "reminder", datetime.now(UTC) + timedelta(days=1))
    assert client.post(f"/link/{sign_in}/reminders").status_code == 400  # a sign-in link is not this one
    assert receives(app, contact_id)


def test_the_link_dies_when_the_contacts_email_changes(app, client):
    contact_id, link = reminded(app)
    with app.app_context():
        db.session.get(Contact, contact_id).email = "new@bluedoor.example"
        db.session.commit()
    assert client.post(link).status_code == 400
    assert receives(app, contact_id)


def test_the_token_never_reaches_a_log():
    from wholesale.logging_redaction import redact

    assert (
        redact('"POST /link/abc.def-ghi/reminders HTTP/1.1" 200')
        == '"POST /link/[redacted]/reminders HTTP/1.1" 200'
    )


def test_the_link_is_built_for_its_purpose_only(app):
    with app.app_context():
        customer = remind("Blue Door Café")
        db.session.commit()
        url = opt_out.opt_out_url(customer.contacts[0])
        assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/link/") and url.endswith("/reminders")
