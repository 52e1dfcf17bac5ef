"""Pages that only read run without a transaction; writes always run in one (wholesale/transactions.py)."""

from __future__ import annotations

import pytest
from flask import request
from sqlalchemy import event, func, select, text, update

from wholesale import transactions
from wholesale.extensions import db
from wholesale.models import Customer, Order
from wholesale.services import orders

from .conftest import csrf_from, first_line_url
from .factories import make_catalog, make_customer, make_order, make_shipping, sign_in_contact

HX = {"HX-Request": "true"}


def postgresql_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("autocommit reads are PostgreSQL's (SQLite reads never opened a transaction)")


@pytest.fixture
def customer_client(app, client):
    """A signed-in customer whose last order had two lines."""
    with app.app_context():
        variants = make_catalog(coffees=2)
        make_shipping()
        customer = make_customer("Corner Café")
        make_order(customer, [(variants[0], 2), (variants[1], 1)])
        db.session.commit()
        sign_in_contact(client, customer.contacts[0])
    return client


def autocommit_per_statement(app):
    """Watches the engine: for each statement sent, whether its connection was in autocommit mode."""
    seen: list[tuple[bool, str]] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((conn.connection.dbapi_connection.autocommit, statement.split()[0]))

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def test_the_order_page_reads_without_a_transaction_and_an_edit_writes_in_one(app, customer_client):
    """The page's reads run in autocommit mode; a +/− tap and a change of the delivery details each read the
    order locked and write it in one transaction, committed once."""
    postgresql_only(app)
    customer_client.get("/order")  # the week's first visit makes the draft
    seen, stop = autocommit_per_statement(app)
    try:
        html = customer_client.get("/order").get_data(as_text=True)
        reads = list(seen)
        seen.clear()
        line_url = first_line_url(html)
        response = customer_client.post(
            line_url, data={"csrf_token": csrf_from(html), "quantity": "5"}, headers=HX
        )
        assert response.status_code == 200 and 'value="5"' in response.get_data(as_text=True)
        tap = list(seen)
        seen.clear()
        order_id = int(line_url.split("/")[2])
        response = customer_client.post(
            f"/orders/{order_id}/details",
            data={"csrf_token": csrf_from(html), "notes": "Back door"},
            headers=HX,
        )
        assert response.status_code == 200
        details = list(seen)
    finally:
        stop()
    assert reads and all(autocommit for autocommit, _ in reads), reads
    for edit in (tap, details):
        assert {"UPDATE"} <= {verb for _, verb in edit} and not any(autocommit for autocommit, _ in edit), (
            edit
        )
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.notes == "Back door" and order.version == 3  # the tap's version, then the details'
        assert sorted(line.quantity for line in order.lines) == [1, 5]


def test_the_weeks_first_visit_makes_the_draft_in_one_transaction(app, customer_client, monkeypatch):
    """The draft and its lines are written together or not at all, although the page began by only reading."""
    postgresql_only(app)
    seen, stop = autocommit_per_statement(app)
    try:
        assert customer_client.get("/order").status_code == 200
    finally:
        stop()
    inserts = [autocommit for autocommit, verb in seen if verb == "INSERT"]
    assert inserts and not any(inserts), seen


def test_a_first_visit_that_fails_halfway_leaves_no_draft_behind(app, customer_client, monkeypatch):
    def fail(order):
        db.session.flush()  # the order and its lines are sent to the database first
        raise RuntimeError("the totals could not be worked out")

    monkeypatch.setattr(orders.pricing, "apply_totals", fail)
    assert customer_client.get("/order").status_code == 500
    monkeypatch.undo()
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Order.status == "draft")) == 0
    html = customer_client.get("/order").get_data(as_text=True)  # and the next visit makes it whole
    assert html.count('<form class="line"') == 2


@pytest.fixture
def reading(app):
    """Inside a GET of the portal with one customer in the database, reading without a transaction. Calling
    it again (after a rollback) starts reading anew."""
    with app.app_context():
        make_customer("Harbour Deli")
        db.session.commit()
    with app.test_request_context("/order"):
        transactions.read_without_transaction()
        yield transactions.read_without_transaction
        db.session.remove()


def stored_notes(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Customer.notes))


def test_writing_while_reading_without_a_transaction_is_refused(app, reading):
    """A GET that writes must say so first (begin_writing); the ORM and bulk statements are both caught."""
    customer = db.session.scalar(select(Customer))
    customer.notes = "written from a page that only reads"
    with pytest.raises(transactions.WriteWithoutTransaction, match="begin_writing"):
        db.session.flush()
    db.session.rollback()
    reading()
    with pytest.raises(transactions.WriteWithoutTransaction):
        db.session.execute(update(Customer).values(notes="bulk"))
    db.session.rollback()
    reading()
    customer = db.session.scalar(select(Customer))
    transactions.begin_writing()
    customer.notes = "written after begin_writing"
    db.session.commit()
    assert stored_notes(app) == "written after begin_writing"


