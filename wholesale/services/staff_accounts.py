"""Staff accounts: creating one (or resetting its password) under the password policy, from the command line."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import StaffUser
from ..models.staff import ROLES
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
    from zxcvbn import zxcvbn  # its word lists take ~10 MB: loaded only where a password is set

    result = zxcvbn(
        password[:100], user_inputs=[email, email.split("@")[0], name, "hillside", "coffee", "roastery"]
    )
    if result["score"] < MIN_PASSWORD_SCORE:
        feedback = result["feedback"]
        advice = feedback.get("warning") or "This password is too easy to guess."
        suggestions = " ".join(feedback.get("suggestions") or [])
        raise ServiceError(f"{advice} {suggestions}".strip(), "password")


def save_staff_account(
    email: str, password: str, name: str = "", role: str | None = None
) -> tuple[StaffUser, bool]:
    """Create the account for ``email`` (an owner unless ``role`` says otherwise), or reset its password
    (and set its role when one is given), ending its other sessions; returns it and whether it is new.

    The roastery must keep an owner who can sign in: making staff of the only one (or of the first account)
    is refused. One commit.
    """
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ServiceError("Enter a valid email address.", "email")
    if role is not None and role not in ROLES:
        raise ServiceError("The role is owner or staff.", "role")
    check_password_policy(password, email, name)
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    created = staff is None
    if created:
        staff = StaffUser(email=email, name=name or email.split("@")[0].title(), role=role or "owner")
        db.session.add(staff)
    else:
        if name:
            staff.name = name
        staff.role = role or staff.role
    if staff.role != "owner" and not _other_owners(staff):
        db.session.rollback()
        raise ServiceError("The roastery needs an owner: make this account an owner (--role owner).", "role")
    staff.set_password(password)
    staff.active = True
    db.session.commit()
    return staff, created


def _other_owners(staff: StaffUser) -> bool:
    return (
        db.session.scalar(
            select(StaffUser.id)
            .where(
                StaffUser.role == "owner",
                StaffUser.active.is_(True),
                StaffUser.password_hash.is_not(None),
                StaffUser.email != staff.email,
            )
            .limit(1)
        )
        is not None
    )
