"""Staff pages, all under /admin/ and all behind staff sign-in."""

from flask import Blueprint

from ..auth.staff import require_staff

bp = Blueprint("admin", __name__)
bp.before_request(require_staff)

# The modules' routes attach themselves to bp.
from . import (  # noqa: E402,F401
    catalog,
    customers,
    emails,
    exports,
    invoices,
    order_editor,
    orders,
    payments,
    production,
    reminders,
    standing,
    week,
)
