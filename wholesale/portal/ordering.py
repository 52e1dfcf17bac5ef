"""The customer's order page and its inline edits. Every lookup goes through the signed-in customer.

An edit calls one service function of ``orders.editing``, which returns the order as it changed it, and
answers an htmx request with the changed fragment of the page rendered from that order (the totals out of
band), a plain form post with a redirect back to the page: everything works with JavaScript off.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block, render_blocks

from ..extensions import db
from ..forms import form_message, version_seen
from ..htmx import fragment_or_redirect, go_to, is_htmx, retarget
from ..models import Order
from ..services import deliveries, orders
from ..services.errors import ServiceError
from ..services.orders.editing import OrderLocked, OrderNotFound, StaleOrder
from ..services.orders.history import Actor
from . import bp
from .catalog import catalog_for, quantities_on_order
from .forms import AddLineForm, DetailsForm, LineForm, PlaceForm
from .session import customer_required, signed_in_contact, signed_in_customer

TEMPLATE = "portal/order.html"


def actor() -> Actor:
    return Actor(contact_id=g.signed_in.contact_id, customer_id=g.signed_in.customer_id)


def customer_order_or_404(order_id: int) -> Order:
    """One of the signed-in customer's orders with what its pages show, or 404: another customer's ids look
    exactly like unknown ones."""
    order = orders.drafts.customer_order(order_id, g.signed_in.customer_id)
    if order is None:
        abort(404)
    return order


def seen_version() -> int | None:
    """The order version the page showed: a placed order's forms send it, the draft's send none (see
    ``orders.editing.ensure_current``)."""
    return version_seen(request.form["version"]) if "version" in request.form else None


def delivery_context(
    order: Order, asked_day: date | None = None, closed: frozenset[date] | None = None
) -> dict:
    """What the order page shows about the delivery: the dates offered for the order's option, the one
    chosen (``deliveries.preferred``: the date asked for by a refused Place, else the order's), and, for a
    placed order, when the customer's changes close."""
    offered = deliveries.choices(order.shipping_option, closed=closed)
    usual = order.delivery_date.weekday() if order.delivery_date else None
    chosen = deliveries.preferred(offered, asked_day or order.delivery_date, usual)
    if order.status != "draft" and order.delivery_date and chosen and chosen.day != order.delivery_date:
        chosen = None  # a placed order shows its own date, offered or not
    cutoff = deliveries.cutoff_of(order) if order.status != "draft" else None
    return {
        "delivery_days": offered,
        "chosen_delivery": chosen,
        "changes_close": cutoff,
    }


NOT_LOOKED_UP = object()  # editor_page looks up the customer's upcoming order unless the caller did


def minimum_context(order: Order) -> dict:
    """How far below the customer's minimum the order is (``shortfall``), and whether there is one at all
    (the page keeps room for the message only then)."""
    return {
        "has_minimum": orders.minimums.minimum_for(order.customer) is not None,
        "shortfall": orders.minimums.shortfall(order),
    }


def editor_page(
    order: Order,
    status: int = 200,
    line_errors: dict | None = None,
    form_error: str | None = None,
    already: Order | None = NOT_LOOKED_UP,
    asked_day: date | None = None,
    offer_second: bool = False,
):
    """The order page. ``already``: the customer's order for a delivery to come, which a draft's page names
    (a second order is placed only by a button that says so)."""
    if already is NOT_LOOKED_UP:
        already = None
        if order.status == "draft":
            already = orders.drafts.upcoming_order(g.signed_in.customer_id, deliveries.today())
    calendar = deliveries.calendar()
    response = make_response(
        render_template(
            TEMPLATE,
            order=order,
            totals=orders.pricing.order_totals(order),
            **minimum_context(order),
            shipping_options=calendar.options,
            idempotency_key=orders.idempotency.new_key(),
            line_errors=line_errors or {},
            form_error=form_error,
            already=already,
            offer_second=offer_second,
            **delivery_context(order, asked_day, calendar.closed),
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def fragment(order: Order, *blocks: str, status: int = 200, **context):
    """The named blocks of the order page; the totals (with how far below the minimum the order is) and the
    version always come along, out of band."""
    context.setdefault("line_errors", {})
    blocks = [*blocks, "totals", "version"]
    html = render_blocks(
        TEMPLATE,
        blocks,
        order=order,
        totals=orders.pricing.order_totals(order),
        **minimum_context(order),
        oob=True,
        **context,
    )
    return make_response(html, status)


def page_url(order: Order, anchor: str | None = None) -> str:
    target = (
        url_for("portal.order")
        if order.status == "draft"
        else url_for("portal.order_edit", order_id=order.id)
    )
    return target + (f"#{anchor}" if anchor else "")


def refused(order_id: int, error: ServiceError):
    """The edit was refused as a whole: the order is unknown, has moved on, or changed since it was shown.
    Say so, and show the order as it is now."""
    if isinstance(error, OrderNotFound):
        abort(404)
    flash(error.message)
    if isinstance(error, StaleOrder):
        return go_to(url_for("portal.order_edit", order_id=order_id))
    response = go_to(url_for("portal.order_detail", order_id=order_id))
    if is_htmx():  # the message shows at once, where the page shows its messages, until the page follows
        response.set_data(render_template("portal/_locked.html", message=error.message))
        retarget(response, "#page-message", "innerHTML")
    return response


REFUSALS = (OrderNotFound, OrderLocked, StaleOrder)


@bp.get("/order")
@customer_required
def order():
    """This week's order. A customer who already ordered for a delivery to come is shown that order
    (``?second=1``, the deliberate second step, opens the draft instead). Else the draft: made from the last
    order the first time, and made again when an order or a reminder is newer than it."""
    customer_id = g.signed_in.customer_id
    draft, week = orders.drafts.draft_and_week(customer_id, deliveries.today())
    upcoming, made = None, None
    if week.upcoming_id is not None:
        upcoming = orders.drafts.customer_order(week.upcoming_id, customer_id)
        if request.args.get("second") != "1":
            return redirect(placed_order_url(upcoming), code=303)
    if draft is None:
        made = orders.drafts.make_draft(signed_in_customer(), signed_in_contact())
    elif week.newer_than(draft):
        made = orders.drafts.refresh_draft(signed_in_customer(), signed_in_contact())
        if made is not None:
            flash(
                f"Your order was made again from your last order, {made.copied_from.number}, at today's prices."
            )
    if made is not None:
        if made.copied.notice:
            flash(made.copied.notice)
        draft = made.order
    return editor_page(draft, already=upcoming)


def placed_order_url(order: Order) -> str:
    """Where a placed order opens: its change page while the customer may change it, else its page."""
    if orders.editing.customer_may_change(order):
        return url_for("portal.order_edit", order_id=order.id)
    return url_for("portal.order_detail", order_id=order.id)


@bp.get("/orders/<id:order_id>/edit")
@customer_required
def order_edit(order_id: int):
    order = customer_order_or_404(order_id)
    if order.status == "draft":
        return redirect(url_for("portal.order"), code=303)
    try:
        orders.editing.ensure_editable(order, actor())
    except OrderLocked as error:
        return refused(order_id, error)
    return editor_page(order)


@bp.post("/orders/<id:order_id>/lines/<id:line_id>")
@customer_required
def line_update(order_id: int, line_id: int):
    form = LineForm()
    try:
        if form.remove_line.data:
            order, label = orders.editing.remove_line(order_id, line_id, actor(), seen_version())
            return fragment_or_redirect(lambda: fragment(order, "removed", removed=label), page_url(order))
        if not form.validate():
            raise ServiceError(form_message(form), "quantity")
        order = orders.editing.set_quantity(
            order_id, line_id, form.requested_quantity(), actor(), seen_version()
        )
    except REFUSALS as error:
        return refused(order_id, error)
    except ServiceError as error:
        order = customer_order_or_404(order_id)
        line = line_or_404(order, line_id)
        if is_htmx():
            return fragment(order, "line", line=line, line_errors={line_id: error.message}, status=422)
        return editor_page(order, status=422, line_errors={line_id: error.message})
    line = orders.editing.line_on(order, line_id)
    return fragment_or_redirect(
        lambda: fragment(order, "line", line=line), page_url(order, f"line-{line_id}")
    )


def line_or_404(order: Order, line_id: int):
    try:
        return orders.editing.line_on(order, line_id)
    except OrderNotFound:
        abort(404)


@bp.post("/orders/<id:order_id>/lines")
@customer_required
def line_add(order_id: int):
    form = AddLineForm()
    try:
        if not form.validate():
            raise ServiceError(form_message(form))
        line = orders.editing.add_line(
            order_id, form.variant_id.data, form.added_quantity(), actor(), seen_version(), form.option.data
        )
    except REFUSALS as error:
        return refused(order_id, error)
    except ServiceError as error:
        customer_order_or_404(order_id)  # a refusal says nothing about another customer's order
        if is_htmx():
            return make_response(
                render_template("portal/_add_status.html", message=error.message, failed=True), 422
            )
        flash(error.message)
        return redirect(url_for("portal.order_catalog", order_id=order_id), code=303)
    order = line.order
    if not is_htmx():
        flash(f"Added {line.label}.")
        return redirect(page_url(order, f"line-{line.id}"), code=303)
    response = fragment(order, "line", "add_status", line=line, added=line)
    if (
        line.quantity != form.added_quantity()
    ):  # the size (and option) was on the order: replaced where it stands
        retarget(response, f"#line-{line.id}", "outerHTML")
    return response


@bp.get("/orders/<id:order_id>/catalog")
@customer_required
def order_catalog(order_id: int):
    """Browse or search what can be added; a page of its own without JavaScript, a fragment with it."""
    order = customer_order_or_404(order_id)
    query = request.args.get("q", "")[:80]
    products = catalog_for(g.signed_in.customer_id, query)
    context = {
        "order": order,
        "products": products,
        "query": query,
        "on_order": quantities_on_order(order.id),
    }
    if is_htmx():
        return render_block("portal/catalog.html", "results", **context)
    return render_template("portal/catalog.html", **context)


@bp.post("/orders/<id:order_id>/details")
@customer_required
def details(order_id: int):
    form = DetailsForm()
    try:
        if not form.validate():
            raise ServiceError(form_message(form))
        order = orders.editing.set_details(
            order_id,
            form.shipping_option_id.data,
            form.notes.data or "",
            actor(),
            seen_version(),
            delivery_date=form.delivery_date.data,
        )
    except REFUSALS as error:
        return refused(order_id, error)
    except ServiceError as error:
        order = customer_order_or_404(order_id)
        if is_htmx():
            return fragment(
                order,
                "details_error",
                "delivery",
                details_error=error.message,
                status=422,
                **delivery_context(order),
            )
        return editor_page(order, status=422, form_error=error.message)
    if is_htmx():  # the dates offered follow the option chosen
        return fragment(order, "details_error", "delivery", details_error=None, **delivery_context(order))
    if order.status == "draft":
        return redirect(page_url(order), code=303)
    flash("Your changes are saved.")
    return redirect(url_for("portal.order_detail", order_id=order.id), code=303)


@bp.post("/orders/<id:order_id>/place")
@customer_required
def place(order_id: int):
    form = PlaceForm()
    try:
        if not form.validate():
            raise ServiceError(form_message(form))
        placed = orders.placing.place_order(
            signed_in_customer(),
            signed_in_contact(),
            order_id,
            form.idempotency_key.data,
            shipping_option_id=form.shipping_option_id.data,
            notes=form.notes.data or "",
            delivery_date=form.delivery_date.data,
            second_order=form.second_order.data,
        )
    except ServiceError as error:
        db.session.rollback()
        order = customer_order_or_404(order_id)
        if order.status != "draft":
            flash(error.message)
            return redirect(url_for("portal.order_detail", order_id=order.id), code=303)
        already = error.order if isinstance(error, orders.placing.AlreadyOrdered) else None
        return editor_page(
            order,
            status=422,
            form_error=error.message,
            already=already,
            asked_day=form.delivery_date.data,
            offer_second=already is not None,
        )
    # A double tap or a retried request is shown the order the first one placed.
    return redirect(url_for("portal.order_detail", order_id=placed.id, placed=1), code=303)
