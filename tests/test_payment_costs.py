"""Getting paid at scale: every list reads the same few statements whatever its length, and two payments
recorded at once for one customer never pay one balance twice."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Variant
from wholesale.services import deliveries
from wholesale.services.invoicing import balances, payments

from .factories import make_catalog, make_customer, make_order, sign_in_contact
from .payment_data import make_invoice
from .statements import recorded_statements

PAGES = (
    "/admin/invoices/overdue",
    "/admin/payments",
    "/admin/customers/{customer}/statement",
    "/admin/payments/new?customer_id={customer}",
    "/admin/?status=pending",
)


def books(app, customers: int, start: int = 0) -> int:
    """``customers`` customers, each with two overdue invoices, a payment and a pending order."""
    with app.app_context():
        today = deliveries.today()
        variants = db.session.scalars(select(Variant)).all() or make_catalog(coffees=1)
        first = None
        for n in range(start, start + customers):
            customer = make_customer(f"Café {n:03d}")
            first = first or customer
            for days in (40, 70):
                make_invoice(customer, "30.00", today - timedelta(days=days))
            make_order(customer, [(variants[0], 1)], status="pending")
            db.session.commit()
            payments.record_payment(customer.id, today, Decimal("45.00"), "cash", "", None, None)
        return first.id


def counts(app, client, customer_id: int) -> dict[str, int]:
    found = {}
    for path in PAGES:
        path = path.format(customer=customer_id)
        with recorded_statements(app) as statements:
            assert client.get(path).status_code == 200, path
        found[path] = len(statements)
    return found


def test_lists_read_the_same_statements_for_3_or_30_customers(app, staff_client):
    app.config.update(CREDIT_LIMIT_OVERDUE_AMOUNT="10.00", CREDIT_LIMIT_OVERDUE_DAYS="30")
    try:
        customer_id = books(app, 3)
        few = counts(app, staff_client, customer_id)
        books(app, 27, start=3)
        many = counts(app, staff_client, customer_id)
    finally:
        app.config.update(CREDIT_LIMIT_OVERDUE_AMOUNT="", CREDIT_LIMIT_OVERDUE_DAYS="")
    assert few == many, (few, many)


def test_a_contacts_invoices_page_reads_the_same_statements_for_2_or_40_invoices(app, client):
    with app.app_context():
        customer = make_customer()
        today = deliveries.today()
        for days in range(2):
            make_invoice(customer, "10.00", today - timedelta(days=days))
        db.session.commit()
        sign_in_contact(client, db.session.get(Contact, customer.contacts[0].id))
        customer_id = customer.id
    with recorded_statements(app) as few:
        assert client.get("/invoices").status_code == 200
    with app.app_context():
        for days in range(38):
            make_invoice(db.session.get(type(customer), customer_id), "10.00", today - timedelta(days=days))
        db.session.commit()
    with recorded_statements(app) as many:
        assert client.get("/invoices").status_code == 200
    assert len(few) == len(many)


def test_two_payments_at_once_never_pay_one_balance_twice(app):
    with app.app_context():
        today = deliveries.today()
        customer = make_customer()
        ids = [make_invoice(customer, "50.00", today - timedelta(days=10 - n)).id for n in range(4)]
        db.session.commit()
        customer_id = customer.id
    barrier = threading.Barrier(2)
    errors = []

    def pay():
        try:
            with app.app_context():
                barrier.wait()
                payments.record_payment(customer_id, today, Decimal("120.00"), "cash", "", None, None)
        except Exception as error:  # noqa: BLE001 - SQLite may refuse the second writer; shown below
            errors.append(error)

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with app.app_context():
        found = balances.balances_of(ids, today)
        account = balances.account(customer_id, today)
        paid = sum((item.paid for item in found.values()), Decimal("0"))
        assert all(item.paid <= item.invoice.total for item in found.values())
        recorded = 2 - len(errors)
        assert paid == min(Decimal("200.00"), Decimal("120.00") * recorded)
        assert account.credit == Decimal("120.00") * recorded - paid
        if (
            db.engine.dialect.name == "postgresql"
        ):  # the second waits on the customer's row, then pays the rest
            assert errors == [] and paid == Decimal("200.00")
