"""The customer's standing orders: the list with what comes next, making one from an order, changing,
skipping, pausing and stopping it. (The preview email's skip link, which needs no sign-in, is
``standing_skip``.)

Every lookup goes through the signed-in customer (another customer's ids are a 404). Every action is a plain
form post answered with a redirect back to the list and a message (``standing_actions``).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from .. import standing_actions as actions
from ..converters import parse_id
from ..services.standing import manage, queries
from ..standing_forms import NewStandingForm
from . import bp
from .ordering import customer_order_or_404
from .session import customer_required, signed_in_contact, signed_in_customer

LAYOUT = "portal/base.html"


def standing_or_404(standing_id: int):
    standing = queries.customer_standing(standing_id, g.signed_in.customer_id)
    if standing is None:
        abort(404)
    return standing


def who() -> str:
    return manage.contact_label(signed_in_contact())


def list_url(standing_id: int | None = None) -> str:
    return url_for("portal.standing_orders", _anchor=f"standing-{standing_id}" if standing_id else None)


@bp.get("/standing")
@customer_required
def standing_orders():
    standings = queries.customer_standing_orders(g.signed_in.customer_id)
    page = render_template(
        "portal/standing.html", outlooks=queries.outlooks(standings), **actions.card_context()
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/standing/new", methods=["GET", "POST"])
@customer_required
def standing_new():
    """ "Make this standing", from one of the customer's orders (``?from=<order id>``)."""
    form = NewStandingForm()
    source_id = (
        form.source_order_id.data if request.method == "POST" else parse_id(request.args.get("from", ""))
    )
    if source_id is None:
        flash("Open one of your orders and choose “Make this standing” there.")
        return redirect(url_for("portal.orders"), code=303)
    source = customer_order_or_404(source_id)
    if request.method == "GET":
        form = NewStandingForm(formdata=None, data=manage.suggested(signed_in_customer(), source))
    else:
        made = actions.make_from(form, signed_in_customer(), source, who())
        if made is not None:
            flash(f"{queries.describe(made.standing)}: your standing order is set. {made.notice}".strip())
            return redirect(list_url(made.standing.id), code=303)
    return actions.new_page(
        form,
        LAYOUT,
        source,
        signed_in_customer(),
        action_url=url_for("portal.standing_new"),
        back_to=url_for("portal.order_detail", order_id=source.id),
    )


def act(standing_id: int, action: actions.Action):
    return actions.perform(standing_or_404(standing_id), action, who(), list_url(standing_id))


actions.add_routes(bp, "/standing", act, customer_required)


@bp.post("/standing/<id:standing_id>/stop")
@customer_required
def standing_stop(standing_id: int):
    return actions.stop_or_confirm(
        standing_or_404(standing_id),
        who(),
        list_url(standing_id),
        LAYOUT,
        url_for("portal.standing_stop", standing_id=standing_id),
    )
