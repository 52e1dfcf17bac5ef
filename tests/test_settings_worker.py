"""A running worker reads a changed setting at its next job: no restart, no redeploy.

A real RQ worker (the Procfile's, started once) runs the weekly reminder tick, which writes each reminder with
the roastery's name and sends it to an SMTP server of the test's own. Between two ticks an owner renames the
roastery on the Settings page, in this process; the worker's second tick writes the new name. Real processes
cannot share a fake clock, so each reminder falls due a minute before its tick (in UTC).
"""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from redis import Redis
from rq import Queue

from wholesale.extensions import db
from wholesale.models import utcnow

from .conftest import csrf_from
from .faults import (  # noqa: F401  (fixtures)
    app_env,
    processes,
    redis_server,
    smtp_sink,
    wait_until,
    worker,
)
from .reminder_data import answered_before, remind
from .test_settings import current_values

pytestmark = [pytest.mark.redis, pytest.mark.processes]


def reminder_due_a_minute_ago(app, name: str) -> None:
    due = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=1)
    with app.app_context():
        customer = remind(name, weekday=due.weekday(), at=due.time(), zone="UTC")
        answered_before(customer, due)  # last week's went out
        db.session.commit()


def subjects(sink) -> list[str]:
    with sink.lock:
        return sorted(str(make_header(decode_header(message["Subject"]))) for _, message in sink.messages)


def test_a_running_worker_writes_the_new_roastery_name_at_its_next_job(
    app, app_env, processes, redis_server, smtp_sink, staff_client, tmp_path
):
    processes(worker(app_env, "wholesale", tmp_path))
    queue = Queue("wholesale", connection=Redis.from_url(redis_server.url()))

    reminder_due_a_minute_ago(app, "Blue Door Café")
    queue.enqueue("jobs.reminders.dispatch_due_reminders")
    wait_until(lambda: smtp_sink.received() == 1, 30, "the first reminder to arrive")

    page = staff_client.get("/admin/settings").get_data(as_text=True)
    renamed = staff_client.post(
        "/admin/settings",
        data=current_values(page) | {"roastery_name": "Ridge Roasters", "csrf_token": csrf_from(page)},
    )
    assert renamed.status_code == 303

    reminder_due_a_minute_ago(app, "Corner Deli")
    queue.enqueue("jobs.reminders.dispatch_due_reminders")
    wait_until(lambda: smtp_sink.received() == 2, 30, "the second reminder to arrive")

    assert subjects(smtp_sink) == [
        "Your weekly order for Blue Door Café from Hillside Coffee Roasters",
        "Your weekly order for Corner Deli from Ridge Roasters",
    ]
