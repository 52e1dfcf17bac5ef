"""Fifty customers reorder at once, over and over, against gunicorn: no error, no order lost or doubled.

gunicorn runs as the Procfile runs it (two sync workers) on the test database (PostgreSQL when
``TEST_DATABASE_URL`` is set; SQLite otherwise, in WAL mode with a busy timeout), with a
Redis of the test's own and an RQ worker sending to a local SMTP server while the load runs. Each simulated
customer goes through journey 1 on a phone of its own: open the emailed link, change a quantity inline
(htmx), place the order, see the confirmation; then again, until the time is up.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from wholesale.extensions import db
from wholesale.models import Email, Order
from wholesale.services import orders

from .faults import (  # noqa: F401  (fixtures)
    Gunicorn,
    JourneyError,
    Visitor,
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

CUSTOMERS = 50


def load_seconds(database_uri: str) -> float:
    """30 s on either database (LOAD_SECONDS for a longer run): each customer makes several journeys in it,
    some hundreds of orders in all, every one checked below; a longer load repeats the same checks."""
    return float(os.environ.get("LOAD_SECONDS", 30))


def test_fifty_customers_reordering_at_once_get_no_error_and_each_order_is_stored_once_with_one_confirmation(
    app, app_ctx, app_env, database_uri, processes, smtp_sink, tmp_path, capsys
):
    links = regular_customers(CUSTOMERS)
    web = processes(Gunicorn(app_env, tmp_path))
    processes(worker(app_env, "wholesale", tmp_path))
    seconds = load_seconds(database_uri)

    placed: list[int] = []
    errors: list[str] = []
    durations: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(CUSTOMERS)
    deadline = time.monotonic() + seconds + 30  # reset once everyone is ready

    def customer(link_path: str) -> None:
        nonlocal deadline
        visitor = Visitor(web.base_url, timeout=60)
        if start.wait() == 0:
            deadline = time.monotonic() + seconds
        for journey in range(10_000):
            if time.monotonic() >= deadline:
                return
            began = time.monotonic()
            try:
                order = reorder_journey(visitor, link_path, step=1 if journey % 2 else -1)
            except (JourneyError, OSError) as error:
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
                continue
            with lock:
                placed.append(order.order_id)
                durations.append(time.monotonic() - began)

    threads = [threading.Thread(target=customer, args=(path,), daemon=True) for path in links]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    assert not any(thread.is_alive() for thread in threads), "a customer is still waiting for an answer"

    assert errors == [], f"{len(errors)} errors, e.g. {errors[:3]}"
    assert len(placed) >= CUSTOMERS  # every customer placed at least once
    assert len(set(placed)) == len(placed)  # no two journeys were answered with the same order

    db.session.expire_all()
    stored = db.session.scalars(
        select(Order).where(Order.status == "pending").options(selectinload(Order.lines))
    ).all()
    assert sorted(order.id for order in stored) == sorted(placed)  # every order stored, once
    for order in stored:  # and whole: its stored totals are what its lines say
        totals = orders.pricing.order_totals(order)
        assert (order.subtotal, order.total) == (totals.subtotal, totals.total) and order.total > Decimal(0)
    confirmations = Counter(
        db.session.scalars(select(Email.order_id).where(Email.kind == "order_confirmation"))
    )
    assert confirmations == Counter(placed)  # exactly one confirmation per order
    assert db.session.scalar(select(func.count()).where(Order.status == "draft")) <= CUSTOMERS
    assert "Traceback" not in web.log(), web.log()[-3000:]

    sent_during_load = tally(smtp_sink)
    p95 = sorted(durations)[int(len(durations) * 0.95)]
    with capsys.disabled():
        print(
            f"\n[load on {db.engine.dialect.name}: {CUSTOMERS} customers for {seconds:.0f} s: "
            f"{len(placed)} orders placed ({len(placed) / seconds:.1f}/s), {len(errors)} errors; journey "
            f"median {statistics.median(durations):.2f} s, p95 {p95:.2f} s; {sent_during_load.delivered} "
            f"of {sent_during_load.rows} emails sent by one worker meanwhile, "
            f"{sent_during_load.duplicates} duplicates]"
        )
    assert sent_during_load.duplicates == 0
