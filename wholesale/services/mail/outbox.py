"""The outbox: an email is a row first, written in the transaction that caused it, and sent after commit.

``queue_email`` adds the row to the caller's transaction (it never commits). After the caller commits, it
calls ``delivery.deliver(email.id)``: with Redis the send is enqueued on RQ, without it the send runs in-process.
If enqueueing fails (Redis down) the row simply waits: the periodic sweep enqueues every unsent email.
Production cannot start without Redis (``config.REQUIRED_IN_PRODUCTION``), so there no web request ever
talks SMTP: a slow or hung mail server never holds a request, and how long a request takes never depends
on whether it wrote an email. Sending in-process is development's convenience (``make run`` needs no
services and shows the mail at once).

``send_emails`` sends a batch over one SMTP connection and claims each row before sending it (one
conditional UPDATE), so a duplicated or retried job sends it once. A failed attempt is written on the row and the row goes back to ``queued``; the next attempt is due
after ``RETRY_INTERVALS`` (RQ's retry brings it back then; the sweep catches any retry RQ lost), and a claim
made before that is refused, so duplicate jobs cannot burn through the attempts. After ``MAX_ATTEMPTS`` the
row is ``failed`` until staff send it again (``delivery.retry_email``).

Delivery is at least once: a worker that dies after the SMTP server accepted the message but before the row
says ``sent`` leaves a claim that goes stale and is sent again. That window is the commit after the server's
"250": at most one duplicate per worker killed inside it, carrying the same Message-ID as the first copy.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app, render_template
from flask_mail import Message
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from ...extensions import db, mail
from ...models import Email, utcnow
from ...models.outbox import EMAIL_STATUSES
from ...transactions import commit_keeping_loaded

log = logging.getLogger(__name__)

# Seconds to wait after attempt 1, 2, … before the next one. RQ's Retry uses the same list (wholesale.services.mail.delivery).
RETRY_INTERVALS = (10, 30, 120, 600, 1800)
MAX_ATTEMPTS = len(RETRY_INTERVALS) + 1
# Clocks of different workers may disagree a little; a retry this much early still counts as due.
RETRY_SLACK = timedelta(seconds=5)
# A claim older than this is taken to belong to a worker that died mid-send. Longer than the send job's
# timeout (wholesale.services.mail.delivery.SEND_TIMEOUT), so RQ has killed a hung send before anyone else takes its row.
CLAIM_TIMEOUT = timedelta(minutes=10)
# How long the sweep leaves a due email to its own job before enqueueing another.
SWEEP_GRACE = timedelta(minutes=1)

SUBJECT_MAX = 200
# Where the app keeps what makes an email's attachments when it is sent: functions of the Email giving
# (filename, content type, bytes), registered at start by the services that own them (an invoice's PDF:
# services.invoicing.pdf), so the outbox needs to know nothing of invoices.
ATTACHMENTS = "email_attachments"
ERROR_MAX = 2000


# --- Writing an email ------------------------------------------------------------------------------------


def queue_email(
    *,
    kind: str,
    dedupe_key: str,
    to_address: str,
    subject: str,
    template: str,
    context: dict,
    customer_id: int | None = None,
    order_id: int | None = None,
    invoice_id: int | None = None,
    list_unsubscribe: str | None = None,
) -> Email:
    """Add an email to the current transaction (never commits); the same ``dedupe_key`` never makes a second.

    ``template`` names a pair under ``templates/email/`` (``.txt`` and ``.html``, both extending ``_layout``).
    The dedupe key comes from the event that causes the email ("order-confirmation:42"), which is itself
    unique; if two transactions still race with one key, the second fails at commit on the unique constraint.
    """
    existing = db.session.scalar(select(Email).where(Email.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    email = Email(
        kind=kind,
        dedupe_key=dedupe_key,
        to_address=to_address.strip(),
        # A line break in a subject is a header injection to Flask-Mail: it would refuse every attempt.
        subject=" ".join(subject.split())[:SUBJECT_MAX],
        text_body=render_template(f"email/{template}.txt", **context),
        html_body=render_template(f"email/{template}.html", **context),
        status="queued",
        attempts=0,
        last_error="",
        customer_id=customer_id,
        order_id=order_id,
        invoice_id=invoice_id,
        list_unsubscribe=list_unsubscribe,
    )
    db.session.add(email)
    return email


# --- Sending it ------------------------------------------------------------------------------------------


def _retry_due(now: datetime, grace: timedelta = timedelta(0)) -> ColumnElement[bool]:
    """A queued email whose next attempt is due: never tried, or its backoff after the last try has passed."""
    cutoff = now + RETRY_SLACK - grace
    waited = [
        and_(Email.attempts == attempt, Email.claimed_at <= cutoff - timedelta(seconds=wait))
        for attempt, wait in enumerate(RETRY_INTERVALS, start=1)
    ]
    return and_(Email.status == "queued", or_(Email.attempts == 0, *waited))


def _stale_claim(now: datetime) -> ColumnElement[bool]:
    return and_(Email.status == "sending", Email.claimed_at < now - CLAIM_TIMEOUT)


def claim(email_id: int) -> Email | None:
    """Mark the email as being sent by us, atomically, and commit; None when it is not ours to send now.

    Not ours: already sent, failed for good, being sent by another worker, or retried before its backoff.
    The claim is one conditional UPDATE, so of two workers racing for a row exactly one wins.
    """
    now = utcnow()
    # The claimed row comes back from the UPDATE itself (RETURNING) and stays loaded after the commit: no
    # statement to read it again before sending.
    email = db.session.scalar(
        update(Email)
        .where(
            Email.id == email_id,
            Email.attempts < MAX_ATTEMPTS,
            or_(_retry_due(now), _stale_claim(now)),
        )
        .values(status="sending", claimed_at=now, attempts=Email.attempts + 1)
        .returning(Email)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    commit_keeping_loaded()
    return email


class SendFailed(Exception):
    """Some emails of a run were refused by the server (each refusal is on its row): raised at the end of the
    run, after every other email was sent, so the RQ job is retried with backoff and the retry tries them again."""


# What the server answers about one message (a refused recipient, a refused body): the connection is fine and
# the run goes on. Every other error (refused connection, timeout, hang-up) ends the run.
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def send_email(email_id: int) -> bool:
    """Send one email if it is ours to send; True when this call sent it. See ``send_emails``."""
    return send_emails([email_id]) == 1


def send_emails(email_ids: Iterable[int]) -> int:
    """Send each email that is ours to send, in order, over one SMTP connection; returns how many were sent.

    Each email is claimed just before it is sent and marked sent just after, each in its own commit, so a
    worker dying mid-run leaves at most the one message it was sending. A failure is written on the email's
    row (attempts, last error; ``failed`` after the last attempt). A message the server refuses does not stop
    the others; ``SendFailed`` is raised once they are sent. A failing connection (refused, timed out, hung up)
    ends the run at once: the attempt is written on every email not yet sent, as the error says the server,
    not the message, failed, and the error is re-raised. Either way the RQ job fails and RQ retries it with
    backoff: emails already sent are refused by their claim, so a retry sends only what is left.
    """
    sent = 0
    refused: list[int] = []
    email_ids = list(email_ids)
    with ExitStack() as stack:
        connection = None
        for position, email_id in enumerate(email_ids):
            email = claim(email_id)
            if email is None:
                continue
            claimed_at = email.claimed_at
            try:
                if connection is None:
                    connection = stack.enter_context(mail.connect())
                connection.send(_message(email))
            except MESSAGE_REFUSED as error:
                _record_failure(email_id, claimed_at, error)
                refused.append(email_id)
                continue
            except Exception as error:
                _record_failure(email_id, claimed_at, error)
                for waiting_id in email_ids[position + 1 :]:
                    waiting = claim(waiting_id)
                    if waiting is not None:
                        _record_failure(waiting_id, waiting.claimed_at, error)
                raise
            email.status = "sent"
            email.sent_at = utcnow()
            email.last_error = ""
            db.session.commit()
            sent += 1
    if refused:
        raise SendFailed(f"the mail server refused {len(refused)} of these emails: {refused}")
    return sent


def _message(email: Email) -> Message:
    message = Message(
        subject=email.subject,
        recipients=[email.to_address],
        body=email.text_body,
        html=email.html_body,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    message.msgId = message_id(email)
    for make in current_app.extensions.get(ATTACHMENTS, ()):
        for filename, content_type, data in make(email):
            message.attach(filename, content_type, data)
    if email.list_unsubscribe:  # one-click unsubscribe (RFC 8058): the client POSTs to the address
        message.extra_headers = {
            "List-Unsubscribe": f"<{email.list_unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return message


def message_id(email: Email) -> str:
    """The same Message-ID on every attempt at one email.

    Should a send ever be repeated (a worker died after the server accepted the message but before the row
    said so), the two copies are recognisably one message to mail clients and providers that merge by it.
    """
    config = current_app.config
    domain = parseaddr(config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "wholesale.invalid"
    # The site's address keeps a staging copy of the database from reusing production's ids.
    unique = f"{config['PUBLIC_BASE_URL']}|{email.id}|{email.dedupe_key}"
    return f"<outbox.{email.id}.{hashlib.sha256(unique.encode()).hexdigest()[:20]}@{domain}>"


def _record_failure(email_id: int, claimed_at: datetime | None, error: Exception) -> None:
    db.session.rollback()
    email = db.session.get(Email, email_id)
    if email is None or email.status != "sending" or email.claimed_at != claimed_at:
        return  # our claim went stale and someone else has the row now; theirs is the story to tell
    email.status = "failed" if email.attempts >= MAX_ATTEMPTS else "queued"
    email.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    db.session.commit()


# --- The sweep and staff's "send again" ------------------------------------------------------------------


def unsent_email_ids(older_than: timedelta = SWEEP_GRACE, limit: int = 1000) -> list[int]:
    """Emails the sweep should enqueue again, oldest first.

    Those whose job never ran (Redis was down), whose RQ retry is overdue by ``older_than`` (the retry was
    lost), and those claimed by a worker that died. One still waiting out its backoff is left to its retry.
    """
    now = utcnow()
    never_tried = and_(Email.status == "queued", Email.attempts == 0, Email.created_at < now - older_than)
    query = (
        select(Email.id)
        .where(
            Email.attempts < MAX_ATTEMPTS,
            or_(never_tried, and_(_retry_due(now, older_than), Email.attempts > 0), _stale_claim(now)),
        )
        .order_by(Email.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def give_up_abandoned() -> int:
    """Mark ``failed`` the emails whose last attempt's worker died mid-send: nothing else would move them."""
    result = db.session.execute(
        update(Email)
        .where(Email.attempts >= MAX_ATTEMPTS, _stale_claim(utcnow()))
        .values(status="failed", last_error="The worker stopped while sending the last attempt.")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


# --- What staff see --------------------------------------------------------------------------------------


@dataclass
class EmailPage:
    emails: list[Email]
    status: str | None
    page: int
    has_next: bool


def counts_by_status() -> dict[str, int]:
    rows = db.session.execute(select(Email.status, func.count()).group_by(Email.status)).tuples()
    counts = dict.fromkeys(EMAIL_STATUSES, 0)
    counts.update({status: n for status, n in rows if status in counts})
    return counts


def emails_with_status(status: str | None, page: int = 1, per_page: int = 50) -> EmailPage:
    """Newest first; ``status`` None lists every email."""
    query = select(Email)
    if status is not None:
        query = query.where(Email.status == status)
    query = query.order_by(Email.created_at.desc(), Email.id.desc()).offset((page - 1) * per_page)
    emails = list(db.session.scalars(query.limit(per_page + 1)))
    return EmailPage(emails=emails[:per_page], status=status, page=page, has_next=len(emails) > per_page)
