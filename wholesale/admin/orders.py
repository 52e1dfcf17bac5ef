"""The orders area: tabs by status (Pending first), an order as an invoice with its history, and the decisions
made from there: approve (one, or several from the Pending tab), cancel with a reason, enter a staff order.

Routes stay thin: load through a 404 helper, validate the form, call one service, redirect (303) with a
message, or show the page again with the message (4xx). The editor's routes are in ``order_editor``.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..converters import parse_id
from ..extensions import db
from ..formatting import long_day
from ..models import Order
from ..services import deliveries, orders
from ..services.errors import ServiceError
from ..services.invoicing.credit_limit import credit_flags
from ..services.invoicing.issuing import invoice_of_order, issue_by_hand
from ..services.orders.editing import OrderLocked, StaleOrder, ensure_editable
from ..services.orders.history import Actor
from . import bp
from .order_forms import (
    ApproveForm,
    CancelForm,
    OrderSearchForm,
    StaffOrderForm,
    new_staff_order_form,
    selected_orders,
)

LISTED_STATUSES = orders.queries.LISTED_STATUSES
STATUS_LABELS = {
    "pending": "Pending",
    "approved": "Approved",
    "in_production": "In production",
    "fulfilled": "Fulfilled",
    "cancelled": "Cancelled",
}


@bp.context_processor
def pending_badge():
    # A callable, so the COUNT runs only when a page's navigation is drawn (never for htmx fragments).
    return {"pending_count": orders.queries.pending_count}


def staff_actor() -> Actor:
    return Actor(staff_id=g.staff.id)


def order_or_404(order_id: int) -> Order:
    order = orders.queries.order_for_staff(order_id)
    if order is None:
        abort(404)
    return order


def can_edit(order: Order) -> bool:
    try:
        ensure_editable(order, staff_actor())
    except OrderLocked:
        return False
    return True


def to_invoice(order_id: int):
    return redirect(url_for("admin.order", order_id=order_id), code=303)


@bp.get("/")
def home():
    """The orders overview, one tab per status; Pending first because that is where work arrives, and oldest
    first there because it is a queue. A search above the tabs narrows and sorts whichever tab is open."""
    status = request.args.get("status", "pending")
    if status not in LISTED_STATUSES:
        abort(404)
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 100_000:
        abort(404)
    search = OrderSearchForm(request.args)
    valid = search.validate()
    # A search that cannot be read is explained beside its field; no list is shown for it.
    listing = orders.queries.orders_with_status(status, page, search=search.search()) if valid else None
    page_html = render_template(
        "admin/orders.html",
        status=status,
        labels=STATUS_LABELS,
        counts=orders.queries.counts_by_status(),
        listing=listing,
        search=search,
        search_args=search.query_args(),
        sort=search.search().sort_for(status) if valid else None,
        # Customers past their credit limit: flagged beside their orders, which are taken all the same.
        credit_flags=credit_flags({order.customer_id for order in listing.orders}) if listing else {},
    )
    return page_html, 200 if valid else 400


@bp.get("/orders/<id:order_id>")
def order(order_id: int):
    """Review: the order as it will be invoiced, Edit bottom left and Approve bottom right, then its
    history; once invoiced, a link to its invoice."""
    return render_invoice(order_or_404(order_id))


def render_invoice(
    order: Order,
    status: int = 200,
    cancel_form: CancelForm | None = None,
    approve_form: ApproveForm | None = None,
):
    page = render_template(
        "admin/order.html",
        order=order,
        totals=orders.pricing.order_totals(order),
        shortfall=orders.minimums.shortfall(order),
        approve_form=approve_form or ApproveForm(formdata=None),
        history=orders.queries.order_history(order),
        contact=orders.queries.order_contact(order),
        approved_by=orders.queries.staff_name(order.approved_by_staff_id),
        entered_by=orders.queries.staff_name(order.entered_by_staff_id),
        editable=can_edit(order),
        cancel_form=cancel_form or CancelForm(formdata=None),
        customer_cutoff=deliveries.cutoff_of(order),
        customer_locked_out=order.status == "pending" and not orders.editing.customer_may_change(order),
        credit_flag=credit_flags([order.customer_id]).get(order.customer_id),
        invoice=invoice_of_order(order.id),
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/orders/<id:order_id>/approve")
def order_approve(order_id: int):
    order = order_or_404(order_id)
    form = ApproveForm()
    if not form.validate():
        return render_invoice(order, 422, approve_form=form)
    try:
        orders.approval.approve_order(order, staff_actor(), form.seen_version, form.below_minimum_reason.data)
    except ServiceError as error:
        if error.field != orders.minimums.REASON_FIELD:
            flash(error.message)
            return to_invoice(order_id)
        # Below the minimum without a reason: the invoice again, asking for one beside the button.
        form.below_minimum_reason.errors = [error.message]
        return render_invoice(order_or_404(order_id), 422, approve_form=form)
    flash(f"Approved order {order.number}; {order.customer.business_name} is emailed.")
    return redirect(url_for("admin.home", status="pending"), code=303)


@bp.post("/orders/approve")
def orders_approve():
    """Bulk approve from the Pending tab: each ticked box is "order id:version seen". It asks first, listing
    the orders with their totals on a page of its own (it works without JavaScript); its button posts the same
    boxes again, confirmed."""
    picked = selected_orders(request.form.getlist("order"))
    if picked is None:
        flash("That selection could not be read. Please tick the orders again.")
    elif not picked:
        flash("Tick the orders to approve first.")
    elif request.form.get("confirmed") != "1":
        page = render_template(
            "admin/orders_approve_confirm.html",
            ticked=request.form.getlist("order"),
            listed=_ticked_orders(picked),
        )
        return page, 200, {"Cache-Control": "no-store"}
    else:
        try:
            result = orders.approval.approve_orders(picked, staff_actor())
        except ServiceError as error:
            flash(error.message)
            return redirect(url_for("admin.home", status="pending"), code=303)
        if result.approved:
            numbers = ", ".join(order.number for order in result.approved)
            flash(
                f"Approved {len(result.approved)} order{'s' if len(result.approved) != 1 else ''}: {numbers}."
            )
        for number, why in result.skipped:
            flash(f"Order {number} was not approved: {why}.")
    return redirect(url_for("admin.home", status="pending"), code=303)


def _ticked_orders(picked: list[tuple[int, int]]) -> list[Order]:
    """The ticked orders that exist, in the order ticked (approving explains any other)."""
    found = {order.id: order for order in db.session.scalars(select(Order).where(Order.id.in_(dict(picked))))}
    return [found[order_id] for order_id, _ in picked if order_id in found]


@bp.post("/orders/<id:order_id>/invoice")
def order_invoice(order_id: int):
    """Issue invoice: an approved order without one (a staff order once filled in) is invoiced now."""
    order_or_404(order_id)
    try:
        invoice = issue_by_hand(order_id, staff_actor().staff_id)
    except ServiceError as error:
        flash(error.message)
        return redirect(url_for("admin.order", order_id=order_id), code=303)
    flash(f"Invoice {invoice.number} issued, due {long_day(invoice.due_on)}.")
    return redirect(url_for("admin.invoice", invoice_id=invoice.id), code=303)


@bp.post("/orders/<id:order_id>/cancel")
def order_cancel(order_id: int):
    order = order_or_404(order_id)
    form = CancelForm()
    if not form.validate():
        return render_invoice(order, 422, cancel_form=form)
    try:
        orders.approval.cancel_order(order, staff_actor(), form.reason.data, form.seen_version)
    except StaleOrder as error:
        flash(error.message)
        return to_invoice(order_id)
    except ServiceError as error:
        if error.field != "reason":
            flash(error.message)
            return to_invoice(order_id)
        form.reason.errors = [error.message]
        return render_invoice(order_or_404(order_id), 422, cancel_form=form)
    flash(f"Cancelled order {order.number}; {order.customer.business_name} is emailed the reason.")
    return to_invoice(order_id)


@bp.route("/orders/new", methods=["GET", "POST"])
def order_new():
    """A staff order, taken by phone or email: it starts approved, then opens in the editor."""
    if request.method == "GET":
        form = new_staff_order_form(parse_id(request.args.get("customer_id", "")))
    elif (form := StaffOrderForm()).validate():
        try:
            entered = orders.staff_orders.enter_order(
                form.customer_id.data,
                staff_actor(),
                form.idempotency_key.data,
                form.start_from.data == "last",
                form.below_minimum_reason.data,
            )
        except ServiceError as error:
            target = form[error.field] if error.field in form else None
            if target is not None:
                target.errors = [*target.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            message = f"Entered order {entered.order.number} for {entered.order.customer.business_name}; it is approved."
            if entered.copied.notice:
                message += f" {entered.copied.notice}"
            flash(message)
            return redirect(url_for("admin.order_edit", order_id=entered.order.id), code=303)
    customers = orders.queries.customers_to_order_for()
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/order_new.html", form=form, customers=customers), status
