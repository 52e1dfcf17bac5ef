"""Signing in by emailed link, and asking for a new one (journey 5, "Lost link").

Opening a link only reads: it starts a session and redirects, so the token leaves the address bar and an
email scanner that fetches the link changes nothing. Asking for a link answers the same way whether or not
the address belongs to a customer, and is rate limited per address and per client.
"""

from __future__ import annotations

import hashlib

from flask import make_response, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from ..errors import render_error
from ..extensions import limiter
from ..security import private
from ..services import customers
from . import bp
from .session import start_customer_session

PER_ADDRESS_LIMIT = "3 per hour"
PER_CLIENT_LIMIT = "10 per hour"


class LinkRequestForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST already

    email = EmailField(
        "Your email address",
        validators=[
            DataRequired("Enter your email address."),
            Email("Enter an email address."),
            Length(max=254, message="That address is too long."),
        ],
        filters=[lambda value: value.strip().lower() if value else value],
    )


def _address_key() -> str:
    """The per-address limit key: a hash, so the addresses people type are not kept by the limiter."""
    address = (request.form.get("email") or "").strip().lower()
    return "link-request:" + hashlib.sha256(address.encode()).hexdigest()


def _page(template: str, status: int = 200, **context):
    context.setdefault("form", LinkRequestForm())
    return make_response(
        render_template(template, link_lifetime=customers.links.describe_lifetime("requested"), **context),
        status,
    )


@bp.get("/link/<token>")
def open_link(token: str):
    try:
        contact = customers.links.verify(token)
    except customers.links.LinkError as error:
        status = 410 if error.reason == "expired" else 400
        page = _page("portal/link_invalid.html", status, reason=error.reason)
        # This page's address holds the token, so what it links to and posts to gets only the origin as
        # Referer ("no-referrer" would break its form: Flask-WTF wants a Referer on HTTPS POSTs).
        return private(page, "strict-origin")
    start_customer_session(contact)
    landing = customers.links.LANDINGS.get(request.args.get("to", ""), "portal.order")
    return private(redirect(url_for(landing), code=303), "no-referrer")


@bp.route("/link/request", methods=["GET", "POST"])
@limiter.limit(PER_CLIENT_LIMIT, key_func=get_remote_address, methods=["POST"])
@limiter.limit(PER_ADDRESS_LIMIT, key_func=_address_key, methods=["POST"])
def request_link():
    form = LinkRequestForm()
    if request.method == "GET":
        return _page("portal/link_request.html", form=form)
    if not form.validate():
        return _page("portal/link_request.html", 400, form=form)
    customers.links.email_login_link(form.email.data)
    return redirect(url_for("portal.link_requested"), code=303)


@bp.get("/link/requested")
def link_requested():
    return _page("portal/link_requested.html")


@bp.errorhandler(RateLimitExceeded)
def too_many_link_requests(error):
    if request.endpoint != "portal.request_link":
        return render_error(429)
    return _page("portal/link_request_limited.html", 429)
