from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    String,
    Text,
    Time,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import Money, Percent, UTCDateTime, utcnow


class Product(db.Model):
    """A coffee (or another item) the roastery sells; its sizes are variants."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("kind IN ('coffee', 'other')", name="kind_known"),
        CheckConstraint(
            "roast_loss_percent IS NULL OR (roast_loss_percent >= 0 AND roast_loss_percent < 10000)",
            name="roast_loss_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="coffee")
    # Share of green weight lost in roasting, e.g. 15.00; only coffees have one.
    roast_loss_percent: Mapped[Decimal | None] = mapped_column(Percent)
    # The name of its tax rate among the roastery's (``TAX_RATES``); '' for the first, the default.
    tax_rate_name: Mapped[str] = mapped_column(String(40), default="", server_default="")
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.net_weight_g", cascade="all, delete-orphan"
    )
    options: Mapped[list[ProductOption]] = relationship(
        back_populates="product", order_by="ProductOption.position", cascade="all, delete-orphan"
    )

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    @property
    def is_coffee(self) -> bool:
        return self.kind == "coffee"

    @property
    def default_option(self) -> str:
        """The option a line gets when none is chosen: the one marked default, else the first; '' if none."""
        marked = next((option for option in self.options if option.is_default), None)
        return (marked or self.options[0]).name if self.options else ""

    @property
    def option_names(self) -> list[str]:
        return [option.name for option in self.options]

    def __repr__(self) -> str:
        return f"<Product {self.name}>"


class ProductOption(db.Model):
    """A choice a customer makes per line of a product, such as a grind ("Espresso"). A line keeps the
    chosen name as text, so renaming or removing an option never rewrites a past order."""

    __tablename__ = "product_option"
    __table_args__ = (UniqueConstraint("product_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    # At most one per product; the catalog service keeps it so (``services.catalog.set_options``).
    is_default: Mapped[bool] = mapped_column(default=False)

    product: Mapped[Product] = relationship(back_populates="options")

    def __repr__(self) -> str:
        return f"<ProductOption {self.name}>"


def variant_label(product_name: str, size_name: str, option: str = "") -> str:
    """A product size as customers and staff read it: "House Espresso, 340 g bag", and the option chosen
    for a line when there is one: "House Espresso, 340 g bag · Espresso"."""
    label = f"{product_name}, {size_name}"
    return f"{label} · {option}" if option else label


class Variant(db.Model):
    """One size of a product: a SKU with its wholesale price and net weight."""

    __tablename__ = "variant"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("net_weight_g >= 0", name="net_weight_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    price: Mapped[Decimal] = mapped_column(Money)
    net_weight_g: Mapped[int]
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="variants")

    @hybrid_property
    def on_sale(self) -> bool:
        """The one rule for what customers and staff may order: neither this size nor its product retired.

        On a loaded variant it reads both rows; in a query ``Variant.on_sale`` is the same rule as a WHERE
        clause, and the statement must join ``Product`` (else it becomes a cross join, which SQLAlchemy warns
        about)."""
        return self.retired_at is None and self.product.retired_at is None

    @on_sale.inplace.expression
    @classmethod
    def _on_sale_clause(cls) -> ColumnElement[bool]:
        return and_(cls.retired_at.is_(None), Product.retired_at.is_(None))

    @property
    def label(self) -> str:
        return variant_label(self.product.name, self.name)

    def __repr__(self) -> str:
        return f"<Variant {self.sku}>"


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MON_TO_FRI = 0b0011111


class ShippingOption(db.Model):
    """A way an order reaches the customer (our van, courier, pickup), its fee and its delivery calendar.

    It delivers on some weekdays; an order for a delivery date closes ``cutoff_days_before`` it at
    ``cutoff_time`` (the roastery's zone), and is roasted ``roast_days_before`` it. The dates offered are
    worked out by ``services.deliveries``."""

    __tablename__ = "shipping_option"
    __table_args__ = (
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("delivery_days BETWEEN 0 AND 127", name="delivery_days_range"),
        CheckConstraint("cutoff_days_before BETWEEN 0 AND 14", name="cutoff_days_range"),
        CheckConstraint("roast_days_before BETWEEN 0 AND 14", name="roast_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # The weekdays it delivers, one bit each from Monday (bit 0) to Sunday (bit 6): Tue and Fri is 0b0010010.
    delivery_days: Mapped[int] = mapped_column(default=MON_TO_FRI)
    cutoff_days_before: Mapped[int] = mapped_column(default=1)
    cutoff_time: Mapped[time] = mapped_column(Time, default=time(17, 0))
    roast_days_before: Mapped[int] = mapped_column(default=1)

    @property
    def weekdays(self) -> tuple[int, ...]:
        """The weekdays it delivers, Monday=0 … Sunday=6."""
        return tuple(day for day in range(7) if self.delivery_days >> day & 1)

    @weekdays.setter
    def weekdays(self, days) -> None:
        self.delivery_days = sum(1 << day for day in set(days))

    @property
    def delivers_on(self) -> str:
        """ "Tue, Fri", as staff read the calendar."""
        return ", ".join(WEEKDAYS[day] for day in self.weekdays) or "no day"

    def __repr__(self) -> str:
        return f"<ShippingOption {self.name}>"


class ClosedDate(db.Model):
    """A day the roastery does not deliver (a holiday): no shipping option offers it."""

    __tablename__ = "closed_date"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    note: Mapped[str] = mapped_column(String(120), default="")
