import hashlib

from flask import flash, redirect, render_template, request, session, url_for
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from ..errors import render_error
from ..extensions import limiter
from . import bp
from .forms import SignInForm
from .staff import SESSION_KEY, authenticate, safe_next, start_staff_session

# Guessing passwords is throttled per client and per account (counted in Redis when it is configured).
PER_CLIENT_LIMIT = "10/minute;50/hour"
PER_ACCOUNT_LIMIT = "10/15 minutes"


def _account_key() -> str:
    email = (request.form.get("email") or "").strip().lower()
    return "staff-sign-in:" + hashlib.sha256(email.encode()).hexdigest()[:24]


@bp.route("/admin/sign-in", methods=["GET", "POST"])
@limiter.limit(PER_CLIENT_LIMIT, key_func=get_remote_address, methods=["POST"])
@limiter.limit(PER_ACCOUNT_LIMIT, key_func=_account_key, methods=["POST"])
def sign_in():
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        staff = authenticate(form.email.data, form.password.data)
        if staff is not None:
            start_staff_session(staff)
            return redirect(safe_next(form.next.data), code=303)
        form.password.errors.append("That email and password do not match a staff account.")
    status = 400 if form.errors else 200
    return render_template("auth/sign_in.html", form=form), status


@bp.post("/admin/sign-out")
def sign_out():
    session.pop(SESSION_KEY, None)
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"), code=303)


@bp.errorhandler(RateLimitExceeded)
def too_many_sign_ins(error):
    return render_error(429, "Too many sign-in attempts. Please wait a few minutes and try again.")
