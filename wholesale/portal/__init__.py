"""The customer portal at /: signed in by the emailed link, never by a password."""

from flask import Blueprint

bp = Blueprint("portal", __name__)

from . import account, history, invoice_documents, links, no_order, ordering, reminders, routes, standing_skip  # noqa: E402,F401  (routes attach themselves to bp)
