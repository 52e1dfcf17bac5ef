"""A customer reaches only their own data: every portal route with another customer's ids is a 404.

The routes come from the app's URL map, so a new portal route is covered (or fails loudly) without editing
this file.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Email, Order, OrderLine
from wholesale.services.invoicing.credit_notes import issue_credit_note

from .conftest import csrf_from
from .factories import make_catalog, make_customer, make_order, make_shipping, sign_in_contact
from .invoice_data import issued_invoice
from .routes import fill, fill_some, routes

PORTAL_ROUTES = routes("portal.")
ORDER_ROUTES = [r for r in PORTAL_ROUTES if "order_id" in r[2]]
INVOICE_ROUTES = [r for r in PORTAL_ROUTES if "invoice_id" in r[2]]
PUBLIC = {
    "/",
    "/link/<token>",
    "/link/request",
    "/link/requested",
    "/sign-out",  # anyone may ask to end their customer session
    "/link/<token>/reminders",  # a contact's own reminder, from the link in it: its token is the key
    "/link/<token>/reminders/start",
    "/static/<path:filename>",
    "/link/<token>/no-order/<id:reminder_id>",  # "no order this week" from a reminder: its token is the key
    "/link/<token>/skip/<id:delivery_id>",  # "skip this delivery" from a standing order's preview: likewise
}


@pytest.fixture
def two_customers(app, client):
    """We are Blue Door; Rival has a placed order, a draft, and lines on both."""
    with app.app_context():
        variants = make_catalog(coffees=2)
        make_shipping()
        blue = make_customer("Blue Door Café")
        make_order(blue, [(variants[0], 1)])
        rival = make_customer("Rival Roasters")
        placed = make_order(rival, [(variants[1], 5)], status="pending")
        draft = make_order(rival, [(variants[2], 1)], status="draft")
        approved = make_order(rival, [(variants[3], 2)], status="approved")
        db.session.commit()
        sign_in_contact(client, blue.contacts[0])
        return SimpleNamespace(
            targets={
                "pending order": (placed.id, placed.lines[0].id),
                "draft": (draft.id, draft.lines[0].id),
                "approved order": (approved.id, approved.lines[0].id),
            }
        )


def snapshot():
    return (
        db.session.execute(
            select(Order.id, Order.status, Order.version, Order.total).order_by(Order.id)
        ).all(),
        db.session.execute(select(OrderLine.id, OrderLine.quantity).order_by(OrderLine.id)).all(),
        db.session.scalar(select(func.count()).select_from(Email)),
    )


def test_the_route_list_is_complete():
    assert len(ORDER_ROUTES) >= 8, ORDER_ROUTES


@pytest.mark.parametrize("target", ["pending order", "draft", "approved order"])
@pytest.mark.parametrize(
    ("method", "rule", "arguments"), ORDER_ROUTES, ids=[f"{m} {r}" for m, r, _ in ORDER_ROUTES]
)
def test_another_customers_ids_are_404_on_every_route(
    app, client, two_customers, target, method, rule, arguments
):
    order_id, line_id = two_customers.targets[target]
    token = csrf_from(client.get("/order").get_data(as_text=True))
    with app.app_context():
        before = snapshot()
    path = fill(rule, order_id=order_id, line_id=line_id)
    data = {
        "csrf_token": token,
        "quantity": "3",
        "variant_id": "1",
        "idempotency_key": "k" * 32,
        "notes": "x",
    }
    for headers in ({}, {"HX-Request": "true"}):
        response = client.open(path, method=method, data=data if method == "POST" else None, headers=headers)
        assert response.status_code == 404, (path, headers, response.status_code)
    with app.app_context():
        assert snapshot() == before


@pytest.fixture
def two_invoiced(app, client):
    """We are Blue Door, with an invoice; Rival has an invoice and a credit note."""
    with app.app_context():
        variants = make_catalog(coffees=1)
        blue = make_customer("Blue Door Café")
        rival = make_customer("Rival Roasters")
        own = issued_invoice(blue, [(variants[0], 1)])
        theirs = issued_invoice(rival, [(variants[1], 2)])
        note = issue_credit_note(theirs.id, None, "Refused", None)
        sign_in_contact(client, blue.contacts[0])
        return {"own": own.id, "invoice": theirs.id, "credit note": note.id}


def test_the_invoice_route_list_is_complete():
    assert INVOICE_ROUTES, "the customer's invoice PDF has a route"


@pytest.mark.parametrize("target", ["invoice", "credit note"])
@pytest.mark.parametrize(
    ("method", "rule", "arguments"), INVOICE_ROUTES, ids=[f"{m} {r}" for m, r, _ in INVOICE_ROUTES]
)
def test_another_customers_invoices_are_404_on_every_route(
    app, client, two_invoiced, target, method, rule, arguments
):
    token = csrf_from(client.get("/order").get_data(as_text=True))
    with app.app_context():
        before = snapshot()
    own = client.open(fill(rule, invoice_id=two_invoiced["own"]), method=method, data={"csrf_token": token})
    assert own.status_code in (200, 303), (rule, own.status_code)
    path = fill(rule, invoice_id=two_invoiced[target])
    for headers in ({}, {"HX-Request": "true"}):
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(path, method=method, data=data, headers=headers)
        assert response.status_code == 404, (path, headers, response.status_code)
        assert b"%PDF" not in response.data
    with app.app_context():
        assert snapshot() == before


def test_portal_pages_send_visitors_without_a_session_to_the_start_page(client):
    for method, rule, _arguments in PORTAL_ROUTES:
        if rule in PUBLIC:
            continue
        path = fill_some(rule, {"order_id": 1, "line_id": 1, "invoice_id": 1})
        response = client.open(path, method=method)
        expected = (302,) if method == "GET" else (302, 400)  # a POST without a session has no CSRF token
        assert response.status_code in expected, (method, path, response.status_code)


def test_a_customer_session_cannot_reach_staff_pages(client, two_customers):
    for method, rule, arguments in routes("admin."):
        path = fill(rule, **{name: 1 for name in arguments})
        response = client.open(path, method=method)
        assert response.status_code in (302, 400), (method, path)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/admin/sign-in")


POSTS = [(rule, arguments) for method, rule, arguments in routes("") if method == "POST"]


@pytest.mark.parametrize(("rule", "arguments"), POSTS, ids=[rule for rule, _ in POSTS])
def test_every_post_without_a_csrf_token_is_refused(
    app, client, staff_client, two_customers, rule, arguments
):
    with app.app_context():
        before = snapshot()
    path = fill(rule, **{name: 1 for name in arguments})
    for headers in ({}, {"HX-Request": "true"}, {"X-CSRFToken": "forged"}):
        response = client.post(path, data={"quantity": "2", "email": "a@b.example"}, headers=headers)
        assert response.status_code == 400, (path, headers, response.status_code)
    with app.app_context():
        assert snapshot() == before


def test_htmx_posts_carry_the_token_in_the_header_and_are_accepted(app, client, two_customers):
    html = client.get("/order").get_data(as_text=True)
    assert '"X-CSRFToken": "' in html  # hx-headers on <body>
    token = csrf_from(html)
    with app.app_context():
        draft = db.session.scalar(
            select(Order).where(Order.status == "draft", Order.customer.has(business_name="Blue Door Café"))
        )
        line_id = draft.lines[0].id
    response = client.post(
        f"/orders/{draft.id}/lines/{line_id}",
        data={"quantity": "4"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200 and 'value="4"' in response.get_data(as_text=True)
