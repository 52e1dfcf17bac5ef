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
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from wholesale import create_app
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
        }
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(app):
    """Every test starts from empty tables."""
    yield
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())


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


class Forms:
    """Posts forms the way a browser does: read the CSRF token from a page, then submit."""

    def __init__(self, client):
        self.client = client

    def token(self, page: str) -> str:
        response = self.client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        return csrf_from(response.get_data(as_text=True))

    def post(self, url: str, data: dict | None = None, page: str | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(page or url))
        return self.client.post(url, data=data, **kwargs)


@pytest.fixture
def forms(client):
    return Forms(client)


@pytest.fixture
def staff(app):
    with app.app_context():
        user = StaffUser(email=STAFF_EMAIL, name="Sam")
        user.set_password(STAFF_PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture
def staff_client(client, staff, forms):
    """A client signed in as staff."""
    response = forms.post(
        "/admin/sign-in", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}, page="/admin/sign-in"
    )
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
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
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
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    yield page
    artifacts = os.environ.get("TEST_ARTIFACTS")
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        page.screenshot(path=os.path.join(artifacts, f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not problems, problems
