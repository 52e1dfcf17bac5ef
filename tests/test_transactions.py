"""Pages that only read run without a transaction; writes always run in one (wholesale/transactions.py)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import request
from sqlalchemy import create_engine, event, func, select, text, update

from wholesale import transactions
from wholesale.extensions import db
from wholesale.models import Customer, Order
from wholesale.services import pricing

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


def test_the_order_page_reads_without_a_transaction_and_a_tap_writes_in_one_statement(app, customer_client):
    """A +/− tap: who is signed in, the draft, and one statement writing the order and the line, atomic by
    itself: no BEGIN, no COMMIT. A change of the delivery details writes in a transaction."""
    postgresql_only(app)
    customer_client.get("/order")  # the week's first visit makes the draft
    seen, stop = autocommit_per_statement(app)
    try:
        html = customer_client.get("/order").get_data(as_text=True)
        reads = list(seen)
        seen.clear()
        line_url = first_line_url(html)
        response = customer_client.post(line_url, data={"csrf_token": csrf_from(html), "quantity": "5"}, headers=HX)
        assert response.status_code == 200 and 'value="5"' in response.get_data(as_text=True)
        tap = list(seen)
        seen.clear()
        order_id = int(line_url.split("/")[2])
        response = customer_client.post(
            f"/orders/{order_id}/details", data={"csrf_token": csrf_from(html), "notes": "Back door"}, headers=HX
        )
        assert response.status_code == 200
        details = list(seen)
    finally:
        stop()
    assert reads and all(autocommit for autocommit, _ in reads), reads
    assert len(tap) == 3 and all(autocommit for autocommit, _ in tap), tap
    assert [verb for _, verb in tap] == ["SELECT", "SELECT", "WITH"], tap
    assert {"UPDATE"} <= {verb for _, verb in details} and not any(autocommit for autocommit, _ in details), details
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

    monkeypatch.setattr(pricing, "apply_totals", fail)
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


def test_a_post_reads_without_a_transaction_only_where_its_view_says_so(app, customer_client):
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
        customer_client.post(f"/orders/{order_id}/details", data={"csrf_token": csrf_from(html), "notes": "x"})
        customer_client.post(line_url, data={"csrf_token": csrf_from(html), "quantity": "4"})
    finally:
        event.remove(transactions.Session, "after_begin", record)
    assert {endpoint for endpoint, _ in seen} == {"portal.details", "portal.line_update"}
    assert not any(reading for endpoint, reading in seen if endpoint == "portal.details")
    # It begins by reading; on SQLite, which has no one-statement write, its writes then run in a transaction.
    assert [reading for endpoint, reading in seen if endpoint == "portal.line_update"][0]


def test_removing_a_line_from_a_page_that_read_first_writes_in_a_transaction(app, customer_client):
    postgresql_only(app)
    html = customer_client.get("/order").get_data(as_text=True)
    line_url = first_line_url(html)
    seen, stop = autocommit_per_statement(app)
    try:
        response = customer_client.post(line_url, data={"csrf_token": csrf_from(html), "remove_line": "1"}, headers=HX)
    finally:
        stop()
    assert response.status_code == 200
    writes = [autocommit for autocommit, verb in seen if verb in ("UPDATE", "DELETE")]
    assert writes and not any(writes), seen
    with app.app_context():
        assert len(db.session.scalar(select(Order).where(Order.status == "draft")).lines) == 1


@contextmanager
def committed_meanwhile(app, monkeypatch, *statements: tuple[str, dict]):
    """While the edit inside runs, another connection commits ``statements`` once, just after the edit has read
    the order and before it writes (every edit works out its totals just then). Yields how often it ran."""
    with app.app_context():
        other = create_engine(db.engine.url)
    real_totals = pricing.storable_totals
    ran = []

    def meanwhile(*args, **kwargs):
        ran.append(1)
        monkeypatch.setattr(pricing, "storable_totals", real_totals)
        with other.begin() as conn:
            for sql, params in statements:
                conn.execute(text(sql), params)
        return real_totals(*args, **kwargs)

    monkeypatch.setattr(pricing, "storable_totals", meanwhile)
    try:
        yield ran
    finally:
        monkeypatch.setattr(pricing, "storable_totals", real_totals)
        other.dispose()


def test_a_draft_placed_from_another_tab_during_an_edit_is_not_edited_afterwards(app, customer_client, monkeypatch):
    """The edit loses the version check because the draft was placed meanwhile: it is not made on the placed
    order (whose confirmation went out without it); the customer is shown the order as it now is."""
    from wholesale.models import OrderLine

    html = customer_client.get("/order").get_data(as_text=True)
    line_url = first_line_url(html)
    with app.app_context():
        order_id = db.session.scalar(select(Order.id).where(Order.status == "draft"))
        quantities = sorted(db.session.scalars(select(OrderLine.quantity).where(OrderLine.order_id == order_id)))
    placed = ('UPDATE "order" SET status = \'pending\', version = version + 1 WHERE id = :id', {"id": order_id})
    with committed_meanwhile(app, monkeypatch, placed):  # another tab places the draft
        response = customer_client.post(line_url, data={"csrf_token": csrf_from(html), "quantity": "9"}, headers=HX)
    assert response.status_code == 409
    assert response.headers["HX-Redirect"] == f"/orders/{order_id}/edit"
    with app.app_context():
        assert db.session.scalar(select(Order.status).where(Order.id == order_id)) == "pending"
        after = sorted(db.session.scalars(select(OrderLine.quantity).where(OrderLine.order_id == order_id)))
    assert after == quantities


def test_a_draft_edit_that_loses_the_version_check_to_another_edit_is_made_again_and_both_count(
    app, customer_client, monkeypatch
):
    """Another tap of the same customer commits between this edit's read and its write: the version check
    refuses the write, nothing of it is kept, and the edit is made again on the draft as it now is."""
    from wholesale.models import OrderLine

    html = customer_client.get("/order").get_data(as_text=True)
    line_url = first_line_url(html)
    with app.app_context():
        order_id, version = db.session.execute(
            select(Order.id, Order.version).where(Order.status == "draft")
        ).one()
        lines = list(db.session.execute(
            select(OrderLine.id, OrderLine.quantity, OrderLine.unit_price)
            .where(OrderLine.order_id == order_id).order_by(OrderLine.id)
        ))
    first, other = lines[0], lines[-1]
    assert first.id != other.id and f"/lines/{first.id}" in line_url
    other_tap = [  # the other line's +, committed first
        ("UPDATE order_line SET quantity = quantity + 1 WHERE id = :id", {"id": other.id}),
        ('UPDATE "order" SET version = version + 1 WHERE id = :id', {"id": order_id}),
    ]
    with committed_meanwhile(app, monkeypatch, *other_tap) as calls:
        response = customer_client.post(line_url, data={"csrf_token": csrf_from(html), "quantity": "9"}, headers=HX)
    assert response.status_code == 200 and calls == [1]
    with app.app_context():
        order = db.session.get(Order, order_id)
        quantities = {line.id: line.quantity for line in order.lines}
        assert quantities[first.id] == 9 and quantities[other.id] == other.quantity + 1
        assert order.version == version + 2  # the other tap's, then this one's
        assert order.subtotal == sum(line.unit_price * line.quantity for line in order.lines)
    assert 'value="9"' in response.get_data(as_text=True)


def test_a_tap_on_a_line_that_is_gone_writes_nothing_even_when_the_version_did_not_change(
    app, customer_client, monkeypatch
):
    """Every change to a draft's lines makes a new version, so this cannot happen through the app; the write
    checks it anyway, because on PostgreSQL it cannot be rolled back: it is one statement without a
    transaction, and the order's new version and totals must not be written for a line that is not there."""
    from wholesale.models import OrderLine

    html = customer_client.get("/order").get_data(as_text=True)
    line_url = first_line_url(html)
    line_id = int(line_url.rsplit("/", 1)[1])
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.status == "draft"))
        before = order.id, order.version, order.subtotal, order.total, order.updated_at
    gone = ("DELETE FROM order_line WHERE id = :id", {"id": line_id})  # behind the version's back
    with committed_meanwhile(app, monkeypatch, gone):
        response = customer_client.post(line_url, data={"csrf_token": csrf_from(html), "quantity": "7"}, headers=HX)
    assert response.status_code == 404  # made again on the draft as it is: that line is not on it
    with app.app_context():
        order = db.session.get(Order, before[0])
        assert (order.id, order.version, order.subtotal, order.total, order.updated_at) == before
        assert db.session.get(OrderLine, line_id) is None
