"""Staff pages for production runs: plan a roast day from approved orders, print it, close it, finish it.

Routes stay thin: load the run through a 404 helper, validate the form, call one service, then redirect
(303) with a message, or show the run again with the refusal at the top (400, or 409 when the run has
moved on).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, g, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block

from ..extensions import db
from ..forms import form_message
from ..htmx import is_htmx
from ..models import ProductionRun
from ..services import production
from ..services.errors import ServiceError
from ..services.orders.history import Actor
from ..services.production.queries import (
    by_delivery,
    duplicates_among,
    next_roast_date,
    recent_runs,
    roast_plan,
    run_orders,
    run_overview,
)
from ..services.production.roast_plan import ROUNDING_RULE
from ..services.spreadsheets import csv_chunks
from . import bp
from .production_forms import AddOrdersForm, MergeForm, NewRunForm, RoastDateForm, roastery_today

CSV_COLUMNS = ("order", "customer", "channel", "product", "size", "option", "quantity", "grams")
RUN_LABELS = {"open": "Open", "closed": "In production", "done": "Done"}


def run_or_404(run_id: int) -> ProductionRun:
    return db.get_or_404(ProductionRun, run_id)


def actor() -> Actor:
    return Actor(staff_id=g.staff.id)


def back_to(run: ProductionRun, anchor: str | None = None):
    return redirect(url_for("admin.production_run", run_id=run.id, _anchor=anchor), code=303)


def run_page(run: ProductionRun, error: str | None = None, status: int = 200):
    page = render_template(
        "admin/production_run.html",
        overview=run_overview(run),
        error=error,
        rounding_rule=ROUNDING_RULE,
        run_labels=RUN_LABELS,
    )
    return page, status


def suggested_roast_date():
    """The next day approved orders wait for, else tomorrow."""
    today = roastery_today()
    return next_roast_date(today) or today + timedelta(days=1)


def refused(run: ProductionRun, error: ServiceError):
    return run_page(run, error.message, 409 if isinstance(error, production.runs.RunLocked) else 400)


# --- The list of runs, and a new run --------------------------------------------------------------------


@bp.get("/production")
def production_runs():
    form = RoastDateForm(formdata=None, roast_date=suggested_roast_date())
    return render_template("admin/production.html", runs=recent_runs(), form=form, run_labels=RUN_LABELS)


@bp.get("/production/new")
def production_new():
    """With a roast date, the approved orders proposed for that day, ticked, ready to open the run."""
    if "roast_date" not in request.args:
        return new_run_page(RoastDateForm(formdata=None, roast_date=suggested_roast_date()), show=False)
    form = RoastDateForm(request.args)
    form.validate()
    return new_run_page(form)


@bp.post("/production/new")
def production_create():
    form = NewRunForm()
    if form.validate_on_submit():
        try:
            run = production.runs.create_run(form.roast_date.data, form.order_ids.data, actor())
        except ServiceError as error:
            form.order_ids.errors = [error.message]
        else:
            count = len(form.order_ids.data)
            flash(
                f"Opened production run #{run.id} for {run.roast_date:%a %d %b %Y} "
                f"with {count} order{'s' if count != 1 else ''}."
            )
            return back_to(run)
    return new_run_page(form, ticked=set(form.order_ids.data))


def new_run_page(form, show: bool = True, ticked: set[int] | None = None):
    """The date picker and, for a valid date, the proposed orders (all ticked unless ``ticked`` says)."""
    roast_date = form.roast_date.data if show and not form.roast_date.errors else None
    proposed = production.runs.proposed_orders(roast_date) if roast_date else []
    context = {
        "form": form,
        "roast_date": roast_date,
        "proposed": proposed,
        "duplicated": {order.id for group in duplicates_among(proposed) for order in group.orders},
        "ticked": ticked,
    }
    if is_htmx():
        # htmx swaps only 2xx answers, and the message about the date is part of the fragment.
        return render_block("admin/production_new.html", "proposal", **context)
    return render_template("admin/production_new.html", **context), 400 if form.errors else 200


# --- One run --------------------------------------------------------------------------------------------


@bp.get("/production/<id:run_id>")
def production_run(run_id: int):
    return run_page(run_or_404(run_id))


@bp.post("/production/<id:run_id>/orders")
def production_add(run_id: int):
    run = run_or_404(run_id)
    form = AddOrdersForm()
    if not form.validate():
        return run_page(run, form_message(form), 400)
    try:
        added = production.runs.add_orders(run, form.order_ids.data, actor())
    except ServiceError as error:
        return refused(run, error)
    flash(f"Added {len(added)} order{'s' if len(added) != 1 else ''} to the run.")
    return back_to(run, "orders")


@bp.post("/production/<id:run_id>/orders/<id:order_id>/remove")
def production_remove(run_id: int, order_id: int):
    run = run_or_404(run_id)
    try:
        order = production.runs.remove_order(run, order_id, actor())
    except ServiceError as error:
        return refused(run, error)
    flash(
        f"Took {order.number} ({order.customer.business_name}) out of the run; it is approved and free again."
    )
    return back_to(run, "orders")


@bp.post("/production/<id:run_id>/merge")
def production_merge(run_id: int):
    run = run_or_404(run_id)
    form = MergeForm()
    if not form.validate():
        return run_page(run, form_message(form), 400)
    keep_id = form.keep_id.data[0]
    try:
        kept = production.runs.merge_orders(run, keep_id, form.order_ids.data, actor())
    except ServiceError as error:
        return refused(run, error)
    merged = len(set(form.order_ids.data) - {keep_id})
    customer = kept.customer.business_name
    flash(f"Merged {merged} order{'s' if merged != 1 else ''} of {customer} into {kept.number}.")
    return back_to(run, "orders")


@bp.post("/production/<id:run_id>/close")
def production_close(run_id: int):
    run = run_or_404(run_id)
    try:
        count = production.runs.close_run(run, actor())
    except ServiceError as error:
        return refused(run, error)
    flash(f"Run closed: {count} order{'s are' if count != 1 else ' is'} in production.")
    return back_to(run)


@bp.post("/production/<id:run_id>/done")
def production_done(run_id: int):
    run = run_or_404(run_id)
    try:
        count = production.runs.finish_run(run, actor())
    except ServiceError as error:
        return refused(run, error)
    flash(f"Run done: {count} order{'s are' if count != 1 else ' is'} fulfilled.")
    return back_to(run)


# --- Printing and export --------------------------------------------------------------------------------


@bp.get("/production/<id:run_id>/roast-sheet")
def production_roast_sheet(run_id: int):
    run = run_or_404(run_id)
    return render_template(
        "admin/production_roast_sheet.html",
        run=run,
        plan=roast_plan(run),
        rounding_rule=ROUNDING_RULE,
        run_labels=RUN_LABELS,
    )


@bp.get("/production/<id:run_id>/packing-lists")
def production_packing_lists(run_id: int):
    run = run_or_404(run_id)
    orders = run_orders(run)
    return render_template(
        "admin/production_packing_lists.html", run=run, orders=orders, groups=by_delivery(orders)
    )


@bp.get("/production/<id:run_id>/lines.csv")
def production_csv(run_id: int):
    run = run_or_404(run_id)
    body = b"".join(csv_chunks(CSV_COLUMNS, run_csv_rows(run), byte_order_mark=True))
    filename = f"production-run-{run.id}-{run.roast_date.isoformat()}.csv"  # digits and dashes only
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def run_csv_rows(run: ProductionRun):
    for order in run_orders(run):
        for line in order.lines:
            variant = line.variant
            yield (
                order.number,
                order.customer.business_name,
                order.channel,
                variant.product.name,
                variant.name,
                line.option,
                line.quantity,
                line.quantity * variant.net_weight_g,
            )
