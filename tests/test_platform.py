"""What the whole app promises: health checks, friendly errors, headers, migrations matching the models."""

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from wholesale import create_app
from wholesale.config import DEV_SECRET_KEY, ConfigurationError, environment_name
from wholesale.extensions import db
from wholesale.migrations_cli import init_migrations

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.db_independent
def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        {
            "ENV_NAME": "development",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "REDIS_URL": None,
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_healthz_reports_redis_when_configured(app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.config["REDIS_URL"] = None
    assert response.status_code == 200  # orders still work; jobs wait in the outbox
    assert response.get_json()["redis"] == "unreachable"


@pytest.mark.db_independent
def test_a_page_that_needs_the_database_shows_a_503_page_when_it_is_down():
    app = create_app(
        {
            "ENV_NAME": "development",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SECRET_KEY": "x",
        }
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["staff_id"] = 1
    response = client.get("/admin/")
    assert response.status_code == 503
    assert "briefly unavailable" in response.get_data(as_text=True)


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_a_ten_megabyte_field_is_refused_with_a_message_and_saves_nothing(staff_client, forms):
    token = forms.token("/admin/products/new")
    response = staff_client.post(
        "/admin/products/new", data={"csrf_token": token, "name": "x" * (10 * 1024 * 1024), "kind": "coffee"}
    )
    assert response.status_code == 413
    assert "larger than we accept" in response.get_data(as_text=True)
    assert "x" * 100 not in staff_client.get("/admin/products").get_data(as_text=True)


def test_every_page_carries_security_headers(client):
    response = client.get("/admin/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_lax(staff_client):
    cookie = staff_client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_pages_have_no_inline_script_or_style(client):
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page and "<style" not in page


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
@pytest.mark.db_independent
def test_paas_database_urls_are_understood(raw, expected):
    from wholesale.config import database_url

    assert database_url(raw, "/inst") == expected


@pytest.mark.db_independent
def test_default_database_is_sqlite_under_instance():
    from wholesale.config import database_url

    assert database_url(None, "/srv/app/instance") == "sqlite:////srv/app/instance/wholesale.sqlite3"


@pytest.fixture
def empty_database(database_uri, tmp_path):
    """A second, empty database beside the test one, for running the migrations from scratch."""
    if database_uri.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    from sqlalchemy.engine import make_url

    url = make_url(database_uri)
    name = url.database + "_mig"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_build_the_schema_and_match_the_models(empty_database):
    app = create_app({"ENV_NAME": "development", "TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    init_migrations(app)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            drift = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert drift == [], f"models and migrations differ; run `flask --app wsgi db migrate`: {drift}"


@pytest.mark.db_independent
def test_migrations_directory_is_found_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = create_app({"ENV_NAME": "development", "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    init_migrations(app)
    assert os.path.isdir(app.extensions["migrate"].directory)


@pytest.mark.db_independent
def test_production_refuses_the_development_secret_key_and_a_missing_public_url(monkeypatch):
    monkeypatch.setenv("WHOLESALE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match=r"SECRET_KEY, PUBLIC_BASE_URL must be set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    with pytest.raises(ConfigurationError, match=r": PUBLIC_BASE_URL must be set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://orders.hillside.example")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert (
        app.config["SESSION_COOKIE_SECURE"]
        and app.config["PUBLIC_BASE_URL"] == "https://orders.hillside.example"
    )


def _environment(monkeypatch, **variables):
    for name in (
        "WHOLESALE_ENV",
        "FLASK_ENV",
        "APP_ENV",
        "SECRET_KEY",
        "PUBLIC_BASE_URL",
        "REDIS_URL",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def test_an_environment_that_says_nothing_is_production_and_names_every_missing_setting(monkeypatch):
    _environment(monkeypatch)
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    message = str(refused.value)
    for name in ("SECRET_KEY", "PUBLIC_BASE_URL", "DATABASE_URL", "REDIS_URL"):
        assert name in message
    assert "WHOLESALE_ENV=development" in message


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "production"),
        ({"WHOLESALE_ENV": "development"}, "development"),
        ({"WHOLESALE_ENV": "Production"}, "production"),
        ({"FLASK_ENV": "development"}, "production"),  # the names read before no longer choose
        ({"APP_ENV": "development"}, "production"),
        ({"FLASK_ENV": "staging"}, "production"),
        ({"WHOLESALE_ENV": "production", "FLASK_ENV": "development"}, "production"),
    ],
)
def test_development_is_only_what_is_asked_for_by_name(monkeypatch, variables, expected):
    _environment(monkeypatch, **variables)
    assert environment_name() == expected


def test_a_misspelt_environment_is_refused_rather_than_guessed(monkeypatch):
    _environment(monkeypatch, WHOLESALE_ENV="dev")
    with pytest.raises(ConfigurationError, match="WHOLESALE_ENV must be production or development"):
        create_app()


def test_development_still_starts_with_nothing_set(monkeypatch):
    _environment(monkeypatch, WHOLESALE_ENV="development")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY and not app.config["SESSION_COOKIE_SECURE"]


@pytest.mark.db_independent
def test_ping_answers_ok_without_touching_the_database():
    app = create_app(
        {
            "ENV_NAME": "development",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    response = app.test_client().get("/ping")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"


@pytest.mark.db_independent
def test_web_workers_never_load_alembic_but_flask_db_does(tmp_path):
    """Flask-Migrate and Alembic (11 MB) load only for ``flask db …``: not when the app is made for a web
    worker, while the command still runs the migrations (the Procfile's release phase)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "WHOLESALE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    made = "import sys, wsgi; print(sorted(m for m in ('alembic', 'flask_migrate') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", made], cwd=root, env=env, capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]", loaded.stderr
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "db"]
    upgraded = subprocess.run([*flask, "upgrade"], cwd=root, env=env, capture_output=True, text=True)
    assert upgraded.returncode == 0, upgraded.stderr
    current = subprocess.run([*flask, "current"], cwd=root, env=env, capture_output=True, text=True)
    assert "(head)" in current.stdout, (current.stdout, current.stderr)
