"""The customer's order page and its inline edits. Every lookup goes through the signed-in customer.

Each edit answers an htmx request with the changed fragment (and the totals out of band), and a plain form
post with a redirect back to the page, so everything works with JavaScript off.
"""

from __future__ import annotations

import uuid
from functools import partial

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block, render_blocks
from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Order, OrderLine
from ..services import drafts, order_editing, order_views, placing, pricing
from ..services.errors import ServiceError
from ..services.history import Actor
from ..services.order_views import LineView, OrderView
from ..transactions import begin_writing, reads_first
from . import bp
from .catalog import catalog_for
from .forms import AddLineForm, DetailsForm, LineForm, PlaceForm
from .session import customer_required, signed_in_contact, signed_in_customer

TEMPLATE = "portal/order.html"


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def actor() -> Actor:
    return Actor(contact_id=g.signed_in.contact_id)


# Built once: every edit runs one of these (see drafts.DRAFT).
CUSTOMER_ORDER = select(Order).where(Order.id == bindparam("order_id"), Order.customer_id == bindparam("customer_id"))
CUSTOMER_ORDER_AS_SHOWN = drafts.as_shown(CUSTOMER_ORDER)
CUSTOMER_ORDER_FOR_EDIT = drafts.for_edit(CUSTOMER_ORDER)


def customer_order_or_404(order_id: int, *, with_lines: bool = True, for_edit: bool = False) -> Order:
    """An order of the signed-in customer, or 404: another customer's ids look exactly like unknown ones.

    ``for_edit``: the order row is locked until the edit commits (see ``drafts.for_edit``)."""
    query = CUSTOMER_ORDER_FOR_EDIT if for_edit else CUSTOMER_ORDER_AS_SHOWN if with_lines else CUSTOMER_ORDER
    order = drafts.one_order(query, order_id=order_id, customer_id=g.signed_in.customer_id)
    if order is None:
        abort(404)
    return order


def form_message(form) -> str:
    """Every error of a small form as one sentence for the message beside the control."""
    messages = list(form.form_errors) + [error for name, errors in form.errors.items() if name is not None for error in errors]
    return " ".join(dict.fromkeys(messages))


def line_or_404(order: Order, line_id: int) -> OrderLine:
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    return line


def shown(order: Order | OrderView) -> OrderView:
    """What the order page and its pieces render: an order an edit just changed, as its page shows it."""
    return order if isinstance(order, OrderView) else OrderView.of(order)


