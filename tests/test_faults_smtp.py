"""The mail server refuses, then hangs, then comes back: every email arrives once, and staff see how it went.

A real RQ worker (the Procfile's, with RQ's scheduler for retries) sends to an SMTP server of the test's own,
which answers 451 ("try again later") to every recipient, then accepts connections and never answers, then
behaves. Customers place their orders on the portal meanwhile. (Single refused addresses are in
test_reminder_delivery; the outbox's bookkeeping without a server in test_outbox.)
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from wholesale.extensions import db, mail
from wholesale.models import Email
from wholesale.services.mail.outbox import MAX_ATTEMPTS, message_id, queue_email, send_email

from .faults import (  # noqa: F401  (fixtures)
    AppVisitor,
    app_env,
    portal_on_our_redis,
    processes,
    redis_server,
    regular_customers,
    reorder_journey,
    smtp_sink,
    tally,
    wait_until,
    worker,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.processes]


def emails_of(order_ids: list[int]) -> list[Email]:
    db.session.expire_all()
    return db.session.scalars(select(Email).where(Email.order_id.in_(order_ids)).order_by(Email.id)).all()


def cells(html: str) -> list[list[str]]:
    """The emails table as text, row by row."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    table = [
        [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]
    return [row for row in table if row]  # not the heading


def test_a_refusing_then_hanging_mail_server_delays_every_email_and_loses_or_doubles_none(
    app, app_ctx, app_env, processes, portal_on_our_redis, smtp_sink, staff_client, tmp_path, capsys
):
    links = regular_customers(4)
    processes(worker({**app_env, "MAIL_TIMEOUT": "1"}, "wholesale", tmp_path))

    smtp_sink.mode = "refuse"
    refused = [reorder_journey(AppVisitor(app), path).order_id for path in links[:2]]
    wait_until(
        lambda: all(e.attempts >= 1 and e.status == "queued" for e in emails_of(refused)),
        20,
        "the first attempts to be refused",
    )
    smtp_sink.mode = "stall"  # the worker gives up on a silent server after MAIL_TIMEOUT (1 s here)
    stalled = [reorder_journey(AppVisitor(app), path).order_id for path in links[2:]]
    wait_until(
        lambda: all(e.attempts >= 1 and e.status == "queued" for e in emails_of(stalled)),
        30,
        "the first attempts to time out",
    )

    # Staff see every email waiting, how many attempts it had and why the last one failed.
    page = staff_client.get("/admin/emails?status=queued").get_data(as_text=True)
    rows = cells(page)
    assert len(rows) == 8 and {row[4] for row in rows} == {"Queued"}
    assert {row[5] for row in rows} <= {"1", "2"}  # attempts: one, or two if a retry came while it hung
    errors = {row[6] for row in rows}
    assert any("SMTPRecipientsRefused" in error and "451" in error for error in errors)
    assert any("timed out" in error or "SMTPServerDisconnected" in error for error in errors), errors
    one = emails_of(refused)[0]
    detail = staff_client.get(f"/admin/emails/{one.id}").get_data(as_text=True)
    assert f"{one.attempts} of {MAX_ATTEMPTS}" in detail and "SMTPRecipientsRefused" in detail

    smtp_sink.mode = "accept"  # back, before the first retries come due (10 s after each failure)
    wait_until(lambda: tally(smtp_sink).statuses == {"sent": 8}, 60, "every email sent after the retries")

    outcome = tally(smtp_sink)
    assert outcome.missing == [] and outcome.delivered == 8 and outcome.duplicates == 0
    assert {e.status for e in emails_of(refused + stalled)} == {"sent"}
    assert all(e.attempts >= 2 for e in emails_of(refused + stalled))  # the first attempt never went
    rows = cells(staff_client.get("/admin/emails").get_data(as_text=True))
    assert {row[4] for row in rows} == {"Sent"} and all(int(row[5]) >= 2 for row in rows)
    customer_copies = [rcpt for rcpt, message in smtp_sink.messages if "received" in message["Subject"]]
    assert sorted(r[0] for r in customer_copies) == sorted(f"c0@caf{n:03d}.example" for n in range(4))
    attempts = sum(e.attempts for e in emails_of(refused + stalled))
    with capsys.disabled():
        print(
            f"\n[SMTP refusing (451), then hanging, then back: {outcome.rows} emails, {attempts} attempts, "
            f"{outcome.delivered} delivered, {outcome.duplicates} duplicates]"
        )


@pytest.fixture
def in_process_smtp(app, smtp_sink, monkeypatch):
    """This process's app sends to the sink, giving up on a silent server after one second."""
    state = app.extensions["mail"]
    for setting, attribute, value in (
        ("MAIL_SUPPRESS_SEND", "suppress", False),
        ("MAIL_SERVER", "server", "127.0.0.1"),
        ("MAIL_PORT", "port", smtp_sink.port),
    ):
        monkeypatch.setitem(app.config, setting, value)
        monkeypatch.setattr(state, attribute, value)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 1)
    return smtp_sink


def write_email() -> int:
    email = queue_email(
        kind="staff-test",
        dedupe_key="staff-test:quit",
        to_address="ana@cafe.example",
        subject="Test message",
        template="staff_test",
        context={"name": "Ana"},
    )
    db.session.commit()
    return email.id


def test_a_server_that_accepts_the_message_and_then_hangs_on_goodbye_gets_it_once(app_ctx, in_process_smtp):
    """Flask-Mail alone would record the hung QUIT as a failure and send the message again."""
    in_process_smtp.mode = "hold-quit"
    email_id = write_email()

    assert send_email(email_id) is True  # the QUIT times out after a second; the message was accepted

    email = db.session.get(Email, email_id)
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")
    assert in_process_smtp.message_ids() == {message_id(email): 1}


def test_a_server_that_never_answers_fails_the_attempt_after_the_timeout(app_ctx, in_process_smtp):
    in_process_smtp.mode = "stall"
    email_id = write_email()

    with pytest.raises((TimeoutError, OSError)):
        send_email(email_id)

    email = db.session.get(Email, email_id)
    assert (email.status, email.attempts) == ("queued", 1)
    assert email.last_error.startswith(("TimeoutError", "SMTPServerDisconnected")), email.last_error
    assert in_process_smtp.received() == 0


def test_every_attempt_at_an_email_carries_the_same_message_id(app_ctx, in_process_smtp):
    email_id = write_email()
    with mail.record_messages() as outbox:
        send_email(email_id)
    email = db.session.get(Email, email_id)
    assert outbox[0].msgId == message_id(email) == in_process_smtp.messages[0][1]["Message-ID"]
    assert message_id(email).endswith("@hillside.example>")
