"""Emails go out in batches: one worker job and one SMTP connection for many messages.

A refused address stops no one else in its batch; a connection that fails ends the batch and leaves the rest
untouched for the job's retry; a retry sends only what is left. With Redis, sends are enqueued as jobs of
``SEND_BATCH`` emails.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Email, utcnow
from wholesale.services.mail.delivery import SEND_BATCH, enqueue_sends
from wholesale.services.mail.outbox import RETRY_INTERVALS, SendFailed, queue_email, send_emails

from .reminder_data import BOUNCING, picky_server  # noqa: F401  (picky_server is a fixture)


def write_emails(*addresses: str) -> list[int]:
    emails = [
        queue_email(
            kind="staff-test",
            dedupe_key=f"staff-test:batch:{n}",
            to_address=address,
            subject=f"Message {n}",
            template="staff_test",
            context={"name": "Ana"},
        )
        for n, address in enumerate(addresses)
    ]
    db.session.commit()
    return [email.id for email in emails]


def states(ids: list[int]) -> list[tuple[str, int]]:
    db.session.expire_all()
    rows = {email.id: email for email in db.session.scalars(select(Email).where(Email.id.in_(ids)))}
    return [(rows[i].status, rows[i].attempts) for i in ids]


def test_a_batch_goes_over_one_connection_and_a_refused_address_stops_no_one_else(app_ctx, picky_server):
    ids = write_emails("a@cafe.example", "b@cafe.example", BOUNCING, "d@cafe.example", "e@cafe.example")

    with pytest.raises(SendFailed, match="refused 1 of these emails"):
        send_emails(ids)

    assert [to for to, _ in picky_server.messages] == [[f"{x}@cafe.example"] for x in "abde"]
    assert len(picky_server.connections) == 1
    assert states(ids) == [("sent", 1)] * 2 + [("queued", 1)] + [("sent", 1)] * 2
    assert db.session.get(Email, ids[2]).last_error.startswith("SMTPRecipientsRefused")


def test_the_retry_of_a_batch_sends_only_what_is_left_once_its_backoff_has_passed(app_ctx, picky_server):
    ids = write_emails("a@cafe.example", BOUNCING, "c@cafe.example")
    with time_machine.travel(utcnow().timestamp(), tick=False) as clock:
        with pytest.raises(SendFailed):
            send_emails(ids)
        picky_server.refused.clear()

        assert send_emails(ids) == 0  # too early: the refused one waits out its backoff
        clock.shift(RETRY_INTERVALS[0])
        assert send_emails(ids) == 1

    assert [to for to, _ in picky_server.messages] == [["a@cafe.example"], ["c@cafe.example"], [BOUNCING]]
    assert states(ids) == [("sent", 1), ("sent", 2), ("sent", 1)]


def test_a_connection_that_fails_ends_the_batch_and_counts_the_attempt_on_every_email_left(
    app_ctx, smtp_port
):
    """The server failed, not a message: nothing more is tried, and staff see every email waiting and why."""
    ids = write_emails("a@cafe.example", "b@cafe.example", "c@cafe.example")  # no server on smtp_port

    with pytest.raises(ConnectionRefusedError):
        send_emails(ids)

    assert states(ids) == [("queued", 1)] * 3
    assert all(db.session.get(Email, i).last_error.startswith("ConnectionRefusedError") for i in ids)


def test_a_server_that_hangs_up_mid_batch_loses_no_message_and_sends_none_twice(
    app_ctx, picky_server, monkeypatch
):
    ids = write_emails("a@cafe.example", "b@cafe.example", "c@cafe.example")
    real_sendmail = smtplib.SMTP.sendmail
    calls = []

    def hang_up_on_the_second(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_sendmail(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "sendmail", hang_up_on_the_second)
    with time_machine.travel(utcnow().timestamp(), tick=False) as clock:
        with pytest.raises(smtplib.SMTPServerDisconnected):
            send_emails(ids)
        assert states(ids) == [("sent", 1), ("queued", 1), ("queued", 1)]
        assert send_emails(ids) == 0  # a duplicate job before the backoff is up spends nothing
        clock.shift(RETRY_INTERVALS[0])
        assert send_emails(ids) == 2

    assert [to for to, _ in picky_server.messages] == [[f"{x}@cafe.example"] for x in "abc"]
    assert states(ids) == [("sent", 1), ("sent", 2), ("sent", 2)]


def test_an_email_already_sent_or_being_sent_is_skipped_without_opening_a_connection(app_ctx, picky_server):
    [sent, sending] = write_emails("a@cafe.example", "b@cafe.example")
    for email_id, status in ((sent, "sent"), (sending, "sending")):
        email = db.session.get(Email, email_id)
        email.status, email.attempts, email.claimed_at = status, 1, utcnow() - timedelta(seconds=30)
    db.session.commit()

    assert send_emails([sent, sending]) == 0
    assert picky_server.connections == set() and picky_server.messages == []


@pytest.mark.redis
def test_with_redis_sends_are_enqueued_as_jobs_of_a_batch_each(app_ctx, queue):
    ids = list(range(1, 2 * SEND_BATCH + 21))

    assert enqueue_sends(ids) == len(ids)

    jobs = queue.get_jobs()
    assert [job.func_name for job in jobs] == ["jobs.emails.send_emails"] * 3
    assert [job.args[0] for job in jobs] == [ids[:SEND_BATCH], ids[SEND_BATCH : 2 * SEND_BATCH], ids[-20:]]
    assert all(job.retries_left == len(RETRY_INTERVALS) for job in jobs)
