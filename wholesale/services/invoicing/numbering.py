"""Invoice and credit note numbers: one gap-free sequence per kind, with the kind's prefix.

A number is taken by one ``UPDATE … RETURNING`` on the kind's ``invoice_sequence`` row, in the transaction
that issues the document: a rollback gives the number back (no gap), and a second issue at the same moment
waits on the row's lock until the first commits or rolls back (no duplicate). The row is made on first use
by an ``INSERT … ON CONFLICT DO NOTHING``, so two first issues at once make it once.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from ...extensions import db
from ...models import InvoiceSequence
from ...models.invoicing import CREDIT_NOTE, INVOICE

_PREFIX_SETTING = {INVOICE: "INVOICE_PREFIX", CREDIT_NOTE: "CREDIT_NOTE_PREFIX"}
DIGITS = 6


def format_number(kind: str, value: int) -> str:
    """ "INV-000042": the kind's prefix (a setting) and the value, six digits at least."""
    return f"{current_app.config[_PREFIX_SETTING[kind]]}{value:0{DIGITS}d}"


def take_number(kind: str) -> tuple[int, str]:
    """The next value of ``kind``'s sequence and its number, taken in the caller's transaction (which must
    commit for the number to be used, and gives it back by rolling back)."""
    if kind not in _PREFIX_SETTING:
        raise ValueError(f"no sequence for {kind!r}")
    value = _advance(kind)
    if value is None:
        _create_row(kind)
        value = _advance(kind)
    return value, format_number(kind, value)


def _advance(kind: str) -> int | None:
    return db.session.scalar(
        update(InvoiceSequence)
        .where(InvoiceSequence.kind == kind)
        .values(next_value=InvoiceSequence.next_value + 1)
        .returning(InvoiceSequence.next_value - 1)
        .execution_options(synchronize_session=False)
    )


def _create_row(kind: str) -> None:
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(
        dialect.insert(InvoiceSequence).values(kind=kind, next_value=1).on_conflict_do_nothing()
    )
