"""The outbox without any service: every email is a row first, is sent once, and staff can read it in the app.

Without REDIS_URL the app sends right after the commit, in-process; Flask-Mail keeps the message (testing),
and ``mail.record_messages()`` shows what would have left.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

import wholesale.admin.emails  # noqa: F401  (the staff email pages; wholesale.admin imports them too)
from jobs.emails import sweep_outbox
from wholesale.extensions import db, mail
from wholesale.models import Customer, Email, utcnow
from wholesale.services.mail.delivery import deliver
from wholesale.services.mail.outbox import (
    CLAIM_TIMEOUT,
    MAX_ATTEMPTS,
    RETRY_INTERVALS,
    queue_email,
    send_email,
    unsent_email_ids,
)
from wholesale.smtp import TimedConnection


def write_email(key: str = "staff-test:1", to: str = "ana@cafe.example", subject: str = "Test", **fields):
    """An email written and committed the way a use case does it, then put in the state a test needs."""
    email = queue_email(
        kind="staff-test",
        dedupe_key=key,
        to_address=to,
        subject=subject,
        template="staff_test",
        context={"name": "Ana"},
    )
    db.session.commit()
    for name, value in fields.items():
        setattr(email, name, value)
    db.session.commit()
    return email.id


def row(email_id: int) -> Email:
    db.session.expire_all()
    return db.session.get(Email, email_id)


def email_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Email))


@pytest.fixture
def smtp_down(monkeypatch):
    """The mail server hangs up on every message."""

    def refuse(connection, message):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(TimedConnection, "send", refuse)


# --- Writing and sending ---------------------------------------------------------------------------------


def test_an_email_is_written_then_sent_once_after_the_commit_without_redis(app_ctx):
    with mail.record_messages() as outbox:
        email = queue_email(
            kind="staff-test",
            dedupe_key="staff-test:ana",
            to_address=" ana@cafe.example ",
            subject="Your order\r\nBcc: everyone@example.com",
            template="staff_test",
            context={"name": "Ana"},
        )
        db.session.commit()
        assert outbox == []  # written, not sent: sending waits for the caller's commit and deliver()

        deliver(email.id)
        deliver(email.id)

    assert len(outbox) == 1
    message = outbox[0]
    assert message.recipients == ["ana@cafe.example"]
    assert message.subject == "Your order Bcc: everyone@example.com"  # one line: no header injection
    assert "Hello Ana," in message.body and "12 Mill Lane, Portland, OR 97201" in message.body
    assert "Hello Ana," in message.html and "Hillside Coffee Roasters" in message.html
    sent = row(email.id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, "")
    assert sent.sent_at is not None


def test_the_same_dedupe_key_makes_one_email(app_ctx):
    first = queue_email(
        kind="staff-test",
        dedupe_key="staff-test:1",
        to_address="ana@cafe.example",
        subject="One",
        template="staff_test",
        context={"name": "Ana"},
    )
    again_in_the_same_transaction = queue_email(
        kind="staff-test",
        dedupe_key="staff-test:1",
        to_address="ana@cafe.example",
        subject="Two",
        template="staff_test",
        context={"name": "Ana"},
    )
    db.session.commit()
    again_later = queue_email(
        kind="staff-test",
        dedupe_key="staff-test:1",
        to_address="bo@cafe.example",
        subject="Three",
        template="staff_test",
        context={"name": "Bo"},
    )
    db.session.commit()
    assert again_in_the_same_transaction is first and again_later.id == first.id
    assert email_count() == 1 and row(first.id).subject == "One"


def test_sending_the_same_email_twice_sends_one_message(app_ctx):
    email_id = write_email()
    with mail.record_messages() as outbox:
        assert send_email(email_id) is True
        assert send_email(email_id) is False
    assert len(outbox) == 1 and row(email_id).attempts == 1


def test_a_failing_send_is_recorded_retried_after_its_backoff_and_finally_failed(app_ctx, smtp_down):
    email_id = write_email()
    with time_machine.travel(utcnow().timestamp(), tick=False) as clock:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with pytest.raises(smtplib.SMTPServerDisconnected):
                send_email(email_id)
            email = row(email_id)
            assert email.attempts == attempt
            assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
            if attempt < MAX_ATTEMPTS:
                assert email.status == "queued"
                # A duplicate job arriving before the backoff is up does nothing and spends no attempt.
                assert send_email(email_id) is False and row(email_id).attempts == attempt
                clock.shift(RETRY_INTERVALS[attempt - 1])
        assert row(email_id).status == "failed"
        clock.shift(timedelta(days=1))
        assert send_email(email_id) is False
        assert row(email_id).attempts == MAX_ATTEMPTS


def test_deliver_without_redis_never_raises_and_leaves_the_error_on_the_row(app_ctx, smtp_down):
    email_id = write_email()
    deliver(email_id)
    email = row(email_id)
    assert (email.status, email.attempts) == ("queued", 1)
    assert "Connection unexpectedly closed" in email.last_error


def test_a_stale_claim_is_taken_over_and_a_live_one_is_left_alone(app_ctx):
    just_now = utcnow() - timedelta(minutes=1)
    too_long_ago = utcnow() - CLAIM_TIMEOUT - timedelta(seconds=1)
    live = write_email("staff-test:live", status="sending", attempts=1, claimed_at=just_now)
    stale = write_email("staff-test:stale", status="sending", attempts=1, claimed_at=too_long_ago)
    with mail.record_messages() as outbox:
        assert send_email(live) is False
        assert send_email(stale) is True
    assert [m.recipients for m in outbox] == [["ana@cafe.example"]]
    assert (row(live).status, row(stale).status, row(stale).attempts) == ("sending", "sent", 2)


def test_unsent_email_ids_finds_what_the_sweep_must_enqueue(app_ctx):
    now = utcnow()
    long_ago = now - timedelta(hours=2)
    expected = [
        write_email("queued-old", created_at=now - timedelta(minutes=5)),
        write_email("stale-claim", status="sending", attempts=1, claimed_at=now - 2 * CLAIM_TIMEOUT),
        write_email("retry-overdue", status="queued", attempts=2, claimed_at=long_ago, last_error="timeout"),
    ]
    write_email("queued-just-now")  # its own job is on its way
    write_email("sending-now", status="sending", attempts=1, claimed_at=now)
    write_email("retry-waiting", status="queued", attempts=1, claimed_at=now, created_at=long_ago)
    write_email("sent", status="sent", attempts=1, created_at=long_ago, claimed_at=long_ago)
    write_email("failed", status="failed", attempts=MAX_ATTEMPTS, created_at=long_ago, claimed_at=long_ago)
    assert unsent_email_ids() == expected


def test_the_sweep_sends_what_waited_and_gives_up_on_an_abandoned_last_attempt(app_ctx):
    long_ago = utcnow() - timedelta(hours=1)
    waiting = write_email("waiting", created_at=long_ago)
    abandoned = write_email("abandoned", status="sending", attempts=MAX_ATTEMPTS, claimed_at=long_ago)
    with mail.record_messages() as outbox:
        assert sweep_outbox() == 1
        assert sweep_outbox() == 0
    assert len(outbox) == 1 and row(waiting).status == "sent"
    assert row(abandoned).status == "failed" and "stopped while sending" in row(abandoned).last_error


def test_periodic_jobs_need_redis(monkeypatch, capsys):
    from jobs import schedule

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("WHOLESALE_ENV", "development")  # production refuses to start without it anyway
    assert schedule.main() == 1
    assert "REDIS_URL is not set" in capsys.readouterr().err


# --- What staff see --------------------------------------------------------------------------------------


def test_staff_read_every_email_newest_first_with_its_status(app, staff_client):
    with app.app_context():
        now = utcnow()
        yesterday = now - timedelta(days=1)
        write_email("old", subject="Order W000041 confirmed", status="sent", attempts=1, created_at=yesterday)
        write_email(
            "new",
            to="bo@grocer.example",
            subject="Your weekly order",
            status="failed",
            attempts=6,
            last_error="SMTPRecipientsRefused: {'bo@grocer.example': (550, b'No such user')}",
        )

    page = staff_client.get("/admin/emails").get_data(as_text=True)
    assert page.index("Your weekly order") < page.index("Order W000041 confirmed")
    assert "bo@grocer.example" in page and "No such user" in page
    assert '<span class="pill cancelled">Failed</span>' in page
    assert '<span class="pill approved">Sent</span>' in page
    assert 'All <span class="muted">(2)</span>' in page

    failed_only = staff_client.get("/admin/emails?status=failed").get_data(as_text=True)
    assert "Your weekly order" in failed_only and "Order W000041 confirmed" not in failed_only
    assert "No queued emails" in staff_client.get("/admin/emails?status=queued").get_data(as_text=True)
    assert staff_client.get("/admin/emails?status=bounced").status_code == 404
    assert staff_client.get("/admin/emails?page=0").status_code == 404


def test_the_list_pages_by_fifty(app, staff_client):
    with app.app_context():
        start = utcnow() - timedelta(hours=1)
        for n in range(51):
            write_email(f"bulk:{n}", subject=f"Message {n:02d}", created_at=start + timedelta(seconds=n))
    first = staff_client.get("/admin/emails").get_data(as_text=True)
    assert "Message 50" in first and "Message 01" in first and "Message 00" not in first
    assert 'href="/admin/emails?page=2">Older' in first
    second = staff_client.get("/admin/emails?page=2").get_data(as_text=True)
    assert "Message 00" in second and "Message 01" not in second


def test_an_email_page_shows_the_text_and_frames_the_html_in_a_sandbox(app, staff_client):
    with app.app_context():
        cafe = Customer(business_name="Corner Café")
        db.session.add(cafe)
        db.session.commit()
        email_id = write_email(subject="Order confirmed", customer_id=cafe.id)
        html_body = row(email_id).html_body

    response = staff_client.get(f"/admin/emails/{email_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<pre>Hillside Coffee Roasters\n\nHello Ana," in page
    assert f'<iframe sandbox src="/admin/emails/{email_id}/html"' in page
    assert "Corner Café</a>" in page and "Attempts</dt><dd>0 of 6" in page
    # Our page stays under the strict policy: the email's own inline styles are never inlined into it.
    assert "style=" not in page and "<style" not in page and "<script>" not in page
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]

    framed = staff_client.get(f"/admin/emails/{email_id}/html")
    assert framed.get_data(as_text=True) == html_body and framed.mimetype == "text/html"
    policy = framed.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'")
    assert "frame-ancestors 'self'" in policy and "script-src" not in policy
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_html_of_an_email_cannot_run_script_in_our_pages(app, staff_client):
    with app.app_context():
        email_id = write_email(
            html_body='<p>Hi</p><script>alert("x")</script>', text_body="<script>alert(1)</script>"
        )
    page = staff_client.get(f"/admin/emails/{email_id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    framed = staff_client.get(f"/admin/emails/{email_id}/html")
    assert framed.headers["Content-Security-Policy"].startswith("sandbox;")


def test_development_mail_is_said_to_be_kept_in_the_app(app, staff_client):
    assert app.extensions["mail"].suppress  # tests, like development without MAIL_SERVER
    assert "nothing leaves this machine" in staff_client.get("/admin/emails").get_data(as_text=True)


def test_staff_send_a_failed_email_again(app, staff_client, forms):
    with app.app_context():
        email_id = write_email(status="failed", attempts=MAX_ATTEMPTS, last_error="SMTPDataError: 451")
    page = staff_client.get(f"/admin/emails/{email_id}").get_data(as_text=True)
    assert "Send again" in page

    with mail.record_messages() as outbox:
        response = forms.post(f"/admin/emails/{email_id}/retry", page=f"/admin/emails/{email_id}")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/emails/{email_id}"
    assert len(outbox) == 1
    page = staff_client.get(f"/admin/emails/{email_id}").get_data(as_text=True)
    assert "Sent to ana@cafe.example." in page and "Send again" not in page
    with app.app_context():
        email = row(email_id)
        assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")


def test_sending_again_when_it_fails_again_says_why(app, staff_client, forms, smtp_down):
    with app.app_context():
        email_id = write_email(status="failed", attempts=MAX_ATTEMPTS, last_error="old error")
    page = f"/admin/emails/{email_id}"
    response = forms.post(f"{page}/retry", page=page, follow_redirects=True)
    assert "Could not send it: SMTPServerDisconnected" in response.get_data(as_text=True)
    with app.app_context():
        assert (row(email_id).status, row(email_id).attempts) == ("queued", 1)


def test_a_sent_email_is_not_sent_again(app, staff_client, forms):
    with app.app_context():
        email_id = write_email(status="sent", attempts=1, sent_at=utcnow())
    token = forms.token(f"/admin/emails/{email_id}")
    with mail.record_messages() as outbox:
        response = staff_client.post(
            f"/admin/emails/{email_id}/retry", data={"csrf_token": token}, follow_redirects=True
        )
    assert outbox == [] and "already sent" in response.get_data(as_text=True)


def test_unknown_emails_are_404(staff_client, forms):
    token = forms.token("/admin/emails")
    for path in ("/admin/emails/999", "/admin/emails/999/html", f"/admin/emails/{2**40}"):
        assert staff_client.get(path).status_code == 404, path
    assert staff_client.post("/admin/emails/999/retry", data={"csrf_token": token}).status_code == 404


def test_retry_needs_a_csrf_token(app, staff_client):
    with app.app_context():
        email_id = write_email(status="failed", attempts=MAX_ATTEMPTS)
    assert staff_client.post(f"/admin/emails/{email_id}/retry").status_code == 400
    with app.app_context():
        assert row(email_id).status == "failed"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/emails"),
        ("GET", "/admin/emails?status=failed"),
        ("GET", "/admin/emails/{id}"),
        ("GET", "/admin/emails/{id}/html"),
        ("POST", "/admin/emails/{id}/retry"),
    ],
)
def test_every_email_page_needs_staff_sign_in(app, client, forms, method, path):
    with app.app_context():
        email_id = write_email(status="failed", attempts=MAX_ATTEMPTS)
    path = path.format(id=email_id)
    if method == "POST":
        response = client.post(path, data={"csrf_token": forms.token("/admin/sign-in")})
    else:
        response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/sign-in")
    with app.app_context():
        assert row(email_id).status == "failed"
