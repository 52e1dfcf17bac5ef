"""Bench data at scale: a year of a roastery with 2,000 customers, loaded in seconds, then cached.

The rows are made in Python as plain database values (money in cents, percents in hundredths, UTC times),
with explicit ids so that no insert has to read an id back, and written in bulk: ``COPY`` on PostgreSQL,
``executemany`` on SQLite. Nothing goes through the ORM. The schema comes from the migrations, as in
production.

The loaded database is kept as a cache: a template database on PostgreSQL (``<name>_tpl``, its key in the
database comment), a file under ``bench/.cache/`` on SQLite. Its key is the migration head, the source of
this file and of ``rows.py``, the scale and the week the data is anchored to, so a new migration, a change
here or a new week loads afresh. Every run works on a copy of it (``CREATE DATABASE … TEMPLATE``, or a file copy), because the
measurements place orders and change drafts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time as clock
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .rows import FULL, SMALL, STAFF_EMAIL, STAFF_PASSWORD, Scale, _anchor, _Rows, make_rows  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
MIGRATIONS = ROOT / "migrations"

# The databases the bench makes on a PostgreSQL server (whatever database DATABASE_URL names is left alone);
# BENCH_DATABASE_PREFIX gives two checkouts benching on one server databases of their own.
DATABASE_PREFIX = os.environ.get("BENCH_DATABASE_PREFIX") or "wholesale_bench"


@dataclass
class Loaded:
    """A working copy of the bench data, ready for the app."""

    url: str  # a SQLAlchemy URL
    scale: Scale
    rows: dict  # table -> rows in the cached data
    load_seconds: float  # time to make and load the data (0.0 when it came from the cache)
    copy_seconds: float  # time to make this run's working copy from the cache
    cached: bool


# --- Writing it ------------------------------------------------------------------------------------------

ORDER = (
    "staff_user",
    "shipping_option",
    "product",
    "product_option",
    "variant",
    "customer",
    "contact",
    "customer_price",
    "production_run",
    "order",
    "order_line",
    "order_event",
    "email",
    "reminder_send",
    "standing_order",
    "standing_order_line",
    "standing_delivery",
)


def _write_postgres(url: str, rows: _Rows) -> None:
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        _skip_foreign_key_triggers(conn)
        with conn.cursor() as cursor:
            for table in ORDER:
                columns = ", ".join(f'"{c}"' for c in rows.columns[table])
                with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                    for row in rows.tables[table]:
                        copy.write_row(row)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"), false)'
                )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def _skip_foreign_key_triggers(conn) -> None:
    """The rows are consistent by construction; checking each foreign key row by row halves the load speed.

    Only a superuser may do this; anyone else loads with the checks on, just slower.
    """
    try:
        with conn.transaction():
            conn.execute("SET session_replication_role = replica")
    except Exception:  # psycopg.errors.InsufficientPrivilege and friends
        pass


def _sqlite_value(value):
    # The formats SQLAlchemy's SQLite types read back: naive UTC datetimes with microseconds.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S.%f")
    return value


def _write_sqlite(path: str, rows: _Rows) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        for table in ORDER:
            columns = rows.columns[table]
            converting = [
                i
                for i, _ in enumerate(columns)
                if any(isinstance(row[i], (datetime, date, time)) for row in rows.tables[table][:50])
            ]
            values = rows.tables[table]
            if converting:
                values = [
                    tuple(_sqlite_value(v) if i in converting else v for i, v in enumerate(row))
                    for row in values
                ]
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _migrate(url: str) -> None:
    """The schema as production has it: the migrations, run in-process."""
    from flask_migrate import upgrade

    from wholesale import create_app
    from wholesale.migrations_cli import init_migrations

    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    init_migrations(app)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        from wholesale.extensions import db

        db.engine.dispose()


# --- The cache -------------------------------------------------------------------------------------------


def migration_heads() -> list[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return sorted(ScriptDirectory.from_config(config).get_heads())


def cache_key(scale: Scale, now: datetime) -> str:
    source = Path(__file__).read_bytes() + (Path(__file__).parent / "rows.py").read_bytes()
    parts = [
        json.dumps(migration_heads()),
        hashlib.sha256(source).hexdigest(),
        json.dumps(asdict(scale)),
        _anchor(now).date().isoformat(),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _count(rows: _Rows) -> dict:
    return {table: len(rows.tables[table]) for table in ORDER}


def prepare(database: str, scale: Scale, now: datetime | None = None, log=print) -> Loaded:
    """A working copy of the data at ``scale`` on ``database`` (a PostgreSQL server URL, or "sqlite")."""
    now = now or datetime.now(UTC)
    key = cache_key(scale, now)
    if database == "sqlite":
        return _prepare_sqlite(scale, key, now, log)
    return _prepare_postgres(database, scale, key, now, log)


def _prepare_sqlite(scale: Scale, key: str, now: datetime, log) -> Loaded:
    CACHE.mkdir(exist_ok=True)
    cached = CACHE / f"{scale.name}-{key}.sqlite3"
    meta = cached.with_suffix(".json")
    load_seconds, hit = 0.0, cached.exists() and meta.exists()
    if not hit:
        for old in CACHE.glob(f"{scale.name}-*.sqlite3"):
            old.unlink()
        for old in CACHE.glob(f"{scale.name}-*.json"):
            old.unlink()
        log(f"  loading {scale.describe()} into SQLite …")
        started = clock.perf_counter()
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _migrate("sqlite:///" + str(partial))
        rows = make_rows(scale, now)
        _write_sqlite(str(partial), rows)
        partial.rename(cached)
        load_seconds = clock.perf_counter() - started
        meta.write_text(json.dumps({"rows": _count(rows), "load_seconds": load_seconds}))
    info = json.loads(meta.read_text())
    started = clock.perf_counter()
    working = CACHE / f"run-{scale.name}.sqlite3"
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(working) + suffix).unlink(missing_ok=True)
    shutil.copyfile(cached, working)
    return Loaded(
        "sqlite:///" + str(working),
        scale,
        info["rows"],
        load_seconds or info["load_seconds"],
        clock.perf_counter() - started,
        hit,
    )


def _prepare_postgres(server: str, scale: Scale, key: str, now: datetime, log) -> Loaded:
    base = make_url(server)
    name = f"{DATABASE_PREFIX}_{scale.name}"
    template, working = f"{name}_tpl", name
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    comment = f"wholesale bench cache {key}"
    try:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                {"name": template},
            ).scalar()
            hit = found is not None and found.startswith(comment)
            load_seconds = 0.0
            if not hit:
                log(f"  loading {scale.describe()} into PostgreSQL …")
                started = clock.perf_counter()
                conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{template}"'))
                url = base.set(database=template).render_as_string(hide_password=False)
                _migrate(url)
                rows = make_rows(scale, now)
                _write_postgres(url, rows)
                load_seconds = clock.perf_counter() - started
                info = {"rows": _count(rows), "load_seconds": load_seconds}
                conn.execute(text(f"COMMENT ON DATABASE \"{template}\" IS '{comment} {json.dumps(info)}'"))
                found = f"{comment} {json.dumps(info)}"
            info = json.loads(found[len(comment) + 1 :])
            started = clock.perf_counter()
            conn.execute(text(f'DROP DATABASE IF EXISTS "{working}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{working}" TEMPLATE "{template}"'))
            copy_seconds = clock.perf_counter() - started
    finally:
        admin.dispose()
    url = base.set(database=working).render_as_string(hide_password=False)
    return Loaded(url, scale, info["rows"], load_seconds or info["load_seconds"], copy_seconds, hit)


def drop_working_copy(loaded: Loaded) -> None:
    """The run's copy goes; the cache stays."""
    url = make_url(loaded.url)
    if url.drivername.startswith("sqlite"):
        Path(url.database).unlink(missing_ok=True)
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def forget_cache(database: str) -> None:
    """Drop every cached data set (``python -m bench --forget-cache``)."""
    shutil.rmtree(CACHE, ignore_errors=True)
    if database == "sqlite":
        return
    base = make_url(database)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            names = (
                conn.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                    {"prefix": DATABASE_PREFIX + "\\_%"},
                )
                .scalars()
                .all()
            )
            for db_name in names:  # every scale's working copy and template
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def summary(rows: dict) -> str:
    counted = Counter(rows)
    return (
        f"{counted['customer']:,} customers, {counted['contact']:,} contacts, {counted['variant']} sizes of "
        f"{counted['product']} products, {counted['order']:,} orders with {counted['order_line']:,} lines"
    )
