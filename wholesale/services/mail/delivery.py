"""Handing the outbox's emails to the worker after the commit that wrote them: enqueued on RQ, or, in
development without Redis, sent in-process. A failure to reach Redis is logged, never raised: the outbox
sweep catches up.

A Redis that does not answer (a partition, a stuck server) costs a request one timeout, not one per email:
after a failure, this process leaves sends to that Redis to the sweep for ``UNREACHABLE_BACKOFF`` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice

from flask import current_app
from sqlalchemy import update

from ...extensions import db
from ...models import Email
from .outbox import MAX_ATTEMPTS, RETRY_INTERVALS, send_emails

log = logging.getLogger(__name__)

# Emails per send job: one fork of the worker and one SMTP connection serve this many messages.
SEND_BATCH = 50
# A job that has not finished after this is killed by RQ, well before the claim of the email it was sending
# goes stale (outbox.CLAIM_TIMEOUT), so nobody else takes that email while it may still be on its way.
SEND_TIMEOUT = 300


# Enqueueing is a few small commands: a Redis that has not answered in this many seconds is not going to.
REDIS_TIMEOUT = 2
# After a failure, sends to that Redis are left to the sweep for this many seconds (per process).
UNREACHABLE_BACKOFF = 10
_unreachable_until: dict[str, float] = {}


@contextmanager
def open_queue() -> Iterator:
    """The app's queue on a connection of its own, closed afterwards.

    redis and rq are imported here, not with the module: development without Redis never needs them, and a
    web worker loads them (several MB) only when it first hands an email on."""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(
        current_app.config["REDIS_URL"], socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        yield Queue(current_app.config["RQ_QUEUE"], connection=connection)
    finally:
        connection.close()


def enqueue_sends(email_ids: Iterable[int]) -> int:
    """Enqueue send jobs of ``SEND_BATCH`` emails over one connection; returns how many emails made it."""
    url = current_app.config["REDIS_URL"]
    if time.monotonic() < _unreachable_until.get(url, 0):
        log.warning("Redis did not answer a moment ago; leaving these sends to the sweep")
        return 0
    enqueued = 0
    try:
        with open_queue() as queue:
            from rq import Retry

            # One job runs up to MAX_ATTEMPTS times, waiting RETRY_INTERVALS in between. RQ only brings a
            # retry back when a worker runs `--with-scheduler`; without one, the sweep does it.
            retry = Retry(max=MAX_ATTEMPTS - 1, interval=list(RETRY_INTERVALS))
            for batch in batched(email_ids, SEND_BATCH):
                queue.enqueue(
                    "jobs.emails.send_emails",
                    list(batch),
                    retry=retry,
                    job_timeout=SEND_TIMEOUT,
                    description=f"send {_emails(batch)}",
                )
                enqueued += len(batch)
    except Exception as error:  # Redis down or misconfigured: the rows wait for the sweep
        _unreachable_until[url] = time.monotonic() + UNREACHABLE_BACKOFF
        log.warning("could not enqueue email sends (the sweep will): %s", error)
    return enqueued


def batched(items: Iterable[int], size: int) -> Iterator[tuple[int, ...]]:
    iterator = iter(items)
    while batch := tuple(islice(iterator, size)):
        yield batch


def _emails(ids: tuple[int, ...]) -> str:
    return f"email {ids[0]}" if len(ids) == 1 else f"{len(ids)} emails ({ids[0]}…{ids[-1]})"


def deliver(email_id: int) -> None:
    """After commit: hand the email to the worker, or (development without Redis) send it now. Never raises."""
    deliver_all([email_id])


def deliver_all(email_ids: list[int]) -> None:
    """After commit: enqueue the sends (batches over one Redis connection), or send them now over one SMTP
    connection when there is no Redis. Never raises: a failure is on the email's row for staff to see.

    In-process sending uses the caller's session, so call it only once the caller has committed.
    """
    if not email_ids:
        return
    if current_app.config["REDIS_URL"]:
        enqueue_sends(email_ids)
        return
    try:
        send_emails(email_ids)
    except Exception:  # recorded on the row; staff can send it again from the emails page
        db.session.rollback()
        log.exception("sending emails %s failed", email_ids)


def retry_email(email_id: int) -> bool:
    """Staff's "send again": a failed or waiting email gets a fresh set of attempts and is delivered now.

    False (and nothing changes) when the email is sent or being sent. Commits, then delivers.
    """
    reset = db.session.execute(
        update(Email)
        .where(Email.id == email_id, Email.status.in_(("queued", "failed")))
        .values(status="queued", attempts=0, claimed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if reset:
        deliver(email_id)
    return bool(reset)
