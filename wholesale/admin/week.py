"""The week board (journey 9): every customer's state for a delivery week, the roast forecast beside it, a
CSV of the board, and "remind again" for the silent ones.

The GET filters (week, state, shipping option) work as a plain form; htmx only swaps the board in place.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from ..converters import parse_id
from ..formatting import local_moment, short_day
from ..services.deliveries import calendar
from ..services.errors import ServiceError
from ..services.planning import board, forecast, nudge
from ..services.planning.week import REMINDED_MEANS, Week, next_delivery_week
from ..services.production.roast_plan import ROUNDING_RULE
from ..services.spreadsheets import csv_chunks
from . import bp
from .orders import STATUS_LABELS
from .week_forms import BoardFilterForm, RemindForm

STATE_LABELS = {
    board.ORDERED: "Ordered",
    board.STANDING: "Standing order",
    board.NO_ORDER: "No order this week",
    board.REMINDED: "Reminded, silent",
    board.NOT_REMINDED: "Not reminded",
}
CSV_COLUMNS = ("customer", "state", "shipping option", "orders", "order statuses", "orders total", "details")


def _filters(default: Week):
    """The filter form, and what it asks for: the week (``default`` when none is chosen), the state and the
    option (None: all). A value that does not parse is left out, and the form says why."""
    form = BoardFilterForm(request.args)
    form.validate()
    chosen = form.week.data if not form.week.errors else None
    week = Week.containing(chosen) if chosen else default
    state = form.state.data if form.state.data and not form.state.errors else None
    option = form.option.data if not form.option.errors else None
    return form, week, state, option


@bp.get("/week")
def week_board():
    default = next_delivery_week(calendar())
    form, week, state, option = _filters(default)
    shown = board.week_board(week)
    page = render_template(
        "admin/week.html",
        # Spelled once for 2,000 rows: a link is its prefix and the row's id, a day its label.
        hrefs={
            "customer": url_for("admin.customer", customer_id=1).removesuffix("1"),
            "order": url_for("admin.order", order_id=1).removesuffix("1"),
        },
        days={day: short_day(day) for day in week.days()},
        option_names={option_id: option.name for option_id, option in shown.options.items()},
        board=shown,
        rows=shown.filtered(state, option),
        counts=shown.counts(option),
        labels=STATE_LABELS,
        status_labels=STATUS_LABELS,
        not_now=nudge.why_not_now(week),
        **_week_context(form, week, default, state, option),
    )
    return page, 400 if form.errors else 200


@bp.get("/week/forecast")
def week_forecast():
    """The week's roast beside the board, on a tab of its own: it reads the week's order lines, which the board
    does not need."""
    default = next_delivery_week(calendar())
    form, week, _, _ = _filters(default)
    page = render_template(
        "admin/week_forecast.html",
        forecast=forecast.week_forecast(board.week_board(week)),
        method=forecast.METHOD,
        rounding_rule=ROUNDING_RULE,
        **_week_context(form, week, default),
    )
    return page, 400 if form.errors else 200


def _week_context(form, week: Week, default: Week, state: str | None = None, option: int | None = None):
    """What both of the week's screens show above their own part (admin/_week_head.html)."""
    return {
        "form": form,
        "week": week,
        "default_week": default,
        "state": state,
        "option": option,
        "reminded_means": REMINDED_MEANS,
    }


@bp.get("/week.csv")
def week_board_csv():
    _, week, state, option = _filters(next_delivery_week(calendar()))
    shown = board.week_board(week)
    rows = (
        (
            row.business_name,
            STATE_LABELS[row.state],
            option_row.name if (option_row := shown.options.get(row.option_id)) else "",
            " ".join(order.number for order in row.orders),
            " ".join(STATUS_LABELS.get(order.status, order.status) for order in row.orders),
            f"{row.orders_total:.2f}" if row.orders else "",
            _details(row),
        )
        for row in shown.filtered(state, option)
    )
    body = b"".join(csv_chunks(CSV_COLUMNS, rows, byte_order_mark=True))
    filename = f"week-{week.start.isoformat()}.csv"  # digits and dashes only
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _details(row: board.BoardRow) -> str:
    """What the page says beside the state, in words."""
    if row.state == board.STANDING:
        return "; ".join(
            f"delivers {short_day(due.day)}, places itself at {local_moment(due.places_at)}"
            for due in row.standing
        )
    if row.state == board.NO_ORDER and row.skipped:
        return "; ".join(f"skipped {short_day(day)}: {reason}" for day, reason in row.skipped)
    if row.state == board.NO_ORDER:
        return f"answered {local_moment(row.no_order_at)}"
    if row.state == board.REMINDED:
        return f"reminded {local_moment(row.reminded_at)}"
    return ""


@bp.post("/week/remind")
def week_remind():
    form = RemindForm()
    back = _back_to(form.week.data if form.validate() else None)
    ids = form.customer_id.data  # the service refuses those who are not silent for the week
    if form.errors:
        flash(" ".join(error for errors in form.errors.values() for error in errors) + " Nothing was sent.")
    elif not ids:
        flash("Tick the silent customers to remind, then press “Remind again”. Nothing was sent.")
    else:
        try:
            done = nudge.remind_silent(Week.containing(form.week.data), ids)
        except ServiceError as error:
            flash(error.message)
            return back
        if done.sent:
            count = len(done.sent)
            flash(f"Reminded {count} customer{'s' if count != 1 else ''} again: {', '.join(done.sent)}.")
        for who, why in done.refused:
            flash(f"Not sent to {who}: {why}")
    return back


def _back_to(day):
    state = request.form.get("state", "")
    option = parse_id(request.form.get("option", ""))
    args = {
        "week": day.isoformat() if day else None,
        "state": state if state in board.STATES else None,
        "option": option,
    }
    return redirect(url_for("admin.week_board", **args), code=303)
