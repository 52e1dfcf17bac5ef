"""What is owed: the one place an invoice's balance and state, a customer's account and aging are computed.

- An invoice's **balance** is its total, less the totals of its credit notes, less what payments allocated to
  it; never below zero. A credit note issued after the invoice was paid leaves the invoice paid and the
  excess (``overpaid``) becomes the customer's credit, as an unallocated payment does.
- Its **state**: ``paid`` (balance 0, whether paid or credited away); ``overdue`` (a balance and its due
  date before today in the roastery's zone; an invoice due today is not overdue yet); ``partly paid`` (a
  balance, not overdue, and some payment allocated to it); else ``unpaid`` (a credit note alone does not
  make it partly paid: nothing was paid).
- **Days past due** count from the due date: due yesterday is 1 day past due. **Aging** puts each open
  invoice's balance in one column by days past due: ``current`` (not yet due, today included), ``1–30``,
  ``31–60``, ``61–90``, ``over 90``.
- A customer's **account**: the balance due (Σ open balances), what of it is overdue and how many days the
  oldest overdue invoice is past due, and their credit (payments' unallocated parts plus invoices
  overpaid through credit notes). What they owe, net, is the balance due less the credit.

Everything here is read set-based: a list costs the same few statements however long it is. Sums come from
correlated subqueries over the indexed ``credited_invoice_id`` and ``payment_allocation.invoice_id``, typed
as the money they add up, so they are read back as ``Decimal`` like the columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Invoice, Payment, PaymentAllocation
from ...models.invoicing import CREDIT_NOTE, INVOICE

ZERO = Decimal("0.00")
PAID, PARTLY_PAID, UNPAID, OVERDUE = "paid", "partly paid", "unpaid", "overdue"
STATES = (UNPAID, PARTLY_PAID, OVERDUE, PAID)
# Aging columns: (label, lowest days past due, highest days past due or None).
BUCKETS = (
    ("current", None, 0),
    ("1–30", 1, 30),
    ("31–60", 31, 60),
    ("61–90", 61, 90),
    ("over 90", 91, None),
)


def credited_total():
    """Σ of the credit notes of the invoice in the enclosing query."""
    credit_note = Invoice.__table__.alias("credit_note")
    return (
        select(func.coalesce(func.sum(credit_note.c.total), 0))
        .where(credit_note.c.credited_invoice_id == Invoice.id, credit_note.c.kind == CREDIT_NOTE)
        .scalar_subquery()
    )


def allocated_to_invoice():
    """Σ of the payments allocated to the invoice in the enclosing query."""
    return (
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .where(PaymentAllocation.invoice_id == Invoice.id)
        .scalar_subquery()
    )


def allocated_of_payment():
    """Σ of the allocations of the payment in the enclosing query."""
    return (
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .where(PaymentAllocation.payment_id == Payment.id)
        .scalar_subquery()
    )


def aging_bucket(days_past_due: int) -> str:
    for label, low, high in BUCKETS:
        if (low is None or days_past_due >= low) and (high is None or days_past_due <= high):
            return label
    raise AssertionError(days_past_due)  # the buckets cover every integer


def state_of(balance: Decimal, paid: Decimal, due_on: date, today: date) -> str:
    if balance <= 0:
        return PAID
    if due_on < today:
        return OVERDUE
    return PARTLY_PAID if paid > 0 else UNPAID


@dataclass(frozen=True)
class InvoiceBalance:
    """An invoice with what credit notes and payments took off it, as of ``today``."""

    invoice: Invoice
    credited: Decimal
    paid: Decimal
    today: date

    @property
    def remaining(self) -> Decimal:
        """Total less credits less payments; below zero when credits came after it was paid."""
        return self.invoice.total - self.credited - self.paid

    @property
    def balance(self) -> Decimal:
        return max(ZERO, self.remaining)

    @property
    def overpaid(self) -> Decimal:
        return max(ZERO, -self.remaining)

    @property
    def state(self) -> str:
        return state_of(self.balance, self.paid, self.invoice.due_on, self.today)

    @property
    def days_past_due(self) -> int:
        return (self.today - self.invoice.due_on).days

    @property
    def bucket(self) -> str:
        return aging_bucket(self.days_past_due)


@dataclass
class Aging:
    """Open balances by days past due: one total per column of ``BUCKETS``."""

    columns: dict[str, Decimal] = field(default_factory=lambda: {label: ZERO for label, _, _ in BUCKETS})

    @classmethod
    def of(cls, balances: list[InvoiceBalance]) -> Aging:
        aging = cls()
        for item in balances:
            if item.balance > 0:
                aging.columns[item.bucket] += item.balance
        return aging

    @property
    def total(self) -> Decimal:
        return sum(self.columns.values(), ZERO)


@dataclass(frozen=True)
class Account:
    """A customer's account as of a day (see the module's docstring)."""

    customer_id: int
    balance_due: Decimal = ZERO
    overdue: Decimal = ZERO
    oldest_overdue_days: int = 0
    credit: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        """What they owe after their credit; negative when the roastery owes them."""
        return self.balance_due - self.credit


# --- Reading ----------------------------------------------------------------------------------------------


def balances_query():
    """Invoices (not credit notes) with what was credited and paid of each, for ``read_balances``."""
    return select(Invoice, credited_total(), allocated_to_invoice()).where(Invoice.kind == INVOICE)


def remaining():
    """An invoice's total less its credits and payments, in SQL (``InvoiceBalance.remaining``)."""
    return Invoice.total - credited_total() - allocated_to_invoice()