def editor_page(
    order: Order | OrderView, status: int = 200, line_errors: dict | None = None, form_error: str | None = None
):
    order = shown(order)
    response = make_response(
        render_template(
            TEMPLATE,
            order=order,
            totals=pricing.order_totals(order),
            shipping_options=order_views.offered_shipping_options(),
            idempotency_key=uuid.uuid4().hex,
            line_errors=line_errors or {},
            form_error=form_error,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def fragment(order: Order | OrderView, *blocks: str, status: int = 200, **context):
    """The named blocks of the order page; the totals always come along, out of band. A line in the context
    (``line``, ``added``, ``removed``) may be an ``OrderLine``: it is shown as the page shows it."""
    order = shown(order)
    for name in ("line", "added", "removed"):
        if isinstance(context.get(name), OrderLine):
            context[name] = LineView.of(context[name])
    context.setdefault("line_errors", {})
    blocks = [*blocks, "totals", "version"]
    html = render_blocks(TEMPLATE, blocks, order=order, totals=pricing.order_totals(order), oob=True, **context)
    return make_response(html, status)


def back_to_editor(order: Order | OrderView, anchor: str | None = None):
    target = url_for("portal.order") if order.status == "draft" else url_for("portal.order_edit", order_id=order.id)
    return redirect(target + (f"#{anchor}" if anchor else ""), code=303)


def locked(order: Order, error: ServiceError):
    flash(error.message)
    if is_htmx():
        response = make_response(render_template("portal/_locked.html", message=error.message), 409)
        response.headers["HX-Retarget"] = "#page-message"
        response.headers["HX-Reswap"] = "innerHTML"
        # htmx swaps no 4xx answer by default: follow to the read-only order, where the message is shown.
        response.headers["HX-Redirect"] = url_for("portal.order_detail", order_id=order.id)
        return response
    return redirect(url_for("portal.order_detail", order_id=order.id), code=303)


# --- Optimistic locking: a placed order's edit forms carry the version they were shown ---------------------


def seen_version(order: Order) -> int | None:
    """The order version the edit was made against; None for the draft (nobody else edits it) or when the
    form sent none. A garbled value reads as 0, which no order has, so the edit is refused as out of date."""
    if order.status == "draft" or "version" not in request.form:
        return None
    raw = request.form.get("version", "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0


def stale(order_id: int, error: ServiceError):
    """Someone else (the roastery) changed the order first: say so and show it as it is now."""
    flash(error.message)
    target = url_for("portal.order_edit", order_id=order_id)
    if is_htmx():
        response = make_response("", 409)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


@bp.get("/order")
@customer_required
def order():
    """This week's order: the draft, made from the last order the first time it is opened."""
    draft = order_views.draft(g.signed_in.customer_id)
    if draft is None:
        made = drafts.make_draft(signed_in_customer(), signed_in_contact())
        if made.left_out:
            flash(f"Left out because no longer offered: {', '.join(made.left_out)}.")
        draft = made.order
    return editor_page(draft)


@bp.get("/orders/<int:order_id>/edit")
@customer_required
def order_edit(order_id: int):
    order = customer_order_or_404(order_id)
    if order.status == "draft":
        return redirect(url_for("portal.order"), code=303)
    try:
        order_editing.ensure_editable(order, actor())
    except ServiceError as error:
        return locked(order, error)
    return editor_page(order)


def edit_order(order_id: int, edit):
    """``edit(order)`` on the signed-in customer's order, and its answer.

    The draft is read with its lines in one statement and no lock: the version check at commit notices if
    another edit of it committed first (two quick taps on different lines), and the edit is then made once
    more on the draft as it is now, locked this time (``edit_draft_locked``), so both count. A placed order,
    which the roastery may be editing, is edited only locked: a change made since the customer's page was
    shown is theirs to see, not to overwrite (``StaleOrder``: the customer is shown the order as it is now)."""
    order = customer_order_or_404(order_id)
    if order.status == "draft":
        try:
            return edit(order)
        except order_editing.StaleOrder:  # nothing was written
            return edit_draft_locked(order_id, edit)
    return edit_placed_locked(order_id, edit)


def edit_placed_locked(order_id: int, edit):
    """An edit of a placed order, made on the order read locked (read again: one statement more)."""
    begin_writing()
    order = customer_order_or_404(order_id, for_edit=True)
    try:
        return edit(order)
    except order_editing.StaleOrder as error:
        return stale(order_id, error)


def edit_draft_locked(order_id: int, edit):
    """An edit of the draft that lost the race to another edit, made once more on the draft as it is now."""
    begin_writing()  # the locked read and the edit run in one transaction
    order = customer_order_or_404(order_id, for_edit=True)
    if order.status != "draft":  # placed (from another tab) meanwhile: the edit was made for the draft
        return stale(order_id, order_editing.StaleOrder.for_order(order, actor()))
    try:
        return edit(order)
    except order_editing.StaleOrder as error:
        return stale(order_id, error)


@bp.post("/orders/<int:order_id>/lines/<int:line_id>")
@reads_first  # a +/− tap on the draft is one statement (order_editing.change_draft_quantity)
@customer_required
def line_update(order_id: int, line_id: int):
    form = LineForm()
    edit = partial(change_line, line_id=line_id, form=form)
    if not form.remove_line.data and form.validate():
        answer = tap_on_draft(order_id, line_id, form.quantity.data + (form.step.data or 0), edit)
        if answer is not None:
            return answer
    return edit_order(order_id, edit)


def tap_on_draft(order_id: int, line_id: int, quantity: int, edit):
    """The edit made most, a +/− tap or a typed quantity on the draft, read and written without the ORM. A
    placed order is edited as every edit is, locked; None when the quantity is refused (``edit`` answers with
    the message). Another edit committed first: ``edit`` is made once more, locked, on the draft as it is now."""
    draft = order_views.customer_order(order_id, g.signed_in.customer_id)
    if draft is None or (draft.status == "draft" and draft.line(line_id) is None):
        abort(404)
    if draft.status != "draft":
        return edit_placed_locked(order_id, edit)
    try:
        draft = order_editing.change_draft_quantity(draft, line_id, quantity)
    except order_editing.StaleOrder:  # nothing was written
        return edit_draft_locked(order_id, edit)
    except ServiceError:
        return None
    if not is_htmx():
        return back_to_editor(draft, f"line-{line_id}")
    return fragment(draft, "line", line=draft.line(line_id))


def change_line(order: Order, line_id: int, form: LineForm):
    order_id = order.id
    line = line_or_404(order, line_id)
    try:
        if form.remove_line.data:
            order_editing.remove_line(order, line, actor(), seen_version(order))
            return fragment(order, "removed", removed=line) if is_htmx() else back_to_editor(order)
        if not form.validate():
            raise ServiceError(form_message(form), "quantity")
        quantity = form.quantity.data + (form.step.data or 0)
        if quantity < 1:
            raise ServiceError("To take this item off your order, use Remove.", "quantity")
        kept = order_editing.set_quantity(order, line, quantity, actor(), seen_version(order))
    except order_editing.OrderLocked as error:
        return locked(order, error)
    except order_editing.StaleOrder:  # a ServiceError too, but edit_order's to answer (or retry)
        raise
    except ServiceError as error:
        db.session.rollback()
        order = customer_order_or_404(order_id)
        if is_htmx():
            return fragment(order, "line", line=line_or_404(order, line_id), line_errors={line_id: error.message}, status=422)
        return editor_page(order, status=422, line_errors={line_id: error.message})
    if not is_htmx():
        return back_to_editor(order, f"line-{line_id}" if kept else None)
    if kept is None:
        return fragment(order, "removed", removed=line)
    return fragment(order, "line", line=kept)


@bp.post("/orders/<int:order_id>/lines")
@customer_required
def line_add(order_id: int):
    form = AddLineForm()
    return edit_order(order_id, lambda order: add_line(order, form))


def add_line(order: Order, form: AddLineForm):
    order_id = order.id
    known_ids = {line.variant_id for line in order.lines}
    try:
        if not form.validate():
            raise ServiceError(form_message(form))
        line = order_editing.add_line(
            order, form.variant_id.data, form.quantity.data or 1, actor(), seen_version(order)
        )
    except order_editing.OrderLocked as error:
        return locked(order, error)
    except order_editing.StaleOrder:  # a ServiceError too, but edit_order's to answer (or retry)
        raise
    except ServiceError as error:
        db.session.rollback()
        if is_htmx():
            return make_response(render_template("portal/_add_status.html", message=error.message, failed=True), 422)
        flash(error.message)
        return redirect(url_for("portal.order_catalog", order_id=order_id), code=303)
    if not is_htmx():
        flash(f"Added {line.variant.label}.")
        return back_to_editor(order, f"line-{line.id}")
    response = fragment(order, "line", "add_status", line=line, added=line)
    if line.variant_id in known_ids:
        response.headers["HX-Retarget"] = f"#line-{line.id}"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.get("/orders/<int:order_id>/catalog")
@customer_required
def order_catalog(order_id: int):
    """Browse or search what can be added; a page of its own without JavaScript, a fragment with it."""
    order = customer_order_or_404(order_id, with_lines=False)
    query = request.args.get("q", "")[:80]
    products = catalog_for(g.signed_in.customer_id, query)
    context = {"order": order, "products": products, "query": query}
    if is_htmx():
        return render_block("portal/catalog.html", "results", **context)
    return render_template("portal/catalog.html", **context)


@bp.post("/orders/<int:order_id>/details")
@customer_required
def details(order_id: int):
    form = DetailsForm()
    return edit_order(order_id, lambda order: change_details(order, form))


def change_details(order: Order, form: DetailsForm):
    order_id = order.id
    try:
        if not form.validate():
            raise ServiceError(form_message(form))
        order_editing.set_details(
            order, form.shipping_option_id.data, form.notes.data or "", actor(), seen_version(order)
        )
    except order_editing.OrderLocked as error:
        return locked(order, error)
    except order_editing.StaleOrder:  # a ServiceError too, but edit_order's to answer (or retry)
        raise
    except ServiceError as error:
        db.session.rollback()
        order = customer_order_or_404(order_id)
        if is_htmx():
            return fragment(order, "details_error", details_error=error.message, status=422)
        return editor_page(order, status=422, form_error=error.message)
    if is_htmx():
        return fragment(order, "details_error", details_error=None)
    if order.status == "draft":
        return back_to_editor(order)
    flash("Your changes are saved.")
    return redirect(url_for("portal.order_detail", order_id=order.id), code=303)


@bp.post("/orders/<int:order_id>/place")
@customer_required
def place(order_id: int):
    form = PlaceForm()
    if form.idempotency_key.data:
        already = placing.order_with_key(g.signed_in.customer_id, form.idempotency_key.data)
        if already is not None:  # a double tap or a retried request: show the order the first one made
            return redirect(url_for("portal.order_detail", order_id=already.id, placed=1), code=303)
    order = customer_order_or_404(order_id)
    try:
        if not form.validate():
            raise ServiceError(form_message(form))
        placed = placing.place_order(
            signed_in_customer(),
            signed_in_contact(),
            order.id,
            form.idempotency_key.data,
            shipping_option_id=form.shipping_option_id.data,
            notes=form.notes.data or "",
        )
    except ServiceError as error:
        db.session.rollback()
        order = customer_order_or_404(order_id)
        if order.status != "draft":
            flash(error.message)
            return redirect(url_for("portal.order_detail", order_id=order.id), code=303)
        return editor_page(order, status=422, form_error=error.message)
    return redirect(url_for("portal.order_detail", order_id=placed.id, placed=1), code=303)
