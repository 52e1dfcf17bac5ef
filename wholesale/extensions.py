"""Bare extension objects; ``create_app`` binds them to an app."""

import sqlite3
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase

from .smtp import Mail
from .transactions import Session

# Named constraints, so that Alembic can drop or alter them later (SQLite needs a name for that).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
mail = Mail()
csrf = CSRFProtect()
# Limits are kept in RATELIMIT_STORAGE_URI (Redis in production); if it cannot be reached, in memory.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True)


# How long a SQLite connection waits for another process's write to finish before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 15_000
# How long connecting to PostgreSQL may take: an unreachable server is a 503 page in seconds, not a request
# hanging until gunicorn kills its worker. A ``connect_timeout`` in DATABASE_URL wins.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5


@event.listens_for(Engine, "do_connect")
def _postgres_connect_timeout(dialect, _record, _cargs, cparams):
    if dialect.name == "postgresql":
        cparams.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT_SECONDS)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """Per SQLite connection: enforce foreign keys (PostgreSQL always does), and let processes share the file.

    Several gunicorn workers and an RQ worker write one file. In WAL mode readers never wait for a writer
    and a writer never waits for readers; the busy timeout makes a second writer wait its turn instead of
    failing with "database is locked". WAL is a property of the file, so setting it once is enough; an
    in-memory database simply stays in "memory" mode.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


# A pooled connection unused for longer than this is checked with a round trip before a request gets it; one
# used within the last second is known to be alive. After a quiet spell (a database restarted or failed over,
# a connection closed by the server or a proxy while idle) the first request still gets a working
# connection, and under load no request pays for the check (SQLAlchemy's pool_pre_ping checks every time,
# a round trip more for every request). A connection that dies while in use is a 503 for the
# requests using it, and SQLAlchemy then replaces every connection of the pool.
PING_AFTER_IDLE_SECONDS = 1.0


def ping_connections_after_idle(engine: Engine) -> None:
    """Check a connection that sat idle before handing it out (not for SQLite: a file does not go away)."""
    if engine.dialect.name == "sqlite":
        return
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def note_last_use(_dbapi_connection, record):
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # just made, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)  # as pool_pre_ping does: outside any transaction
        except Exception as error:  # the server or the network let it go: the pool makes a new one
            raise DisconnectionError(
                f"connection unusable after {time.monotonic() - idle_since:.0f} s idle"
            ) from error
