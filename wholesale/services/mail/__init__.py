"""Email: the outbox (a row first, written in the transaction that causes it) and its delivery to the worker."""

from . import delivery, outbox  # noqa: F401  (callers name them as mail.<module>)
