"""Real services for the fault tests, started, broken and mended by the tests, on loopback ports of their own.
The processes are in ``fault_processes``, the network peers in ``fault_peers``; this module adds the
customer's phone, the outbox helpers and the fixtures, and is what the fault tests import.

- ``RedisServer``: a redis-server subprocess without persistence, to stop, kill, freeze and start again.
- ``SmtpSink``: an aiosmtpd server that accepts, refuses with 451, holds its goodbye, or (through the
  ``TcpProxy`` in front of it) stalls or is down. It counts what it accepted by Message-ID.
- ``TcpProxy``: a TCP forwarder a test can cut (every connection reset), turn into a black hole, or restore.
- ``Worker``, ``Scheduler``, ``Gunicorn``: the Procfile's processes as subprocesses, configured like
  production through the environment (``app_environment``), pointed at the test database and these ports.
- ``Visitor``: a customer's phone over plain HTTP: a cookie, the CSRF token of the page, htmx headers.

Every wait is bounded in time; every loop in count. Nothing here touches a service it did not start.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Email

from .fault_peers import SmtpSink, TcpProxy  # noqa: F401  (the fault tests import them from here)
from .fault_processes import (  # noqa: F401  (the fault tests import them from here)
    BIN,
    PUBLIC_BASE_URL,
    ROOT,
    SECRET_KEY,
    Gunicorn,
    Process,
    RedisServer,
    app_environment,
    wait_until,
    worker,
)

# --- Reading and shifting the outbox ----------------------------------------------------------------------


def age_outbox(minutes: float) -> None:
    """Move every email's clock back, as if ``minutes`` had passed: the sweep's grace, a retry's backoff and a
    dead worker's claim are all measured from these columns. (Real processes cannot share a fake clock.)"""
    shift = timedelta(minutes=minutes)
    db.session.expire_all()
    for email in db.session.scalars(select(Email)):
        email.created_at -= shift
        if email.claimed_at is not None:
            email.claimed_at -= shift
    db.session.commit()


@dataclass
class OutboxTally:
    rows: int
    statuses: Counter
    delivered: int  # messages the SMTP server accepted
    distinct: int  # distinct Message-IDs among them
    missing: list[str]  # Message-IDs of rows never delivered

    @property
    def duplicates(self) -> int:
        return self.delivered - self.distinct


def tally(sink: SmtpSink) -> OutboxTally:
    """What the outbox holds against what the SMTP server got, matched by each row's Message-ID."""
    from wholesale.services.mail.outbox import message_id

    db.session.expire_all()
    emails = db.session.query(Email).all()
    received = sink.message_ids()
    expected = {message_id(email) for email in emails}
    return OutboxTally(
        rows=len(emails),
        statuses=Counter(email.status for email in emails),
        delivered=sum(received.values()),
        distinct=len(received),
        missing=sorted(expected - set(received)),
    )


# --- A customer's phone, over HTTP ------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PLACE = re.compile(r'action="/orders/(\d+)/place"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
LINE = re.compile(r'action="/orders/\d+/lines/(\d+)"')
QUANTITY = re.compile(r'id="qty-(\d+)"[^>]*?value="(\d+)"', re.S)
SHIPPING = re.compile(r'<option value="(\d+)"')
COOKIE = re.compile(r"^session=([^;]*)")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Visitor:
    """One browser: keeps the session cookie, sends a fresh connection per request."""

    def __init__(self, base_url: str, timeout: float = 30):
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port, self.timeout = host, int(port), timeout
        self.cookie: str | None = None

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None
    ) -> Response:
        headers = dict(headers or {})
        body = None
        if data is not None:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                match = COOKIE.match(value)
                if match:
                    self.cookie = match.group(1) or None
            return Response(response.status, {k.lower(): v for k, v in response.headers.items()}, text)
        finally:
            connection.close()

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, htmx: bool = False) -> Response:
        return self.request("POST", path, data=data, headers={"HX-Request": "true"} if htmx else None)


class AppVisitor(Visitor):
    """The same phone, talking to an app in this process (Flask's test client) instead of over HTTP."""

    def __init__(self, app):
        self.client = app.test_client()

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None
    ) -> Response:
        # In a thread of its own, as a request to a server would be: an app context the test has pushed
        # (and its ``g``, where Flask-WTF keeps the CSRF token it rendered) must not leak into the request.
        answer: list = []
        thread = threading.Thread(
            target=lambda: answer.append(self.client.open(path, method=method, data=data, headers=headers))
        )
        thread.start()
        thread.join(60)
        assert answer, f"no answer to {method} {path} within 60 s"
        response = answer[0]
        return Response(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.get_data(as_text=True),
        )


