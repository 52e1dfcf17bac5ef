"""Whatever a customer or staff member typed is text on every staff page: notes, reasons and names with HTML
or script in them are shown escaped, never run (no stored XSS). The staff routes come from the URL map, so a
new staff page is checked without editing this file.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Customer, Email, Order, OrderLine

from .order_fixtures import (  # noqa: F401  (fixtures)
    customer_client,
    details_data,
    shop,
    staff_post,
    version_of,
)
from .routes import fill, routes

PAYLOAD = '</textarea><script>alert("owned")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;/textarea&gt;&lt;script&gt;alert("
GET_ROUTES = [(rule, arguments) for method, rule, arguments in routes("admin.") if method == "GET"]


@pytest.fixture
def hostile(app, shop, staff_post):
    """An order whose notes, price reason, customer and contact names all carry markup."""
    staff_post.post(f"/admin/orders/{shop.order_id}/details", details_data(app, shop.order_id, notes=PAYLOAD))
    staff_post.post(
        f"/admin/orders/{shop.order_id}/lines/{shop.line_ids[0]}/price",
        {
            "unit_price": "1.00",
            "price_override_reason": PAYLOAD[:200],
            "version": version_of(app, shop.order_id),
        },
    )
    with app.app_context():
        customer = db.session.get(Customer, shop.customer_id)
        customer.business_name = "Blue " + PAYLOAD[:150]
        db.session.get(Contact, shop.contact_ids[0]).name = "Ana " + PAYLOAD[:110]
        db.session.commit()
        return {
            "order_id": shop.order_id,
            "line_id": shop.line_ids[0],
            "customer_id": shop.customer_id,
            "contact_id": shop.contact_ids[0],
            "email_id": db.session.scalar(select(Email.id).order_by(Email.id.desc()).limit(1)),
        }


def test_the_invoice_the_editor_and_the_pending_tab_show_markup_as_text(app, staff_client, hostile):
    for path in (
        "/admin/",
        f"/admin/orders/{hostile['order_id']}",
        f"/admin/orders/{hostile['order_id']}/edit",
    ):
        html = staff_client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert ESCAPED in html, path


@pytest.mark.parametrize(("rule", "arguments"), GET_ROUTES, ids=[rule for rule, _ in GET_ROUTES])
def test_no_staff_page_runs_what_was_typed(app, staff_client, hostile, rule, arguments):
    path = fill(rule, **{name: hostile.get(name, 1) for name in arguments})
    response = staff_client.get(path)
    assert response.status_code < 500, (path, response.status_code)
    # A download (CSV, PDF, zip) holds the data as typed and is never rendered as a page (CSV cells are
    # formula-safe: test_exports, test_week_board); a PDF is shown by the browser's viewer, never as HTML.
    if response.mimetype in ("text/csv", "application/pdf", "application/zip"):
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith(("attachment;", "inline;")), path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        return
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html, path


def test_the_history_shows_the_old_and_new_notes_as_text(app, staff_client, hostile):
    html = staff_client.get(f"/admin/orders/{hostile['order_id']}").get_data(as_text=True)
    history = html.split('id="history-heading"', 1)[1]
    assert "notes: Back door, please → &lt;/textarea&gt;&lt;script&gt;" in history
    with app.app_context():
        line = db.session.get(OrderLine, hostile["line_id"])
        assert (
            line.price_override_reason == PAYLOAD[:200]
            and db.session.get(Order, hostile["order_id"]).notes == PAYLOAD
        )
