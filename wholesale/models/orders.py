from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .catalog import ShippingOption, Variant, variant_label
from .customers import Contact, Customer
from .production import ProductionRun
from .types import Money, Percent, UTCDateTime, utcnow

# portal: placed by a contact; staff: entered by the roastery; standing: placed by a standing order.
CHANNELS = ("portal", "staff", "standing")
# draft → pending → approved → in_production → fulfilled; cancelled from pending or approved.
STATUSES = ("draft", "pending", "approved", "in_production", "fulfilled", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def order_number(order_id: int) -> str:
    """The invoice number customers and staff quote."""
    return f"W{order_id:06d}"


class Order(db.Model):
    """A customer's order, from the portal draft to fulfilment; totals are kept by the pricing service."""

    __tablename__ = "order"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel_known"),
        CheckConstraint(_in("status", STATUSES), name="status_known"),
        CheckConstraint("shipping_fee >= 0", name="shipping_fee_not_negative"),
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 10000", name="discount_range"),
        CheckConstraint("discount_amount >= 0", name="discount_amount_not_negative"),
        CheckConstraint("subtotal >= 0 AND total >= 0", name="totals_not_negative"),
        # A double tap or a retried request carries the same key and so makes one order.
        UniqueConstraint("customer_id", "idempotency_key"),
        # One draft per customer: every contact of the customer edits the same one.
        Index(
            "uq_order_one_draft_per_customer",
            "customer_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
        Index("ix_order_status_placed_at", "status", "placed_at"),
        Index("ix_order_customer_id_placed_at", "customer_id", "placed_at"),
        # The week board and the roast forecast read a week's orders by delivery date.
        Index("ix_order_delivery_date", "delivery_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    shipping_option_id: Mapped[int | None] = mapped_column(ForeignKey("shipping_option.id"))
    shipping_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    discount_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    discount_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    roast_date: Mapped[date | None] = mapped_column(Date)
    delivery_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    placed_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    entered_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    approved_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    production_run_id: Mapped[int | None] = mapped_column(ForeignKey("production_run.id"), index=True)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: an edit made against an older version fails instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    customer: Mapped[Customer] = relationship()
    shipping_option: Mapped[ShippingOption | None] = relationship()
    placed_by_contact: Mapped[Contact | None] = relationship()
    production_run: Mapped[ProductionRun | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    def __init__(self, **fields):
        # Money defaults are needed before the first flush (totals are computed on new orders).
        for name in ("shipping_fee", "discount_percent", "discount_amount", "subtotal", "total"):
            fields.setdefault(name, Decimal("0.00"))
        fields.setdefault("notes", "")
        fields.setdefault("cancel_reason", "")
        super().__init__(**fields)

    @property
    def number(self) -> str:
        return order_number(self.id)

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.status}>"


class OrderLine(db.Model):
    """A variant, its option and a quantity on an order, with the unit price captured when it was priced.

    The same size with two options (two grinds) is two lines."""

    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "variant_id", "option"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    # The product option chosen for this line, as named when chosen (like ``unit_price``, a snapshot);
    # '' for a product without options.
    option: Mapped[str] = mapped_column(String(60), default="", server_default="")
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    # On a draft: the price this size had when the customer last saw it (on the order the draft was copied
    # from, or on the page before a price changed), shown beside today's when they differ.
    previous_unit_price: Mapped[Decimal | None] = mapped_column(Money)
    # Set when staff override the price; the reason is shown on the invoice history.
    price_override_reason: Mapped[str | None] = mapped_column(String(200))

    order: Mapped[Order] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def label(self) -> str:
        """The line as every page, email and sheet names it: "House Espresso, 1 kg bag · Espresso"."""
        return variant_label(self.variant.product.name, self.variant.name, self.option)

    @property
    def price_changed(self) -> bool:
        return self.previous_unit_price is not None and self.previous_unit_price != self.unit_price


class OrderEvent(db.Model):
    """One entry of an order's history: who did what, and which fields changed from what to what."""

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    # {"field": [old, new], ...}, values as strings so any type reads back the same.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    order: Mapped[Order] = relationship(back_populates="events")
