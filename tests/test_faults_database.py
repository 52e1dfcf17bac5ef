"""The database becomes unreachable: a 503 page, nothing half-written, and the app recovers by itself.

The app talks to PostgreSQL through a TCP proxy of the test's own (the shared server is never touched):
cutting the proxy resets every open connection and every new one, as a crashed or restarting database does;
a black hole accepts connections and never answers, as a network partition does. A SQLite file cannot become
unreachable, so these run with ``TEST_DATABASE_URL`` only.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from wholesale import create_app, extensions
from wholesale.extensions import db
from wholesale.models import Email, Order, OrderEvent

from .faults import CSRF, KEY, LINE, PLACE, AppVisitor, TcpProxy, regular_customers

pytestmark = pytest.mark.slow


@pytest.fixture
def proxy(database_uri):
    if not database_uri.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): a SQLite file cannot become unreachable")
    url = make_url(database_uri)
    tunnel = TcpProxy(url.port or 5432, url.host or "127.0.0.1")
    yield tunnel
    tunnel.close()


@pytest.fixture
def web(proxy, database_uri):
    """The app, as a web process runs it, reaching the test database only through the proxy."""
    url = make_url(database_uri).set(host="127.0.0.1", port=proxy.port)
    app = create_app(
        {
            "ENV_NAME": "development",
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
            "REDIS_URL": None,
            "PUBLIC_BASE_URL": "http://portal.test",
            "ORDER_NOTIFY_ROASTERY": False,
            # A safety net for the test itself: should a cut connection ever keep its locks, fail, never hang.
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c lock_timeout=10000"}},
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def on_the_order_page(app_ctx, web):
    """A customer signed in by the emailed link, looking at this week's order; the form of its page."""
    [link] = regular_customers(1)
    phone = AppVisitor(web)
    assert phone.get(link).status == 303
    page = phone.get("/order").text
    form = {
        "order_id": PLACE.search(page).group(1),
        "line_id": LINE.findall(page)[0],
        "csrf_token": CSRF.search(page).group(1),
        "idempotency_key": KEY.search(page).group(1),
    }
    return phone, form


def everything() -> tuple:
    """What the database holds about orders, their history and emails."""
    db.session.expire_all()
    return (
        db.session.execute(
            select(Order.id, Order.status, Order.version, Order.total).order_by(Order.id)
        ).all(),
        db.session.scalar(select(func.count()).select_from(OrderEvent)),
        db.session.scalar(select(func.count()).select_from(Email)),
    )


def place(phone, form):
    data = {key: form[key] for key in ("csrf_token", "idempotency_key")}
    return phone.post(f"/orders/{form['order_id']}/place", {**data, "shipping_option_id": "1", "notes": ""})


def test_while_the_database_is_unreachable_every_page_is_a_503_and_nothing_is_written(
    proxy, on_the_order_page
):
    phone, form = on_the_order_page
    before = everything()
    proxy.cut()

    page = phone.get("/order")
    assert page.status == 503 and "We are briefly unavailable" in page.text
    assert page.headers["retry-after"] == "5" and "content-security-policy" in page.headers
    placing = place(phone, form)
    assert placing.status == 503 and "briefly unavailable" in placing.text
    edit = phone.post(
        f"/orders/{form['order_id']}/lines/{form['line_id']}",
        {"csrf_token": form["csrf_token"], "quantity": "7"},
        htmx=True,
    )
    assert edit.status == 503 and edit.headers["hx-refresh"] == "true"  # htmx reloads, and shows this page
    health = phone.get("/healthz")
    assert health.status == 503 and '"database":"unreachable"' in health.text.replace(" ", "")
    assert phone.get("/ping").status == 200  # the process itself is alive: no restart needed
    assert phone.get("/link/request").status == 200  # a page without the database still works

    assert everything() == before


def test_when_the_database_returns_the_app_recovers_by_itself(proxy, on_the_order_page):
    phone, form = on_the_order_page
    proxy.cut()
    assert phone.get("/order").status == 503
    assert place(phone, form).status == 503

    proxy.restore()  # no restart, no intervention: the pool replaces the connections that failed

    page = phone.get("/order")
    assert page.status == 200 and "Place order" in page.text
    placed = place(phone, form)
    assert placed.status == 303 and "placed=1" in placed.location
    assert everything()[0][-1][1] == "pending"


def test_a_database_restarted_while_the_app_sat_idle_costs_the_next_customer_nothing(
    proxy, on_the_order_page
):
    """The pooled connection died while nobody used it (a restart, a failover, a proxy closing idle
    connections): the first request afterwards finds out before using it and gets a new one."""
    phone, form = on_the_order_page
    proxy.cut()  # every open connection is reset, and none of the app's requests sees it happen
    proxy.restore()
    time.sleep(extensions.PING_AFTER_IDLE_SECONDS + 0.2)

    page = phone.get("/order")
    assert page.status == 200 and "Place order" in page.text
    edit = phone.post(
        f"/orders/{form['order_id']}/lines/{form['line_id']}",
        {"csrf_token": form["csrf_token"], "quantity": "7"},
        htmx=True,
    )
    assert edit.status == 200


def test_the_connection_lost_in_the_middle_of_placing_leaves_the_draft_as_it_was(
    proxy, web, on_the_order_page
):
    phone, form = on_the_order_page
    before = everything()

    def cut_at_the_email(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO EMAIL"):
            proxy.cut()  # the order row is already updated in this transaction; the email is next

    with web.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", cut_at_the_email)
    try:
        response = place(phone, form)
    finally:
        event.remove(engine, "before_cursor_execute", cut_at_the_email)
    assert response.status == 503
    assert everything() == before  # the draft is a draft, no history line, no email: all or nothing

    proxy.restore()
    again = place(phone, form)  # the customer taps Place order again: same page, same key
    assert again.status == 303
    orders, history, emails = everything()
    assert [status for _, status, _, _ in orders].count("pending") == 1 and emails == 1


def test_a_database_that_never_answers_is_a_503_within_seconds_not_a_hung_request(proxy, on_the_order_page):
    phone, _ = on_the_order_page
    proxy.blackhole()  # connections are accepted and never answered
    started = time.monotonic()
    page = phone.get("/order")
    waited = time.monotonic() - started
    assert page.status == 503 and waited < 15, waited  # the connect timeout (5 s), not gunicorn's kill
    proxy.restore()
    assert phone.get("/order").status == 200


@pytest.mark.browser
def test_an_inline_edit_while_the_database_is_away_shows_the_customer_the_503_page(
    proxy, web, on_the_order_page, chromium
):
    from werkzeug.serving import make_server

    phone, form = on_the_order_page
    server = make_server("127.0.0.1", 0, web, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        context.add_cookies(
            [
                {
                    "name": "session",
                    "value": phone.client.get_cookie("session").value,
                    "url": f"http://127.0.0.1:{server.server_port}",
                }
            ]
        )
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/order")
        page.wait_for_selector("html.js")
        proxy.cut()
        page.locator(f"#qty-{form['line_id']}").fill("7")
        page.locator(f"#qty-{form['line_id']}").dispatch_event("change")
        page.wait_for_selector("text=We are briefly unavailable", timeout=10_000)
        assert "Your last change was not saved" in page.content()
    finally:
        context.close()
        server.shutdown()
        thread.join(5)
