from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import CheckConstraint, String
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


class StaffUser(db.Model):
    """Someone at the roastery who signs in with an email and a password."""

    __tablename__ = "staff_user"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        return value.strip().lower()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return password_matches(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<StaffUser {self.email}>"
