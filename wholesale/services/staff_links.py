"""Emailed staff password links: an invitation to the team, or a "forgot your password" reset.

A link carries a token signed with itsdangerous (a salt per purpose, so an invitation's token never passes as
a reset's, nor as a customer's sign-in link) holding ``[staff id, credentials version]``; itsdangerous checks
its age against the purpose's lifetime. The link works once: setting the password raises the account's
``credentials_version``, and a token made under an older version is refused. Deactivating an account raises
it too. Links are built from PUBLIC_BASE_URL, never from the request.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from ..extensions import db
from ..models import StaffUser, utcnow
from .customers.links import describe_seconds, public_url
from .mail.delivery import deliver
from .mail.outbox import queue_email
from .staff_accounts import check_password_policy

PURPOSES = ("invitation", "reset")
TTL_SETTINGS = {
    "invitation": "STAFF_INVITATION_TTL_SECONDS",
    "reset": "STAFF_PASSWORD_RESET_TTL_SECONDS",
}
# The emails that carry a staff password link: their bodies are a way into an account (admin/emails.py).
CREDENTIAL_EMAIL_KINDS = ("staff_invitation", "staff_password_reset")
# Two resets asked for the same account within this window (a double tap) send one email.
EMAIL_DEDUPE_WINDOW = timedelta(minutes=5)
# Far longer than any token we make; anything longer is refused before any work is done.
MAX_TOKEN_LENGTH = 200


class StaffLinkError(Exception):
    """A password link that does not work. ``reason``: "invalid", "expired", or "used" (the password was set
    since, or the account deactivated)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    config = current_app.config
    # Signs with the last key and accepts all of them: SECRET_KEY_FALLBACKS lets keys rotate.
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]
    return URLSafeTimedSerializer(
        keys, salt=f"staff-link/{purpose}", signer_kwargs={"digest_method": hashlib.sha256}
    )


def lifetime(purpose: str) -> int:
    return current_app.config[TTL_SETTINGS[purpose]]


def make_token(staff: StaffUser, purpose: str) -> str:
    return _serializer(purpose).dumps([staff.id, staff.credentials_version])


def password_url(staff: StaffUser, purpose: str) -> str:
    return public_url("auth.open_password_link", token=make_token(staff, purpose))


def read_token(token: str) -> StaffUser:
    """The active account a password link of either purpose names, while it works; raises
    ``StaffLinkError`` otherwise. Only reads."""
    payload = None
    if len(token) <= MAX_TOKEN_LENGTH:
        for purpose in PURPOSES:
            try:
                payload = _serializer(purpose).loads(token, max_age=lifetime(purpose))
                break
            except SignatureExpired:
                raise StaffLinkError("expired") from None
            except BadSignature:
                continue
    if not (isinstance(payload, list) and len(payload) == 2 and all(type(item) is int for item in payload)):
        raise StaffLinkError("invalid")
    staff_id, version = payload
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or not staff.active or staff.credentials_version != version:
        raise StaffLinkError("used")
    return staff


def set_password_from_link(token: str, password: str) -> StaffUser:
    """Accept an invitation or a reset: the link's account gets ``password`` (under the password policy) and
    signs in. One transaction, committed here; the account's version goes up, so this link, every other
    link and every other session of the account stop working. Raises ``StaffLinkError`` or ``ServiceError``
    (the password), changing nothing."""
    staff = read_token(token)
    check_password_policy(password, staff.email, staff.name)
    staff.set_password(password)
    staff.last_sign_in_at = utcnow()
    db.session.commit()
    return staff


def queue_password_email(staff: StaffUser, purpose: str) -> int:
    """Add the invitation or reset email for ``staff`` to the current transaction (never commits); returns
    the email's id. An invitation is one email per time it was sent (``invited_at``); a reset asked for
    twice within a few minutes is one email."""
    if purpose == "invitation":
        moment = int(staff.invited_at.timestamp() * 1000)
    else:
        moment = int(datetime.now(UTC).timestamp()) // int(EMAIL_DEDUPE_WINDOW.total_seconds())
    roastery = current_app.config["ROASTERY_NAME"]
    kind, subject = {
        "invitation": ("staff_invitation", f"You are invited to the {roastery} back office"),
        "reset": ("staff_password_reset", f"Set a new password for the {roastery} back office"),
    }[purpose]
    email = queue_email(
        kind=kind,
        dedupe_key=f"{kind}:{staff.id}:{staff.credentials_version}:{moment}",
        to_address=staff.email,
        subject=subject,
        template=kind,
        context={
            "staff": staff,
            "url": password_url(staff, purpose),
            "lifetime": describe_seconds(lifetime(purpose)),
        },
    )
    db.session.flush()
    return email.id


def email_password_reset(address: str) -> None:
    """ "Forgot your password?": email ``address`` a reset link when it is an active account (an invited one
    too: the link sets its first password), and nothing otherwise. The caller answers the same either way.
    One transaction, committed here; the email goes out after the commit."""
    staff = db.session.scalar(
        select(StaffUser).where(StaffUser.email == address.strip().lower(), StaffUser.active.is_(True))
    )
    if staff is None:
        return
    email_id = queue_password_email(staff, "reset")
    db.session.commit()
    deliver(email_id)
