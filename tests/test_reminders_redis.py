"""The reminder tick through Redis: the scheduler's job runs the tick on a real RQ worker, which then sends
each email to a local SMTP server (aiosmtpd); the link in the message that arrives signs the contact in.

Uses the Redis database of ``TEST_REDIS_URL`` and a queue of its own per test (see fixtures_jobs).
"""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
import time_machine
from rq.job import Job

from jobs import schedule
from wholesale.extensions import db
from wholesale.models import utcnow

from .reminder_data import (  # noqa: F401  (picky_server is a fixture)
    BOUNCING,
    answered_before,
    links_in,
    picky_server,
    remind,
    reminder_emails,
    sends,
    utc,
)

pytestmark = pytest.mark.redis
SPRING_FORWARD = utc(2026, 3, 8, 10)  # Sunday 03:00 PDT, as 02:00 does not exist that day


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def parts(message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_the_tick_job_sends_through_the_worker_and_the_link_that_arrives_signs_the_contact_in(
    app, app_ctx, queue, run_worker, start_smtp_server
):
    inbox = start_smtp_server()
    customer = remind("Blue Door Café")
    customer.contacts[0].name = "Ana"
    answered_before(customer, SPRING_FORWARD)
    db.session.commit()

    with time_machine.travel(SPRING_FORWARD + timedelta(seconds=30)):
        queue.enqueue("jobs.reminders.dispatch_due_reminders")  # what rqscheduler does every two minutes
        run_worker()

        assert len(inbox.messages) == 1
        recipients, message = inbox.messages[0]
        assert recipients == ["c0@bluedoorcaf.example"]
        assert subject(message) == "Your weekly order for Blue Door Café from Hillside Coffee Roasters"
        body = parts(message)
        assert "Hello Ana," in body["text/plain"] and "Hello Ana," in body["text/html"]
        order_link, _ = links_in(body["text/plain"])

        client = app.test_client()
        response = client.get(order_link)
        assert response.status_code == 303 and response.headers["Location"] == "/order"
        with client.session_transaction() as session:
            assert session["contact_id"] == customer.contacts[0].id
        assert "Blue Door Café" in client.get("/order").get_data(as_text=True)
        finished = [
            Job.fetch(job_id, connection=queue.connection).func_name
            for job_id in queue.finished_job_registry.get_job_ids()
        ]
        assert sorted(finished) == ["jobs.emails.send_emails", "jobs.reminders.dispatch_due_reminders"]

    [email] = reminder_emails()
    assert (email.status, email.attempts) == ("sent", 1)
    assert [send.occurrence_at for send in sends()][-1] == SPRING_FORWARD


def test_two_tick_jobs_queued_at_once_send_each_reminder_once(app_ctx, queue, run_worker, start_smtp_server):
    inbox = start_smtp_server()
    for name in ("Blue Door Café", "Corner Shop", "Harbour Kiosk"):
        answered_before(remind(name, contacts=2), SPRING_FORWARD)
    db.session.commit()

    with time_machine.travel(SPRING_FORWARD + timedelta(seconds=30)):
        queue.enqueue("jobs.reminders.dispatch_due_reminders")  # two schedulers running: harmless
        queue.enqueue("jobs.reminders.dispatch_due_reminders")
        run_worker()

    assert len(inbox.messages) == 6
    assert len({tuple(recipients) for recipients, _ in inbox.messages}) == 6


def test_a_refused_address_is_retried_by_rq_while_the_other_customers_mail_goes(
    app_ctx,
    queue,
    run_worker,
    picky_server,  # noqa: F811  (the fixture)
):
    good = remind("Blue Door Café")
    bad = remind("Bounce Bistro")
    bad.contacts[0].email = BOUNCING
    for customer in (good, bad):
        answered_before(customer, SPRING_FORWARD)
    db.session.commit()

    with time_machine.travel(SPRING_FORWARD + timedelta(seconds=30)):
        queue.enqueue("jobs.reminders.dispatch_due_reminders")
        run_worker()
        assert [recipients for recipients, _ in picky_server.messages] == [["c0@bluedoorcaf.example"]]
        [refused] = reminder_emails(bad.id)
        assert (refused.status, refused.attempts) == ("queued", 1)
        assert refused.last_error.startswith("SMTPRecipientsRefused")
        assert queue.scheduled_job_registry.count == 1  # RQ's retry, 10 s later

        picky_server.refused.clear()
    with time_machine.travel(SPRING_FORWARD + timedelta(seconds=45)):
        run_worker()

    [delivered] = reminder_emails(bad.id)
    assert (delivered.status, delivered.attempts) == ("sent", 2)
    assert [recipients for recipients, _ in picky_server.messages][-1] == [BOUNCING]


# rq-scheduler keeps every schedule under one key (rq:scheduler:scheduled_jobs) and these ids are fixed: the
# two tests that register the periodic jobs in TEST_REDIS_URL run on one xdist worker, never at once.
@pytest.mark.xdist_group("rq-scheduler-keys")
def test_the_reminder_tick_is_scheduled_once_in_utc_however_often_it_is_registered(redis, queue):
    [tick] = [job for job in schedule.PERIODIC_JOBS if job.func == "jobs.reminders.dispatch_due_reminders"]
    key = "rq:scheduler:scheduled_jobs"
    try:
        for _ in range(3):  # every start of the scheduler process registers again
            assert tick.id in schedule.register_periodic_jobs(redis, queue.name)

        assert [member.decode() for member in redis.zrange(key, 0, -1)].count(tick.id) == 1
        job = Job.fetch(tick.id, connection=redis)
        assert tick.id == "wholesale-dispatch-reminders" and job.origin == queue.name
        assert job.meta["interval"] == 120 and job.timeout == 600
        assert redis.zscore(key, tick.id) <= utcnow().timestamp() + 1
    finally:
        for periodic in schedule.PERIODIC_JOBS:
            redis.zrem(key, periodic.id)
            redis.delete(f"rq:job:{periodic.id}")
