from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

RUN_STATUSES = ("open", "closed", "done")


class ProductionRun(db.Model):
    """The orders roasted on one day; open while being planned, closed in production, then done."""

    __tablename__ = "production_run"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed', 'done')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roast_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
