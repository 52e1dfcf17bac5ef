"""Column types that keep money exact and times in UTC on every database.

Money is a ``Decimal`` in Python and an integer number of cents in the database, so SQLite (which has no
decimal type) and PostgreSQL store exactly the same thing. Percentages are stored in hundredths of a
percent the same way. Datetimes are always timezone-aware UTC in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import DateTime, Integer
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


def to_money(value) -> Decimal:
    """Round any number to cents, half up: the one rounding rule for money in the project."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class _ScaledDecimal(TypeDecorator):
    """A Decimal with two places, stored as an integer of hundredths."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(to_money(value) * 100)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(CENT)


class Money(_ScaledDecimal):
    """Dollars and cents: ``Decimal('12.50')`` is stored as ``1250``."""

    cache_ok = True


class Percent(_ScaledDecimal):
    """A percentage with two places: ``Decimal('12.5')`` is stored as ``1250``."""

    cache_ok = True


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime; naive values are refused so local time never sneaks in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


RATE_PLACES = Decimal("0.0001")


class TaxRate(TypeDecorator):
    """A tax rate in percent with four places (``Decimal('8.875')``, New York's sales tax), stored as an
    integer of ten-thousandths of a percent (``88750``)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(Decimal(value).quantize(RATE_PLACES, rounding=ROUND_HALF_UP) * 10000)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) / 10000).quantize(RATE_PLACES)
