"""Redis goes away while customers place orders, and comes back empty: nothing is lost, nothing is doubled.

Real processes, as the Procfile runs them: gunicorn (two workers) and an RQ worker, on the test database, with
a redis-server and an SMTP server of the test's own. Redis is stopped (not paused: without persistence it
comes back empty, so every job queued before is gone too) while customers go through the whole reorder
journey on their phones; then it is started again.

Also here: the rate limits of staff sign-in and link requests are counted in Redis when it is configured,
shared by every web process, and still enforced (in memory) while Redis is away.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Email, Order

from .conftest import STAFF_EMAIL
from .faults import (  # noqa: F401  (fixtures)
    CSRF,
    Gunicorn,
    Visitor,
    age_outbox,
    app_env,
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

PER_PHASE = 6


def place_all(base_url: str, link_paths: list[str]) -> list[int]:
    """Every customer's journey at once, one phone each; the ids of the orders placed."""
    with ThreadPoolExecutor(len(link_paths)) as pool:
        return [
            placed.order_id
            for placed in pool.map(lambda path: reorder_journey(Visitor(base_url), path), link_paths)
        ]


def test_orders_placed_while_redis_is_down_are_kept_and_each_email_arrives_once(
    app, app_ctx, app_env, processes, redis_server, smtp_sink, tmp_path, capsys
):
    links = regular_customers(3 * PER_PHASE)
    web = processes(Gunicorn(app_env, tmp_path))
    # An RQ worker busy with a job when Redis goes away exits; the platform starts it again.
    work = processes(worker(app_env, "wholesale", tmp_path)).supervise(restart_delay=2, max_restarts=30)

    before = place_all(web.base_url, links[:PER_PHASE])
    redis_server.stop()  # jobs still queued for this phase are lost with it
    during = place_all(web.base_url, links[PER_PHASE : 2 * PER_PHASE])

    db.session.expire_all()
    waiting = db.session.scalars(select(Email).where(Email.order_id.in_(during))).all()
    assert len(waiting) == 2 * PER_PHASE  # the confirmation and the roastery's notice, written with the order
    assert {(email.status, email.attempts) for email in waiting} == {("queued", 0)}

    redis_server.start()  # empty
    after = place_all(web.base_url, links[2 * PER_PHASE :])

    # The scheduler's sweep, a minute later: it finds what waited and enqueues it once.
    age_outbox(minutes=2)
    with Redis.from_url(redis_server.url()) as connection:
        Queue("wholesale", connection=connection).enqueue("jobs.emails.sweep_outbox")
    wait_until(lambda: tally(smtp_sink).statuses == {"sent": 6 * PER_PHASE}, 60, "every email sent")

    orders = before + during + after
    assert len(set(orders)) == 3 * PER_PHASE
    assert db.session.scalar(select(func.count()).where(Order.status == "pending")) == 3 * PER_PHASE
    per_order = db.session.execute(
        select(Email.order_id, func.count())
        .where(Email.kind == "order_confirmation")
        .group_by(Email.order_id)
    ).all()
    assert sorted(per_order) == sorted((order_id, 1) for order_id in orders)
    outcome = tally(smtp_sink)
    assert outcome.missing == [] and outcome.delivered == outcome.rows == 6 * PER_PHASE
    assert outcome.duplicates == 0
    assert "could not enqueue email sends" in web.log()  # the web noticed, and the order still went through
    with capsys.disabled():
        print(
            f"\n[Redis stopped while customers placed orders: {len(orders)} orders ({PER_PHASE} while "
            f"it was down), {outcome.rows} emails, {outcome.delivered} delivered, {outcome.duplicates} "
            f"duplicates; the worker was restarted {work.restarts} times]"
        )


# --- Rate limits in Redis ---------------------------------------------------------------------------------


def sign_in_guess(base_url: str, n: int) -> int:
    visitor = Visitor(base_url)
    token = CSRF.search(visitor.get("/admin/sign-in").text).group(1)
    return visitor.post(
        "/admin/sign-in", {"csrf_token": token, "email": STAFF_EMAIL, "password": f"guess number {n}"}
    ).status


def link_request(base_url: str, address: str) -> int:
    visitor = Visitor(base_url)
    token = CSRF.search(visitor.get("/link/request").text).group(1)
    return visitor.post("/link/request", {"csrf_token": token, "email": address}).status


def test_rate_limits_are_counted_in_redis_shared_by_every_web_process_and_kept_without_it(
    app_env, processes, redis_server, staff, tmp_path
):
    # Two web servers on one Redis, as two dynos: every other request goes to the other one.
    one = processes(Gunicorn(app_env, tmp_path, workers=1))
    two = processes(Gunicorn(app_env, tmp_path, workers=1))
    servers = [one.base_url, two.base_url]

    guesses = [sign_in_guess(servers[n % 2], n) for n in range(11)]
    assert guesses == [400] * 10 + [429]  # ten wrong passwords between the two, then refused on either
    asks = [link_request(servers[n % 2], "ana@bluedoor.example") for n in range(4)]
    assert asks == [303, 303, 303, 429]  # three an hour per address
    with Redis.from_url(redis_server.url()) as connection:
        keys = [key.decode() for key in connection.scan_iter("LIMITS*", count=1000)]
    assert any("staff-sign-in:" in key for key in keys) and any("link-request:" in key for key in keys)
    assert not any("ana@bluedoor.example" in key for key in keys)  # addresses are hashed, never stored

    redis_server.stop()
    # Without Redis each process counts in its own memory: pages still answer, and a flood is still refused.
    fallback = [sign_in_guess(one.base_url, 100 + n) for n in range(11)]
    assert fallback == [400] * 10 + [429]
    assert link_request(two.base_url, "bo@bluedoor.example") == 303
    assert "Traceback" not in one.log() + two.log()


def test_a_redis_that_stops_answering_slows_a_request_by_seconds_and_never_hangs_it(
    app, app_ctx, app_env, processes, redis_server, staff, tmp_path
):
    """A hung Redis (a network partition, a stuck server) accepts connections and never answers: every
    request that talks to it (placing enqueues two emails; sign-in and link requests count their limits)
    gives up after a short timeout, once per request, and carries on without it."""
    [link] = regular_customers(1)
    web = processes(Gunicorn(app_env, tmp_path, workers=1))
    redis_server.freeze()
    try:
        timings = {}
        for step, action in [
            ("place an order", lambda: reorder_journey(Visitor(web.base_url, timeout=60), link)),
            ("a staff sign-in", lambda: sign_in_guess(web.base_url, 1)),
            ("a link request", lambda: link_request(web.base_url, "ana@bluedoor.example")),
        ]:
            started = time.monotonic()
            outcome = action()
            timings[step] = time.monotonic() - started
            assert outcome in (400, 303) or hasattr(outcome, "order_id"), (step, outcome)
    finally:
        redis_server.thaw()
    assert all(seconds < 6 for seconds in timings.values()), timings
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Order.status == "pending")) == 1
