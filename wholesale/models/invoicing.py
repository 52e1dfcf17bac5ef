"""Getting paid: invoices and credit notes (numbered, issued once, never rewritten), payments and what each
pays, and the overdue reminders sent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .customers import Customer
from .orders import Order
from .types import Money, TaxRate, UTCDateTime, utcnow

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
PAYMENT_METHODS = ("bank transfer", "card", "cash", "cheque", "other")


class InvoiceSequence(db.Model):
    """The next number of each kind of document ("invoice", "credit_note"): taken by an UPDATE in the
    transaction that issues the document, so a rolled-back issue gives its number back (no gaps) and two
    issues at once wait on the row (no duplicates)."""

    __tablename__ = "invoice_sequence"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_value: Mapped[int] = mapped_column(default=1)


class Invoice(db.Model):
    """An invoice for an approved order, or a credit note that corrects one. Written once, when issued: what
    it says (who, lines, prices, tax, terms) is a copy taken then, so later changes to the order, the
    customer or the catalog never rewrite it. A credit note's amounts are positive and reduce the balance
    of the invoice it credits."""

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind_known"),
        CheckConstraint(
            "(kind = 'invoice' AND credited_invoice_id IS NULL) OR "
            "(kind = 'credit_note' AND credited_invoice_id IS NOT NULL)",
            name="credit_note_credits_an_invoice",
        ),
        CheckConstraint("terms_days >= 0", name="terms_not_negative"),
        CheckConstraint(
            "subtotal >= 0 AND discount >= 0 AND shipping >= 0 AND tax >= 0", name="parts_not_negative"
        ),
        CheckConstraint("total >= 0", name="total_not_negative"),
        UniqueConstraint("kind", "sequence_value"),
        # An order is invoiced once; corrections are credit notes.
        Index(
            "uq_invoice_one_per_order",
            "order_id",
            unique=True,
            sqlite_where=text("kind = 'invoice'"),
            postgresql_where=text("kind = 'invoice'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=INVOICE)
    # "INV-000042": the prefix of its kind (a setting) and its value in the kind's gap-free sequence.
    number: Mapped[str] = mapped_column(String(40), unique=True)
    sequence_value: Mapped[int]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    # The order it bills; a credit note carries its invoice's order too. An order has at most one invoice.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    # Payment terms in days after issue (0: due on receipt) and the date that makes.
    terms_days: Mapped[int] = mapped_column(default=0)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    # Who it is billed to, as it was then.
    bill_to_name: Mapped[str] = mapped_column(String(160))
    bill_to_email: Mapped[str] = mapped_column(String(254), default="")
    bill_to_address: Mapped[str] = mapped_column(Text, default="")
    # Tax as it was applied: prices entered with tax included or not; the customer's exemption certificate
    # ('' when not exempt).
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    tax_exempt_certificate: Mapped[str] = mapped_column(String(80), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    subtotal: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    shipping: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    # A credit note's reason, as staff gave it.
    reason: Mapped[str] = mapped_column(Text, default="")
    issued_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    order: Mapped[Order | None] = relationship()
    credited_invoice: Mapped[Invoice | None] = relationship(remote_side=[id])
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )

    @property
    def is_credit_note(self) -> bool:
        return self.kind == CREDIT_NOTE

    def __repr__(self) -> str:
        return f"<Invoice {self.number}>"


class InvoiceLine(db.Model):
    """One line of an invoice or credit note, as issued. ``amount`` is quantity × unit price; ``discount``
    the line's share of the document's discount; ``tax`` the line's tax at ``tax_rate`` (services.invoicing
    states how each is rounded). Delivery is a line of its own (``is_shipping``), so its tax shows too."""

    __tablename__ = "invoice_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "unit_price >= 0 AND amount >= 0 AND discount >= 0 AND tax >= 0", name="not_negative"
        ),
        UniqueConstraint("invoice_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    tax_name: Mapped[str] = mapped_column(String(40), default="")
    tax_rate: Mapped[Decimal] = mapped_column(TaxRate)
    tax: Mapped[Decimal] = mapped_column(Money)
    is_shipping: Mapped[bool] = mapped_column(default=False)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(db.Model):
    """Money received from a customer, recorded by staff; what it pays is its allocations (one invoice, or
    split across several; any part not allocated is the customer's credit)."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "method IN ('bank transfer', 'card', 'cash', 'cheque', 'other')", name="method_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(120), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment", order_by="PaymentAllocation.id", cascade="all, delete-orphan"
    )


class PaymentAllocation(db.Model):
    """The part of a payment that pays one invoice."""

    __tablename__ = "payment_allocation"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("payment_id", "invoice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship()


class OverdueReminder(db.Model):
    """An overdue reminder of one invoice at one step (days after its due date): unique, so the tick sends
    each step once, as weekly reminders are sent."""

    __tablename__ = "overdue_reminder"
    __table_args__ = (UniqueConstraint("invoice_id", "step_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    step_days: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
