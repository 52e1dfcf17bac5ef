"""Staff edit an order before it goes into production: lines (quantity, add, remove, price with a reason),
shipping and fee, discount, roast date, delivery date and notes.

Every edit answers an htmx request with the changed fragment of the editor (the totals and the order's new
version out of band), and a plain form post with a redirect, so the editor works with JavaScript off.
Saving the details returns to the invoice.

An edit made against an older version of the order (the customer changed it meanwhile) is refused: the
message is flashed and the editor shown again with the order as it is now (htmx follows ``HX-Redirect``).
htmx 2 swaps only 2xx answers by default, so a refused htmx edit answers 200 with its message in the
fragment; the same refusal without htmx is the whole page with 422.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from jinja2_fragments.flask import render_block

from ..htmx import fragment_or_redirect, go_to, is_htmx, retarget
from ..models import Order
from ..services import catalog, orders
from ..services.errors import ServiceError
from ..services.invoicing.issuing import invoice_of_order
from ..services.orders.editing import OrderLocked, OrderNotFound, StaleOrder
from . import bp
from .order_forms import AddLineForm, DetailsForm, LineForm, LinePriceForm
from .orders import can_edit, order_or_404, staff_actor, to_invoice

TEMPLATE = "admin/order_edit.html"
REFUSALS = (OrderNotFound, OrderLocked, StaleOrder)


def details_form_for(order: Order) -> DetailsForm:
    return DetailsForm(
        formdata=None,
        data={
            "shipping_option_id": order.shipping_option_id,
            "shipping_fee": order.shipping_fee,
            "discount_percent": order.discount_percent,
            "discount_amount": order.discount_amount,
            "roast_date": order.roast_date,
            "delivery_date": order.delivery_date,
            "notes": order.notes,
        },
    )


def shipping_choices(order: Order):
    options = orders.editing.active_shipping_options()
    if order.shipping_option is not None and order.shipping_option not in options:
        options.append(order.shipping_option)  # retired since, still on this order
    return options


def editor_page(order: Order, status: int = 200, *, details_form: DetailsForm | None = None, **errors):
    response = make_response(
        render_template(
            TEMPLATE,
            order=order,
            totals=orders.pricing.order_totals(order),
            shipping_options=shipping_choices(order),
            variants=catalog.sizes_on_sale(),
            options=catalog.options_on_sale(),
            details_form=details_form or details_form_for(order),
            line_errors=errors.get("line_errors", {}),
            add_error=errors.get("add_error"),
            details_error=errors.get("details_error"),
            invoice=invoice_of_order(order.id),
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def fragment(order: Order, *blocks: str, **context):
    """The named blocks of the editor; the totals and the order's version always come along, out of band."""
    context.setdefault("line_errors", {})
    context.setdefault("details_form", details_form_for(order))
    html = "".join(
        render_block(
            TEMPLATE, block, order=order, totals=orders.pricing.order_totals(order), oob=True, **context
        )
        for block in (*blocks, "totals", "version")
    )
    return make_response(html, 200)


def refused(order_id: int, error: ServiceError):
    """Unknown, stale or locked: say so, and show the order as it is now (the editor if still editable, else
    the invoice)."""
    if isinstance(error, OrderNotFound):
        abort(404)
    flash(error.message)
    current = orders.queries.order_for_staff(order_id)
    if current is not None and can_edit(current) and not isinstance(error, OrderLocked):
        return go_to(url_for("admin.order_edit", order_id=order_id))
    return go_to(url_for("admin.order", order_id=order_id))


def editor_url(order_id: int, anchor: str | None = None) -> str:
    return url_for("admin.order_edit", order_id=order_id, _anchor=anchor)


@bp.get("/orders/<id:order_id>/edit")
def order_edit(order_id: int):
    order = order_or_404(order_id)
    try:
        orders.editing.ensure_editable(order, staff_actor())
    except OrderLocked as error:
        flash(error.message)
        return to_invoice(order_id)
    return editor_page(order)


