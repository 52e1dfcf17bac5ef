"""Getting paid, the pages: staff record a payment (no JavaScript needed), see payments, the overdue list and a
customer's statement; a customer past the credit limit is flagged on Pending and on the order; a contact sees
their own customer's invoices and statement, never another's."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Payment
from wholesale.services import deliveries
from wholesale.services.invoicing import balances, payments

from .factories import make_catalog, make_customer, make_order, sign_in_contact
from .payment_data import make_credit_note, make_invoice

D = Decimal


@pytest.fixture
def books(app):
    """Blue Door owes 100.00 (due 40 days ago) and 50.00 (due in 9 days); Rival owes 70.00, overdue."""
    with app.app_context():
        today = deliveries.today()
        blue = make_customer("Blue Door Café")
        rival = make_customer("Rival Roasters")
        old = make_invoice(blue, "100.00", today - timedelta(days=54))
        fresh = make_invoice(blue, "50.00", today - timedelta(days=5))
        theirs = make_invoice(rival, "70.00", today - timedelta(days=20))
        make_credit_note(theirs, "5.00")
        variants = make_catalog(coffees=1)
        pending = make_order(blue, [(variants[0], 2)], status="pending")
        db.session.commit()
        return {
            "blue": blue.id,
            "rival": rival.id,
            "old": old.id,
            "fresh": fresh.id,
            "theirs": theirs.id,
            "numbers": (old.number, fresh.number, theirs.number),
            "pending": pending.id,
            "contact": blue.contacts[0].id,
        }


def test_staff_record_a_payment_split_by_hand(app, staff_client, forms, books):
    page = staff_client.get(f"/admin/payments/new?customer_id={books['blue']}").get_data(as_text=True)
    assert books["numbers"][0] in page and books["numbers"][1] in page and books["numbers"][2] not in page
    response = forms.post(
        "/admin/payments/new",
        {
            "customer_id": books["blue"],
            "received_on": deliveries_today(app).isoformat(),
            "amount": "120.00",
            "method": "cheque",
            "reference": "CHQ 1001",
            "allocate": "entered",
            f"allocation-{books['old']}": "100.00",
            f"allocation-{books['fresh']}": "",
        },
        page=f"/admin/payments/new?customer_id={books['blue']}",
    )
    assert response.status_code == 303
    shown = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Recorded 120.00 from Blue Door Café" in shown and "$20.00" in shown  # 20.00 not allocated
    with app.app_context():
        today = deliveries.today()
        assert balances.balances_of([books["old"]], today)[books["old"]].state == "paid"
        assert balances.account(books["blue"], today).credit == D("20.00")


def deliveries_today(app):
    with app.app_context():
        return deliveries.today()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": ""}, "Give the amount received."),
        ({"amount": "abc"}, "Enter an amount as a number"),
        ({"allocate": "entered", "allocation-OLD": "100.01"}, "has 100.00 left to pay"),
        ({"allocate": "entered", "allocation-OLD": "x"}, "Enter an amount as a number"),
        ({"allocate": "entered", "allocation-OLD": "90", "allocation-FRESH": "40"}, "add up to more than"),
        ({"method": "bitcoin"}, "Not a valid choice"),
        ({"received_on": "2999-01-01"}, "cannot be received in the future"),
    ],
)
def test_a_payment_that_cannot_be_is_shown_again_with_the_message(
    app, staff_client, forms, books, fields, message
):
    data = {
        "customer_id": books["blue"],
        "received_on": deliveries_today(app).isoformat(),
        "amount": "120.00",
        "method": "cash",
    }
    for name, value in fields.items():
        name = name.replace("OLD", str(books["old"])).replace("FRESH", str(books["fresh"]))
        data[name] = value
    response = forms.post("/admin/payments/new", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_payments_list_detail_apply_credit_and_remove(app, staff_client, forms, books):
    with app.app_context():
        today = deliveries.today()
        payment = payments.record_payment(books["blue"], today, D("30.00"), "card", "T-9", {}, None)
        payment_id = payment.id
    listing = staff_client.get("/admin/payments").get_data(as_text=True)
    assert "Blue Door Café" in listing and "T-9" in listing
    detail = staff_client.get(f"/admin/payments/{payment_id}").get_data(as_text=True)
    assert "all of it is credit" in detail
    assert forms.post(f"/admin/payments/{payment_id}/allocate").status_code == 303
    with app.app_context():
        assert balances.balances_of([books["old"]], today)[books["old"]].balance == D("70.00")
    assert forms.post(f"/admin/payments/{payment_id}/remove").status_code == 303
    with app.app_context():
        assert balances.balances_of([books["old"]], today)[books["old"]].balance == D("100.00")
    assert staff_client.get(f"/admin/payments/{payment_id}").status_code == 404


def test_the_statement_and_the_overdue_list(app, staff_client, books):
    statement = staff_client.get(f"/admin/customers/{books['blue']}/statement").get_data(as_text=True)
    old, fresh, theirs = books["numbers"]
    assert old in statement and fresh in statement and theirs not in statement
    assert 'data-bucket="31–60">$100.00' in statement and 'data-bucket="current">$50.00' in statement
    overdue = staff_client.get("/admin/invoices/overdue").get_data(as_text=True)
    assert old in overdue and theirs in overdue and fresh not in overdue
    assert "$65.00" in overdue  # Rival's 70.00 less its 5.00 credit note


def test_a_customer_past_the_limit_is_flagged_on_pending_and_on_the_order(app, staff_client, books):
    app.config["CREDIT_LIMIT_OVERDUE_DAYS"] = "30"
    try:
        pending = staff_client.get("/admin/").get_data(as_text=True)
        order = staff_client.get(f"/admin/orders/{books['pending']}").get_data(as_text=True)
    finally:
        app.config["CREDIT_LIMIT_OVERDUE_DAYS"] = ""
    assert "Over the limit: 40 days overdue" in pending
    assert "Over the limit: 40 days overdue" in order and "taken all the same" in order
    assert "Over the limit" not in staff_client.get("/admin/").get_data(as_text=True)


def test_a_contact_sees_their_invoices_and_statement_only(app, client, books):
    with app.app_context():
        from wholesale.models import Contact

        sign_in_contact(client, db.session.get(Contact, books["contact"]))
    old, fresh, theirs = books["numbers"]
    page = client.get("/invoices").get_data(as_text=True)
    assert old in page and fresh in page and theirs not in page
    assert "overdue" in page and "unpaid" in page
    statement = client.get("/invoices/statement").get_data(as_text=True)
    assert old in statement and theirs not in statement and "$150.00" in statement


def test_statement_pdfs_for_staff_and_for_the_customer(app, client, staff_client, books):
    response = staff_client.get(f"/admin/customers/{books['blue']}/statement.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    staff_client.post("/admin/sign-out")
    customer = app.test_client()
    with app.app_context():
        from wholesale.models import Contact

        sign_in_contact(customer, db.session.get(Contact, books["contact"]))
    response = customer.get("/invoices/statement.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"


def test_the_statement_pdf_says_what_the_page_says(app, books):
    from wholesale.models import Customer
    from wholesale.services.invoicing import statements
    from wholesale.services.invoicing.statement_pdf import statement_pdf

    with app.app_context():
        built = statements.statement(db.session.get(Customer, books["blue"]), deliveries.today())
        text = statement_pdf(built, compress=False).decode("latin-1")
    for expected in (*books["numbers"][:2], "$100.00", "$50.00", "$150.00", "Statement"):
        assert expected in text, expected


def test_the_staff_invoice_page_shows_its_balance_and_payments(app, staff_client, books):
    with app.app_context():
        payments.record_payment(books["blue"], deliveries.today(), D("40.00"), "card", "CARD-7", None, None)
    page = staff_client.get(f"/admin/invoices/{books['old']}").get_data(as_text=True)
    assert 'id="invoice-state">overdue' in page and "$60.00" in page and "CARD-7" in page


@pytest.mark.parametrize("customer_id", ["", "0", "x", "99999999999999999999", "2147483647"])
def test_the_payment_form_without_a_known_customer_asks_who_paid(staff_client, books, customer_id):
    page = staff_client.get(f"/admin/payments/new?customer_id={customer_id}")
    assert page.status_code == 200 and "Who paid?" in page.get_data(as_text=True)


def test_lists_page_on(app, staff_client, books, monkeypatch):
    with app.app_context():
        for amount in ("1.00", "2.00", "3.00"):
            payments.record_payment(books["blue"], deliveries.today(), D(amount), "cash", "", {}, None)
    monkeypatch.setattr(payments, "payments_page", _small_pages(payments.payments_page))
    first = staff_client.get("/admin/payments").get_data(as_text=True)
    assert 'href="/admin/payments?page=2">Older' in first
    second = staff_client.get("/admin/payments?page=2").get_data(as_text=True)
    assert 'href="/admin/payments?page=1">Newer' in second and "$1.00" in second
    for path in ("/admin/payments?page=0", "/admin/invoices/overdue?page=10001"):
        assert staff_client.get(path).status_code == 404


def _small_pages(read):
    return lambda page=1, per_page=50: read(page, per_page=2)
