"""Staff accounts: creating one (or resetting its password) under the password policy."""

from __future__ import annotations

from sqlalchemy import select
from zxcvbn import zxcvbn

from ..extensions import db
from ..models import StaffUser
from .errors import ServiceError

MIN_PASSWORD_LENGTH = 12
# zxcvbn scores 0–4 by guesses needed; 3 means "safely unguessable" against an online or throttled attacker.
MIN_PASSWORD_SCORE = 3


def check_password_policy(password: str, email: str = "", name: str = "") -> None:
    """Refuse short passwords and common or guessable ones (zxcvbn knows the common-password lists)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            f"Use at least {MIN_PASSWORD_LENGTH} characters; a few unrelated words work well.", "password"
        )
    result = zxcvbn(
        password[:100], user_inputs=[email, email.split("@")[0], name, "hillside", "coffee", "roastery"]
    )
    if result["score"] < MIN_PASSWORD_SCORE:
        feedback = result["feedback"]
        advice = feedback.get("warning") or "This password is too easy to guess."
        suggestions = " ".join(feedback.get("suggestions") or [])
        raise ServiceError(f"{advice} {suggestions}".strip(), "password")


def save_staff_account(email: str, password: str, name: str = "") -> tuple[StaffUser, bool]:
    """Create the account for ``email``, or reset its password; returns it and whether it is new. One commit."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ServiceError("Enter a valid email address.", "email")
    check_password_policy(password, email, name)
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    created = staff is None
    if created:
        staff = StaffUser(email=email, name=name or email.split("@")[0].title())
        db.session.add(staff)
    elif name:
        staff.name = name
    staff.set_password(password)
    staff.active = True
    db.session.commit()
    return staff, created
