"""Journey 10 on screen and on paper: staff list invoices and credit notes, read one as it prints, download
its PDF, email it (with its PDF attached), credit it; a customer's contacts download their own invoices'
PDFs and nobody else's; staff set a customer's terms and exemption and a product's tax rate."""

from __future__ import annotations

import re
from decimal import Decimal
from email import message_from_bytes

import pytest
from sqlalchemy import select

from wholesale.extensions import db, mail
from wholesale.models import Customer, Email, Invoice, Product
from wholesale.services.invoicing.pdf import invoice_pdf
from wholesale.services.invoicing.pdf_layout import PdfDocument

from .factories import make_catalog, make_customer, sign_in_contact
from .invoice_data import invoice_settings, issued_invoice

D = Decimal


@pytest.fixture
def invoiced(app, staff_client):
    """Blue Door's invoice (two lines, 10 % off, delivery, VAT 20 %, exempt? no) and Rival's."""
    with app.app_context():
        variants = make_catalog(coffees=2)
        blue = make_customer("Blue Door Café", delivery_address="1 Harbour St")
        rival = make_customer("Rival Roasters")
        invoice = issued_invoice(
            blue,
            [(variants[0], 3), (variants[1], 1)],
            discount_percent="10",
            shipping="12",
            TAX_RATES="VAT 20%",
        )
        other = issued_invoice(rival, [(variants[2], 1)])
        return {
            "invoice": invoice.id,
            "order": invoice.order_id,
            "lines": [line.id for line in invoice.lines],
            "other": other.id,
            "blue": blue.id,
            "contact": blue.contacts[0].id,
        }


def text(response) -> str:
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return re.sub(r" ([.,:])", r"\1", words)


def test_the_list_shows_number_customer_dates_and_total_and_filters_by_kind(
    app, staff_client, forms, invoiced
):
    page = text(staff_client.get("/admin/invoices"))
    assert "INV-000001 Blue Door Café" in page and "$149.94" in page and "INV-000002 Rival Roasters" in page
    forms.post(
        f"/admin/invoices/{invoiced['invoice']}/credit-notes", {"whole": "y", "reason": "Lost in transit"}
    )
    staff_client.get("/admin/invoices")  # shows (and so clears) the flash naming both
    credit_notes = text(staff_client.get("/admin/invoices?kind=credit_note"))
    assert "CN-000001" in credit_notes and "INV-000001" not in credit_notes
    assert "CN-000001" not in text(staff_client.get("/admin/invoices?kind=invoice"))
    assert staff_client.get("/admin/invoices?kind=receipt").status_code == 404
    assert staff_client.get("/admin/invoices?page=0").status_code == 404


def test_the_invoice_page_is_the_printed_invoice(app, staff_client, invoiced):
    response = staff_client.get(f"/admin/invoices/{invoiced['invoice']}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert "Invoice INV-000001" in page and "Hillside Coffee Roasters" in page and "1 Harbour St" in page
    assert "Terms Net 14" in page and "Due" in page
    assert "Coffee 00, 340 g bag C00-340 3 $14.50 $43.50 −$4.35 VAT 20 % $7.83" in page
    assert "Items $125.50 Discount −$12.55 Delivery $12.00 Tax $24.99 Total $149.94" in page
    html = response.get_data(as_text=True)
    assert '<article class="invoice card"' in html and f"/admin/invoices/{invoiced['invoice']}/pdf" in html
    assert "Email invoice" not in page  # INVOICE_EMAIL=on-issue: it went when issued
    assert f"/admin/orders/{invoiced['order']}" in html
    assert staff_client.get("/admin/invoices/999").status_code == 404


def test_the_order_page_is_the_order_and_links_its_invoice(app, staff_client, invoiced):
    page = staff_client.get(f"/admin/orders/{invoiced['order']}").get_data(as_text=True)
    assert "Order W" in page and "Invoice W" not in page
    assert f'href="/admin/invoices/{invoiced["invoice"]}">INV-000001</a>' in page
    assert "never rewritten" in page and "credit note" in page


def test_after_the_order_changes_the_invoice_stays_and_points_to_credit_notes(app, staff_client, invoiced):
    url = f"/admin/invoices/{invoiced['invoice']}"
    assert 'id="order-changed"' not in staff_client.get(url).get_data(as_text=True)
    with app.app_context():
        order = db.session.get(Invoice, invoiced["invoice"]).order
        order.lines[0].quantity = 5
        from wholesale.services.orders.pricing import apply_totals

        apply_totals(order)
        db.session.commit()
    page = staff_client.get(url).get_data(as_text=True)
    assert 'id="order-changed"' in page and "issue a credit note below" in page
    assert "$149.94" in page  # as issued


def test_staff_credit_some_bags_then_the_rest_and_too_much_is_refused(app, staff_client, forms, invoiced):
    url = f"/admin/invoices/{invoiced['invoice']}/credit-notes"
    response = forms.post(url, {"quantities-0": "1", "quantities-1": "0", "reason": "One bag split"})
    assert response.status_code == 303
    note = text(staff_client.get(response.headers["Location"]))
    assert "Credit note CN-000001" in note and "Credits Invoice INV-000001" in note
    assert "Total $15.66" in note and "Reason: One bag split" in note
    invoice_page = text(staff_client.get(f"/admin/invoices/{invoiced['invoice']}"))
    assert "CN-000001 of" in invoice_page and "2 of 3" in invoice_page
    refused = forms.post(url, {"quantities-0": "3", "reason": "Too many"})
    assert refused.status_code == 400 and "Only 2 of" in text(refused)
    refused = forms.post(url, {"quantities-0": "1", "reason": ""})
    assert refused.status_code == 400 and "Give the reason" in text(refused)
    refused = forms.post(url, {"quantities-0": "-1", "reason": "x"})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Invoice.id).where(Invoice.kind == "credit_note").offset(1)) is None
    assert forms.post(url, {"whole": "y", "reason": "The rest"}).status_code == 303
    page = staff_client.get(f"/admin/invoices/{invoiced['invoice']}").get_data(as_text=True)
    assert "Issue a credit note" not in page  # nothing left to credit


