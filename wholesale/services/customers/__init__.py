"""Customers: accounts, contacts and their prices, and the passwordless sign-in links."""

from . import accounts, history, links  # noqa: F401  (callers name them as customers.<module>)
