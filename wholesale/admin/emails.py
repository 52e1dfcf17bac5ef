"""Staff see every email the app wrote: its status, what it said, and can send a failed one again.

In development (no MAIL_SERVER) nothing leaves the machine, and this page is where the mail is read.
The HTML body is the one thing here we did not write: it is served on its own URL under a sandboxing CSP
and shown in a sandboxed frame, never inlined into our page.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for

from ..extensions import db
from ..models import Customer, Email
from ..models.outbox import EMAIL_STATUSES
from ..services.mail.delivery import retry_email
from ..services.mail.outbox import MAX_ATTEMPTS, counts_by_status, emails_with_status
from ..services.staff_links import CREDENTIAL_EMAIL_KINDS
from . import bp

STATUS_LABELS = {"queued": "Queued", "sending": "Sending", "sent": "Sent", "failed": "Failed"}
# The order pills' colours: waiting amber, sent green, failed red.
STATUS_PILLS = {"queued": "pending", "sending": "pending", "sent": "approved", "failed": "cancelled"}
# Stored email HTML may style itself inline and carry data: images; nothing else, and no script at all.
EMAIL_HTML_POLICY = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)


def email_or_404(email_id: int) -> Email:
    return db.get_or_404(Email, email_id)


def mail_is_kept_here() -> bool:
    return bool(current_app.extensions["mail"].suppress)


def body_withheld(email: Email) -> bool:
    """An invitation or a password reset holds a link that sets the recipient's password: its text is for
    the recipient. Only where no mail leaves the machine (development) does an owner read it here."""
    return email.kind in CREDENTIAL_EMAIL_KINDS and not (mail_is_kept_here() and g.staff.is_owner)


@bp.get("/emails")
def emails():
    status = request.args.get("status") or None
    if status is not None and status not in EMAIL_STATUSES:
        abort(404)
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 100_000:
        abort(404)
    return render_template(
        "admin/emails.html",
        status=status,
        labels=STATUS_LABELS,
        pills=STATUS_PILLS,
        counts=counts_by_status(),
        listing=emails_with_status(status, page),
        kept_here=mail_is_kept_here(),
    )


@bp.get("/emails/<id:email_id>")
def email(email_id: int):
    email = email_or_404(email_id)
    return render_template(
        "admin/email.html",
        email=email,
        customer=db.session.get(Customer, email.customer_id) if email.customer_id else None,
        labels=STATUS_LABELS,
        pills=STATUS_PILLS,
        max_attempts=MAX_ATTEMPTS,
        kept_here=mail_is_kept_here(),
        withheld=body_withheld(email),
    )


@bp.get("/emails/<id:email_id>/html")
def email_html(email_id: int):
    email = email_or_404(email_id)
    if body_withheld(email):
        abort(404)
    response = make_response(email.html_body)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = EMAIL_HTML_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/emails/<id:email_id>/retry")
def email_retry(email_id: int):
    email = email_or_404(email_id)
    if not retry_email(email.id):
        state = "being sent right now" if email.status == "sending" else "already sent"
        flash(f"That email is {state}; it was not sent again.")
    else:
        db.session.refresh(email)
        if email.status == "sent":
            flash(f"Sent to {email.to_address}.")
        elif email.status in ("queued", "failed") and email.attempts:  # tried in-process, and it failed
            flash(f"Could not send it: {email.last_error[:200]}")
        else:
            flash(f"Queued to send to {email.to_address} again.")
    return redirect(url_for("admin.email", email_id=email.id), code=303)
