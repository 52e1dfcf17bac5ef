"""Journey 10, the invoice itself: an approved (or fulfilled: a setting) order gets one invoice, numbered
from a gap-free sequence, dated, with the customer's terms and the tax of each line, and it is never
rewritten afterwards; a correction is a numbered credit note linked to it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Email, Invoice, InvoiceSequence, Product, StaffUser, Variant
from wholesale.services import production
from wholesale.services.errors import ServiceError
from wholesale.services.invoicing.credit_notes import creditable_lines, issue_credit_note
from wholesale.services.invoicing.issuing import invoice_of_order, issue_invoice
from wholesale.services.invoicing.numbering import take_number
from wholesale.services.orders.approval import approve_order, approve_orders
from wholesale.services.orders.history import Actor
from wholesale.services.orders.staff_orders import enter_order

from .factories import make_catalog, make_customer, make_order, make_shipping
from .invoice_data import invoice_settings, issued_invoice
from .standing_data import CUTOFF, make_standing, make_van, run_tick, standing_orders_placed

D = Decimal
ISSUED = date(2026, 12, 4)


@pytest.fixture
def shop(app_ctx):
    variants = make_catalog(coffees=2)
    staff = StaffUser(email="sam@hillside.example", name="Sam")
    staff.set_password("correct horse battery")
    db.session.add(staff)
    customer = make_customer("Blue Door Café", delivery_address="1 Harbour St\nPortland OR")
    db.session.commit()
    return customer, variants, staff.id


def invoices(kind: str = "invoice") -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).where(Invoice.kind == kind).order_by(Invoice.id)))


# --- Numbers ---------------------------------------------------------------------------------------------


def test_numbers_follow_on_with_their_prefix_and_a_rollback_gives_the_number_back(shop):
    assert take_number("invoice") == (1, "INV-000001")
    db.session.rollback()  # the issue failed: its number was never used
    assert take_number("invoice") == (1, "INV-000001")
    assert take_number("credit_note") == (1, "CN-000001")  # each kind counts for itself
    db.session.commit()
    with invoice_settings(INVOICE_PREFIX="HC-"):
        assert take_number("invoice") == (2, "HC-000002")
    db.session.commit()
    assert db.session.get(InvoiceSequence, "invoice").next_value == 3


# --- Issuing ---------------------------------------------------------------------------------------------


def test_an_invoice_copies_the_order_with_terms_due_date_and_tax(shop):
    customer, variants, staff_id = shop
    customer.payment_terms_days = 30
    invoice = issued_invoice(
        customer,
        [(variants[0], 2), (variants[1], 1)],
        discount_percent="10",
        shipping="12.00",
        staff_id=staff_id,
        today=ISSUED,
        TAX_RATES="VAT 20%",
    )
    assert (invoice.number, invoice.sequence_value, invoice.kind) == ("INV-000001", 1, "invoice")
    assert (invoice.issued_on, invoice.terms_days, invoice.due_on) == (
        ISSUED,
        30,
        ISSUED + timedelta(days=30),
    )
    assert invoice.bill_to_name == "Blue Door Café" and invoice.bill_to_address == "1 Harbour St\nPortland OR"
    assert invoice.bill_to_email == customer.contacts[0].email and invoice.issued_by_staff_id == staff_id
    # 2 × 14.50 + 82.00 = 111.00; 10 % = 11.10; VAT on (29.00 − 2.90), (82.00 − 8.20) and 12.00
    assert [(line.amount, line.discount, line.tax_name, line.tax) for line in invoice.lines] == [
        (D("29.00"), D("2.90"), "VAT", D("5.22")),
        (D("82.00"), D("8.20"), "VAT", D("14.76")),
        (D("12.00"), D("0.00"), "VAT", D("2.40")),
    ]
    assert invoice.lines[2].is_shipping and invoice.lines[2].description == "Delivery"
    assert (invoice.subtotal, invoice.discount, invoice.shipping, invoice.tax, invoice.total) == (
        D("111.00"),
        D("11.10"),
        D("12.00"),
        D("22.38"),
        D("134.28"),
    )
    assert invoice.order.total == D("111.90")  # the order's own total stays before tax, as it was


def test_the_roastery_default_terms_apply_unless_the_customer_has_their_own(shop):
    customer, variants, _ = shop
    invoice = issued_invoice(customer, [(variants[0], 1)], today=ISSUED, PAYMENT_TERMS_DAYS=7)
    assert (invoice.terms_days, invoice.due_on) == (7, date(2026, 12, 11))
    customer.payment_terms_days = 0  # due on receipt
    invoice = issued_invoice(customer, [(variants[0], 1)], today=ISSUED)
    assert (invoice.terms_days, invoice.due_on) == (0, ISSUED)


def test_an_exempt_customer_is_invoiced_without_tax_and_the_certificate_is_on_it(shop):
    customer, variants, _ = shop
    customer.tax_exempt_certificate = "NY-ST-120 4471"
    invoice = issued_invoice(customer, [(variants[0], 4)], shipping="5.00", TAX_RATES="Sales tax 8.875%")
    assert invoice.tax == 0 and invoice.total == D("63.00")
    assert invoice.tax_exempt_certificate == "NY-ST-120 4471"
    assert {(line.tax_name, line.tax_rate) for line in invoice.lines} == {("Sales tax", D("0"))}


def test_each_product_takes_its_own_rate_and_delivery_the_default(shop):
    customer, variants, _ = shop
    variants[0].product.tax_rate_name = "Reduced"
    invoice = issued_invoice(
        customer, [(variants[0], 2), (variants[2], 1)], shipping="10.00", TAX_RATES="VAT 20%, Reduced 5%"
    )
    assert [(line.tax_name, line.tax_rate, line.tax) for line in invoice.lines] == [
        ("Reduced", D("5"), D("1.45")),
        ("VAT", D("20"), D("2.90")),
        ("VAT", D("20"), D("2.00")),
    ]


def test_prices_including_tax_show_the_tax_inside_the_total(shop):
    customer, variants, _ = shop
    invoice = issued_invoice(customer, [(variants[1], 1)], TAX_RATES="VAT 20%", PRICES_INCLUDE_TAX=True)
    assert invoice.prices_include_tax and invoice.total == D("82.00") and invoice.tax == D("13.67")


def test_issuing_twice_returns_the_one_invoice_and_a_pending_order_is_not_invoiced(shop):
    customer, variants, _ = shop
    invoice = issued_invoice(customer, [(variants[0], 1)])
    assert issue_invoice(invoice.order, None) is invoice and len(invoices()) == 1
    pending = make_order(customer, [(variants[0], 1)], status="pending")
    with pytest.raises(ServiceError, match="only an approved order is invoiced"):
        issue_invoice(pending, None)


# --- When: on approval (every way an order is approved) or on fulfilment --------------------------------


def test_approving_an_order_issues_its_invoice_and_queues_its_email_in_the_same_transaction(shop):
    customer, variants, staff_id = shop
    order = make_order(customer, [(variants[0], 2)], status="pending")
    db.session.commit()
    approve_order(order, Actor(staff_id=staff_id), order.version)
    [invoice] = invoices()
    assert invoice.order_id == order.id and invoice.issued_by_staff_id == staff_id
    [email] = db.session.scalars(select(Email).where(Email.kind == "invoice")).all()
    assert (email.invoice_id, email.to_address, email.status) == (
        invoice.id,
        customer.contacts[0].email,
        "sent",
    )
    assert email.subject == "Invoice INV-000001 — Hillside Coffee Roasters"
    assert "Net 14" in email.text_body and "$29.00" in email.text_body


def test_bulk_approval_invoices_each_order_approved(shop):
    customer, variants, staff_id = shop
    orders = [make_order(customer, [(variants[n], 1)], status="pending") for n in range(3)]
    db.session.commit()
    result = approve_orders([(order.id, order.version) for order in orders], Actor(staff_id=staff_id))
    assert len(result.approved) == 3
    assert [(invoice.order_id, invoice.number) for invoice in invoices()] == [
        (order.id, f"INV-{n:06d}") for n, order in enumerate(orders, start=1)
    ]


def test_a_staff_order_is_approved_when_entered_and_so_invoiced(shop):
    customer, variants, staff_id = shop
    make_order(customer, [(variants[0], 3)])  # the last order, copied
    db.session.commit()
    entered = enter_order(customer.id, Actor(staff_id=staff_id), "k" * 32).order
    [invoice] = invoices()
    assert invoice.order_id == entered.id and invoice.total == D("43.50")


def test_a_standing_order_placed_approved_is_invoiced_and_one_placed_pending_is_not(app, shop):
    customer, variants, _ = shop
    make_standing(customer, make_van(), [(variants[0], 2)])
    db.session.commit()
    app.config["STANDING_ORDERS_APPROVED"] = True
    try:
        run_tick(CUTOFF)
    finally:
        app.config["STANDING_ORDERS_APPROVED"] = False
    [order] = standing_orders_placed(customer)
    [invoice] = invoices()
    assert invoice.order_id == order.id
    assert db.session.scalar(select(func.count()).where(Email.invoice_id == invoice.id)) == 1


def test_on_fulfilment_the_invoice_waits_for_the_production_run_to_finish(app, shop):
    customer, variants, staff_id = shop
    actor = Actor(staff_id=staff_id)
    order = make_order(customer, [(variants[0], 2)], status="pending", roast_date=date.today() + timedelta(3))
    db.session.commit()
    with invoice_settings(INVOICE_ISSUE_ON="fulfilled", INVOICE_EMAIL="button"):
        approve_order(order, actor, order.version)
        assert invoices() == []
        run = production.runs.create_run(order.roast_date, [order.id], actor)
        production.runs.close_run(run, actor)
        assert invoices() == []
        production.runs.finish_run(run, actor)
    [invoice] = invoices()
    assert invoice.order_id == order.id
    # INVOICE_EMAIL=button: nothing is emailed until staff press it.
    assert db.session.scalar(select(func.count()).where(Email.kind == "invoice")) == 0


# --- Never rewritten ---------------------------------------------------------------------------------------


def test_changing_the_order_or_the_customer_after_issue_leaves_the_invoice_as_issued(shop):
    customer, variants, _ = shop
    invoice = issued_invoice(customer, [(variants[0], 2)], TAX_RATES="VAT 20%")
    before = (invoice.total, invoice.bill_to_name, [(line.quantity, line.amount) for line in invoice.lines])
    order = invoice.order
    order.lines[0].quantity = 9
    order.shipping_fee = D("40.00")
    customer.business_name = "Blue Door Coffee Bar"
    variants[0].product.name = "Renamed"
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(Invoice, invoice.id)
    assert (again.total, again.bill_to_name, [(line.quantity, line.amount) for line in again.lines]) == before


# --- Credit notes -------------------------------------------------------------------------------------------


def bags_and_delivery(customer, variants) -> Invoice:
    """3 × 14.50 and 1 × 82.00, 10 % off, 12.00 delivery, VAT 20 %: total 149.94."""
    return issued_invoice(
        customer,
        [(variants[0], 3), (variants[1], 1)],
        discount_percent="10",
        shipping="12",
        TAX_RATES="VAT 20%",
    )


def test_a_whole_credit_note_credits_everything_and_then_nothing_is_left(shop):
    customer, variants, staff_id = shop
    invoice = bags_and_delivery(customer, variants)
    note = issue_credit_note(invoice.id, None, "Order lost in transit", staff_id)
    assert (note.kind, note.number, note.credited_invoice_id, note.order_id) == (
        "credit_note",
        "CN-000001",
        invoice.id,
        invoice.order_id,
    )
    assert (note.subtotal, note.discount, note.shipping, note.tax, note.total) == (
        invoice.subtotal,
        invoice.discount,
        invoice.shipping,
        invoice.tax,
        invoice.total,
    )
    assert note.reason == "Order lost in transit" and note.issued_by_staff_id == staff_id
    # Emailed as it is issued (INVOICE_EMAIL=on-issue), with its PDF.
    [email] = db.session.scalars(select(Email).where(Email.invoice_id == note.id)).all()
    assert email.subject == "Credit note CN-000001 — Hillside Coffee Roasters" and email.status == "sent"
    assert "credits invoice INV-000001: Order lost in transit" in email.text_body
    assert [entry.left for entry in creditable_lines(invoice)] == [0, 0, 0]
    with pytest.raises(ServiceError, match="credited in full already"):
        issue_credit_note(invoice.id, None, "Again", staff_id)


def test_partial_credit_notes_take_their_share_of_discount_and_tax_and_add_up_to_the_invoice(shop):
    customer, variants, staff_id = shop
    invoice = bags_and_delivery(customer, variants)
    bags, big_bag, delivery = invoice.lines
    first = issue_credit_note(invoice.id, {bags.id: 1}, "One bag split", staff_id)
    assert [(line.position, line.quantity, line.amount, line.discount, line.tax) for line in first.lines] == [
        (1, 1, D("14.50"), D("1.45"), D("2.61"))
    ]
    assert first.total == D("15.66")  # 14.50 − 1.45 + 2.61
    second = issue_credit_note(invoice.id, {bags.id: 2, delivery.id: 1}, "Refused at the door", staff_id)
    rest = issue_credit_note(invoice.id, None, "And the rest", staff_id)
    assert [line.position for line in rest.lines] == [big_bag.position]
    assert first.total + second.total + rest.total == invoice.total
    assert first.tax + second.tax + rest.tax == invoice.tax
    assert [note.number for note in invoices("credit_note")] == ["CN-000001", "CN-000002", "CN-000003"]


def test_more_than_is_left_or_a_foreign_line_is_refused_and_nothing_is_written(shop):
    customer, variants, staff_id = shop
    invoice = issued_invoice(customer, [(variants[0], 2)])
    other = issued_invoice(customer, [(variants[1], 1)])
    [line] = invoice.lines
    issue_credit_note(invoice.id, {line.id: 1}, "Damaged", staff_id)
    for quantities, message in (
        ({line.id: 2}, "Only 1 of"),
        ({other.lines[0].id: 1}, "Only lines of INV-000001"),
        ({line.id: 0}, "at least one quantity"),
        ({line.id: -1}, "cannot be negative"),
    ):
        with pytest.raises(ServiceError, match=message):
            issue_credit_note(invoice.id, quantities, "Too much", staff_id)
    with pytest.raises(ServiceError, match="reason"):
        issue_credit_note(invoice.id, {line.id: 1}, "  ", staff_id)
    assert len(invoices("credit_note")) == 1
    assert db.session.get(InvoiceSequence, "credit_note").next_value == 2  # no number used by a refusal


def test_a_credit_note_cannot_itself_be_credited(shop):
    customer, variants, staff_id = shop
    invoice = issued_invoice(customer, [(variants[0], 2)])
    note = issue_credit_note(invoice.id, None, "Wrong customer", staff_id)
    with pytest.raises(ServiceError, match="no such invoice"):
        issue_credit_note(note.id, None, "Undo", staff_id)


def test_invoice_of_order_finds_the_invoice_not_its_credit_notes(shop):
    customer, variants, staff_id = shop
    invoice = issued_invoice(customer, [(variants[0], 2)])
    issue_credit_note(invoice.id, None, "All of it", staff_id)
    assert invoice_of_order(invoice.order_id) == invoice
    assert invoice_of_order(invoice.order_id + 100) is None


def test_shipping_option_name_is_on_the_delivery_line(shop):
    customer, variants, _ = shop
    option = make_shipping("Courier", "9.00")
    order = make_order(
        customer, [(variants[0], 1)], status="approved", shipping_option=option, shipping_fee=option.fee
    )
    invoice = issue_invoice(order, None)
    assert invoice.lines[-1].description == "Delivery: Courier" and invoice.shipping == D("9.00")


# --- Any mix, issued ------------------------------------------------------------------------------------------

MIXES = st.fixed_dictionaries(
    {
        "lines": st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=50_000),  # unit price in cents
                st.integers(min_value=1, max_value=40),  # quantity
                st.sampled_from(["", "Reduced", "Zero", "Gone"]),  # the product's rate ('' and Gone: default)
            ),
            min_size=1,
            max_size=8,
        ),
        "percent": st.integers(min_value=0, max_value=10000),  # hundredths of a percent
        "fixed": st.integers(min_value=0, max_value=5_000),  # a fixed discount in cents
        "shipping": st.integers(min_value=0, max_value=5_000),
        "inclusive": st.booleans(),
        "exempt": st.booleans(),
    }
)


def test_any_issued_invoice_adds_up_to_the_cent(shop):
    """Whatever the order (prices, quantities, rates, a discount in percent and in money, delivery, prices
    with or without tax, an exempt customer), the invoice as stored adds up: total = lines − discount +
    delivery (+ tax), and its tax is the sum of its lines' taxes."""
    customer, _, _ = shop

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(mix=MIXES)
    def check(mix):
        try:
            issue_mix(mix)
        finally:
            db.session.rollback()  # each mix starts from the shop as committed

    def issue_mix(mix):
        customer.tax_exempt_certificate = "EX-1" if mix["exempt"] else ""
        lines = []
        for n, (cents, quantity, rate) in enumerate(mix["lines"]):
            product = Product(name=f"Mix {n}", kind="other", tax_rate_name=rate)
            variant = Variant(
                product=product, name="bag", sku=f"MIX-{n}", price=D(cents) / 100, net_weight_g=1
            )
            db.session.add(product)
            lines.append((variant, quantity))
        order = make_order(
            customer,
            lines,
            status="approved",
            discount_percent=D(mix["percent"]) / 100,
            discount_amount=D(mix["fixed"]) / 100,
            shipping_fee=D(mix["shipping"]) / 100,
        )
        with invoice_settings(TAX_RATES="VAT 20%, Reduced 5%, Zero 0%", PRICES_INCLUDE_TAX=mix["inclusive"]):
            invoice = issue_invoice(order, None)
        db.session.flush()
        db.session.expire(invoice)  # as stored
        parts = invoice.lines
        assert invoice.subtotal == sum((x.amount for x in parts if not x.is_shipping), D(0)) == order.subtotal
        assert (
            invoice.shipping == order.shipping_fee
            and invoice.discount == order.subtotal + order.shipping_fee - order.total
        )
        assert invoice.discount == sum((x.discount for x in parts), D(0))
        assert invoice.tax == sum((x.tax for x in parts), D(0))
        added = D(0) if mix["inclusive"] else invoice.tax
        assert invoice.total == invoice.subtotal - invoice.discount + invoice.shipping + added
        if mix["exempt"]:
            assert invoice.tax == 0

    check()
