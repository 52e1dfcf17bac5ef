"""Settings, read from the environment in one place.

Every variable is listed in the README's configuration table. Defaults are safe for development: SQLite
under ``instance/``, no Redis (jobs run in-process after the commit), mail kept in the database and shown
to staff instead of being sent.
"""

from __future__ import annotations

import os
from pathlib import Path

DEV_SECRET_KEY = "dev-only-not-secret"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def database_url(raw: str | None, instance_path: str) -> str:
    """Normalise a DATABASE_URL as PaaS add-ons hand it out into one SQLAlchemy accepts."""
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "wholesale.sqlite3")
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://"):]
    return raw


def from_environment(instance_path: str) -> dict:
    env = os.environ.get
    production = env("FLASK_ENV", env("APP_ENV", "development")) == "production"
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": env("SECRET_KEY", DEV_SECRET_KEY),
        # Earlier keys, comma-separated, still accepted while rotating (sessions and sign-in links).
        "SECRET_KEY_FALLBACKS": [key for key in env("SECRET_KEY_FALLBACKS", "").split(",") if key],
        "SQLALCHEMY_DATABASE_URI": database_url(env("DATABASE_URL"), instance_path),
        # Connections idle for a second or more are checked before use (extensions.PING_AFTER_IDLE_SECONDS).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": env("REDIS_URL") or None,
        "RQ_QUEUE": env("RQ_QUEUE", "wholesale"),
        # Public base URL that links in emails are built from (never the request's Host header).
        "PUBLIC_BASE_URL": (env("PUBLIC_BASE_URL") or ("" if production else "http://127.0.0.1:5000")).rstrip("/"),
        # Sign-in links: a reminder's lasts until the next reminder, one asked for by hand 30 minutes.
        "LINK_TTL_REMINDER_SECONDS": _int("LINK_TTL_REMINDER_SECONDS", 7 * 24 * 3600),
        "LINK_TTL_REQUESTED_SECONDS": _int("LINK_TTL_REQUESTED_SECONDS", 30 * 60),
        "ROASTERY_NAME": env("ROASTERY_NAME", "Hillside Coffee Roasters"),
        "ROASTERY_ADDRESS": env("ROASTERY_ADDRESS", "12 Mill Lane, Portland, OR 97201"),
        "ROASTERY_EMAIL": env("ROASTERY_EMAIL", "orders@hillside.example"),
        # Email ROASTERY_EMAIL when a portal order is placed and waits for review.
        "ORDER_NOTIFY_ROASTERY": _bool("ORDER_NOTIFY_ROASTERY", True),
        "ROASTERY_TIMEZONE": env("ROASTERY_TIMEZONE", "America/Los_Angeles"),
        "REMINDER_DEFAULT_WEEKDAY": _int("REMINDER_DEFAULT_WEEKDAY", 6),  # Monday=0 … Sunday=6
        "REMINDER_DEFAULT_TIME": env("REMINDER_DEFAULT_TIME", "02:00"),
        "REMINDER_DEFAULT_TIMEZONE": env("REMINDER_DEFAULT_TIMEZONE", "America/Los_Angeles"),
        # A weekly reminder found less than this late (the scheduler was down) is still sent; later, skipped.
        "REMINDER_CATCH_UP_HOURS": _int("REMINDER_CATCH_UP_HOURS", 12),
        "MAIL_SERVER": env("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": env("MAIL_USERNAME"),
        "MAIL_PASSWORD": env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER", "Hillside Coffee <orders@hillside.example>"),
        # Seconds an SMTP connect, read or write may take before the attempt fails and is retried later.
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 30),
        # Without MAIL_SERVER set explicitly, development keeps mail in the outbox and shows it to staff;
        # production always sends (a missing server shows as failed emails, never as "sent").
        "MAIL_SUPPRESS_SEND": _bool("MAIL_SUPPRESS_SEND", not production and "MAIL_SERVER" not in os.environ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # A phone tab left open for hours must still be able to post: the token lives with the session.
        "WTF_CSRF_TIME_LIMIT": None,
        # How many proxies (a PaaS router) stand in front of the app; their X-Forwarded-* are trusted.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # Rate limits are counted in Redis when it is configured: a Redis that does not answer within a second
        # is given up on for the request (the limits are then counted in memory), never waited for.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # Requests above this are refused with a friendly 413 page before any form code runs.
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
    }


def refuse_unsafe_production(settings) -> None:
    """In production, a guessable secret key or links built from nowhere are refused at start-up."""
    if settings.get("ENV_NAME") != "production":
        return
    if settings.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY):
        raise RuntimeError("SECRET_KEY must be set to a long random value in production.")
    if not settings.get("PUBLIC_BASE_URL"):
        raise RuntimeError("PUBLIC_BASE_URL must be set in production: links in emails are built from it.")
