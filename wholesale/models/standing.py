"""Standing orders: a customer's order placed by itself every week, 2 weeks or 4 weeks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .catalog import ShippingOption, Variant, variant_label
from .customers import Customer
from .types import UTCDateTime, utcnow

# Every how many weeks a standing order delivers.
EVERY_WEEKS = (1, 2, 4)
# StandingDelivery.outcome: placed as an order, or skipped (by the customer, by staff, or by the tick with the
# reason: already ordered, nothing left to order, the roastery closed that day).
PLACED, SKIPPED = "placed", "skipped"


class StandingOrder(db.Model):
    """What a customer receives every ``every_weeks`` weeks, on ``first_delivery``'s weekday, by one shipping
    option; each delivery is placed as an order at its cut-off (services.standing).

    Deliveries fall on ``first_delivery`` and every ``every_weeks`` weeks after it, none before
    ``paused_until``; a stopped standing order places nothing more and is kept for its history.
    """

    __tablename__ = "standing_order"
    __table_args__ = (CheckConstraint("every_weeks IN (1, 2, 4)", name="every_weeks_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    shipping_option_id: Mapped[int] = mapped_column(ForeignKey("shipping_option.id"))
    every_weeks: Mapped[int] = mapped_column(default=1)
    first_delivery: Mapped[date] = mapped_column(Date)
    paused_until: Mapped[date | None] = mapped_column(Date)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Who made it and who changed it last, as shown to staff: "Ana Lopez (Hillside Café)", "staff: Bo".
    created_by: Mapped[str] = mapped_column(String(300), default="")
    changed_by: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: a change made against an older version fails instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    customer: Mapped[Customer] = relationship()
    shipping_option: Mapped[ShippingOption] = relationship()
    lines: Mapped[list[StandingOrderLine]] = relationship(
        back_populates="standing_order", order_by="StandingOrderLine.id", cascade="all, delete-orphan"
    )

    @property
    def weekday(self) -> int:
        return self.first_delivery.weekday()

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    def __repr__(self) -> str:
        return f"<StandingOrder {self.id} every {self.every_weeks} weeks from {self.first_delivery}>"


class StandingOrderLine(db.Model):
    """A size, its option and a quantity on a standing order; priced only when a delivery is placed."""

    __tablename__ = "standing_order_line"
    __table_args__ = (
        UniqueConstraint("standing_order_id", "variant_id", "option"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standing_order_id: Mapped[int] = mapped_column(ForeignKey("standing_order.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    option: Mapped[str] = mapped_column(String(60), default="")
    quantity: Mapped[int]

    standing_order: Mapped[StandingOrder] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()

    @property
    def label(self) -> str:
        return variant_label(self.variant.product.name, self.variant.name, self.option)


class StandingDelivery(db.Model):
    """One delivery of a standing order: its preview email and its placement, each done once.

    The row is unique per standing order and date, so two ticks (two schedulers, a retried job) claim each
    step once: the preview by setting ``previewed_at`` where it is empty, the placement by setting
    ``outcome`` where it is empty, each in the transaction that writes the emails or the order. A skip made
    ahead (by the customer or staff) is the outcome "skipped" set before the cut-off.
    """

    __tablename__ = "standing_delivery"
    __table_args__ = (
        UniqueConstraint("standing_order_id", "delivery_date"),
        CheckConstraint("outcome IS NULL OR outcome IN ('placed', 'skipped')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standing_order_id: Mapped[int] = mapped_column(ForeignKey("standing_order.id"))
    delivery_date: Mapped[date] = mapped_column(Date, index=True)
    previewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    # Why it was skipped, or what placing it left out ("House Blend 5 lb is no longer sold"), as told to the
    # customer and staff.
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    standing_order: Mapped[StandingOrder] = relationship()
