"""Fixtures: an app on a database of its own, a client, the CLI runner and a signed-in staff member.

The suite runs on SQLite by default. With ``TEST_DATABASE_URL`` pointing at a PostgreSQL server it makes a
database of its own there, runs against it and drops it at the end; it never touches anything else.
With ``REQUIRE_SERVICES=1`` a service that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
from flask.ctx import RequestContext
from flask.testing import EnvironBuilder
from flask_wtf.csrf import generate_csrf
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from wholesale import create_app
from wholesale.auth.staff import SESSION_KEY as STAFF_SESSION_KEY
from wholesale.auth.staff import VERSION_KEY as STAFF_VERSION_KEY
from wholesale.config import database_url
from wholesale.extensions import db, limiter
from wholesale.models import StaffUser

pytest_plugins = ["tests.fixtures_jobs", "tests.link_helpers"]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
STAFF_EMAIL = "sam@hillside.example"
STAFF_PASSWORD = "correct horse battery"


def missing_service(reason: str):
    """Skip, or fail when the run requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Groups for ``--dist loadgroup`` (the Makefile runs the suite in parallel with pytest-xdist):

    - the ``processes`` tests run one after another on one worker: each starts redis-server, gunicorn, RQ
      workers or 50 simulated customers of its own, and the timed load must not share the machine with another;
    - every other test goes with its module (unless it names a group of its own), so a worker is handed whole
      modules (a round trip per module, not per test, and a ``module_data`` module's data is built once).

    Under xdist the ``processes`` tests come first: the longest group starts at once, the modules fill in.
    """
    for item in items:
        if item.get_closest_marker("processes"):
            item.add_marker(pytest.mark.xdist_group("processes"))
        elif not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(
            key=lambda item: item.get_closest_marker("processes") is None
        )  # stable: the rest keep order


def _admin_url(url):
    return url.set(database="postgres")


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    url = make_url(database_url(raw, ""))
    name = f"wholesale_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A commit need not wait for the disk: nothing here survives a crash of the server or is meant to,
            # and what every other session sees of a commit, and when, is the same. Every connection to this
            # database has it, the app's subprocesses (gunicorn, RQ workers, the scheduler) too.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as error:  # pragma: no cover - depends on the machine
        admin.dispose()
        pytest.exit(f"cannot create a test database at {url.render_as_string()}: {error}", returncode=3)
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(database_uri, tmp_path_factory):
    app = create_app(
        {
            "ENV_NAME": "development",  # production is the default; the tests ask for development
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "REDIS_URL": None,
            "SERVER_NAME": None,
            "PUBLIC_BASE_URL": "http://portal.test",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            # Customers may choose their reminder's day and time (the portal's /account/reminder page).
            "REMINDER_CHOICES": "Sun 02:00, Sun 18:00, Mon 07:00",
        }
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def empty_database(app) -> None:
    """Delete every row and start the ids again at 1.

    DELETE, not TRUNCATE: for tables this small it is several times cheaper on PostgreSQL (TRUNCATE makes new
    files for every table, ~60 ms a test), and it waits for no lock a finished test's thread may still hold.
    """
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):  # children before parents
                conn.execute(table.delete())
            if conn.dialect.name == "postgresql":  # SQLite's ids restart by themselves (no AUTOINCREMENT)
                conn.execute(
                    text(
                        "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
                        "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                    )
                )


@pytest.fixture(autouse=True)
def clean_database(request, app):
    """Every test starts from empty tables: what a test wrote is deleted after it.

    Except in a module marked ``module_data``, whose tests share data built once (``module_database``): that
    data is put back as built after any test that changed it, and the tables are emptied after the module.
    """
    yield
    if request.node.get_closest_marker("module_data") is None:
        empty_database(app)


def every_row(app) -> dict[str, list[tuple]]:
    """Every row of every table, by primary key: to compare the database before and after."""
    with app.app_context():
        with db.engine.connect() as conn:
            return {
                table.name: [tuple(row) for row in conn.execute(table.select().order_by(*table.primary_key))]
                for table in db.metadata.sorted_tables
            }


def put_rows_back(app, rows: dict[str, list[tuple]]) -> None:
    """Make the tables hold exactly ``rows`` (from ``every_row``) again, ids and PostgreSQL sequences included."""
    empty_database(app)
    with app.app_context():
        with db.engine.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            for table in db.metadata.sorted_tables:  # parents before children
                if rows[table.name]:
                    keys = [column.key for column in table.columns]
                    conn.execute(
                        table.insert(), [dict(zip(keys, row, strict=True)) for row in rows[table.name]]
                    )
                    # The next ids follow on; a table without a sequence gets setval(NULL, …): nothing. A key
                    # that is not a number (invoice_sequence's kind) has no sequence to set.
                    if conn.dialect.name == "postgresql" and table.autoincrement_column is not None:
                        key = table.autoincrement_column
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence(:table, :column), max({quote(key.name)})) "
                                f"FROM {quote(table.name)}"
                            ),
                            {"table": quote(table.name), "column": key.name},
                        )


class SharedData:
    """What a ``module_data`` module built once, and the rows it wrote, shared by the module's tests.

    ``build_once(build)`` builds it on first use; ``put_back()``, after each test, puts the rows back as built
    if the test changed any, so every test of the module sees the data exactly as built.
    """

    def __init__(self, app):
        self.app, self.value, self.rows = app, None, None

    def build_once(self, build):
        if self.rows is None:
            self.value = build()
            self.rows = every_row(self.app)
        return self.value

    def put_back(self) -> bool:
        """Whether the last test had changed the data (and so it was put back)."""
        if self.rows is None or every_row(self.app) == self.rows:
            return False
        put_rows_back(self.app, self.rows)
        return True


@pytest.fixture(scope="module")
def module_database(request, app):
    """A ``module_data`` module's shared data (a ``SharedData``): the tables are empty when the module starts
    (the test before it was cleaned) and are emptied after its last test, so the next module starts empty.

    Use it from a function-scoped fixture: ``value = module_database.build_once(build)``, yield it, then
    ``module_database.put_back()``.
    """
    assert request.node.get_closest_marker("module_data"), f"{request.node.name} is not marked module_data"
    yield SharedData(app)
    empty_database(app)


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    """Rate limits are counted in the limiter's storage; no test sees another's attempts."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


LINE_FORM_RE = re.compile(r'<form class="line" id="line-\d+" method="post"\s+action="([^"]+)"')


def first_line_url(html: str) -> str:
    """Where the order page's first line posts its quantity (the +/− buttons and the number)."""
    match = LINE_FORM_RE.search(html)
    assert match, "page has no order line"
    return match.group(1)


def csrf_token(client) -> str:
    """A valid CSRF token for the client's session, without fetching a page: what Flask-WTF would render into
    a form for this session (``generate_csrf`` in a request context holding the client's own session, which
    keeps the raw token and goes back into the client's cookie).

    That real pages carry a working token is proven by the tests that read it from them: ``Forms.token``,
    ``Forms.post(..., page=...)``, test_security_csrf.py (field and htmx header), test_staff_auth.py.
    """
    app = client.application
    builder = EnvironBuilder(app)
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    with client.session_transaction() as session, RequestContext(app, environ, session=session):
        return generate_csrf()


class Forms:
    """Posts forms the way a browser does: with this session's CSRF token, then submit.

    ``post(url, data)`` signs with the session's token (``csrf_token``, no page fetched); ``post(..., page=p)``
    reads the token from page ``p`` first, as a browser does, proving that page carries a working one.
    """

    def __init__(self, client):
        self.client = client

    def token(self, page: str) -> str:
        """The token as the page ``page`` carries it."""
        response = self.client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        return csrf_from(response.get_data(as_text=True))

    def post(self, url: str, data: dict | None = None, page: str | None = None, **kwargs):
        data = dict(data or {})
        if "csrf_token" not in data:
            data["csrf_token"] = self.token(page) if page else csrf_token(self.client)
        return self.client.post(url, data=data, **kwargs)


@pytest.fixture
def forms(client):
    return Forms(client)


def sign_in_staff(client, staff_id: int) -> None:
    """Put a staff sign-in into the client's session as signing in does (the account and its credentials
    version), without the sign-in page."""
    with client.application.app_context():
        version = db.session.get(StaffUser, staff_id).credentials_version
    with client.session_transaction() as session:
        session[STAFF_SESSION_KEY] = staff_id
        session[STAFF_VERSION_KEY] = version


@pytest.fixture
def staff(app):
    """Sam, an owner of the roastery (owners may do everything)."""
    with app.app_context():
        user = StaffUser(email=STAFF_EMAIL, name="Sam", role="owner")
        user.set_password(STAFF_PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture
def staff_client(client, staff, forms):
    """A client signed in as staff."""
    # The session's token, not the page's: that the sign-in page carries a working one is test_staff_auth.py's.
    response = forms.post("/admin/sign-in", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


# --- a real server and a real browser, for the journeys -----------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free loopback port, in a thread, against the test database."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    previous = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = base_url
    yield base_url
    app.config["PUBLIC_BASE_URL"] = previous
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Playwright (no browser download needed)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_service("playwright is not installed")
    if not os.path.exists(CHROMIUM):
        missing_service(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(params=["js", "no-js"])
def phone(request, chromium):
    """A phone-sized page (390×844), with JavaScript on and, as a second run, off."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=request.param == "js",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.javascript = request.param == "js"
    page.expected_problems = []
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console", lambda message: message.type == "error" and problems.append(f"console: {message.text}")
    )
    yield page
    artifacts = os.environ.get("TEST_ARTIFACTS")
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        page.screenshot(path=os.path.join(artifacts, f"{request.node.name}.png"), full_page=True)
    context.close()
    # A test that expects a refusal (a 422 page) lists what the console may say about it.
    problems = [p for p in problems if not any(allowed in p for allowed in page.expected_problems)]
    assert not problems, problems
