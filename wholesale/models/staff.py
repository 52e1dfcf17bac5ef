from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import UTCDateTime, utcnow


def password_hash_method() -> str:
    # Tests ask for a cheap hash through the config; production keeps werkzeug's default (scrypt).
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


@lru_cache(maxsize=4)
def _unknown_account_hash(method: str) -> str:
    """A hash of a random password nobody knows, made like a real account's (same method, same cost)."""
    return generate_password_hash(secrets.token_urlsafe(32), method=method)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from.

    Without a hash (no such account) the same work is done against a hash of a password nobody knows, and
    the answer is no: a sign-in takes as long for an unknown address as for a known one.
    """
    matches = check_password_hash(password_hash or _unknown_account_hash(password_hash_method()), password)
    return matches and password_hash is not None


# An owner may do everything; staff everything but the roastery's settings and the team.
ROLES = ("owner", "staff")


class StaffUser(db.Model):
    """Someone at the roastery who signs in with an email and a password.

    An account made by an invitation has no password until its link is opened: it is "invited" until then.
    ``credentials_version`` goes up whenever the password is set and when the account is deactivated: every
    session and every emailed password link carries the version it was made under, and one made under an
    older version no longer works.
    """

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("role IN ('owner', 'staff')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[str] = mapped_column(String(16), default="staff")
    credentials_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def status(self) -> str:
        """ "active", "invited" (no password set yet) or "deactivated"."""
        if not self.active:
            return "deactivated"
        return "invited" if self.password_hash is None else "active"

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        return value.strip().lower()

    def set_password(self, password: str) -> None:
        """A new password ends every other session and every password link made before it."""
        self.password_hash = generate_password_hash(password, method=password_hash_method())
        self.end_sessions()

    def end_sessions(self) -> None:
        self.credentials_version = (self.credentials_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return password_matches(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<StaffUser {self.email}>"
