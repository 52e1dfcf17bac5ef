from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

EMAIL_STATUSES = ("queued", "sending", "sent", "failed")


class Email(db.Model):
    """The outbox: every email is a row first, written in the transaction that caused it, then sent."""

    __tablename__ = "email"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_email_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The same event never makes two emails: e.g. "order-confirmation:42".
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The invoice (or credit note) whose PDF goes with the email, made when it is sent (an issued invoice
    # never changes, so every attempt attaches the same document).
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    # Where a mail client's "unsubscribe" goes (the List-Unsubscribe header, RFC 8058); reminders only.
    list_unsubscribe: Mapped[str | None] = mapped_column(String(500))


class ReminderSend(db.Model):
    """One weekly reminder occurrence for one customer; unique, so a second tick never sends it again."""

    __tablename__ = "reminder_send"
    __table_args__ = (
        UniqueConstraint("customer_id", "occurrence_at"),
        # The week board reads the reminders that answer a week, by when they were due.
        Index("ix_reminder_send_occurrence_at", "occurrence_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    # The scheduled instant (UTC) this send answers, not when the tick happened to run.
    occurrence_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "sent", or "skipped" with the reason when the occurrence was found too late.
    outcome: Mapped[str] = mapped_column(String(16), default="sent")
    skip_reason: Mapped[str] = mapped_column(Text, default="")
    # The customer answered "no order this week".
    no_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    no_order_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
