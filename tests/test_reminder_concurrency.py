"""Ticks that race, and a big tick: every due reminder is sent exactly once.

Two ticks at once (two schedulers, a retried job) in threads and in separate processes, against whichever
database the suite runs on (SQLite, or PostgreSQL with TEST_DATABASE_URL); then a tick with 1,000 customers
due, which must stay a handful of queries per page of customers (plus the outbox's one per email).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from datetime import time as wall_time
from decimal import Decimal

import pytest
from sqlalchemy import event, func, insert, select

from wholesale import create_app
from wholesale.extensions import db, mail
from wholesale.models import Contact, Customer, Email, Order, OrderLine, ReminderSend
from wholesale.services import reminders
from wholesale.services.mail.delivery import deliver

from .factories import make_catalog
from .reminder_data import LA, answered_before, remind, utc

DUE = utc(2026, 3, 15, 9)  # Sunday 02:00 PDT
LAST_WEEK = utc(2026, 3, 8, 10)


def everything_sent_once(customers: int, contacts_each: int) -> None:
    """Each customer has exactly one reminder for DUE, and each of its contacts exactly one email."""
    db.session.expire_all()
    per_customer = db.session.execute(
        select(ReminderSend.customer_id, func.count())
        .where(ReminderSend.occurrence_at == DUE)
        .group_by(ReminderSend.customer_id)
    ).all()
    assert len(per_customer) == customers and {n for _, n in per_customer} == {1}
    emails = db.session.execute(
        select(Email.dedupe_key, Email.to_address).where(Email.kind == "reminder")
    ).all()
    assert len(emails) == customers * contacts_each
    assert len({address for _, address in emails}) == customers * contacts_each


@pytest.fixture
def sixty_due(app):
    with app.app_context():
        for n in range(60):
            answered_before(remind(f"Café {n:02d}", contacts=2), DUE)
        db.session.commit()


@pytest.mark.parametrize(
    "page_size", [reminders.dispatch.PAGE_SIZE, 7], ids=["one page", "interleaved pages"]
)
def test_two_ticks_at_once_in_threads_send_each_reminder_once(app, sixty_due, monkeypatch, page_size):
    monkeypatch.setattr(reminders.dispatch, "PAGE_SIZE", page_size)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run_a_tick():
        try:
            with app.app_context():
                barrier.wait()
                reports.append(reminders.dispatch.dispatch_due_reminders(now=DUE))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run_a_tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == [] and len(reports) == 2
    assert sorted(report.sent for report in reports)[1] > 0 and sum(report.sent for report in reports) == 60
    assert all(report.failed == [] for report in reports)
    with app.app_context():
        everything_sent_once(60, 2)


def tick_in_another_process(settings: dict, now: str, page_size: int, barrier, results) -> None:
    """A whole other process with an app of its own (spawned, so it shares nothing with the test's)."""
    app = create_app(settings)
    reminders.dispatch.PAGE_SIZE = page_size
    with app.app_context():
        db.session.execute(select(1))  # connect before the race starts
        barrier.wait(30)
        report = reminders.dispatch.dispatch_due_reminders(now=datetime.fromisoformat(now))
        results.put((report.sent, len(report.email_ids), report.failed))


def test_two_ticks_at_once_in_two_processes_send_each_reminder_once(app, sixty_due):
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    settings = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "PUBLIC_BASE_URL")}
    settings |= {"ENV_NAME": "development", "TESTING": True, "REDIS_URL": None}
    processes = [
        spawn.Process(target=tick_in_another_process, args=(settings, DUE.isoformat(), 7, barrier, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)

    assert [process.exitcode for process in processes] == [0, 0]
    assert sum(sent for sent, _, _ in outcomes) == 60 and sum(emails for _, emails, _ in outcomes) == 120
    assert all(failed == [] for _, _, failed in outcomes)
    with app.app_context():
        everything_sent_once(60, 2)


# --- 1,000 customers in one tick -------------------------------------------------------------------------


def thousand_customers_with_an_order_each() -> None:
    """Written in bulk: 1,000 customers (one contact, one two-line order, last week's reminder sent)."""
    variants = make_catalog(coffees=2)
    now = utc(2026, 3, 1)
    db.session.execute(
        insert(Customer),
        [
            {
                "business_name": f"Café {n:04d}",
                "reminders_enabled": True,
                "reminder_weekday": 6,
                "reminder_time": wall_time(2),
                "reminder_timezone": LA,
                "discount_percent": Decimal("0"),
                "created_at": now,
            }
            for n in range(1000)
        ],
    )
    ids = list(db.session.scalars(select(Customer.id).order_by(Customer.id)))
    db.session.execute(
        insert(Contact),
        [
            {
                "customer_id": customer_id,
                "name": f"Buyer {n}",
                "email": f"buyer{n}@cafe{n}.example",
                "created_at": now,
            }
            for n, customer_id in enumerate(ids)
        ],
    )
    db.session.execute(
        insert(Order),
        [
            {
                "customer_id": customer_id,
                "channel": "portal",
                "status": "fulfilled",
                "placed_at": utc(2026, 3, 10),
                "subtotal": Decimal("43.50"),
                "total": Decimal("43.50"),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for customer_id in ids
        ],
    )
    orders = list(db.session.scalars(select(Order.id).order_by(Order.id)))
    db.session.execute(
        insert(OrderLine),
        [
            {
                "order_id": order_id,
                "variant_id": variant.id,
                "quantity": 1 + n % 3,
                "unit_price": variant.price,
            }
            for order_id in orders
            for n, variant in enumerate(variants[:2])
        ],
    )
    db.session.execute(
        insert(ReminderSend),
        [
            {"customer_id": customer_id, "occurrence_at": LAST_WEEK, "outcome": "sent", "skip_reason": ""}
            for customer_id in ids
        ],
    )
    db.session.commit()


@contextmanager
def fast_commits():
    """On SQLite, don't wait for the disk on each of the 2,000 commits of sending (not what is tested). The
    PostgreSQL test database never waits for it (``synchronous_commit = off``, conftest.database_uri)."""
    if db.engine.dialect.name != "sqlite":
        yield
        return

    def no_fsync(connection, record, proxy):
        connection.execute("PRAGMA synchronous = OFF")

    event.listen(db.engine, "checkout", no_fsync)
    try:
        yield
    finally:
        event.remove(db.engine, "checkout", no_fsync)
        db.session.remove()
        db.engine.dispose()  # no connection keeps the setting


@pytest.mark.slow
def test_a_tick_with_1000_customers_due_sends_1000_emails_once_each(app, app_ctx, monkeypatch, capsys):
    thousand_customers_with_an_order_each()
    handed_over = []
    monkeypatch.setattr(reminders.dispatch, "deliver_all", handed_over.extend)  # time the sends on their own
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    report = reminders.dispatch.dispatch_due_reminders(now=DUE)
    tick_seconds = time.perf_counter() - started
    event.remove(db.engine, "before_cursor_execute", count)
    queries = len(statements)

    started = time.perf_counter()
    with mail.record_messages() as outbox, fast_commits():
        for email_id in handed_over:
            deliver(email_id)  # as without Redis: in-process (with Redis, workers send them in parallel)
    send_seconds = time.perf_counter() - started

    assert (report.sent, len(report.email_ids), report.failed) == (1000, 1000, [])
    assert sorted(handed_over) == sorted(report.email_ids)
    assert len(outbox) == 1000 and len({tuple(message.recipients) for message in outbox}) == 1000
    everything_sent_once(1000, 1)
    sent = select(func.count()).where(Email.kind == "reminder", Email.status == "sent")
    assert db.session.scalar(sent) == 1000
    [body] = db.session.scalars(select(Email.text_body).where(Email.to_address == "buyer7@cafe7.example"))
    assert "2 × Coffee 00, 5 lb bag" in body or "1 × Coffee 00, 340 g bag" in body
    # Ours are a fixed handful per page of 200 customers. The outbox's queue_email checks each email's dedupe
    # key (one SELECT per email), and SQLite inserts emails one by one (PostgreSQL in batches).
    ours = [sql for sql in statements if not sql.startswith(("SELECT email.", "INSERT INTO email "))]
    assert len(ours) <= 8 * (1000 // reminders.dispatch.PAGE_SIZE + 1), ours
    assert (
        reminders.dispatch.dispatch_due_reminders(now=DUE).sent == 0
    )  # and a second tick finds nothing to do
    with capsys.disabled():
        print(
            f"\n[1,000-customer tick on {db.engine.dialect.name}: claim and write {tick_seconds:.2f} s "
            f"in {queries} statements ({len(ours)} of them the tick's own); "
            f"sending in-process {send_seconds:.2f} s]"
        )
    assert tick_seconds < 60
