"""Cost stays flat: queries per request do not grow with the order, and the bytes stay small."""

from __future__ import annotations

import gzip
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from wholesale.extensions import db
from wholesale.models import ShippingOption, Variant

from .conftest import csrf_from, first_line_url
from .factories import make_catalog, make_customer, make_order, make_shipping, sign_in_contact

HX = {"HX-Request": "true"}


@contextmanager
def count_queries(engine):
    """Statements sent while the block runs. Requests made inside it must not share an outer app context:
    that would keep one session, and its identity map, across requests, hiding the lookups each one makes."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def customer_with_last_order(app, client, lines: int, name: str = "Café"):
    """A signed-in customer whose last order had ``lines`` lines (the catalog is made once, 60 sizes)."""
    with app.app_context():
        variants = list(db.session.scalars(select(Variant).order_by(Variant.id))) or make_catalog(coffees=30)
        if not db.session.scalar(select(ShippingOption.id)):
            make_shipping()
        customer = make_customer(name)
        make_order(customer, [(variant, 2) for variant in variants[:lines]])
        db.session.commit()
        sign_in_contact(client, customer.contacts[0])


def costs(app, lines: int) -> dict[str, int]:
    client = app.test_client()
    customer_with_last_order(app, client, lines, name=f"Café with {lines} lines")
    with app.app_context():
        engine = db.engine
    client.get("/order")  # the first visit makes the draft (one INSERT per line on SQLite)
    with count_queries(engine) as page:
        html = client.get("/order").get_data(as_text=True)
    line_url = first_line_url(html)
    with count_queries(engine) as change:
        response = client.post(line_url, data={"csrf_token": csrf_from(html), "quantity": "3"}, headers=HX)
    assert response.status_code == 200
    assert html.count('class="line"') == lines
    return {"order page": len(page), "quantity change": len(change)}


def test_queries_do_not_grow_with_the_number_of_lines(app):
    small, large = costs(app, 5), costs(app, 60)
    assert small == large, (small, large)
    # Both: the roastery's saved settings (one statement, services.settings).
    # The page: who is signed in (contact and customer); the draft with its lines and, on the same rows, the
    # customer's week (an order for the next delivery, their last order and reminder); the delivery options
    # with the closed dates their delivery dates skip.
    # A change: who, the order locked, its lines (read once the lock is granted), the line's and the order's
    # UPDATE; the answer is rendered from the order as the edit left it, not read again.
    assert small == {"order page": 4, "quantity change": 6}, small


def test_a_quantity_change_answers_in_under_2_kb(app, client):
    customer_with_last_order(app, client, 12)
    with app.app_context():
        html = client.get("/order").get_data(as_text=True)
        line_url = first_line_url(html)
        response = client.post(
            line_url, data={"csrf_token": csrf_from(html), "quantity": "3", "step": "1"}, headers=HX
        )
    assert response.status_code == 200
    assert len(response.data) < 2048, len(response.data)


@pytest.mark.parametrize("lines", [12, 40])
def test_the_order_pages_first_load_is_under_40_kb_gzipped(app, client, lines):
    customer_with_last_order(app, client, lines)
    html = client.get("/order").data
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    assert len(assets) == 3, assets  # stylesheet, htmx, our script
    total = len(gzip.compress(html))
    for asset in assets:
        response = client.get(asset.decode())
        assert response.status_code == 200
        total += len(gzip.compress(response.data))
        response.close()
    assert total < 40 * 1024, total


def test_postgresql_finds_the_draft_through_the_one_draft_index_even_with_a_generic_plan(app):
    """Drivers prepare a statement they run often, and PostgreSQL then may plan it once for any parameters.
    Such a plan can use the partial index ``WHERE status = 'draft'`` only if 'draft' is in the SQL itself;
    sent as a parameter, the lookup would read every order of the customer (50 a year) on every page."""
    from sqlalchemy import text

    from wholesale.services.orders.drafts import DRAFT

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL planner question")
        sql = str(DRAFT.compile(dialect=db.engine.dialect)).replace("%(customer_id)s", "$1")
        with db.engine.connect() as connection:
            connection.execute(text("SET plan_cache_mode = force_generic_plan"))
            connection.exec_driver_sql(f"PREPARE find_draft(integer) AS {sql}")
            plan = "\n".join(connection.exec_driver_sql("EXPLAIN EXECUTE find_draft(1)").scalars())
            connection.rollback()
    assert "uq_order_one_draft_per_customer" in plan, plan
