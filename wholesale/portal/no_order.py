"""A customer's "no order this week", from the link in the weekly reminder.

GET only shows what the link is for and a confirm button, so an email scanner that fetches it records
nothing; the POST (with its CSRF token) records the answer, then redirects back to the same page, which now
says it was recorded. The link's token is bound to one reminder and is never a sign-in.
"""

from __future__ import annotations

from flask import make_response, redirect, render_template, request

from ..services import customers
from ..services.reminders.calendar import wall_clock
from ..services.reminders.no_order import read_no_order_link, record_no_order
from . import bp
from .links import private


@bp.route("/link/<token>/no-order/<id:reminder_id>", methods=["GET", "POST"])
def no_order(token: str, reminder_id: int):
    try:
        answer = read_no_order_link(reminder_id, token)
    except customers.links.LinkError as error:
        page = render_template("portal/no_order_invalid.html", reason=error.reason)
        return private(make_response(page, 410 if error.reason == "expired" else 400))
    if request.method == "POST":
        record_no_order(answer)
        return private(redirect(request.path, code=303))
    customer, send = answer.contact.customer, answer.send
    page = render_template(
        "portal/no_order.html",
        answer=answer,
        customer=customer,
        reminder_sent=wall_clock(send.created_at, customer.reminder_timezone),
        answered_at=wall_clock(send.no_order_at, customer.reminder_timezone) if send.no_order_at else "",
        by_colleague=send.no_order_contact_id not in (None, answer.contact.id),
    )
    return private(make_response(page))
