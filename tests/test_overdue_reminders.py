"""Overdue reminders: N days after the due date, once per invoice and step, through the outbox and the tick.

OVERDUE_REMINDER_DAYS="7, 30". An invoice with a balance gets the latest step it reached, once: two ticks
at once (threads) or a tick run twice send it once; a paid invoice gets none; an invoice already past the
30-day step when reminders start gets that one only, not the 7-day one late.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Email, OverdueReminder
from wholesale.services.invoicing import overdue, payments

from .factories import make_customer
from .payment_data import make_invoice

TODAY = date(2026, 12, 4)
NOON = datetime(2026, 12, 4, 20, tzinfo=UTC)  # noon in Los Angeles


@pytest.fixture
def steps(app):
    app.config["OVERDUE_REMINDER_DAYS"] = "7, 30"
    yield
    app.config["OVERDUE_REMINDER_DAYS"] = ""


def due(days_ago: int, customer=None, total="100.00", **fields):
    customer = customer or make_customer(f"Café {days_ago}", contacts=2)
    return make_invoice(customer, total, TODAY - timedelta(days=days_ago), terms_days=0, **fields)


def reminders_sent() -> list[tuple[int, int]]:
    return sorted(db.session.execute(select(OverdueReminder.invoice_id, OverdueReminder.step_days)).tuples())


def test_each_invoice_gets_the_latest_step_it_reached_once(app_ctx, steps):
    six, seven, twenty_nine, forty_five = due(6), due(7), due(29), due(45)
    paid = due(50)
    db.session.commit()
    payments.record_payment(paid.customer_id, TODAY, Decimal("100.00"), "cash", "", None, None)

    report = overdue.dispatch_overdue_reminders(NOON)

    assert reminders_sent() == [(seven.id, 7), (twenty_nine.id, 7), (forty_five.id, 30)]
    assert report.reminded == 3 and len(report.email_ids) == 6  # two contacts each
    email = db.session.scalar(select(Email).where(Email.invoice_id == forty_five.id).order_by(Email.id))
    assert email.kind == "overdue_reminder" and forty_five.number in email.subject
    assert "$100.00" in email.text_body and "45 days overdue" in email.text_body
    assert "/link/" in email.text_body and "to=invoices" in email.text_body  # signs in, opens Invoices
    assert six.id not in {invoice_id for invoice_id, _ in reminders_sent()}

    again = overdue.dispatch_overdue_reminders(NOON + timedelta(minutes=10))
    assert again.reminded == 0 and again.email_ids == []

    later = overdue.dispatch_overdue_reminders(
        NOON + timedelta(days=23)
    )  # twenty_nine is now 52 days past due
    assert later.reminded == 3  # six reaches 7 days; seven and twenty_nine reach 30
    assert reminders_sent() == sorted(
        [
            (six.id, 7),
            (seven.id, 7),
            (seven.id, 30),
            (twenty_nine.id, 7),
            (twenty_nine.id, 30),
            (forty_five.id, 30),
        ]
    )


def test_without_a_contact_who_gets_reminders_it_goes_to_the_bill_to_address(app_ctx, steps):
    customer = make_customer("Quiet Café")
    customer.contacts[0].receives_reminders = False
    invoice = due(8, customer, bill_to_email="accounts@quiet.example")
    db.session.commit()
    overdue.dispatch_overdue_reminders(NOON)
    assert db.session.execute(
        select(Email.to_address).where(Email.invoice_id == invoice.id)
    ).scalars().all() == ["accounts@quiet.example"]


def test_no_steps_no_reminders(app_ctx):
    due(40)
    db.session.commit()
    assert overdue.dispatch_overdue_reminders(NOON).reminded == 0
    assert reminders_sent() == []


@pytest.mark.parametrize("page_size", [overdue.PAGE_SIZE, 3], ids=["one page", "interleaved pages"])
def test_two_ticks_at_once_remind_each_invoice_once(app, steps, monkeypatch, page_size):
    monkeypatch.setattr(overdue, "PAGE_SIZE", page_size)
    with app.app_context():
        ids = [due(10 + n).id for n in range(20)]
        db.session.commit()
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def tick():
        try:
            with app.app_context():
                barrier.wait()
                reports.append(overdue.dispatch_overdue_reminders(NOON))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and sum(report.reminded for report in reports) == 20
    with app.app_context():
        assert reminders_sent() == [(invoice_id, 7) for invoice_id in ids]
        per_address = db.session.execute(
            select(Email.to_address, func.count())
            .where(Email.kind == "overdue_reminder")
            .group_by(Email.to_address)
        ).all()
        assert len(per_address) == 40 and {n for _, n in per_address} == {1}


def test_the_periodic_job_and_the_command_run_the_tick(app, app_ctx, steps):
    from jobs.invoicing import dispatch_overdue_reminders
    from jobs.schedule import PERIODIC_JOBS

    assert any(job.func == "jobs.invoicing.dispatch_overdue_reminders" for job in PERIODIC_JOBS)
    due(10)
    db.session.commit()
    first = dispatch_overdue_reminders()
    assert first.endswith("reminded (2 emails)")  # due ten days before today, whatever today is
    result = app.test_cli_runner().invoke(args=["invoices", "overdue"])
    assert result.exit_code == 0 and "0 overdue invoices reminded" in result.output  # once only