def read_balances(query, today: date) -> list[InvoiceBalance]:
    return [
        InvoiceBalance(invoice, credited, paid, today)
        for invoice, credited, paid in db.session.execute(query)
    ]


def balances_of(invoice_ids, today: date) -> dict[int, InvoiceBalance]:
    """The balance of each invoice of ``invoice_ids`` (credit notes among them are left out)."""
    ids = list(invoice_ids)
    if not ids:
        return {}
    query = balances_query().where(Invoice.id.in_(ids))
    return {item.invoice.id: item for item in read_balances(query, today)}


def balance_of(invoice: Invoice, today: date) -> InvoiceBalance | None:
    return balances_of([invoice.id], today).get(invoice.id)


def customer_invoices(customer_id: int, today: date, page: int = 1, per_page: int = 25):
    """A page of the customer's invoices, newest first, each with its balance; and whether more follow."""
    query = (
        balances_query()
        .where(Invoice.customer_id == customer_id)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    rows = read_balances(query, today)
    return rows[:per_page], len(rows) > per_page


def open_invoices(customer_id: int, today: date) -> list[InvoiceBalance]:
    """The customer's invoices with a balance, oldest due first (the order payments pay them in)."""
    query = (
        balances_query()
        .where(Invoice.customer_id == customer_id, remaining() > 0)
        .order_by(Invoice.due_on, Invoice.id)
    )
    return read_balances(query, today)


def overdue_invoices(today: date, page: int = 1, per_page: int = 50):
    """Every customer's overdue invoices, longest overdue first, with their customer; whether more follow."""
    query = (
        balances_query()
        .where(Invoice.due_on < today, remaining() > 0)
        .options(joinedload(Invoice.customer))
        .order_by(Invoice.due_on, Invoice.id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    rows = read_balances(query, today)
    return rows[:per_page], len(rows) > per_page


def accounts(customer_ids, today: date) -> dict[int, Account]:
    """Each customer's account (every id gets one, zeros when nothing is owed either way). Two statements."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    invoices = db.session.execute(
        select(
            Invoice.customer_id, Invoice.due_on, Invoice.total, credited_total(), allocated_to_invoice()
        ).where(Invoice.kind == INVOICE, Invoice.customer_id.in_(ids), remaining() != 0)
    )
    totals = {customer_id: dict(due=ZERO, overdue=ZERO, oldest=0, credit=ZERO) for customer_id in ids}
    for customer_id, due_on, total, credited, paid in invoices:
        left = total - credited - paid
        account = totals[customer_id]
        if left < 0:
            account["credit"] += -left
            continue
        account["due"] += left
        if due_on < today:
            account["overdue"] += left
            account["oldest"] = max(account["oldest"], (today - due_on).days)
    unallocated = Payment.amount - allocated_of_payment()
    for customer_id, amount, allocated in db.session.execute(
        select(Payment.customer_id, Payment.amount, allocated_of_payment()).where(
            Payment.customer_id.in_(ids), unallocated > 0
        )
    ):
        totals[customer_id]["credit"] += amount - allocated
    return {
        customer_id: Account(customer_id, t["due"], t["overdue"], t["oldest"], t["credit"])
        for customer_id, t in totals.items()
    }


def account(customer_id: int, today: date) -> Account:
    return accounts([customer_id], today)[customer_id]


def unallocated_of(payment_ids) -> dict[int, Decimal]:
    """What of each payment is not allocated to an invoice (the customer's credit)."""
    ids = list(payment_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Payment.id, Payment.amount, allocated_of_payment()).where(Payment.id.in_(ids))
    )
    return {payment_id: amount - allocated for payment_id, amount, allocated in rows}
