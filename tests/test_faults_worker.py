"""A worker killed (SIGKILL, with its work horse, as a platform kills a container) in the middle of a batch:
every email still arrives, and the duplicates are counted.

The send job claims its row before talking to the SMTP server and marks it sent after the server said 250.
A worker killed before the 250 leaves a claim that goes stale (``CLAIM_TIMEOUT``, ten minutes) and the sweep
sends that email again: no duplicate, as the server never accepted the first copy. A worker killed after
the 250 but before its commit leaves the same stale claim, and that email is sent twice: delivery is at least
once, and this window (the server's 250, our QUIT and one commit) allows one duplicate per killed worker,
carrying the same Message-ID as the first copy. The second test kills a worker inside that window on
purpose, to show the bound holds and is not exceeded.

Ten minutes cannot pass in a test, so the outbox's clock columns are moved back instead (``age_outbox``).
"""

from __future__ import annotations

import pytest

from jobs.emails import sweep_outbox
from wholesale.extensions import db
from wholesale.models import Email

from .faults import (  # noqa: F401  (fixtures)
    AppVisitor,
    age_outbox,
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


def place_orders(app, count: int) -> None:
    """``count`` customers place an order on the portal; two emails each wait on the queue."""
    for path in regular_customers(count):
        reorder_journey(AppVisitor(app), path)


def sweep_as_if_ten_minutes_passed() -> int:
    age_outbox(minutes=11)
    return sweep_outbox()


def in_flight() -> int:
    db.session.expire_all()
    return db.session.query(Email).filter(Email.status == "sending").count()


def test_a_worker_killed_mid_batch_while_sending_loses_no_email_and_doubles_none(
    app, app_ctx, app_env, portal_on_our_redis, processes, smtp_sink, tmp_path, capsys
):
    place_orders(app, 4)
    smtp_sink.accept_delay = 0.5  # the server takes its time over each message: the kill lands in one
    first = processes(worker(app_env, "wholesale", tmp_path, name="first"))
    wait_until(lambda: smtp_sink.data_started >= 4, 60, "the worker to be sending its fourth email")

    killed = first.kill()
    assert len(killed) >= 2  # the worker, its work horse (and RQ's scheduler process)
    assert smtp_sink.received() == 3 and in_flight() == 1  # the fourth was claimed, never accepted
    smtp_sink.accept_delay = 0

    second = processes(worker(app_env, "wholesale", tmp_path, name="second", burst=True))
    second.process.wait(120)  # the rest of the batch, as the restarted worker sends it
    assert in_flight() == 1  # a live claim is nobody else's: the restart did not send it

    assert sweep_as_if_ten_minutes_passed() == 1  # the claim went stale: the sweep sends it
    processes(worker(app_env, "wholesale", tmp_path, name="third", burst=True)).process.wait(60)

    outcome = tally(smtp_sink)
    assert outcome.missing == [] and outcome.statuses == {"sent": 8}
    assert outcome.duplicates == 0
    with capsys.disabled():
        print(
            f"\n[worker SIGKILLed mid-batch while sending: {outcome.rows} emails, "
            f"{outcome.delivered} delivered, {outcome.duplicates} duplicates]"
        )


def test_a_worker_killed_between_the_servers_250_and_its_commit_makes_one_duplicate_with_one_message_id(
    app, app_ctx, app_env, portal_on_our_redis, processes, smtp_sink, tmp_path, capsys
):
    place_orders(app, 1)
    smtp_sink.mode = "hold-reply"  # queues the first message, then holds its "250": the worker waits
    first = processes(worker(app_env, "wholesale", tmp_path, name="first"))
    wait_until(smtp_sink.holding.is_set, 60, "the server to queue a message and hold its reply")

    first.kill()
    smtp_sink.mode = "accept"
    assert smtp_sink.received() == 1 and in_flight() == 1

    assert sweep_as_if_ten_minutes_passed() == 2  # the stale claim, and the other email its job was lost with
    processes(worker(app_env, "wholesale", tmp_path, name="second", burst=True)).process.wait(60)

    outcome = tally(smtp_sink)
    assert outcome.missing == [] and outcome.statuses == {"sent": 2}
    assert outcome.delivered == 3 and outcome.duplicates == 1  # the bound: one per worker killed in it
    with capsys.disabled():
        print(
            f"\n[worker SIGKILLed after the server queued a message, before its commit: {outcome.rows} emails, "
            f"{outcome.delivered} delivered, {outcome.duplicates} duplicate]"
        )
    [(twice, count)] = [(message_id, n) for message_id, n in smtp_sink.message_ids().items() if n > 1]
    assert count == 2  # both copies carry one Message-ID, so mail clients that merge by it show one
