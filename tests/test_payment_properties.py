"""Property: whatever staff do (payments split any way or oldest first, credit applied later, credit notes,
payments removed), every balance is exact to the cent, never negative, and the books reconcile:

    Σ balances − credit = Σ invoice totals − Σ credit notes − Σ payments     (the customer's net)

and each balance is what a plain model of the same operations says it is."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Invoice, Payment
from wholesale.services import deliveries
from wholesale.services.errors import ServiceError
from wholesale.services.invoicing import balances, payments
from wholesale.services.invoicing.credit_notes import issue_credit_note

from .conftest import empty_database
from .factories import make_catalog, make_customer
from .invoice_data import invoice_settings, issued_invoice
from .payment_data import make_credit_note, make_invoice

CENTS = st.integers(min_value=1, max_value=50_000).map(lambda n: Decimal(n) / 100)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("pay as entered"), CENTS, st.dictionaries(st.integers(0, 4), CENTS, max_size=3)),
        st.tuples(st.just("pay oldest first"), CENTS),
        st.tuples(st.just("credit note"), st.integers(0, 4), CENTS),
        st.tuples(st.just("apply credit"), st.integers(0, 20)),
        st.tuples(st.just("remove payment"), st.integers(0, 20)),
    ),
    max_size=12,
)
TOTALS = st.lists(CENTS, min_size=1, max_size=5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(totals=TOTALS, operations=OPERATIONS, ages=st.lists(st.integers(0, 120), min_size=5, max_size=5))
def test_balances_stay_exact_and_reconcile(app, app_ctx, totals, operations, ages):
    db.session.remove()  # this context's identity map forgets the last example's rows: ids start again at 1
    empty_database(app)
    today = deliveries.today()
    customer = make_customer()
    invoices = [
        make_invoice(customer, total, today - timedelta(days=ages[n]), terms_days=0)
        for n, total in enumerate(totals)
    ]
    db.session.commit()
    model_credited = {invoice.id: Decimal("0") for invoice in invoices}
    for operation in operations:
        kind = operation[0]
        try:
            if kind == "pay as entered":
                _, amount, picks = operation
                allocations = {invoices[i % len(invoices)].id: value for i, value in picks.items()}
                payments.record_payment(customer.id, today, amount, "cash", "", allocations, None)
            elif kind == "pay oldest first":
                payments.record_payment(customer.id, today, operation[1], "card", "", None, None)
            elif kind == "credit note":
                invoice = invoices[operation[1] % len(invoices)]
                left = (
                    invoice.total - model_credited[invoice.id]
                )  # a credit note never credits more than billed
                amount = min(operation[2], left)
                if amount > 0:
                    make_credit_note(invoice, amount)
                    db.session.commit()
                    model_credited[invoice.id] += amount
            else:
                ids = db.session.scalars(select_payment_ids()).all()
                if ids:
                    target = ids[operation[1] % len(ids)]
                    if kind == "apply credit":
                        payments.allocate_payment(target, None)
                    else:
                        payments.remove_payment(target)
            event(f"{kind}: done")
        except ServiceError:
            db.session.rollback()  # refused: nothing changed; the invariants below still hold
            event(f"{kind}: refused")
        check(customer, invoices, model_credited, today)


def select_payment_ids():
    return select(Payment.id).order_by(Payment.id)


def check(customer, invoices, model_credited, today) -> None:
    db.session.expire_all()
    found = balances.balances_of([invoice.id for invoice in invoices], today)
    all_payments = db.session.scalars(select_payment_ids().with_only_columns(Payment)).all()
    allocated = {invoice.id: Decimal("0") for invoice in invoices}
    for payment in all_payments:
        assert sum((a.amount for a in payment.allocations), Decimal("0")) <= payment.amount
        for allocation in payment.allocations:
            assert allocation.amount > 0
            allocated[allocation.invoice_id] += allocation.amount
    for invoice in invoices:
        item = found[invoice.id]
        expected = invoice.total - model_credited[invoice.id] - allocated[invoice.id]
        assert item.credited == model_credited[invoice.id] and item.paid == allocated[invoice.id]
        assert item.balance == max(Decimal("0"), expected) >= 0
        assert item.balance == item.balance.quantize(Decimal("0.01"))
        assert (item.state == "paid") == (item.balance == 0)
    account = balances.account(customer.id, today)
    assert account.balance_due == sum((item.balance for item in found.values()), Decimal("0"))
    assert account.credit >= 0 and account.overdue <= account.balance_due
    billed = sum((invoice.total for invoice in invoices), Decimal("0"))
    received = sum((payment.amount for payment in all_payments), Decimal("0"))
    assert account.net == billed - sum(model_credited.values(), Decimal("0")) - received
    assert balances.Aging.of(list(found.values())).total == account.balance_due


REAL_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("credit lines"), st.integers(0, 1), st.dictionaries(st.integers(0, 3), st.integers(1, 4))
        ),
        st.tuples(st.just("credit the rest"), st.integers(0, 1)),
        st.tuples(st.just("pay as entered"), CENTS, st.dictionaries(st.integers(0, 1), CENTS, max_size=2)),
        st.tuples(st.just("pay oldest first"), CENTS),
        st.tuples(st.just("remove payment"), st.integers(0, 20)),
    ),
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    quantities=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    discount=st.sampled_from(["0", "7.5", "12.5"]),
    operations=REAL_OPERATIONS,
)
def test_issued_invoices_credit_notes_and_payments_keep_balances_exact(
    app, app_ctx, quantities, discount, operations
):
    """The same, with invoices issued from orders (tax at 8.875 %, a discount, shipping: every rounding the
    invoice core makes) and credit notes issued for some lines or the rest."""
    db.session.remove()  # this context's identity map forgets the last example's rows: ids start again at 1
    empty_database(app)
    today = deliveries.today()
    customer = make_customer()
    variants = make_catalog(coffees=2)
    invoices = [
        issued_invoice(
            customer,
            [(variants[n], quantity) for n, quantity in enumerate(quantities)],
            discount_percent=discount,
            shipping=shipping,
            TAX_RATES="Sales tax 8.875%",
            INVOICE_EMAIL="button",
        )
        for shipping in ("0", "9.95")
    ]
    for operation in operations:
        kind = operation[0]
        try:
            if kind.startswith("credit"):
                invoice = invoices[operation[1]]
                lines = invoice.lines
                wanted = None
                if kind == "credit lines":
                    picked = {lines[i % len(lines)]: q for i, q in operation[2].items()}
                    wanted = {line.id: min(q, line.quantity) for line, q in picked.items()}
                with invoice_settings(INVOICE_EMAIL="button"):
                    issue_credit_note(invoice.id, wanted, "property", None)
            elif kind == "pay as entered":
                allocations = {invoices[i].id: value for i, value in operation[2].items()}
                payments.record_payment(customer.id, today, operation[1], "cash", "", allocations, None)
            elif kind == "pay oldest first":
                payments.record_payment(customer.id, today, operation[1], "card", "", None, None)
            else:
                ids = db.session.scalars(select_payment_ids()).all()
                if ids:
                    payments.remove_payment(ids[operation[1] % len(ids)])
            event(f"{kind}: done")
        except ServiceError:
            db.session.rollback()
            event(f"{kind}: refused")
        db.session.expire_all()
        credited = {
            invoice.id: sum(
                (
                    note.total
                    for note in db.session.scalars(
                        select(Invoice).where(Invoice.credited_invoice_id == invoice.id)
                    )
                ),
                Decimal("0"),
            )
            for invoice in invoices
        }
        assert all(credited[invoice.id] <= invoice.total for invoice in invoices)
        check(customer, invoices, credited, today)
