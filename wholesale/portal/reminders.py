"""A contact stops or restarts their own weekly reminder, from the link in every reminder's footer.

GET only shows the contact's choice and a button, so an email scanner that fetches the link changes
nothing. Stopping is a POST to the same address, which is also the reminder's List-Unsubscribe header: a
mail client's one-click unsubscribe (RFC 8058) posts there without a session or CSRF token, so that route
takes none; the token in the address is the key, and stopping is all it can do. Starting again needs the
page's CSRF token.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from ..extensions import csrf
from ..services import customers
from ..services.reminders import opt_out
from . import bp
from .links import private


def _contact_or_refusal(token: str):
    """(the contact the link names, None), or (None, the page saying why the link does not work)."""
    try:
        contact = opt_out.read_opt_out_link(token)
    except customers.links.LinkError as error:
        page = render_template("portal/reminders_invalid.html", reason=error.reason)
        return None, private(make_response(page, 410 if error.reason == "expired" else 400))
    return contact, None


@bp.route("/link/<token>/reminders", methods=["GET", "POST"])
@csrf.exempt
def reminders_stop(token: str):
    contact, refused = _contact_or_refusal(token)
    if refused is not None:
        return refused
    if request.method == "POST":
        opt_out.set_receives_reminders(contact, False)
    page = render_template("portal/reminders.html", contact=contact, token=token)
    return private(make_response(page))


@bp.post("/link/<token>/reminders/start")
def reminders_start(token: str):
    contact, refused = _contact_or_refusal(token)
    if refused is not None:
        return refused
    opt_out.set_receives_reminders(contact, True)
    flash("Weekly reminders start again with the next one.")
    return private(redirect(url_for("portal.reminders_stop", token=token), code=303))
