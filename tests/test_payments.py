"""Getting paid, the services: staff record a payment against one invoice or split across several (or oldest
first), the rest stays as credit; what is refused changes nothing; balances, states, aging and the account."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Payment, PaymentAllocation
from wholesale.services import deliveries
from wholesale.services.errors import ServiceError
from wholesale.services.invoicing import balances, payments
from wholesale.services.invoicing.credit_limit import credit_flags

from .factories import make_customer
from .payment_data import make_credit_note, make_invoice

D = Decimal


@pytest.fixture
def today(app_ctx):
    return deliveries.today()


@pytest.fixture
def blue(today):
    """Blue Door with three invoices: 100.00 due 40 days ago, 50.00 due 5 days ago, 80.00 due in 9 days."""
    customer = make_customer("Blue Door Café")
    old = make_invoice(customer, "100.00", today - timedelta(days=54))
    late = make_invoice(customer, "50.00", today - timedelta(days=19))
    fresh = make_invoice(customer, "80.00", today - timedelta(days=5))
    db.session.commit()
    return customer, old, late, fresh


def pay(customer, amount, allocations=None, **fields):
    return payments.record_payment(
        customer.id,
        fields.pop("received_on", deliveries.today()),
        D(amount),
        fields.pop("method", "bank transfer"),
        fields.pop("reference", "REF-1"),
        allocations,
        None,
    )


def balance(invoice, today):
    return balances.balance_of(invoice, today).balance


def test_a_payment_split_across_two_invoices_pays_each_what_was_entered(blue, today):
    customer, old, late, fresh = blue
    payment = pay(customer, "130.00", {old.id: D("100.00"), late.id: D("30.00")})
    assert [(a.invoice_id, a.amount) for a in payment.allocations] == [
        (old.id, D("100.00")),
        (late.id, D("30.00")),
    ]
    assert (balance(old, today), balance(late, today), balance(fresh, today)) == (
        D("0"),
        D("20.00"),
        D("80.00"),
    )
    assert balances.balance_of(old, today).state == "paid"
    assert balances.balance_of(late, today).state == "overdue"  # partly paid, but past due: overdue wins


def test_the_rest_of_a_payment_stays_as_credit_and_can_pay_later(blue, today):
    customer, old, late, fresh = blue
    payment = pay(customer, "150.00", {old.id: D("100.00")})
    account = balances.account(customer.id, today)
    assert account.credit == D("50.00") and account.balance_due == D("130.00") and account.net == D("80.00")
    payments.allocate_payment(payment.id, None)
    assert balance(late, today) == D("0") and balances.account(customer.id, today).credit == D("0")
    with pytest.raises(ServiceError, match="allocated already"):
        payments.allocate_payment(payment.id, None)


def test_without_allocations_a_payment_pays_the_oldest_due_first(blue, today):
    customer, old, late, fresh = blue
    pay(customer, "120.00")
    assert (balance(old, today), balance(late, today), balance(fresh, today)) == (
        D("0"),
        D("30.00"),
        D("80.00"),
    )
    pay(customer, "200.00")  # more than everything owed: the rest is credit
    assert balances.account(customer.id, today) == balances.Account(
        customer.id, D("0"), D("0"), 0, D("90.00")
    )


@pytest.mark.parametrize(
    ("allocation", "message"),
    [
        ("more than its balance", "has 100.00 left to pay"),
        ("more than the payment", "add up to more than"),
        ("another customer's invoice", "not one of this customer's open invoices"),
        ("a paid invoice", "not one of this customer's open invoices"),
        ("a negative amount", "above zero"),
        ("a fraction of a cent", "two decimals"),
    ],
)
def test_an_allocation_that_cannot_be_is_refused_and_nothing_is_written(blue, today, allocation, message):
    customer, old, late, fresh = blue
    rival = make_customer("Rival Roasters")
    theirs = make_invoice(rival, "10.00", today)
    paid = make_invoice(customer, "5.00", today)
    db.session.commit()
    pay(customer, "5.00", {paid.id: D("5.00")})
    allocations = {
        "more than its balance": {old.id: D("100.01")},
        "more than the payment": {old.id: D("60.00"), late.id: D("50.00")},
        "another customer's invoice": {theirs.id: D("10.00")},
        "a paid invoice": {paid.id: D("1.00")},
        "a negative amount": {old.id: D("-1.00")},
        "a fraction of a cent": {old.id: D("1.001")},
    }[allocation]
    before = db.session.scalar(select(func.count()).select_from(Payment))
    with pytest.raises(ServiceError, match=message):
        pay(customer, "100.00", allocations)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == before
    assert balance(old, today) == D("100.00") and balance(theirs, today) == D("10.00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "0"}, "above zero"),
        ({"amount": "1000000.01"}, "at most"),
        ({"received_on": "tomorrow"}, "future"),
        ({"method": "bitcoin"}, "Choose a method"),
        ({"reference": "x" * 121}, "120 characters"),
    ],
)
def test_a_payment_that_cannot_be_is_refused(blue, today, change, message):
    customer = blue[0]
    fields = {"amount": "10.00", "received_on": today, "method": "cash", "reference": ""} | change
    if fields["received_on"] == "tomorrow":
        fields["received_on"] = today + timedelta(days=1)
    with pytest.raises(ServiceError, match=message):
        payments.record_payment(
            customer.id,
            fields["received_on"],
            D(fields["amount"]),
            fields["method"],
            fields["reference"],
            None,
            None,
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_removing_a_payment_recorded_by_mistake_opens_its_invoices_again(blue, today):
    customer, old, late, fresh = blue
    payment = pay(customer, "150.00")
    assert balance(late, today) == D("0")
    payments.remove_payment(payment.id)
    assert (balance(old, today), balance(late, today)) == (D("100.00"), D("50.00"))
    assert db.session.scalar(select(func.count()).select_from(PaymentAllocation)) == 0
    with pytest.raises(ServiceError):
        payments.remove_payment(payment.id)


def test_credit_notes_reduce_the_balance_and_an_overpaid_invoice_becomes_credit(blue, today):
    customer, old, late, fresh = blue
    make_credit_note(old, "30.00")
    db.session.commit()
    assert balance(old, today) == D("70.00")
    assert balances.balance_of(fresh, today).state == "unpaid"
    make_credit_note(fresh, "80.00")  # credited away entirely: nothing to pay
    db.session.commit()
    assert balances.balance_of(fresh, today).state == "paid"
    pay(customer, "50.00", {late.id: D("50.00")})
    make_credit_note(late, "20.00")  # after it was paid: the 20.00 is now the customer's credit
    db.session.commit()
    item = balances.balance_of(late, today)
    assert (item.balance, item.overpaid, item.state) == (D("0"), D("20.00"), "paid")
    account = balances.account(customer.id, today)
    assert (account.balance_due, account.credit, account.net) == (D("70.00"), D("20.00"), D("50.00"))


def test_states(blue, today):
    customer, old, late, fresh = blue
    due_today = make_invoice(customer, "10.00", today - timedelta(days=14))
    db.session.commit()
    assert due_today.due_on == today
    states = {
        i.invoice.id: i.state for i in balances.balances_of([old.id, fresh.id, due_today.id], today).values()
    }
    assert states == {
        old.id: "overdue",
        fresh.id: "unpaid",
        due_today.id: "unpaid",
    }  # due today: not overdue yet
    pay(customer, "1.00", {fresh.id: D("1.00")})
    assert balances.balance_of(fresh, today).state == "partly paid"
    assert balances.balance_of(fresh, today + timedelta(days=10)).state == "overdue"


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-3, "current"),
        (0, "current"),
        (1, "1–30"),
        (30, "1–30"),
        (31, "31–60"),
        (60, "31–60"),
        (61, "61–90"),
        (90, "61–90"),
        (91, "over 90"),
        (400, "over 90"),
    ],
)
def test_aging_counts_days_past_the_due_date(app_ctx, days_past_due, bucket):
    customer = make_customer()
    today = date(2026, 12, 4)
    invoice = make_invoice(customer, "12.34", today - timedelta(days=days_past_due), terms_days=0)
    db.session.commit()
    item = balances.balance_of(invoice, today)
    assert item.days_past_due == days_past_due and item.bucket == bucket
    aging = balances.Aging.of([item])
    assert aging.columns[bucket] == D("12.34") and aging.total == D("12.34")
    assert sum(1 for amount in aging.columns.values() if amount) == 1


def test_the_overdue_list_is_every_customers_overdue_invoices_longest_first(blue, today):
    customer, old, late, fresh = blue
    rival = make_customer("Rival Roasters")
    rivals = make_invoice(rival, "10.00", today - timedelta(days=30))
    db.session.commit()
    pay(customer, "100.00", {old.id: D("100.00")})
    rows, more = balances.overdue_invoices(today)
    assert [item.invoice.id for item in rows] == [rivals.id, late.id] and not more


def test_credit_flags_name_the_limit_passed(blue, today, app):
    customer, old, late, fresh = blue
    calm = make_customer("Calm Café")
    make_invoice(calm, "999.00", today - timedelta(days=20))  # overdue 6 days, small limit not reached below
    db.session.commit()
    assert credit_flags([customer.id, calm.id]) == {}  # no limit set: nothing read, nobody flagged
    app.config.update(CREDIT_LIMIT_OVERDUE_AMOUNT="150.00", CREDIT_LIMIT_OVERDUE_DAYS="")
    try:
        assert credit_flags([customer.id, calm.id]) == {calm.id: "Over the limit: $999.00 overdue"}
        app.config.update(CREDIT_LIMIT_OVERDUE_AMOUNT="", CREDIT_LIMIT_OVERDUE_DAYS="39")
        assert credit_flags([customer.id, calm.id]) == {customer.id: "Over the limit: 40 days overdue"}
        app.config.update(CREDIT_LIMIT_OVERDUE_DAYS="40")  # exactly at the limit is not past it
        assert credit_flags([customer.id, calm.id]) == {}
    finally:
        app.config.update(CREDIT_LIMIT_OVERDUE_AMOUNT="", CREDIT_LIMIT_OVERDUE_DAYS="")
