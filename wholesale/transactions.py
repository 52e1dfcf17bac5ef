"""Pages that only read run without a transaction; a use case that writes runs in one.

A GET in the portal or the back office only reads, with one exception or two (the week's first visit to the
order page makes the draft). On PostgreSQL its statements therefore run in autocommit mode, which saves the
BEGIN and ROLLBACK round trips and, more, keeps psycopg's prepared statements:
psycopg forgets every statement it has prepared whenever a transaction is rolled back, so with a transaction
per page, every page view had PostgreSQL parse and plan its statements anew. Each statement sees the data
as it is when it runs, as it does in a READ COMMITTED transaction.

A GET that writes calls ``begin_writing()`` first: its writes then run in one transaction like any other
use case's. Writing without it is a programming error and raises (on SQLite too, where nothing else changes),
so the test suite finds such a path instead of a customer. So is a locking read (FOR UPDATE), whose lock
would end with its statement.

Every other request (a POST) runs in one transaction from its first statement, committed once by the use
case it calls.
"""

from __future__ import annotations

import weakref

from flask import Flask, current_app, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

READING = "reading_without_transaction"  # a flag in the session's ``info``


class WriteWithoutTransaction(RuntimeError):
    """A request that reads without a transaction tried to write without calling ``begin_writing()``."""


_autocommit_engines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _autocommit(engine: Engine) -> Engine:
    """The same engine and pool, its connections in autocommit mode while checked out (SQLAlchemy sets the
    mode when a connection is taken and puts the default back when it is returned)."""
    if engine not in _autocommit_engines:
        _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return _autocommit_engines[engine]


class Session(FlaskSession):
    """Flask-SQLAlchemy's session; while reading without a transaction, its connection is in autocommit
    mode. The connection is only taken when the first statement needs it, so a page that does not touch the
    database does not need one."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if self.info.get(READING) and engine.dialect.name == "postgresql":
            return _autocommit(engine)
        return engine


def _session():
    return current_app.extensions["sqlalchemy"].session


def read_without_transaction() -> None:
    """This request's statements run in autocommit mode (PostgreSQL) until ``begin_writing()``."""
    session = _session()()
    if not session.in_transaction():  # else something was read already: go on in its transaction
        session.info[READING] = True


def begin_writing() -> None:
    """Before the writes of a request that began reading without a transaction: what follows runs in one.

    What was loaded stays loaded (nothing was written, so nothing is stale): ending the read neither expires
    nor reloads it."""
    session = _session()()
    if session.info.get(READING):
        if session.new or session.dirty or session.deleted:
            raise WriteWithoutTransaction(
                "begin_writing() came after the first change: call it before changing anything"
            )
        del session.info[READING]
        commit_keeping_loaded()  # ends the read (no round trip: nothing is open); the next statement begins one


def commit_keeping_loaded() -> None:
    """Commit without expiring the session's objects: they hold exactly what was just written, and what the
    request renders next is drawn from them instead of being read back object by object. Version columns
    and anything the database computes are still refreshed."""
    session = _session()()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def end_read(_error=None) -> None:
    """At the end of a request: a read without a transaction gives its connection back. (In production the app
    context ends too and closes the session; an outer app context, as in tests, would otherwise keep it.)"""
    scoped = _session()
    if not scoped.registry.has():  # no session in this request (/ping, a static file)
        return
    session = scoped()
    if session.info.pop(READING, False):
        session.rollback()  # nothing is open: psycopg sends nothing and keeps its prepared statements


def _refuse_writes(session) -> None:
    if session.info.get(READING):
        raise WriteWithoutTransaction(
            f"{request.method} {request.path} reads without a transaction and tried to write: "
            "call transactions.begin_writing() before the writes"
        )


@event.listens_for(Session, "before_flush")
def _no_flush_while_reading(session, _flush_context, _instances):
    _refuse_writes(session)


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_write_while_reading(state):
    if state.is_insert or state.is_update or state.is_delete:
        _refuse_writes(state.session)
    elif state.is_select and getattr(state.statement, "_for_update_arg", None) is not None:
        _refuse_writes(state.session)  # a lock taken in autocommit mode would end with its statement


def register(app: Flask, *blueprints: str) -> None:
    """GET and HEAD requests of these (registered) blueprints read without a transaction; this runs before
    the blueprints' own hooks (the back office's staff check reads too)."""

    def start() -> None:
        if request.method in ("GET", "HEAD"):
            read_without_transaction()

    for name in blueprints:
        app.before_request_funcs.setdefault(name, []).insert(0, start)
    app.teardown_request(end_read)


def insert_ignoring_taken(model):
    """``INSERT … ON CONFLICT DO NOTHING`` for ``model`` on this database (PostgreSQL or SQLite): the
    set-based form of "insert, and a unique violation means another transaction has the row"."""
    insert = postgresql.insert if _session()().get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(model)
