"""Staff and weekly reminders: switch them on for several customers at once, send one now, see every one sent.

The schedule itself (day, time, zone, on/off) is edited with the customer's details (customers.py).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ..converters import parse_id
from ..services.errors import ServiceError
from ..services.reminders.dispatch import receiving_contacts, send_reminder_now, switch_reminders_on
from ..services.reminders.history import reminder_history
from . import bp
from .customers import customer_or_404
from .emails import STATUS_LABELS, STATUS_PILLS

OUTCOME_LABELS = {"sent": "Sent", "sent-now": "Sent now by staff", "skipped": "Not sent"}


def _names(names: list[str]) -> str:
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


@bp.post("/customers/switch-on-reminders")
def customers_switch_on_reminders():
    # A garbled or out-of-range tick (a forged form) is dropped, the others are switched on.
    ids = [i for i in map(parse_id, request.form.getlist("customer_id")) if i is not None]
    if not ids:
        flash("Tick the customers whose weekly reminder should start, then press “Switch reminders on”.")
    else:
        result = switch_reminders_on(ids)
        if result.switched:
            flash(f"Weekly reminders are on for {_names(result.switched)}.")
        if result.already_on:
            flash(f"Already on for {_names(result.already_on)}.")
        if result.inactive:
            flash(f"Left off for {_names(result.inactive)}: inactive customers cannot sign in.")
    if request.form.get("return_to") == "customer" and len(ids) == 1:
        return redirect(url_for("admin.customer", customer_id=ids[0], _anchor="reminder"), code=303)
    search = request.form.get("q", "").strip()[:200] or None
    page = request.form.get("page", type=int)
    page = page if page and 1 < page <= 100_000 else None
    return redirect(url_for("admin.customers", q=search, page=page), code=303)


@bp.post("/customers/<id:customer_id>/reminders/send-now")
def customer_reminder_send_now(customer_id: int):
    """Sending a reminder now asks first, naming who gets it, on a page of its own (it works without
    JavaScript); its button posts again, confirmed."""
    customer = customer_or_404(customer_id)
    if request.form.get("confirmed") != "1":
        page = render_template(
            "admin/reminder_send_confirm.html", customer=customer, receiving=receiving_contacts(customer)
        )
        return page, 200, {"Cache-Control": "no-store"}
    try:
        emails = send_reminder_now(customer)
    except ServiceError as error:
        flash(error.message)
    else:
        addresses = _names([email.to_address for email in emails])
        flash(f"A reminder is on its way to {addresses}; its status is below.")
        return redirect(url_for("admin.customer_reminders", customer_id=customer.id), code=303)
    return redirect(url_for("admin.customer", customer_id=customer.id, _anchor="reminder"), code=303)


@bp.get("/customers/<id:customer_id>/reminders")
def customer_reminders(customer_id: int):
    customer = customer_or_404(customer_id)
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 100_000:
        abort(404)
    return render_template(
        "admin/reminders.html",
        customer=customer,
        history=reminder_history(customer, page),
        outcomes=OUTCOME_LABELS,
        labels=STATUS_LABELS,
        pills=STATUS_PILLS,
    )