def test_a_credit_note_has_no_credit_form_and_cannot_be_credited(app, staff_client, forms, invoiced):
    response = forms.post(
        f"/admin/invoices/{invoiced['invoice']}/credit-notes", {"whole": "y", "reason": "All"}
    )
    note_url = response.headers["Location"]
    assert "Issue a credit note" not in staff_client.get(note_url).get_data(as_text=True)
    assert forms.post(f"{note_url}/credit-notes", {"whole": "y", "reason": "Again"}).status_code == 404


def test_the_email_button_sends_the_invoice_with_its_pdf_attached(app, staff_client, forms, invoiced):
    url = f"/admin/invoices/{invoiced['invoice']}"
    with app.app_context(), invoice_settings(INVOICE_EMAIL="button"):
        assert "Email invoice" in staff_client.get(url).get_data(as_text=True)
        with mail.record_messages() as outbox:
            response = forms.post(f"{url}/email", page=url)
            forms.post(f"{url}/email")  # again: a second copy, not refused as a duplicate
    assert response.status_code == 303
    assert len(outbox) == 2 and outbox[0].subject == "Invoice INV-000001 — Hillside Coffee Roasters"
    with app.app_context():  # Flask-Mail writes the message with the app's settings
        raw = message_from_bytes(outbox[0].as_bytes())
    [pdf] = [part for part in raw.walk() if part.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "INV-000001.pdf" and pdf.get_payload(decode=True).startswith(b"%PDF-")
    with app.app_context():
        emails = db.session.scalars(select(Email).where(Email.invoice_id == invoiced["invoice"])).all()
        assert [email.status for email in emails] == ["sent", "sent"]
        assert db.session.get(Invoice, invoiced["invoice"]).emailed_at is not None


def test_the_pdf_prints_what_the_page_says(app, staff_client, invoiced):
    response = staff_client.get(f"/admin/invoices/{invoiced['invoice']}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="INV-000001.pdf"'
    assert response.data.startswith(b"%PDF-")
    with app.app_context():
        data = invoice_pdf(db.session.get(Invoice, invoiced["invoice"]), compress=False)
    assert data.count(b"/Type /Page\n") == 1
    for words in (
        b"INV-000001",
        b"Blue Door Caf",
        b"Net 14",
        b"$149.94",
        b"$24.99",
        b"VAT 20 %",
        b"Hillside",
    ):
        assert words in data, words


def test_a_sixty_line_invoice_runs_over_pages_with_its_headings_repeated(app_ctx):
    variants = make_catalog(coffees=30)
    customer = make_customer(tax_exempt_certificate="NY-EX-1")
    invoice = issued_invoice(customer, [(variant, 2) for variant in variants], TAX_RATES="Sales tax 8.875%")
    data = invoice_pdf(invoice, compress=False)
    pages = data.count(b"/Type /Page\n")
    assert pages >= 2 and data.count(b"(Description)") >= 2  # the table's headings on each of its pages
    assert b"Tax exempt: certificate NY-EX-1" in data and b"C29-2268" in data


def test_the_layout_prints_text_outside_the_core_fonts_as_near_as_it_can(app_ctx):
    document = PdfDocument("Statement", currency="EUR", compress=False)
    document.letterhead("Statement", [("Customer", "Café Zoë – Ōsaka ☕")])
    document.paragraph("Balance −€12.00")
    data = document.to_bytes()
    assert data.startswith(b"%PDF-") and b"/MediaBox [0 0 595.28 841.89]" in data  # A4 for euros


def test_a_contact_downloads_their_own_invoice_and_another_customers_is_not_found(app, client, invoiced):
    assert client.get(f"/invoices/{invoiced['invoice']}/pdf").status_code == 302  # no session: start page
    with app.app_context():
        from wholesale.models import Contact

        sign_in_contact(client, db.session.get(Contact, invoiced["contact"]))
    own = client.get(f"/invoices/{invoiced['invoice']}/pdf")
    assert own.status_code == 200 and own.data.startswith(b"%PDF-")
    assert client.get(f"/invoices/{invoiced['other']}/pdf").status_code == 404
    assert client.get("/invoices/999/pdf").status_code == 404
    detail = client.get(f"/orders/{invoiced['order']}").get_data(as_text=True)
    assert f"/invoices/{invoiced['invoice']}/pdf" in detail and "Invoice INV-000001" in detail


def test_staff_set_a_customers_terms_and_exemption(app, staff_client, forms, invoiced):
    from .customer_helpers import customer_data

    url = f"/admin/customers/{invoiced['blue']}/edit"
    page = staff_client.get(url).get_data(as_text=True)
    assert "The roastery&#39;s (Net 14)" in page or "The roastery's (Net 14)" in page
    for terms, days, stored in (("30", "", 30), ("0", "", 0), ("days", "45", 45), ("default", "", None)):
        data = customer_data(payment_terms=terms, payment_terms_days=days, tax_exempt_certificate="TX-9")
        assert forms.post(url, data).status_code == 303, (terms, days)
        with app.app_context():
            customer = db.session.get(Customer, invoiced["blue"])
            assert (customer.payment_terms_days, customer.tax_exempt_certificate) == (stored, "TX-9")
    for bad in (
        {"payment_terms": "days", "payment_terms_days": ""},
        {"payment_terms": "days", "payment_terms_days": "400"},
        {"payment_terms": "Net 9"},
    ):
        response = forms.post(url, customer_data(**bad))
        assert response.status_code == 400, bad
    response = forms.post(url, customer_data(payment_terms="days", payment_terms_days="45"))
    assert response.status_code == 303
    assert 'value="45"' in staff_client.get(url).get_data(as_text=True)


def test_staff_choose_a_products_tax_rate_from_the_roasterys_rates(app, staff_client, forms, invoiced):
    with app.app_context():
        product = db.session.scalar(select(Product).order_by(Product.id))
        product_id, name = product.id, product.name
    url = f"/admin/products/{product_id}"
    data = {"name": name, "kind": "coffee", "roast_loss_percent": "15", "description": ""}
    with app.app_context(), invoice_settings(TAX_RATES="VAT 20%, Reduced 5%"):
        page = staff_client.get(url).get_data(as_text=True)
        assert "The default: VAT 20 %" in page and "Reduced 5 %" in page
        assert forms.post(url, {**data, "tax_rate_name": "Reduced"}).status_code == 303
        assert forms.post(url, {**data, "tax_rate_name": "Luxury"}).status_code == 400
    with app.app_context():
        assert db.session.get(Product, product_id).tax_rate_name == "Reduced"


def test_a_web_worker_loads_fpdf2_only_when_it_makes_a_pdf(tmp_path):
    """The app and its pages never import fpdf2 (nor Pillow and fontTools with it): only making a PDF does."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from wholesale import create_app\n"
        f"app = create_app({{'ENV_NAME': 'development', 'SECRET_KEY': 'x', 'REDIS_URL': None, "
        f"'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/db.sqlite3'}})\n"
        "app.test_client().get('/')\n"
        "print(sorted(name for name in ('fpdf', 'PIL', 'fontTools') if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_an_invoiced_order_cancelled_afterwards_asks_for_a_credit_note(app, staff_client, staff, invoiced):
    from wholesale.services.orders.approval import cancel_order
    from wholesale.services.orders.history import Actor

    with app.app_context():
        order = db.session.get(Invoice, invoiced["invoice"]).order
        cancel_order(order, Actor(staff_id=staff), "Closed for the holidays", order.version)
    page = staff_client.get(f"/admin/invoices/{invoiced['invoice']}").get_data(as_text=True)
    assert 'id="order-cancelled"' in page and 'id="order-changed"' not in page and "$149.94" in page


def test_the_order_editor_says_an_invoiced_order_keeps_its_invoice(app, staff_client, invoiced):
    page = staff_client.get(f"/admin/orders/{invoiced['order']}/edit").get_data(as_text=True)
    assert 'id="order-invoice"' in page and "never rewritten" in page and ">INV-000001</a>" in page
