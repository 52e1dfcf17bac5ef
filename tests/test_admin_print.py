"""Issue 19: staff print an invoice or an order from its page. window.print needs JavaScript, so the Print
button is in the markup hidden and app.js shows it and prints on a click (no inline script, for the strict
CSP); without JavaScript the hint beside it says how to print."""

from __future__ import annotations

import re
from pathlib import Path

import wholesale
from wholesale.extensions import db

from .factories import make_catalog, make_customer
from .invoice_data import issued_invoice

BUTTON = '<button class="button secondary" type="button" data-print hidden>Print</button>'
HINT = '<span class="muted">or press Ctrl/⌘+P</span>'


def issued(app) -> tuple[int, int]:
    with app.app_context():
        variants = make_catalog(coffees=1)
        invoice = issued_invoice(make_customer("Blue Door Café"), [(variants[0], 2)])
        db.session.commit()
        return invoice.id, invoice.order_id


def test_the_invoice_and_the_order_pages_offer_print_with_a_hint_for_no_javascript(app, staff_client):
    invoice_id, order_id = issued(app)
    for path in (f"/admin/invoices/{invoice_id}", f"/admin/orders/{order_id}"):
        html = staff_client.get(path).get_data(as_text=True)
        assert html.count(BUTTON) == 1, path
        assert HINT in html, path
        # Off the paper, and no script in the page: app.js does the work.
        assert 'class="print-action no-print"' in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "onclick" not in html


def test_app_js_shows_the_print_buttons_and_prints_on_a_click():
    script = (Path(wholesale.__file__).parent / "static" / "app.js").read_text()
    assert 'querySelectorAll("[data-print]")' in script and "button.hidden = false" in script
    assert 'closest("[data-print]")' in script and "window.print()" in script
