"""Who the signed-in staff member is, and the guard every staff page sits behind."""

from __future__ import annotations

from flask import g, redirect, request, session, url_for
from sqlalchemy import select

from ..errors import render_error
from ..extensions import db
from ..models import StaffUser, utcnow
from ..models.staff import password_matches

SESSION_KEY = "staff_id"
# The account's credentials version when this session signed in: a new password or a deactivation raises
# the account's, and a session made under an older one is over.
VERSION_KEY = "staff_credentials"


def load_signed_in_staff() -> StaffUser | None:
    """The staff member this session belongs to, read for every request: a deactivated account, or one whose
    password changed since this session signed in, ends the session here."""
    staff_id = session.get(SESSION_KEY)
    if staff_id is None:
        return None
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or not staff.active or session.get(VERSION_KEY) != staff.credentials_version:
        end_staff_session()
        return None
    return staff


def require_staff():
    """``before_request`` for staff blueprints: redirect to sign-in unless a staff member is signed in."""
    g.staff = load_signed_in_staff()
    if g.staff is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    return None


def require_owner():
    """``before_request`` after ``require_staff``, for owners' pages (settings, the team): staff who are not
    owners get a 403 page. Returns None (go on) or the response."""
    staff = g.get("staff")
    if staff is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if not staff.is_owner:
        return render_error(403, "Only an owner of the roastery can open this page.")
    return None


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active staff member ``email`` and ``password`` sign in, else None (and nothing is written).

    The password is checked for every attempt, whether the account exists, is deactivated or is active, and
    the same one statement reads it: how long the answer takes tells nobody which addresses have an account.
    """
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    matches = password_matches(staff.password_hash if staff is not None else None, password)
    if staff is None or not matches or not staff.active:
        return None
    staff.last_sign_in_at = utcnow()
    db.session.commit()
    return staff


def start_staff_session(staff: StaffUser) -> None:
    # A fresh session on sign-in, so a session id planted before sign-in is never promoted.
    session.clear()
    session[SESSION_KEY] = staff.id
    session[VERSION_KEY] = staff.credentials_version
    session.permanent = True


def end_staff_session() -> None:
    for key in (SESSION_KEY, VERSION_KEY):
        session.pop(key, None)


def safe_next(target: str | None) -> str:
    """Only same-site staff paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.home")