def test_a_locking_read_or_a_change_made_before_begin_writing_is_refused_while_reading(app, reading):
    with pytest.raises(transactions.WriteWithoutTransaction):  # its lock would end with the statement
        db.session.scalar(select(Customer).with_for_update())
    db.session.rollback()
    reading()
    customer = db.session.scalar(select(Customer))
    customer.notes = "changed first"
    with pytest.raises(transactions.WriteWithoutTransaction, match="before changing anything"):
        transactions.begin_writing()
    db.session.rollback()
    assert stored_notes(app) == ""


def test_begin_writing_keeps_what_was_read_loaded(reading):
    customer = db.session.scalar(select(Customer))
    transactions.begin_writing()
    assert "business_name" in customer.__dict__  # not expired: no statement to read it again


def test_a_post_runs_in_a_transaction_from_its_first_statement(app, customer_client):
    with app.app_context():
        seen = []

        def record(session, transaction, connection):
            seen.append((request.endpoint, bool(session.info.get(transactions.READING))))

        event.listen(transactions.Session, "after_begin", record)
    try:
        html = customer_client.get("/order").get_data(as_text=True)
        seen.clear()
        line_url = first_line_url(html)
        order_id = int(line_url.split("/")[2])
        customer_client.post(
            f"/orders/{order_id}/details", data={"csrf_token": csrf_from(html), "notes": "x"}
        )
        customer_client.post(line_url, data={"csrf_token": csrf_from(html), "quantity": "4"})
    finally:
        event.remove(transactions.Session, "after_begin", record)
    assert {endpoint for endpoint, _ in seen} == {"portal.details", "portal.line_update"}
    assert not any(reading for _, reading in seen), seen


def test_removing_a_line_writes_in_a_transaction(app, customer_client):
    postgresql_only(app)
    html = customer_client.get("/order").get_data(as_text=True)
    line_url = first_line_url(html)
    seen, stop = autocommit_per_statement(app)
    try:
        response = customer_client.post(
            line_url, data={"csrf_token": csrf_from(html), "remove_line": "1"}, headers=HX
        )
    finally:
        stop()
    assert response.status_code == 200
    writes = [autocommit for autocommit, verb in seen if verb in ("UPDATE", "DELETE")]
    assert writes and not any(writes), seen
    with app.app_context():
        assert len(db.session.scalar(select(Order).where(Order.status == "draft")).lines) == 1


def test_a_tap_on_a_draft_placed_from_another_tab_is_not_made_on_the_placed_order(app, customer_client):
    """The draft's page sends no version; the order it names is now placed (its confirmation went out without
    this change), so the tap is refused and the customer shown the order as it now is."""
    from wholesale.models import OrderLine

    html = customer_client.get("/order").get_data(as_text=True)
    line_url = first_line_url(html)
    with app.app_context():
        order_id = db.session.scalar(select(Order.id).where(Order.status == "draft"))
        db.session.execute(
            update(Order).where(Order.id == order_id).values(status="pending", version=Order.version + 1)
        )
        db.session.commit()
        quantities = sorted(
            db.session.scalars(select(OrderLine.quantity).where(OrderLine.order_id == order_id))
        )
    response = customer_client.post(
        line_url, data={"csrf_token": csrf_from(html), "quantity": "9"}, headers=HX
    )
    assert response.status_code == 409
    assert response.headers["HX-Redirect"] == f"/orders/{order_id}/edit"
    with app.app_context():
        after = sorted(db.session.scalars(select(OrderLine.quantity).where(OrderLine.order_id == order_id)))
    assert after == quantities


def test_a_tap_on_a_line_that_is_gone_is_not_found_and_writes_nothing(app, customer_client):
    from wholesale.models import OrderLine

    html = customer_client.get("/order").get_data(as_text=True)
    line_url = first_line_url(html)
    line_id = int(line_url.rsplit("/", 1)[1])
    with app.app_context():
        db.session.execute(text("DELETE FROM order_line WHERE id = :id"), {"id": line_id})
        db.session.commit()
        order = db.session.scalar(select(Order).where(Order.status == "draft"))
        before = order.id, order.version, order.subtotal, order.total, order.updated_at
    response = customer_client.post(
        line_url, data={"csrf_token": csrf_from(html), "quantity": "7"}, headers=HX
    )
    assert response.status_code == 404
    with app.app_context():
        order = db.session.get(Order, before[0])
        assert (order.id, order.version, order.subtotal, order.total, order.updated_at) == before
        assert db.session.get(OrderLine, line_id) is None