class JourneyError(AssertionError):
    pass


@dataclass
class Placed:
    order_id: int
    key: str


def expect(response: Response, status: int, step: str) -> Response:
    if response.status != status:
        raise JourneyError(f"{step}: {response.status} (expected {status}): {response.text[:300]!r}")
    return response


def reorder_journey(visitor: Visitor, link_path: str, step: int = 1) -> Placed:
    """Journey 1 over HTTP: open the emailed link, change one quantity inline (htmx), place the order, see it
    confirmed. Any answer but the expected one raises ``JourneyError``."""
    response = expect(visitor.get(link_path), 303, "open the link")
    landing = visitor.get(response.location)
    second = landing.status == 303  # the order placed last time is still to be delivered: add a second one
    if second:
        landing = visitor.get("/order?second=1")
    page = expect(landing, 200, "the order page").text
    csrf, order_id, key = CSRF.search(page), PLACE.search(page), KEY.search(page)
    if not (csrf and order_id and key):
        raise JourneyError(f"the order page has no place form: {page[:300]!r}")
    quantities = dict(QUANTITY.findall(page))
    lines = LINE.findall(page)
    if lines:
        line = lines[0]
        quantity = int(quantities.get(line, "1")) + step
        form = {"csrf_token": csrf.group(1), "quantity": str(max(1, min(quantity, 999)))}
        edit = visitor.post(f"/orders/{order_id.group(1)}/lines/{line}", form, htmx=True)
        expect(edit, 200, "change a quantity")
    shipping = SHIPPING.search(page)
    form = {
        "csrf_token": csrf.group(1),
        "idempotency_key": key.group(1),
        "shipping_option_id": shipping.group(1) if shipping else "",
        "notes": "",
        **({"second_order": "y"} if second else {}),
    }
    placed = expect(visitor.post(f"/orders/{order_id.group(1)}/place", form), 303, "place the order")
    confirmed = expect(visitor.get(placed.location), 200, "the confirmation")
    if "placed=1" not in placed.location or "is placed" not in confirmed.text:
        raise JourneyError(f"no confirmation at {placed.location}: {confirmed.text[:300]!r}")
    return Placed(int(re.search(r"/orders/(\d+)", placed.location).group(1)), key.group(1))


# --- Fixtures (imported by the test modules that use them) ------------------------------------------------


@pytest.fixture
def processes(tmp_path):
    """Start processes through this; whatever is still running at the end is killed, children and all."""
    started: list[Process] = []

    def start(process: Process) -> Process:
        started.append(process)
        return process.start()

    yield start
    for process in reversed(started):
        process.kill()


@pytest.fixture
def redis_server(tmp_path, processes):
    return processes(RedisServer(tmp_path))


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture
def app_env(database_uri, redis_server, smtp_sink):
    """The environment of every subprocess of a fault test: the test database, our Redis, our SMTP sink."""
    return app_environment(
        database_uri,
        REDIS_URL=redis_server.url(),
        RQ_QUEUE="wholesale",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_sink.port,
        MAIL_TIMEOUT=3,
    )


def regular_customers(count: int, prefix: str = "Café") -> list[str]:
    """``count`` customers who ordered last week, each with one contact; the path of each one's sign-in link
    (a reminder's, lasting a week). Runs in the caller's app context and commits."""
    from urllib.parse import urlsplit

    from wholesale.services.customers import links

    from .factories import make_catalog, make_customer, make_order, make_shipping

    variants = make_catalog(coffees=3)
    make_shipping()
    customers = []
    for n in range(count):
        customer = make_customer(f"{prefix} {n:03d}")
        lines = [(variants[n % len(variants)], 1 + n % 4), (variants[(n + 1) % len(variants)], 2)]
        make_order(customer, lines)
        customers.append(customer)
    db.session.commit()
    return [urlsplit(links.login_url(customer.contacts[0], "reminder")).path for customer in customers]


@pytest.fixture
def portal_on_our_redis(app, redis_server, monkeypatch):
    """This process's app (the test client's) enqueues its jobs on the test's own Redis, queue "wholesale"."""
    monkeypatch.setitem(app.config, "REDIS_URL", redis_server.url())
    monkeypatch.setitem(app.config, "RQ_QUEUE", "wholesale")
    return redis_server
