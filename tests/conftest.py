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
from wholesale.extensions import db
from wholesale.models import StaffUser

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
