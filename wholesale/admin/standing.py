"""Staff pages for standing orders: every customer's (active, paused or stopped) with its next placement,
one standing order with the same actions as the customer's, and making one for a customer (from one of its
orders, or empty).

Routes stay thin: load through a 404 helper, call one action of ``standing_actions`` (a service use case;
``add_routes`` gives the actions their routes, the same as the portal's) and redirect (303) with what happened.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from .. import standing_actions as actions
from ..converters import parse_id
from ..extensions import db
from ..models import Customer, StandingOrder
from ..services import orders
from ..services.standing import manage, queries
from ..standing_forms import NewStandingForm
from . import bp

LAYOUT = "admin/base.html"
STATE_LABELS = {"active": "Active", "paused": "Paused", "stopped": "Stopped"}


def standing_or_404(standing_id: int) -> StandingOrder:
    standing = queries.standing_for_staff(standing_id)
    if standing is None:
        abort(404)
    return standing


def who() -> str:
    return manage.staff_label(g.staff)


def page_url(standing_id: int) -> str:
    return url_for("admin.standing_order", standing_id=standing_id)


@bp.get("/standing-orders")
def standing_orders():
    state = request.args.get("state", "active")
    if state not in queries.STATES:
        abort(404)
    return render_template(
        "admin/standing_orders.html",
        state=state,
        labels=STATE_LABELS,
        outlooks=queries.outlooks(queries.standing_orders_in_state(state), shown=0),
    )


@bp.get("/standing-orders/<id:standing_id>")
def standing_order(standing_id: int):
    outlook = queries.outlooks([standing_or_404(standing_id)])[0]
    page = render_template("admin/standing_order.html", outlook=outlook, **actions.card_context())
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/customers/<id:customer_id>/standing-orders/new", methods=["GET", "POST"])
def standing_new(customer_id: int):
    """A new standing order for the customer: from one of its orders (``?from=<order id>``), else empty."""
    customer = db.get_or_404(Customer, customer_id)
    form = NewStandingForm()
    source_id = (
        form.source_order_id.data if request.method == "POST" else parse_id(request.args.get("from", ""))
    )
    source = None
    if source_id is not None:
        source = orders.drafts.customer_order(source_id, customer.id)
        if source is None:
            abort(404)
    if request.method == "GET":
        form = NewStandingForm(formdata=None, data=manage.suggested(customer, source))
    else:
        made = actions.make_from(form, customer, source, who())
        if made is not None:
            flash(
                f"{queries.describe(made.standing)} for {customer.business_name} is set. {made.notice}".strip()
            )
            return redirect(page_url(made.standing.id), code=303)
    return actions.new_page(
        form,
        LAYOUT,
        source,
        customer,
        action_url=url_for("admin.standing_new", customer_id=customer.id),
        back_to=url_for("admin.customer", customer_id=customer.id, _anchor="standing"),
    )


def act(standing_id: int, action: actions.Action):
    return actions.perform(standing_or_404(standing_id), action, who(), page_url(standing_id))


actions.add_routes(bp, "/standing-orders", act)


@bp.post("/standing-orders/<id:standing_id>/stop")
def standing_stop(standing_id: int):
    return actions.stop_or_confirm(
        standing_or_404(standing_id),
        who(),
        page_url(standing_id),
        LAYOUT,
        url_for("admin.standing_stop", standing_id=standing_id),
    )
