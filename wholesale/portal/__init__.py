"""The customer portal at /: signed in by the emailed link, never by a password."""

from flask import Blueprint

bp = Blueprint("portal", __name__)

from . import (  # noqa: E402,F401  (routes attach themselves to bp)
    account,
    billing,
    history,
    invoice_documents,
    links,
    no_order,
    ordering,
    reminders,
    routes,
    standing,
    standing_skip,
)
