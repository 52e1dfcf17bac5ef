"""Invoice numbers stay gap-free and unique when many orders are approved at the same moment: twenty staff
approvals at once, each in its own thread with its own session and transaction, get exactly 1..20.

Only PostgreSQL runs transactions side by side (SQLite takes one writer at a time, so there is no race to
lose there): the test runs in the PostgreSQL pass (TEST_DATABASE_URL) and is skipped on SQLite.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from wholesale import create_app
from wholesale.extensions import db
from wholesale.models import Invoice, Order, StaffUser
from wholesale.services.orders.approval import approve_order
from wholesale.services.orders.history import Actor

from .factories import make_catalog, make_customer, make_order

APPROVALS = 20


@pytest.fixture
def twenty_pending(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): SQLite runs one writing transaction at a time")
        variants = make_catalog(coffees=2)
        staff = StaffUser(email="sam@hillside.example", name="Sam")
        staff.set_password("correct horse battery")
        db.session.add(staff)
        orders = [
            make_order(make_customer(f"Café {n:02d}"), [(variants[n % 4], 1 + n)], status="pending")
            for n in range(APPROVALS)
        ]
        db.session.commit()
        return [order.id for order in orders], staff.id


@pytest.fixture
def roomy_app(database_uri):
    """The app with a connection for each approval: all twenty hold their transaction open at once (the
    default pool has fifteen), and a lock never waits more than 30 s (fail, never hang)."""
    app = create_app(
        {
            "ENV_NAME": "development",
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "REDIS_URL": None,
            "PUBLIC_BASE_URL": "http://portal.test",
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_size": APPROVALS + 2,
                "max_overflow": 0,
                "connect_args": {"options": "-c lock_timeout=30000"},
            },
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_twenty_approvals_at_once_number_their_invoices_1_to_20(twenty_pending, roomy_app):
    app = roomy_app
    order_ids, staff_id = twenty_pending
    barrier = threading.Barrier(APPROVALS, timeout=60)
    errors: list[BaseException] = []

    def approve(order_id: int) -> None:
        try:
            with app.app_context():
                order = db.session.get(Order, order_id)
                version = order.version
                barrier.wait()
                approve_order(order, Actor(staff_id=staff_id), version)
        except BaseException as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=approve, args=(order_id,)) for order_id in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with app.app_context():
        rows = db.session.execute(
            select(Invoice.sequence_value, Invoice.number, Invoice.order_id).where(Invoice.kind == "invoice")
        ).all()
    assert sorted(value for value, _, _ in rows) == list(range(1, APPROVALS + 1))
    assert sorted(number for _, number, _ in rows) == [f"INV-{n:06d}" for n in range(1, APPROVALS + 1)]
    assert sorted(order_id for _, _, order_id in rows) == sorted(order_ids)
