"""The SQL a piece of code runs, as the database receives it (parameters are placeholders), to compare the
work two requests do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from wholesale.extensions import db


@contextmanager
def recorded_statements(app) -> Iterator[list[str]]:
    """Every statement sent on the app's engine inside the block, in order, whitespace normalised."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
