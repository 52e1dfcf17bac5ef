"""The signed-in customer's own settings: the day and time of their weekly reminder, where the roastery
offers a choice (``REMINDER_CHOICES``). Without one the page does not exist (404) and is not linked."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for

from ..services.errors import ServiceError
from ..services.reminders import schedule
from . import bp
from .forms import ReminderChoiceForm
from .session import customer_required, signed_in_contact, signed_in_customer


@bp.context_processor
def reminder_choice_offered():
    # A callable, so the configuration is read only when the navigation is drawn.
    return {"reminder_choice_offered": lambda: bool(schedule.allowed_choices())}


@bp.route("/account/reminder", methods=["GET", "POST"])
@customer_required
def reminder_choice():
    choices = schedule.allowed_choices()
    if not choices:
        abort(404)
    customer = signed_in_customer()
    form = ReminderChoiceForm()
    status = 200
    if form.is_submitted():
        try:
            if not form.validate():
                raise ServiceError(schedule.NOT_LISTED, "choice")
            chosen = schedule.choose_reminder_time(customer, signed_in_contact(), form.choice.data)
        except ServiceError as error:
            form.choice.errors = [error.message]
            status = 422
        else:
            flash(f"Your weekly reminder now comes on {chosen.label} ({customer.reminder_timezone}).")
            return redirect(url_for("portal.reminder_choice"), code=303)
    page = render_template(
        "portal/reminder_choice.html",
        form=form,
        choices=choices,
        current=schedule.current_choice(customer),
        customer=customer,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response
