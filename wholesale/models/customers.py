from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from .catalog import ShippingOption, Variant
from .staff import StaffUser
from .types import Money, Percent, UTCDateTime, utcnow

MINIMUM_KINDS = ("default", "none", "weight", "subtotal")


class Customer(db.Model):
    """A wholesale account: a café, grocer or office that orders for itself."""

    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 10000", name="discount_range"),
        CheckConstraint("reminder_weekday BETWEEN 0 AND 6", name="reminder_weekday_range"),
        CheckConstraint("token_version >= 1", name="token_version_positive"),
        CheckConstraint(
            "minimum_kind IN ('default', 'none', 'weight', 'subtotal')", name="minimum_kind_known"
        ),
        CheckConstraint("minimum_weight_g IS NULL OR minimum_weight_g > 0", name="minimum_weight_positive"),
        CheckConstraint("minimum_subtotal IS NULL OR minimum_subtotal > 0", name="minimum_subtotal_positive"),
        CheckConstraint(
            "payment_terms_days IS NULL OR payment_terms_days BETWEEN 0 AND 365", name="payment_terms_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_name: Mapped[str] = mapped_column(String(160), unique=True)
    delivery_address: Mapped[str] = mapped_column(Text, default="")
    default_shipping_option_id: Mapped[int | None] = mapped_column(ForeignKey("shipping_option.id"))
    discount_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumping this invalidates every sign-in link already sent to the customer's contacts.
    token_version: Mapped[int] = mapped_column(default=1)
    # Weekly reminder: weekday (Monday=0 … Sunday=6) and wall-clock time in an IANA zone.
    reminders_enabled: Mapped[bool] = mapped_column(default=False)
    reminder_weekday: Mapped[int] = mapped_column(default=6)
    reminder_time: Mapped[time] = mapped_column(Time, default=time(2, 0))
    reminder_timezone: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    # Who last chose the reminder's day and time on the portal, and when (staff see it on the customer's page).
    reminder_chosen_by: Mapped[str] = mapped_column(String(300), default="", server_default="")
    reminder_chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The minimum per order (services.orders.minimums): the roastery's ("default"), none, or the customer's own
    # coffee weight in grams or items subtotal.
    minimum_kind: Mapped[str] = mapped_column(String(16), default="default", server_default="default")
    minimum_weight_g: Mapped[int | None]
    minimum_subtotal: Mapped[Decimal | None] = mapped_column(Money)
    # Invoices: payment terms in days after issue (0: due on receipt; None: the roastery's default), and the
    # tax exemption certificate of a customer exempt from tax ('' when not exempt).
    payment_terms_days: Mapped[int | None]
    tax_exempt_certificate: Mapped[str] = mapped_column(String(80), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", order_by="Contact.id", cascade="all, delete-orphan"
    )
    prices: Mapped[list[CustomerPrice]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    default_shipping_option: Mapped[ShippingOption | None] = relationship()

    def __repr__(self) -> str:
        return f"<Customer {self.business_name}>"


class Contact(db.Model):
    """A person who orders for a customer and signs in with the emailed link."""

    __tablename__ = "contact"
    # Emails are stored lowercased and unique, so uniqueness is case-insensitive in the database itself.
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    receives_reminders: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="contacts")

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        return value.strip().lower()

    def __repr__(self) -> str:
        return f"<Contact {self.email}>"


class CustomerPrice(db.Model):
    """A negotiated price for one variant that replaces the list price for one customer."""

    __tablename__ = "customer_price"
    __table_args__ = (
        UniqueConstraint("customer_id", "variant_id"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)

    customer: Mapped[Customer] = relationship(back_populates="prices")
    variant: Mapped[Variant] = relationship()


# What a customer's history records (``CustomerEvent.kind``).
CUSTOMER_EVENT_KINDS = ("sign_in_link_made", "links_revoked")


class CustomerEvent(db.Model):
    """One entry of a customer's history: who did what, and when.

    ``detail`` is the sentence staff read, written when it happened (a contact's name and address as they
    were then). It never holds a token or anything else that signs someone in.
    """

    __tablename__ = "customer_event"
    __table_args__ = (Index("ix_customer_event_customer_id_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff_user: Mapped[StaffUser | None] = relationship()

    def __repr__(self) -> str:
        return f"<CustomerEvent {self.kind} customer={self.customer_id}>"
