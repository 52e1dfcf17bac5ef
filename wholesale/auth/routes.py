import hashlib

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from ..errors import render_error
from ..extensions import limiter
from ..security import private
from ..services import staff_links
from ..services.errors import ServiceError
from . import bp
from .forms import ForgotPasswordForm, SetPasswordForm, SignInForm
from .staff import authenticate, end_staff_session, safe_next, start_staff_session

# Guessing passwords is throttled per client and per account (counted in Redis when it is configured).
PER_CLIENT_LIMIT = "10/minute;50/hour"
PER_ACCOUNT_LIMIT = "10/15 minutes"
# Asking for password links: per client, and per address so nobody's inbox is flooded.
RESET_PER_CLIENT_LIMIT = "5/minute;20/hour"
RESET_PER_ADDRESS_LIMIT = "3/hour"
# The password link being used, kept in the session so the token leaves the address bar at once.
PASSWORD_LINK_KEY = "staff_password_link"  # noqa: S105  (a session key, not a secret)
RESET_SENT = (
    "If an account exists for that address, we've emailed a link to set a new password. "
    "It works for {lifetime}."
)


def _account_key(prefix: str = "staff-sign-in:") -> str:
    email = (request.form.get("email") or "").strip().lower()
    return prefix + hashlib.sha256(email.encode()).hexdigest()[:24]


def _reset_address_key() -> str:
    return _account_key("staff-password-reset:")


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
    end_staff_session()
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"), code=303)


@bp.route("/admin/forgot-password", methods=["GET", "POST"])
@limiter.limit(RESET_PER_CLIENT_LIMIT, key_func=get_remote_address, methods=["POST"])
@limiter.limit(RESET_PER_ADDRESS_LIMIT, key_func=_reset_address_key, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        staff_links.email_password_reset(form.email.data)
        # The same answer whether the address has an account, a deactivated one or none.
        flash(RESET_SENT.format(lifetime=staff_links.describe_seconds(staff_links.lifetime("reset"))))
        return redirect(url_for("auth.sign_in"), code=303)
    status = 400 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form), status


def _link_refused(reason: str):
    page = render_template("auth/password_link_invalid.html", reason=reason)
    return private(make_response(page, 410 if reason == "expired" else 400))


@bp.get("/admin/password/<token>")
def open_password_link(token: str):
    """An invitation's or a reset's link: checked, kept in the session, and off the address bar at once."""
    try:
        staff_links.read_token(token)
    except staff_links.StaffLinkError as error:
        return _link_refused(error.reason)
    session[PASSWORD_LINK_KEY] = token
    return private(redirect(url_for("auth.set_password"), code=303), "no-referrer")


@bp.route("/admin/password", methods=["GET", "POST"])
def set_password():
    token = session.get(PASSWORD_LINK_KEY) or ""
    try:
        staff = staff_links.read_token(token)
    except staff_links.StaffLinkError as error:
        return _link_refused(error.reason)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            staff = staff_links.set_password_from_link(token, form.password.data)
        except ServiceError as error:
            form.password.errors.append(error.message)
        except staff_links.StaffLinkError as error:
            return _link_refused(error.reason)
        else:
            start_staff_session(staff)  # a fresh session: the link is gone from it too
            flash("Your password is set and you are signed in.")
            return redirect(url_for("admin.home"), code=303)
    status = 400 if form.errors else 200
    return private(make_response(render_template("auth/set_password.html", form=form, staff=staff), status))


@bp.errorhandler(RateLimitExceeded)
def too_many_sign_ins(error):
    if request.endpoint == "auth.forgot_password":
        return render_error(429, "Too many requests for a password link. Please wait a while and try again.")
    return render_error(429, "Too many sign-in attempts. Please wait a few minutes and try again.")
