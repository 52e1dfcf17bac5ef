"""What a customer (portal) and staff (admin) do to a standing order, the same for both.

Each action reads its form from the request, calls one use case of ``services.standing`` and returns the
sentence to show; a refusal is a ``ServiceError``. The two areas only differ in how they find the standing
order (the signed-in customer's, or any), who they say acts, and where they go back to:
``perform`` is the answer of every action route in both.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request

from .formatting import short_day
from .forms import show_refusal
from .models import Customer, Order, ShippingOption, StandingOrder
from .services import catalog
from .services.errors import ServiceError
from .services.orders.editing import active_shipping_options
from .services.standing import manage, queries, skips
from .standing_forms import (
    AddSizeForm,
    DayForm,
    NewStandingForm,
    PauseForm,
    StandingForm,
    StopForm,
    quantities_sent,
)

Action = Callable[[StandingOrder, str], str]


def card_context() -> dict:
    """What a page showing standing orders (``standing/_standing.html``) needs beside them: the choices of
    their change forms."""
    offered = active_shipping_options()
    return {
        "shipping_options": offered,
        "sizes": catalog.sizes_on_sale(),
        "options": catalog.options_on_sale(),
        "cadences": list(queries.CADENCES.items()),
        "weekday_names": queries.WEEKDAY_NAMES,
        "delivery_weekdays": delivery_weekdays(offered),
    }


def delivery_weekdays(offered: list[ShippingOption]) -> set[int]:
    """The weekdays some option offered delivers on: the days a weekday choice lists."""
    return {day for option in offered for day in option.weekdays}


def change(standing: StandingOrder, by: str) -> str:
    form = StandingForm()
    if not form.validate():
        raise form.refusal()
    manage.change_standing(
        standing,
        form.every_weeks.data,
        form.weekday.data,
        form.shipping_option_id.data,
        form.notes.data or "",
        by,
        form.seen_version,
    )
    return f"Saved: {queries.describe(standing)}."


def set_quantities(standing: StandingOrder, by: str) -> str:
    form = StandingForm()  # only its version is read
    quantities = quantities_sent(request.form, [line.id for line in standing.lines])
    manage.set_quantities(standing, quantities, by, form.seen_version)
    return "Saved the quantities."


def add_size(standing: StandingOrder, by: str) -> str:
    form = AddSizeForm()
    if not form.validate():
        raise form.refusal("variant_id")
    line = manage.add_line(
        standing, form.variant_id.data, form.added_quantity(), form.option.data, by, form.seen_version
    )
    return f"Added {line.label} ({line.quantity} each delivery)."


def _on_day(use_case, done: str) -> str:
    """Skip one delivery, or take its skip back (``use_case`` of the day); ``done`` says so, naming the day."""
    form = DayForm()
    if not form.validate():
        raise form.refusal("day")
    use_case(form.day.data)
    return done.format(day=short_day(form.day.data))


def skip(standing: StandingOrder, by: str) -> str:
    return _on_day(lambda day: skips.skip(standing, day, by), "The delivery of {day} is skipped.")


def unskip(standing: StandingOrder, by: str) -> str:
    return _on_day(lambda day: skips.unskip(standing, day), "The delivery of {day} is back on.")


def pause(standing: StandingOrder, by: str) -> str:
    form = PauseForm()
    if not form.validate():
        raise form.refusal("until")
    manage.pause_standing(standing, form.until.data, by, form.seen_version)
    return f"Paused: no delivery before {short_day(standing.paused_until)}."


def resume(standing: StandingOrder, by: str) -> str:
    manage.resume_standing(standing, by, StopForm().seen_version)
    return "Resumed: deliveries go on from the next date on its schedule."


def stop(standing: StandingOrder, by: str) -> str:
    manage.stop_standing(standing, by, StopForm().seen_version)
    return f"Stopped: {queries.describe(standing)} places no more orders."


# (the URL's last segment, the endpoint, the action): the routes each area gives a standing order.
ROUTES = (
    ("change", "standing_change", change),
    ("quantities", "standing_quantities", set_quantities),
    ("lines", "standing_add", add_size),
    ("skip", "standing_skip_delivery", skip),
    ("unskip", "standing_unskip_delivery", unskip),
    ("pause", "standing_pause", pause),
    ("resume", "standing_resume", resume),
)


def add_routes(bp: Blueprint, prefix: str, act, guard=lambda view: view) -> None:
    """Give ``bp`` a POST route per action, ``<prefix>/<id:standing_id>/<segment>``, answered by
    ``act(standing_id, action)`` (the area's own lookup, actor and page) behind the area's ``guard``."""
    for segment, endpoint, action in ROUTES:
        view = guard(_view(act, action, endpoint))
        bp.add_url_rule(f"{prefix}/<id:standing_id>/{segment}", endpoint, view, methods=["POST"])


def _view(act, action: Action, endpoint: str):
    def view(standing_id: int):
        return act(standing_id, action)

    # Named as if written in the area's module (Flask-WTF's CSRF exemptions and the logs read these).
    view.__name__, view.__qualname__, view.__module__ = endpoint, endpoint, act.__module__
    return view


def perform(standing: StandingOrder, action: Action, by: str, back_to: str):
    """Do ``action`` and go back to ``back_to`` with what happened (or why not) as the page's message."""
    try:
        flash(action(standing, by))
    except ServiceError as error:
        flash(error.message)
    return redirect(back_to, code=303)


def stop_or_confirm(standing: StandingOrder, by: str, back_to: str, layout: str, action_url: str):
    """Stopping asks first, on a page of its own (it works without JavaScript); its button posts again,
    confirmed."""
    if StopForm().confirmed.data != "1":
        page = render_template(
            "standing/stop_confirm.html",
            layout=layout,
            standing=standing,
            description=queries.describe(standing),
            action_url=action_url,
            back_to=back_to,
        )
        return page, 200, {"Cache-Control": "no-store"}
    return perform(standing, stop, by, back_to)


# --- Making one ------------------------------------------------------------------------------------------


def make_from(form: NewStandingForm, customer: Customer, source: Order | None, by: str) -> manage.Made | None:
    """Make the standing order the (posted) form asks for; None when refused, the refusal beside its field."""
    if not form.validate():
        return None
    try:
        return manage.make_standing(
            customer, source, form.every_weeks.data, form.weekday.data, form.shipping_option_id.data, by
        )
    except ServiceError as error:
        show_refusal(form, error)
        return None


def new_page(form: NewStandingForm, layout: str, source: Order | None, customer: Customer, **urls):
    """The form for a new standing order (``urls``: its ``action_url`` and the ``back_to`` of Cancel); its
    weekdays are those some option delivers on."""
    offered = active_shipping_options()
    days = delivery_weekdays(offered) | ({form.weekday.data} - {None})
    form.weekday.choices = [choice for choice in form.weekday.choices if choice.value in days]
    page = render_template(
        "standing/new.html",
        layout=layout,
        form=form,
        source=source,
        customer_name=customer.business_name,
        shipping_options=offered,
        **urls,
    )
    return page, 422 if form.errors or form.form_errors else 200
