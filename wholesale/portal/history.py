"""The customer's past orders: the list, one order (the confirmation page too), and ordering one again."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Order
from ..services import deliveries
from ..services.errors import ServiceError
from ..services.invoicing.issuing import invoice_of_order
from ..services.orders import approval, drafts, editing, pricing
from . import bp
from .ordering import REFUSALS, actor, customer_order_or_404, refused, seen_version
from .session import customer_required, signed_in_contact, signed_in_customer

PER_PAGE = 25


@bp.get("/orders")
@customer_required
def orders():
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= 10_000:
        abort(404)
    placed = func.coalesce(Order.placed_at, Order.created_at)
    rows = db.session.scalars(
        select(Order)
        .where(Order.customer_id == g.signed_in.customer_id, Order.status != "draft")
        .options(joinedload(Order.placed_by_contact))
        .order_by(placed.desc(), Order.id.desc())
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "portal/orders.html", orders=rows[:PER_PAGE], page=page, has_next=len(rows) > PER_PAGE
    )


@bp.get("/orders/<id:order_id>")
@customer_required
def order_detail(order_id: int):
    order = customer_order_or_404(order_id)
    if order.status == "draft":
        return redirect(url_for("portal.order"), code=303)
    response = render_template(
        "portal/order_detail.html",
        order=order,
        totals=pricing.order_totals(order),
        just_placed=request.args.get("placed") == "1",
        may_change=editing.customer_may_change(order),
        changes_close=deliveries.cutoff_of(order),
        invoice=invoice_of_order(order.id),
    )
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/orders/<id:order_id>/reorder")
@customer_required
def reorder(order_id: int):
    """ "Order these again": the draft's lines become the order's. When the draft already holds lines, the
    customer is asked first (a page with the two orders side by side; its button posts again, confirmed)."""
    source = customer_order_or_404(order_id)
    if source.status == "draft":
        return redirect(url_for("portal.order"), code=303)
    if request.form.get("confirmed") != "1":
        current = drafts.customers_draft(g.signed_in.customer_id)
        if current is not None and current.lines:
            page = render_template("portal/reorder_confirm.html", source=source, draft=current)
            return page, 200, {"Cache-Control": "no-store"}
    draft = drafts.refill_draft(signed_in_customer(), signed_in_contact(), source)
    message = f"Your order now holds the items of order {source.number} at today's prices."
    if draft.copied.notice:
        message += f" {draft.copied.notice}"
    flash(message)
    return redirect(url_for("portal.order"), code=303)


@bp.post("/orders/<id:order_id>/cancel")
@customer_required
def cancel(order_id: int):
    """The customer cancels their pending order, with an optional reason; the roastery is emailed."""
    try:
        order = approval.cancel_by_customer(
            order_id, actor(), signed_in_contact(), request.form.get("reason", "")[:2000], seen_version()
        )
    except REFUSALS as error:
        return refused(order_id, error)
    except ServiceError as error:
        flash(error.message)
        return redirect(url_for("portal.order_detail", order_id=order_id, _anchor="cancel"), code=303)
    flash(f"Order {order.number} is cancelled; the roastery has been told.")
    return redirect(url_for("portal.order_detail", order_id=order_id), code=303)
