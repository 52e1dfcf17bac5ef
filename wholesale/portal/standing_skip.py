""" "Skip this delivery", from the link in a standing order's preview email.

GET only shows the delivery and a confirm button, so an email scanner that fetches it skips nothing; the
POST (with its CSRF token) skips it, then redirects back to the same page, which now says it is skipped. The
link's token is bound to one delivery and one contact, works until the delivery's cut-off, and is never a
sign-in.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request

from ..services import customers
from ..services.errors import ServiceError
from ..services.standing.manage import contact_label
from ..services.standing.skips import read_skip_link, skip
from . import bp
from .links import private


@bp.route("/link/<token>/skip/<id:delivery_id>", methods=["GET", "POST"])
def standing_skip(token: str, delivery_id: int):
    try:
        link = read_skip_link(delivery_id, token)
    except customers.links.LinkError as error:
        page = render_template("portal/standing_skip_invalid.html", reason=error.reason)
        return private(make_response(page, 410 if error.reason == "expired" else 400))
    delivery, contact = link.delivery, link.contact
    if request.method == "POST":
        try:
            skip(delivery.standing_order, delivery.delivery_date, contact_label(contact))
        except ServiceError as error:
            flash(error.message, "error")
        return private(redirect(request.path, code=303))
    page = render_template(
        "portal/standing_skip.html", delivery=delivery, contact=contact, standing=delivery.standing_order
    )
    return private(make_response(page))