@bp.post("/orders/<id:order_id>/lines/<id:line_id>")
def order_line_update(order_id: int, line_id: int):
    form = LineForm()
    try:
        if form.remove_line.data:
            order, label = orders.editing.remove_line(order_id, line_id, staff_actor(), form.seen_version)
            return fragment_or_redirect(
                lambda: fragment(order, "removed", removed=label), editor_url(order_id)
            )
        if not form.validate():
            raise ServiceError(form.message(), "quantity")
        order = orders.editing.set_quantity(
            order_id, line_id, form.requested_quantity(), staff_actor(), form.seen_version
        )
    except REFUSALS as error:
        return refused(order_id, error)
    except ServiceError as error:
        return line_refused(order_id, line_id, error)
    return line_answer(order, line_id)


@bp.post("/orders/<id:order_id>/lines/<id:line_id>/price")
def order_line_price(order_id: int, line_id: int):
    form = LinePriceForm()
    try:
        if not form.validate():
            raise ServiceError(form.message(), "unit_price")
        order = orders.adjustments.set_line_price(
            order_id,
            line_id,
            form.unit_price.data,
            form.price_override_reason.data,
            staff_actor(),
            form.seen_version,
        )
    except REFUSALS as error:
        return refused(order_id, error)
    except ServiceError as error:
        return line_refused(order_id, line_id, error)
    return line_answer(order, line_id)


def line_answer(order: Order, line_id: int):
    line = orders.editing.line_on(order, line_id)
    return fragment_or_redirect(
        lambda: fragment(order, "line", line=line), editor_url(order.id, f"line-{line_id}")
    )


def line_refused(order_id: int, line_id: int, error: ServiceError):
    order = order_or_404(order_id)
    errors = {line_id: error.message}
    try:
        line = orders.editing.line_on(order, line_id)
    except OrderNotFound:
        abort(404)
    if is_htmx():
        return fragment(order, "line", line=line, line_errors=errors)
    return editor_page(order, 422, line_errors=errors)


@bp.post("/orders/<id:order_id>/lines")
def order_line_add(order_id: int):
    form = AddLineForm()
    try:
        if not form.validate():
            raise ServiceError(form.message(), "variant_id")
        quantity = form.added_quantity()
        line = orders.editing.add_line(
            order_id, form.variant_id.data, quantity, staff_actor(), form.seen_version, form.option.data
        )
    except REFUSALS as error:
        return refused(order_id, error)
    except ServiceError as error:
        if is_htmx():
            return fragment(order_or_404(order_id), "add_status", add_error=error.message)
        return editor_page(order_or_404(order_id), 422, add_error=error.message)
    if not is_htmx():
        flash(f"Added {line.label}.")
        return redirect(editor_url(order_id, f"line-{line.id}"), code=303)
    response = fragment(line.order, "line", "add_status", line=line, added=line)
    if (
        line.quantity != quantity
    ):  # the size (and option) was on the order: its line is replaced where it stands
        retarget(response, f"#line-{line.id}", "outerHTML")
    return response


@bp.post("/orders/<id:order_id>/details")
def order_details(order_id: int):
    form = DetailsForm()
    try:
        if not form.validate():
            raise ServiceError(form.message())
        order = orders.adjustments.adjust_order(
            order_id, form.adjustments(), staff_actor(), form.seen_version
        )
    except REFUSALS as error:
        return refused(order_id, error)
    except ServiceError as error:
        if error.field and error.field in form:
            form[error.field].errors = [*form[error.field].errors, error.message]
        if is_htmx():
            return fragment(order_or_404(order_id), "details_status", details_error=error.message)
        return editor_page(order_or_404(order_id), 422, details_form=form, details_error=error.message)
    if is_htmx():
        return fragment(order, "details_status", "shipping_fee", details_saved=True)
    flash(f"Saved order {order.number}.")
    return to_invoice(order_id)
