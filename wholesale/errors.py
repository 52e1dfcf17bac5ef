"""Friendly error pages; no request ever shows a traceback.

htmx swaps no error answer, so an htmx request that fails would look to the customer as if nothing
happened. Its error answer therefore carries the message as a flash and ``HX-Refresh``: the page reloads and
says what went wrong (or shows the full error page, while the database is still away).
"""

from __future__ import annotations

from flask import Flask, flash, has_request_context, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from . import config
from .extensions import db
from .htmx import is_htmx

MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Page not found", "The page you asked for does not exist or is not yours."),
    405: ("Not allowed", "That action cannot be done this way."),
    409: (
        "Changed at the same moment",
        "Someone else changed this at the same moment, so nothing was saved. Please try again.",
    ),
    413: ("Too much data", "What you sent is larger than we accept. Please shorten it and try again."),
    429: ("Too many attempts", "Please wait a few minutes and try again."),
    500: ("Something went wrong", "We could not finish that. Nothing was saved; please try again."),
    503: ("We are briefly unavailable", "We cannot reach our database right now. Please try again shortly."),
}
# Seconds a client (or a load balancer) is told to wait before trying again after a 503.
RETRY_AFTER_SECONDS = 5


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500])
    message = detail or message
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    page = render_template("error.html", status=status, title=title, message=message)
    if has_request_context() and is_htmx():
        flash(f"Your last change was not saved. {message}")  # after rendering: the reloaded page shows it
        headers["HX-Refresh"] = "true"
    return page, status, headers


# SQLSTATEs of a transaction PostgreSQL ended because it collided with another one: a serialization failure
# (40001) or a deadlock (40P01). The server is fine and nothing of the transaction was saved, so the answer
# is a 409 that says so, not the 503 of a database that is away: a load balancer or an uptime check must
# not count it as an outage, and the person (not a client's automatic retry) decides whether to send the
# change again, after the page has shown what the other change did.
CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})


def is_conflict(error: Exception) -> bool:
    """The database ended this transaction because another one changed the same rows at the same time."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in CONFLICT_SQLSTATES


def is_disconnect(error: Exception) -> bool:
    """The database cannot be reached (down, restarting, connection cut, every pooled connection busy)."""
    if is_conflict(error):
        return False  # psycopg files these under OperationalError too, but the server answered
    return isinstance(error, (OperationalError, PoolTimeout)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, "Your session expired or the form was stale. Please reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in MESSAGES:
            return render_error(error.code)
        return error

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_error(error):
        db.session.rollback()
        if is_conflict(error):
            app.logger.warning("transaction ended by a conflict: %s", error.orig)
            return render_error(409)
        if is_disconnect(error):
            app.logger.error("database unavailable: %s", getattr(error, "orig", None) or error)
            config.settings_from_environment_only()  # the page below reads the roastery's name
            return render_error(503)
        app.logger.exception("database error")
        return render_error(500)

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("unhandled error")
        db.session.rollback()
        return render_error(500)
