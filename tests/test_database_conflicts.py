"""A transaction the database ends because another one collided with it (a deadlock, a serialization failure)
is answered as what it is: a 409 saying that nothing was saved and to try again, never "the database is
unreachable"."""

from __future__ import annotations

import threading

import psycopg.errors
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from wholesale.extensions import db
from wholesale.models import Customer

CONFLICT = "Someone else changed this at the same moment, so nothing was saved. Please try again."


@pytest.fixture
def two_customers(app):
    with app.app_context():
        customers = [Customer(business_name="Blue Door Café"), Customer(business_name="Juniper & Rye")]
        db.session.add_all(customers)
        db.session.commit()
        return [customer.id for customer in customers]


def revoke(forms, customer_id: int, **kwargs):
    page = f"/admin/customers/{customer_id}"
    return forms.post(f"{page}/revoke-links", page=page, **kwargs)


def token_versions(app, ids):
    with app.app_context():
        return [db.session.get(Customer, customer_id).token_version for customer_id in ids]


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.errors.SerializationFailure("could not serialize access due to concurrent update"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
    ],
    ids=["serialization failure", "deadlock"],
)
def test_a_transaction_ended_by_a_conflict_is_a_409_that_says_so(
    app, staff_client, forms, two_customers, monkeypatch, cause
):
    def collides(customer, staff_user_id=None):
        db.session.execute(update(Customer).where(Customer.id == customer.id).values(token_version=9))
        raise OperationalError("UPDATE customer SET token_version=…", {}, cause)

    monkeypatch.setattr("wholesale.admin.customers.revoke_links", collides)
    response = revoke(forms, two_customers[0])

    page = response.get_data(as_text=True)
    assert response.status_code == 409 and CONFLICT in page
    assert "cannot reach our database" not in page and "Retry-After" not in response.headers
    assert token_versions(app, two_customers) == [1, 1]  # nothing was saved


def test_an_htmx_change_ended_by_a_conflict_reloads_the_page_with_the_reason(
    app, staff_client, forms, two_customers, monkeypatch
):
    def collides(customer, staff_user_id=None):
        raise OperationalError("UPDATE …", {}, psycopg.errors.DeadlockDetected("deadlock detected"))

    monkeypatch.setattr("wholesale.admin.customers.revoke_links", collides)
    response = revoke(forms, two_customers[0], headers={"HX-Request": "true"})
    assert response.status_code == 409 and response.headers["HX-Refresh"] == "true"
    page = staff_client.get(f"/admin/customers/{two_customers[0]}").get_data(as_text=True)
    assert f"Your last change was not saved. {CONFLICT}" in page


def test_a_real_deadlock_between_a_request_and_another_transaction(
    app, staff_client, forms, two_customers, monkeypatch
):
    """Two transactions lock two rows in opposite orders; PostgreSQL ends the request's, which waited first."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite takes one write lock for the whole file: two writers cannot deadlock")
        engine = db.engine
    first, second = two_customers
    other_holds_second, request_holds_first = threading.Event(), threading.Event()
    other = {}

    def other_transaction():
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '20s'"))  # never hang the suite
                conn.execute(
                    update(Customer).where(Customer.id == second).values(business_name="Juniper & Rye Ltd")
                )
                other_holds_second.set()
                request_holds_first.wait(10)
                # Lock the first row after the request has begun waiting for the second: the request's wait is
                # older, so PostgreSQL's deadlock check finds the cycle in the request and ends it there.
                threading.Event().wait(0.3)
                conn.execute(
                    update(Customer).where(Customer.id == first).values(business_name="Blue Door Ltd")
                )
            other["outcome"] = "committed"
        except Exception as error:  # reported by the assertion below
            other["outcome"] = repr(error)

    def revoke_both(customer, staff_user_id=None):
        other_holds_second.wait(10)
        db.session.execute(
            update(Customer).where(Customer.id == first).values(token_version=Customer.token_version + 1)
        )
        request_holds_first.set()
        db.session.execute(
            update(Customer).where(Customer.id == second).values(token_version=Customer.token_version + 1)
        )
        db.session.commit()

    monkeypatch.setattr("wholesale.admin.customers.revoke_links", revoke_both)
    thread = threading.Thread(target=other_transaction)
    thread.start()
    try:
        response = revoke(forms, first)
    finally:
        thread.join(30)

    assert response.status_code == 409 and CONFLICT in response.get_data(as_text=True)
    assert other["outcome"] == "committed"
    assert token_versions(app, two_customers) == [1, 1]  # the request saved nothing
    with app.app_context():
        names = list(db.session.scalars(select(Customer.business_name).order_by(Customer.id)))
    assert names == ["Blue Door Ltd", "Juniper & Rye Ltd"]  # the other transaction's changes stand
