from flask import abort, render_template, request

from ..services.order_queries import LISTED_STATUSES, counts_by_status, orders_with_status
from . import bp

STATUS_LABELS = {
    "pending": "Pending",
    "approved": "Approved",
    "in_production": "In production",
    "fulfilled": "Fulfilled",
    "cancelled": "Cancelled",
}


@bp.get("/")
def home():
    """The orders overview, one tab per status; Pending first because that is where work arrives."""
    status = request.args.get("status", "pending")
    if status not in LISTED_STATUSES:
        abort(404)
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 100_000:
        abort(404)
    return render_template(
        "admin/orders.html",
        status=status,
        labels=STATUS_LABELS,
        counts=counts_by_status(),
        listing=orders_with_status(status, page),
    )
