"""The start page, and signing out."""

from flask import flash, redirect, render_template, url_for

from . import bp
from .session import end_customer_session, load_signed_in


@bp.get("/")
def index():
    """The start page; a contact who is signed in goes straight to their order."""
    if load_signed_in() is not None:
        return redirect(url_for("portal.order"))
    return render_template("portal/index.html")


@bp.post("/sign-out")
def sign_out():
    """Ends the customer's session on this browser (a staff session in the same browser stays). Anyone may
    ask: without a session there is nothing to end."""
    end_customer_session()
    flash("You are signed out. The link in your weekly email signs you in again.")
    return redirect(url_for("portal.index"), code=303)
