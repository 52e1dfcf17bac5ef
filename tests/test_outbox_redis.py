"""The outbox through Redis: an RQ worker sends each email once to a real SMTP server, and nothing is lost.

Uses the Redis database of ``TEST_REDIS_URL`` (default db 15), a queue of its own per test (removed after),
an in-process ``rq.SimpleWorker`` in burst mode, and an aiosmtpd server on a free local port.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from rq.job import Job

from jobs import schedule
from jobs.emails import sweep_outbox
from wholesale.extensions import db
from wholesale.models import Email, utcnow
from wholesale.services.mail.delivery import deliver, enqueue_sends
from wholesale.services.mail.outbox import queue_email

from .fixtures_jobs import TEST_REDIS_URL, free_port

pytestmark = pytest.mark.redis


def write_email(key: str = "staff-test:1") -> int:
    email = queue_email(
        kind="staff-test",
        dedupe_key=key,
        to_address="ana@cafe.example",
        subject="Test message",
        template="staff_test",
        context={"name": "Ana"},
    )
    db.session.commit()
    return email.id


def row(email_id: int) -> Email:
    db.session.expire_all()
    return db.session.get(Email, email_id)


def test_the_worker_sends_a_queued_email_once_even_when_it_is_enqueued_twice(
    app_ctx, queue, run_worker, start_smtp_server
):
    inbox = start_smtp_server()
    email_id = write_email()
    deliver(email_id)
    assert queue.count == 1 and row(email_id).status == "queued"  # enqueued, not sent in the request
    assert enqueue_sends([email_id]) == 1  # a duplicate job: the sweep, or a retried request

    run_worker()

    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["ana@cafe.example"] and message["Subject"] == "Test message"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert "Hello Ana," in parts["text/plain"] and "Hello Ana," in parts["text/html"]
    email = row(email_id)
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")
    assert queue.finished_job_registry.count == 2 and queue.failed_job_registry.count == 0


def test_an_email_written_while_redis_is_down_is_sent_by_the_sweep(
    app, app_ctx, queue, run_worker, start_smtp_server, monkeypatch, caplog
):
    inbox = start_smtp_server()
    email_id = write_email()
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    deliver(email_id)  # no exception: the order that wrote this email still succeeds
    assert "could not enqueue" in caplog.text
    assert row(email_id).status == "queued" and row(email_id).attempts == 0

    monkeypatch.setitem(app.config, "REDIS_URL", TEST_REDIS_URL)
    email = row(email_id)
    email.created_at = utcnow() - timedelta(minutes=5)  # the sweep leaves fresh emails to their own job
    db.session.commit()
    assert sweep_outbox() == 1
    run_worker()

    assert len(inbox.messages) == 1 and row(email_id).status == "sent"
    assert sweep_outbox() == 0


def test_a_refused_connection_is_recorded_and_retried_until_the_server_is_back(
    app_ctx, queue, run_worker, start_smtp_server
):
    email_id = write_email()
    deliver(email_id)
    run_worker()  # no SMTP server on the port yet

    email = row(email_id)
    assert (email.status, email.attempts) == ("queued", 1)
    assert email.last_error.startswith("ConnectionRefusedError")
    [job_id] = queue.scheduled_job_registry.get_job_ids()
    assert Job.fetch(job_id, connection=queue.connection).retries_left == 4

    inbox = start_smtp_server()
    with time_machine.travel(timedelta(seconds=11)):  # the first retry is due 10 s later
        run_worker()

    assert len(inbox.messages) == 1
    email = row(email_id)
    assert (email.status, email.attempts, email.last_error) == ("sent", 2, "")
    assert queue.scheduled_job_registry.count == 0 and queue.failed_job_registry.count == 0


# rq-scheduler keeps every schedule under one key (rq:scheduler:scheduled_jobs) and these ids are fixed: the
# two tests that register the periodic jobs in TEST_REDIS_URL run on one xdist worker, never at once.
@pytest.mark.xdist_group("rq-scheduler-keys")
def test_the_outbox_sweep_is_scheduled_once_however_often_it_is_registered(redis, queue, monkeypatch, capsys):
    sweep = schedule.PERIODIC_JOBS[0]
    key = "rq:scheduler:scheduled_jobs"
    monkeypatch.setenv("WHOLESALE_ENV", "development")  # the test's app: no secret key or address of its own
    monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)
    monkeypatch.setenv("RQ_QUEUE", queue.name)
    try:
        assert schedule.main() == 0  # `python -m jobs.schedule`, as the Procfile runs it on every start
        assert schedule.register_periodic_jobs(redis, queue.name) == [
            job.id for job in schedule.PERIODIC_JOBS
        ]
        assert f"Scheduled on queue '{queue.name}': wholesale-sweep-outbox" in capsys.readouterr().out

        assert [member.decode() for member in redis.zrange(key, 0, -1)].count(sweep.id) == 1
        job = Job.fetch(sweep.id, connection=redis)
        assert job.func_name == "jobs.emails.sweep_outbox" and job.origin == queue.name
        assert job.meta["interval"] == 120 and "repeat" not in job.meta
        assert redis.zscore(key, sweep.id) <= utcnow().timestamp() + 1  # the first sweep runs right away
    finally:
        for periodic in schedule.PERIODIC_JOBS:  # main() registered every periodic job, not only the sweep
            redis.zrem(key, periodic.id)
            redis.delete(f"rq:job:{periodic.id}")
