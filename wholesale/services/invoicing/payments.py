"""Payments: staff record money received, say what it pays, correct a mistake, and apply credit later.

How a payment is allocated (``record_payment``, ``allocate_payment``):

- ``allocations`` given ({invoice id: amount}): each amount goes to that invoice. Every invoice must be one
  of the payment's customer's with a balance, every amount above zero and at most that balance, and the
  amounts together at most what is left of the payment. Whatever is not allocated stays the customer's
  credit, shown on their statement and applied later.
- ``allocations`` None: oldest due first. The payment pays the customer's open invoices in due-date order
  (each up to its balance) until it is spent; what is left is credit.

Allocating locks the customer's row first (FOR NO KEY UPDATE on PostgreSQL, which orders being placed for
them do not wait on), then reads the balances in a statement of its own: two payments recorded at once for
one customer never pay the same balance twice, the second waits for the first and reads what it allocated.
Each use case is one transaction, committed once, and refuses with a ``ServiceError`` changing nothing.
Only staff call these.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Customer, Payment, PaymentAllocation
from ...models.invoicing import PAYMENT_METHODS
from ...models.types import CENT
from .. import deliveries
from ..errors import ServiceError
from . import balances

log = logging.getLogger(__name__)

# The largest payment staff may record (a typo guard well inside the integer column).
MAX_AMOUNT = Decimal("1000000.00")
# How far back a payment's date may go.
OLDEST_DAYS = 3 * 365


def record_payment(
    customer_id: int,
    received_on: date,
    amount: Decimal,
    method: str,
    reference: str,
    allocations: dict[int, Decimal] | None,
    staff_id: int | None,
    notes: str = "",
) -> Payment:
    """Record money received from a customer and allocate it (see the module's docstring). One transaction."""
    customer = _locked_customer(customer_id)
    if customer is None:
        raise ServiceError("That customer does not exist.")
    amount = _checked_amount(amount, "amount")
    today = deliveries.today()
    if received_on > today:
        raise ServiceError("A payment cannot be received in the future.", "received_on")
    if received_on < today - timedelta(days=OLDEST_DAYS):
        raise ServiceError("That date is more than three years ago.", "received_on")
    if method not in PAYMENT_METHODS:
        raise ServiceError(f"Choose a method: {', '.join(PAYMENT_METHODS)}.", "method")
    reference = (reference or "").strip()
    if len(reference) > 120:
        raise ServiceError("A reference is at most 120 characters.", "reference")
    payment = Payment(
        customer_id=customer.id,
        received_on=received_on,
        amount=amount,
        method=method,
        reference=reference,
        notes=(notes or "").strip(),
        recorded_by_staff_id=staff_id,
    )
    db.session.add(payment)
    _allocate(payment, amount, allocations, today)
    db.session.commit()
    return payment


def allocate_payment(payment_id: int, allocations: dict[int, Decimal] | None) -> Payment:
    """Allocate what is left of a payment (the customer's credit) to their open invoices. One transaction."""
    payment = db.session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    if payment is None:
        raise ServiceError("That payment does not exist.")
    left = balances.unallocated_of([payment.id])[payment.id]
    if left <= 0:
        raise ServiceError("All of that payment is allocated already.")
    _allocate(payment, left, allocations, deliveries.today())
    db.session.commit()
    return payment


def remove_payment(payment_id: int, staff_id: int | None = None) -> Payment:
    """Delete a payment recorded by mistake, with its allocations: the invoices it paid are open again.
    One transaction, logged with who removed it; the payment returned is detached (for the message)."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise ServiceError("That payment does not exist (removed already?).")
    db.session.delete(payment)
    db.session.commit()
    log.info(
        "payment %s (%s from customer %s, received %s, reference %r) removed by staff %s",
        payment_id,
        payment.amount,
        payment.customer_id,
        payment.received_on,
        payment.reference,
        staff_id,
    )
    return payment


def _locked_customer(customer_id: int) -> Customer | None:
    return db.session.scalar(
        select(Customer).where(Customer.id == customer_id).with_for_update(key_share=True)
    )


def _checked_amount(amount, field: str) -> Decimal:
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise ServiceError("Write an amount like 120.50.", field) from None
    if not amount.is_finite() or amount <= 0:
        raise ServiceError("An amount is above zero.", field)
    if amount != amount.quantize(CENT):
        raise ServiceError("An amount has at most two decimals (cents).", field)
    if amount > MAX_AMOUNT:
        raise ServiceError(f"An amount is at most {MAX_AMOUNT:,}.", field)
    return amount.quantize(CENT)


def _allocate(
    payment: Payment, available: Decimal, allocations: dict[int, Decimal] | None, today: date
) -> None:
    """Add allocations of at most ``available`` of ``payment`` to its customer's open invoices."""
    _locked_customer(payment.customer_id)  # a no-op when record_payment locked it already
    open_now = {item.invoice.id: item for item in balances.open_invoices(payment.customer_id, today)}
    if allocations is None:
        planned = oldest_first(list(open_now.values()), available)
    else:
        planned = _checked(allocations, open_now, available)
    existing = {allocation.invoice_id: allocation for allocation in payment.allocations}
    for invoice_id, amount in planned.items():
        if invoice_id in existing:
            existing[invoice_id].amount += amount
        else:
            payment.allocations.append(PaymentAllocation(invoice_id=invoice_id, amount=amount))
    db.session.flush()


def oldest_first(open_invoices: list[balances.InvoiceBalance], available: Decimal) -> dict[int, Decimal]:
    """``available`` spread over ``open_invoices`` in their order, each paid up to its balance."""
    planned = {}
    for item in open_invoices:
        if available <= 0:
            break
        amount = min(item.balance, available)
        planned[item.invoice.id] = amount
        available -= amount
    return planned


def _checked(
    allocations: dict[int, Decimal], open_now: dict[int, balances.InvoiceBalance], available: Decimal
) -> dict[int, Decimal]:
    planned = {}
    for invoice_id, amount in allocations.items():
        if not amount:
            continue
        field = f"allocation-{invoice_id}"
        item = open_now.get(invoice_id)
        if item is None:
            raise ServiceError("That invoice is not one of this customer's open invoices.", field)
        amount = _checked_amount(amount, field)
        if amount > item.balance:
            raise ServiceError(
                f"{item.invoice.number} has {item.balance:,.2f} left to pay; allocate at most that.", field
            )
        planned[invoice_id] = amount
    if sum(planned.values(), Decimal("0")) > available:
        raise ServiceError(
            f"The allocations add up to more than the {available:,.2f} there is to allocate.", "amount"
        )
    return planned


# --- Reading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentLine:
    """A payment with what of it is not allocated (the customer's credit)."""

    payment: Payment
    unallocated: Decimal


def payments_page(page: int = 1, per_page: int = 50):
    """Payments, latest received first, each with its customer and allocations; and whether more follow.
    Three statements, whatever the page's length."""
    query = (
        payment_lines()
        .order_by(Payment.received_on.desc(), Payment.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    rows = read_payment_lines(query)
    return rows[:per_page], len(rows) > per_page


def payment_line(payment_id: int) -> PaymentLine | None:
    rows = read_payment_lines(payment_lines().where(Payment.id == payment_id))
    return rows[0] if rows else None


def payment_lines():
    return select(Payment, balances.allocated_of_payment()).options(
        joinedload(Payment.customer),
        selectinload(Payment.allocations).joinedload(PaymentAllocation.invoice),
    )


def read_payment_lines(query) -> list[PaymentLine]:
    return [
        PaymentLine(payment, payment.amount - allocated) for payment, allocated in db.session.execute(query)
    ]


def allocations_to(invoice_id: int) -> list[PaymentAllocation]:
    """The payments that paid an invoice, oldest received first, each with its payment loaded."""
    return list(
        db.session.scalars(
            select(PaymentAllocation)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(PaymentAllocation.invoice_id == invoice_id)
            .options(joinedload(PaymentAllocation.payment))
            .order_by(Payment.received_on, Payment.id)
        )
    )
