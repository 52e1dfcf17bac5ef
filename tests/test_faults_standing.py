"""Standing orders with real processes: two schedulers, Redis emptied while they run, a worker killed in the
middle of placing: each delivery is still placed once, and its preview sent once.

The schedulers run as the Procfile runs them, the ticks on real RQ workers, the emails go to an SMTP server of
the test's own. Real processes cannot share a fake clock, so the deliveries' cut-offs are set in real time:
some passed a few minutes ago (placed at the first tick, never previewed), the others fall due while the test
runs (previewed first, then placed). The roastery's zone is UTC here, so a cut-off's wall time is its
instant. (Ticks racing in one process, and the daylight-saving weeks, are in test_standing_tick.py.)
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select, text

from jobs.schedule import PERIODIC_JOBS, register_periodic_jobs
from wholesale.extensions import db
from wholesale.models import Email, Order, ShippingOption, StandingDelivery, utcnow

from .factories import make_catalog, make_customer
from .faults import (  # noqa: F401  (fixtures)
    Process,
    app_env,
    processes,
    redis_server,
    smtp_sink,
    tally,
    wait_until,
    worker,
)
from .standing_data import make_standing
from .test_faults_scheduler import schedule_in, scheduler

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.processes]

CONTACTS = 2
TICK = r"jobs\.standing\.dispatch_standing_orders"
STANDING_TICK = next(job for job in PERIODIC_JOBS if job.func == "jobs.standing.dispatch_standing_orders")


@pytest.fixture
def env(app_env):
    return {**app_env, "ROASTERY_TIMEZONE": "UTC", "ORDER_NOTIFY_ROASTERY": "0"}


def standing_orders_due(passed: int, falling_due: int) -> None:
    """``passed`` standing orders whose delivery's cut-off was five minutes ago, and ``falling_due`` whose
    cut-offs come one after another from 15 seconds on: each its own option, delivering today, closing at that
    instant (UTC)."""
    variants = make_catalog(coffees=2)
    now = utcnow().replace(microsecond=0)
    dues = [now - timedelta(minutes=5)] * passed + [
        now + timedelta(seconds=15 + 2 * n) for n in range(falling_due)
    ]
    for n, due in enumerate(dues):
        option = ShippingOption(
            name=f"Van {n}",
            fee="5.00",
            position=n,
            active=True,
            cutoff_days_before=0,
            cutoff_time=due.time(),
            roast_days_before=0,
            delivery_days=127,
        )
        customer = make_customer(f"Standing {n}", contacts=CONTACTS)
        make_standing(customer, option, [(variants[n % 4], 1 + n % 3)], first=due.date())
    db.session.commit()


def placed() -> tuple[int, int, int]:
    """(standing orders placed, their deliveries decided, the most orders any one customer got)."""
    db.session.expire_all()
    per_customer = db.session.execute(
        select(Order.customer_id, func.count()).where(Order.channel == "standing").group_by(Order.customer_id)
    ).all()
    decided = db.session.scalar(select(func.count()).where(StandingDelivery.outcome.is_not(None)))
    return sum(n for _, n in per_customer), decided, max((n for _, n in per_customer), default=0)


def emails(kind: str) -> list[tuple[str, str]]:
    db.session.expire_all()
    return db.session.execute(select(Email.dedupe_key, Email.to_address).where(Email.kind == kind)).all()


def waiting_in_order_insert() -> int:
    """Connections waiting on a lock inside an order's INSERT (read in a transaction of its own: PostgreSQL
    shows one transaction the same snapshot of its activity)."""
    try:
        return db.session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'INSERT INTO \"order\"%'"
            )
        ).scalar()
    finally:
        db.session.rollback()


def ticks_run(*workers: Process) -> int:
    return sum(len(re.findall(rf"Successfully completed .*{TICK}", process.log())) for process in workers)


def tick_every_two_seconds(redis_url: str, *workers: Process) -> None:
    """The standing-order tick under its fixed id, every 2 s instead of 120 s (registered again until ticks
    come: a scheduler enqueuing it at that moment writes its old schedule back, see test_faults_scheduler)."""
    for _ in range(5):
        with Redis.from_url(redis_url) as connection:
            register_periodic_jobs(connection, "wholesale", (replace(STANDING_TICK, every_seconds=2),))
        before = ticks_run(*workers)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            if ticks_run(*workers) >= before + 2:
                return
            time.sleep(0.1)
    raise AssertionError(
        f"the standing-order tick did not run every two seconds ({ticks_run(*workers)} in all)"
    )


def assert_each_once(sink, passed: int, falling_due: int) -> None:
    count = passed + falling_due
    assert placed() == (count, count, 1)
    previews = emails("standing_preview")
    assert len(previews) == len({key for key, _ in previews})  # one per contact and delivery
    assert len(previews) <= falling_due * CONTACTS  # only deliveries whose cut-off was still ahead
    assert len(previews) >= CONTACTS  # at least one was previewed before its cut-off (the path ran)
    assert len(emails("standing_placed")) == count * CONTACTS
    outcome = tally(sink)
    assert outcome.missing == [] and outcome.duplicates == 0


def test_two_schedulers_and_redis_emptied_place_each_delivery_once_and_preview_it_once(
    env, app_ctx, processes, redis_server, smtp_sink, tmp_path, capsys
):
    passed, falling_due = 3, 4
    standing_orders_due(passed, falling_due)
    workers = [processes(worker(env, "wholesale", tmp_path, name=f"worker-{n}")) for n in (1, 2)]
    processes(scheduler(env, tmp_path, "scheduler-1"))
    processes(scheduler(env, tmp_path, "scheduler-2"))  # a second one, by mistake or in a deploy overlap
    wait_until(lambda: ticks_run(*workers) >= 1, 30, "the first standing-order tick")
    tick_every_two_seconds(redis_server.url(), *workers)
    wait_until(lambda: placed()[0] >= passed, 30, "the passed deliveries placed", seen=placed)

    with Redis.from_url(redis_server.url()) as connection:
        connection.flushall()  # Redis loses everything: the schedule, the queue, the workers' registrations
    wait_until(
        lambda: STANDING_TICK.id in schedule_in(redis_server), 30, "the schedulers to register the tick again"
    )
    tick_every_two_seconds(
        redis_server.url(), *workers
    )  # registered again at its 120 s: quicker, for the test
    wait_until(lambda: placed()[0] >= passed + falling_due, 90, "every delivery placed", seen=placed)
    ticks = ticks_run(*workers)
    wait_until(lambda: ticks_run(*workers) >= ticks + 3, 60, "more ticks after the last placement")
    wait_until(
        lambda: tally(smtp_sink).missing == [], 60, "every email delivered", seen=lambda: tally(smtp_sink)
    )
    assert_each_once(smtp_sink, passed, falling_due)
    with capsys.disabled():
        print(
            f"\n[standing orders, two schedulers, Redis emptied: {ticks_run(*workers)} ticks, "
            f"{passed + falling_due} placed once, {len(emails('standing_preview'))} previews, "
            f"{tally(smtp_sink).duplicates} duplicate emails]"
        )


def test_a_worker_killed_mid_placement_leaves_the_delivery_to_the_next_tick(
    app, env, app_ctx, processes, redis_server, smtp_sink, tmp_path
):
    """The tick has claimed the delivery and is inserting its order when the worker is SIGKILLed: its
    transaction dies with its connection, and the next tick places the delivery, once. (The order's INSERT is
    held by a lock the test takes on the customer's row: PostgreSQL's row locks, so PostgreSQL only.)"""
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "stopping the tick inside its INSERT needs PostgreSQL's row locks (run with TEST_DATABASE_URL)"
        )
    standing_orders_due(passed=1, falling_due=0)
    queue = Queue("wholesale", connection=Redis.from_url(redis_server.url()))
    with db.engine.connect() as blocker:
        blocker.execute(
            text("SELECT id FROM customer FOR UPDATE")
        )  # the order's foreign key check waits on it
        first = processes(worker(env, "wholesale", tmp_path, name="first"))
        queue.enqueue(STANDING_TICK.func)
        wait_until(lambda: waiting_in_order_insert(), 30, "the tick waiting inside its order's INSERT")
        first.kill()
        blocker.rollback()
    assert placed() == (0, 0, 0)  # the claim died with the transaction
    queue.enqueue(STANDING_TICK.func)
    queue.enqueue(STANDING_TICK.func)
    processes(worker(env, "wholesale", tmp_path, name="second", burst=True)).process.wait(60)
    assert placed() == (1, 1, 1)
    assert len(emails("standing_placed")) == CONTACTS
