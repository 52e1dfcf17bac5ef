from flask import flash, redirect, render_template, request, session, url_for

from . import bp
from .forms import SignInForm
from .staff import SESSION_KEY, authenticate, safe_next, start_staff_session


@bp.route("/admin/sign-in", methods=["GET", "POST"])
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
