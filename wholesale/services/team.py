"""The team: owners invite colleagues, change their roles, deactivate and reactivate them.

Each function is one use case in one transaction, committed here, and is for owners only (the team
blueprint's ``require_owner`` sees to that). The roastery always keeps an owner who can sign in: demoting or
deactivating the last one is refused, under a lock on every owner's row, so two owners demoting each other
at the same moment cannot both succeed (the second waits for the first, then counts again).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import StaffUser, utcnow
from ..models.staff import ROLES
from .errors import ServiceError
from .mail.delivery import deliver
from .staff_links import queue_password_email

TAKEN = "That address already has an account: see the list below."
LAST_OWNER = "The roastery needs at least one owner who can sign in: make someone else an owner first."


def team_roster() -> list[StaffUser]:
    """Everyone with an account: active and invited first, then deactivated; by name."""
    return list(
        db.session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name, StaffUser.id))
    )


def _validated(name: str, email: str, role: str) -> tuple[str, str, str]:
    name, email = name.strip(), email.strip().lower()
    if not name or len(name) > 120:
        raise ServiceError("Enter their name (up to 120 characters).", "name")
    if "@" not in email or len(email) > 254:
        raise ServiceError("Enter a valid email address.", "email")
    if role not in ROLES:
        raise ServiceError("Choose owner or staff.", "role")
    return name, email, role


def invite_colleague(name: str, email: str, role: str, invited_by: StaffUser) -> StaffUser:
    """Make an account for ``email`` with no password and email it an invitation (valid 7 days by default)
    to set one. Refused when the address already has an account. One transaction; the email goes after it."""
    name, email, role = _validated(name, email, role)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise ServiceError(TAKEN, "email")
    colleague = StaffUser(
        email=email,
        name=name,
        role=role,
        password_hash=None,
        credentials_version=1,
        invited_at=utcnow(),
        invited_by_id=invited_by.id,
    )
    db.session.add(colleague)
    try:
        db.session.flush()  # the invitation's link names the account's id
    except IntegrityError:  # the same address invited at the same moment
        db.session.rollback()
        raise ServiceError(TAKEN, "email") from None
    email_id = queue_password_email(colleague, "invitation")
    db.session.commit()
    deliver(email_id)
    return colleague


def _colleague_for_update(staff_id: int) -> StaffUser:
    colleague = db.session.scalar(
        select(StaffUser)
        .where(StaffUser.id == staff_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if colleague is None:
        raise ServiceError("That account does not exist.")
    return colleague


def _lock_owners() -> list[int]:
    """Lock the rows of every owner who can sign in (in id order, as every caller does: no deadlock) and
    return their ids, as they are once the lock is ours."""
    return list(
        db.session.scalars(
            select(StaffUser.id)
            .where(
                StaffUser.role == "owner", StaffUser.active.is_(True), StaffUser.password_hash.is_not(None)
            )
            .order_by(StaffUser.id)
            .with_for_update()
        )
    )


def _refuse_losing_last_owner(colleague: StaffUser, owners: list[int]) -> None:
    if owners == [colleague.id]:
        raise ServiceError(LAST_OWNER)


def change_role(staff_id: int, role: str) -> StaffUser:
    """Make a colleague an owner or staff; refused if it would leave no owner. One transaction."""
    if role not in ROLES:
        raise ServiceError("Choose owner or staff.", "role")
    owners = _lock_owners()
    colleague = _colleague_for_update(staff_id)
    if role != "owner":
        _refuse_losing_last_owner(colleague, owners)
    colleague.role = role
    db.session.commit()
    return colleague


def deactivate_colleague(staff_id: int) -> StaffUser:
    """Deactivate an account: it cannot sign in, its open sessions end at their next request and its
    password links stop working. Refused for the last owner. One transaction."""
    owners = _lock_owners()
    colleague = _colleague_for_update(staff_id)
    _refuse_losing_last_owner(colleague, owners)
    if colleague.active:
        colleague.active = False
        colleague.end_sessions()
    db.session.commit()
    return colleague


def reactivate_colleague(staff_id: int) -> StaffUser:
    """Let a deactivated account sign in again with its password (sessions from before stay ended)."""
    colleague = _colleague_for_update(staff_id)
    colleague.active = True
    db.session.commit()
    return colleague


def resend_invitation(staff_id: int) -> StaffUser:
    """Email an invited colleague a fresh invitation link (the earlier links keep working until they expire
    or a password is set). Only for an active account that has no password yet. One transaction."""
    colleague = _colleague_for_update(staff_id)
    if colleague.status != "invited":
        raise ServiceError("Only an invitation not yet accepted can be sent again.")
    colleague.invited_at = utcnow()
    email_id = queue_password_email(colleague, "invitation")
    db.session.commit()
    deliver(email_id)
    return colleague
