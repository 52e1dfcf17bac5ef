"""SQL statements per request, and the bytes of each answer, counted in-process.

The app is the one the server runs, configured the same way, on the bench database; each page's request is
made with Flask's test client, and every statement the engine sends is counted with a
``before_cursor_execute`` listener (as ``tests/test_portal_cost.py`` does). Run at two data sizes, the counts
must be equal: a page whose count grows with the data has a query in a loop.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from sqlalchemy import event, func, select

from .pages import PAGES, Page
from .visits import Visit


@contextmanager
def counting(engine):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


PREFERRED_LINES = (4, 3, 5, 6, 2, 7, 8, 1)


def typical_contact_ids(count: int = 2, lines: int | None = None) -> tuple[list[int], int]:
    """The first customers (by id) whose last order has exactly ``lines`` lines (by default 4, else the
    nearest count that ``count`` customers have), and that count. Both data sizes use the same count: the
    week's first open copies that order, on SQLite with one INSERT per line."""
    for wanted in [lines] if lines else PREFERRED_LINES:
        found = _customers_with_last_order_of(wanted, count)
        if len(found) == count:
            return found, wanted
    raise RuntimeError(f"no {count} customers whose last order has {lines or 'a usual number of'} lines")


def _customers_with_last_order_of(lines: int, count: int) -> list[int]:
    from wholesale.extensions import db
    from wholesale.models import Contact, Customer
    from wholesale.services.orders.drafts import last_order

    found = []
    for customer in db.session.scalars(select(Customer).order_by(Customer.id).limit(500)):
        order = last_order(customer)
        if (
            order is None
            or len(order.lines) != lines
            or not all(line.variant.on_sale for line in order.lines)
        ):
            continue
        first_contact = select(func.min(Contact.id)).where(Contact.customer_id == customer.id)
        found.append(db.session.scalar(first_contact))
        if len(found) == count:
            break
    return found


def _customer_client(app, contact_id: int):
    from wholesale.extensions import db
    from wholesale.models import Contact

    client = app.test_client()
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        identity = contact.id, contact.customer.token_version, contact.email
    with client.session_transaction() as session:  # as opening the emailed link leaves it
        session["contact_id"], session["token_version"], session["contact_email"] = identity
        session.permanent = True
    return client


def _staff_client(app, staff_email: str):
    from wholesale.extensions import db
    from wholesale.models import StaffUser

    client = app.test_client()
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == staff_email))
        staff_id, version = staff.id, staff.credentials_version
    with client.session_transaction() as session:
        session["staff_id"] = staff_id
        session["staff_credentials"] = version  # wholesale.auth.staff.VERSION_KEY
        session.permanent = True
    return client


def _send(app, client, page: Page, visit: Visit, context: dict):
    from wholesale.extensions import db

    request = page.request(visit, 0, context)
    with app.app_context():
        engine = db.engine
    started = time.perf_counter()
    with counting(engine) as statements:
        response = client.open(
            request.path, method=request.method, headers=request.headers, data=request.body or None
        )
    body = response.get_data()
    elapsed = time.perf_counter() - started
    if response.status_code != request.expect:
        raise RuntimeError(f"{page.key}: expected {request.expect}, got {response.status_code}")
    # One request alone, in-process (no gunicorn, no other load): what the page costs the server by itself.
    return {
        "statements": len(statements),
        "bytes": len(body),
        "status": response.status_code,
        "alone_ms": round(elapsed * 1000, 1),
    }


def count_statements(app, staff_email: str, lines: int | None = None) -> dict[str, dict]:
    """Per page: SQL statements for one request, the bytes of the answer, and its time in-process.

    A first customer goes through every page uncounted, so that templates are compiled and caches warm;
    a second one is counted.
    """
    from wholesale.extensions import db

    with app.app_context():
        (warm_up, counted), lines = typical_contact_ids(2, lines)
        engine = db.engine
        db.session.remove()
    staff = _staff_client(app, staff_email)
    _every_page(app, engine, _customer_client(app, warm_up), staff)
    results = _every_page(app, engine, _customer_client(app, counted), staff)
    results["order_page_first_open"]["lines"] = lines
    return results


def _every_page(app, engine, customer, staff) -> dict[str, dict]:
    results = {}
    started = time.perf_counter()
    with counting(engine) as first:  # the first visit of the week makes the draft from the last order
        html = customer.get("/order").get_data(as_text=True)
    results["order_page_first_open"] = {
        "statements": len(first),
        "bytes": len(html.encode()),
        "status": 200,
        "alone_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    for page in PAGES:
        context = page.discover(app)
        if context is None:
            continue
        if page.visitor == "customer":
            # A fresh look at the draft, not counted (?second=1: once placed, /order opens the order placed).
            html = customer.get("/order?second=1").get_data(as_text=True)
            results[page.key] = _send(app, customer, page, Visit.from_order_page("", html), context)
        elif page.visitor == "staff":
            results[page.key] = _send(app, staff, page, Visit(cookie=""), context)
        else:
            results[page.key] = _send(app, app.test_client(), page, Visit(cookie=""), context)
        results[page.key].update({k: v for k, v in context.items() if k != "run_id"})
    return results


def count_in_subprocess(database_url: str, redis_url: str | None, staff_email: str, lines: int | None):
    """``count_statements`` in a process of its own: the bench goes on (and says so) if that process dies."""
    import json
    import subprocess
    import sys

    from .data import ROOT

    command = [
        sys.executable,
        "-X",
        "faulthandler",
        "-m",
        "bench.queries",
        database_url,
        redis_url or "",
        staff_email,
        str(lines or ""),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"counting SQL statements failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(line[len("BENCH_JSON ") :])


if __name__ == "__main__":
    import json
    import sys

    from .server import in_process_app

    url, redis, staff, wanted = sys.argv[1:5]
    counted = count_statements(
        in_process_app(url, redis or None, "http://127.0.0.1"), staff, int(wanted) if wanted else None
    )
    print("BENCH_JSON " + json.dumps(counted), flush=True)
