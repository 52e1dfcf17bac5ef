"""Journey 2 and 6: staff open Pending, review an order as an invoice, approve it (one, or several at once),
cancel one with a reason, and enter an order taken by phone. Each story asserts what staff see and what the
database holds; every decision is in the order's history and emails the customer through the outbox.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Customer, Email, Order, OrderEvent, utcnow

from .conftest import csrf_from
from .factories import make_customer, make_order, sign_in_contact
from .order_fixtures import (  # noqa: F401  (fixtures)
    customer_client,
    details_data,
    order_state,
    place_through_portal,
    shop,
    staff_post,
    text,
    version_of,
)


def plain(html: str) -> str:
    """The page's words as a reader sees them: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def rows_of(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


# --- The Pending tab -------------------------------------------------------------------------------------


def test_pending_lists_portal_orders_oldest_first_with_a_review_button_and_a_count_in_the_nav(
    app, staff_client, shop
):
    with app.app_context():
        customer = db.session.get(Customer, shop.customer_id)
        variants = [line.variant for line in db.session.get(Order, shop.order_id).lines]
        older = make_order(
            make_customer("Rival Roasters"),
            [(variants[0], 2)],
            status="pending",
            placed_at=utcnow() - timedelta(hours=3),
        )
        approved = make_order(customer, [(variants[1], 1)], status="approved")
        db.session.commit()
        older_number, approved_number = older.number, approved.number

    html = text(staff_client.get("/admin/"))
    rows = rows_of(html)
    assert len(rows) == 2
    # Pending is a queue: the order waiting longest comes first.
    assert rows[0].startswith(f"{older_number} Rival Roasters")
    assert rows[1].startswith(f"W{shop.order_id:06d} Blue Door Café Contact 0 of Blue Door Café")
    assert "portal" in rows[1] and "$169.00" in rows[1] and rows[1].endswith("Review")
    assert html.count(">Review</a>") == 2
    assert f'href="/admin/orders/{shop.order_id}"' in html
    # The nav badge: two orders wait for review.
    assert re.search(
        r'>Orders <span class="badge-count">2<span class="visually-hidden"> pending</span>', html
    )

    # The tabs of work to do say how many orders are in them; the archive tabs do not count theirs.
    tabs = html.split('aria-label="Order status"')[1].split("</nav>")[0]
    assert re.findall(r">([A-Za-z ]+) <span class=\"muted\">\((\d+)\)</span>", tabs) == [
        ("Pending", "2"),
        ("Approved", "1"),
        ("In production", "0"),
    ]
    assert re.search(r">Fulfilled</a>", tabs) and re.search(r">Cancelled</a>", tabs)

    approved_tab = text(staff_client.get("/admin/?status=approved"))
    assert approved_number in approved_tab and ">Review<" not in approved_tab and ">Open<" in approved_tab
    assert 'name="order"' not in approved_tab  # no bulk approve outside Pending


def test_the_pending_count_costs_one_count_query(app, staff_client, shop):
    from sqlalchemy import event

    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        staff_client.get("/admin/customers")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    counts = [s for s in statements if re.search(r'count\(.*FROM "order"', s, re.S | re.I)]
    assert len(counts) == 1, counts


# --- Review: the invoice ---------------------------------------------------------------------------------


def test_review_shows_the_order_as_an_invoice_with_edit_left_and_approve_right(app, staff_client, shop):
    html = text(staff_client.get(f"/admin/orders/{shop.order_id}"))
    assert f"Order W{shop.order_id:06d}" in html and "Invoice W" not in html
    assert "Hillside Coffee Roasters" in html and "12 Mill Lane, Portland, OR 97201" in html
    assert "Blue Door Café" in html and "4 Harbour St" in html and "c0@bluedoorcaf.example" in html
    assert "Coffee 00, 340 g bag" in html and "$14.50" in html and "$58.00" in html
    assert "Coffee 02, 5 lb bag" in html and "$82.00" in html
    assert re.search(r'id="invoice-total">\$169\.00<', html)
    with app.app_context():
        order = db.session.get(Order, shop.order_id)
        delivery, roast = order.delivery_date, order.roast_date
    # Placed for the first date the van delivers on, roasted the day before (the option's calendar).
    assert (
        f"Delivery</dt><dd>{delivery:%a %d %b %Y}" in html
        and f"Roast date</dt><dd>{roast:%a %d %b %Y}" in html
    )
    assert roast == delivery - timedelta(days=1)
    assert "Back door, please" in html
    # Edit comes before Approve in the invoice's bottom row: left, then right.
    actions = html.split('class="invoice-actions', 1)[1]
    assert actions.index(">Edit<") < actions.index(">Approve<")
    assert "History" in html and "Placed" in html and "Contact 0 of Blue Door Café" in html


def test_a_draft_or_an_unknown_order_is_not_found(app, staff_client, shop):
    with app.app_context():
        draft_id = db.session.scalar(select(Order.id).where(Order.status == "draft"))
    for order_id in (draft_id, 999999, 2**31, 2**40):
        if order_id is None:
            continue
        assert staff_client.get(f"/admin/orders/{order_id}").status_code == 404
        assert staff_client.get(f"/admin/orders/{order_id}/edit").status_code == 404


# --- Approve ---------------------------------------------------------------------------------------------


def test_approve_records_who_and_when_emails_the_customer_and_locks_the_customers_edits(
    app, staff_client, staff_post, customer_client, shop
):
    version = version_of(app, shop.order_id)
    response = staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": version})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/?status=pending"
    page = text(staff_client.get(response.headers["Location"]))
    assert f"Approved order W{shop.order_id:06d}; Blue Door Café is emailed." in page
    assert "No pending orders." in page and "badge-count" not in page

    with app.app_context():
        order = db.session.get(Order, shop.order_id)
        assert order.status == "approved" and order.approved_by_staff_id == shop.staff_id
        assert order.approved_at is not None and order.version == version + 1
        assert (order.events[-1].action, order.events[-1].staff_user_id) == ("approved", shop.staff_id)
        assert order.events[-1].changes == {"status": ["pending", "approved"]}
        email = db.session.scalar(select(Email).where(Email.kind == "order_approved"))
        assert (email.to_address, email.status, email.order_id) == (
            "c0@bluedoorcaf.example",
            "sent",
            order.id,
        )
        assert f"Order W{order.id:06d} approved" in email.subject and "$169.00" in email.text_body

    invoice = text(staff_client.get(f"/admin/orders/{shop.order_id}"))
    assert "Approved" in invoice and "by Sam" in invoice and ">Approve<" not in invoice
    assert "Approved · Sam (staff)" in plain(invoice) and "status: pending → approved" in invoice

    detail = text(customer_client.get(f"/orders/{shop.order_id}"))
    assert (
        "approved" in detail
        and "can no longer be changed here" in detail
        and "Change this order" not in detail
    )


def test_approving_twice_or_a_cancelled_order_changes_nothing(app, staff_client, staff_post, shop):
    version = version_of(app, shop.order_id)
    staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": version})
    before = order_state(app, shop.order_id)
    response = staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": version + 1})
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/orders/{shop.order_id}"
    assert "is approved, not pending; nothing was changed" in text(
        staff_client.get(response.headers["Location"])
    )
    assert order_state(app, shop.order_id) == before


@pytest.mark.parametrize("version", ["", "abc", "-1", "1.5", "99999999999999999999", "0"])
def test_approve_with_a_missing_or_garbled_version_is_refused(app, staff_client, staff_post, shop, version):
    before = order_state(app, shop.order_id)
    response = staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": version})
    assert response.status_code == 303
    assert "was changed" in text(staff_client.get(response.headers["Location"]))
    assert order_state(app, shop.order_id) == before


def test_bulk_approve_from_the_pending_tab_approves_the_ticked_orders_and_explains_the_rest(
    app, staff_client, staff_post, customer_client, shop
):
    with app.app_context():
        variants = [line.variant for line in db.session.get(Order, shop.order_id).lines]
        rival = make_customer("Rival Roasters")
        second = make_order(rival, [(variants[0], 3)], status="pending")
        changed = make_order(make_customer("Corner Grocer"), [(variants[1], 1)], status="pending")
        untouched = make_order(make_customer("Office Co"), [(variants[1], 1)], status="pending")
        db.session.commit()
        ids = (second.id, changed.id, untouched.id)

    html = staff_client.get("/admin/").get_data(as_text=True)
    boxes = {order_id: value for value, order_id in re.findall(r'name="order" value="((\d+):\d+)"', html)}
    # Between listing and approving, the customer of `changed` edits it (a new version).
    with app.app_context():
        order = db.session.get(Order, ids[1])
        order.notes = "one more thing"
        db.session.commit()

    ticked = [boxes[str(shop.order_id)], boxes[str(ids[0])], boxes[str(ids[1])]]
    # "Approve selected" first asks, listing the ticked orders with their totals; nothing is approved yet.
    asked = staff_post.post("/admin/orders/approve", {"order": ticked})
    question = text(asked)
    assert asked.status_code == 200 and "Approve 3 orders?" in question
    for order_id in (shop.order_id, *ids[:2]):
        assert f"W{order_id:06d}" in question
    assert f"W{ids[2]:06d}" not in question and "Rival Roasters" in question and "$" in question
    assert re.findall(r'name="order" value="([^"]+)"', asked.get_data(as_text=True)) == ticked
    with app.app_context():
        assert db.session.get(Order, ids[0]).status == "pending"
    response = staff_post.post("/admin/orders/approve", {"order": ticked, "confirmed": "1"})
    assert response.status_code == 303
    page = text(staff_client.get("/admin/"))
    assert f"Approved 2 orders: W{shop.order_id:06d}, W{ids[0]:06d}." in page
    assert (
        f"Order W{ids[1]:06d} was not approved: it was changed since the list was shown; review it again."
        in page
    )

    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(Order.id, Order.status).where(Order.id.in_((shop.order_id, *ids)))
            ).all()
        )
        assert statuses == {
            shop.order_id: "approved",
            ids[0]: "approved",
            ids[1]: "pending",
            ids[2]: "pending",
        }
        kinds = db.session.scalars(
            select(Email.to_address).where(Email.kind == "order_approved").order_by(Email.id)
        ).all()
        assert kinds == ["c0@bluedoorcaf.example", "c0@rivalroasters.example"]


@pytest.mark.parametrize("ticked", [[], ["x"], ["1"], ["1:2:3"], ["99999999999:1"], ["1:1", "abc"]])
def test_bulk_approve_with_nothing_or_garbage_ticked_changes_nothing(
    app, staff_client, staff_post, shop, ticked
):
    before = order_state(app, shop.order_id)
    response = staff_post.post("/admin/orders/approve", {"order": ticked, "confirmed": "1"})
    assert response.status_code == 303
    page = text(staff_client.get("/admin/"))
    assert "Tick the orders to approve first." in page or "could not be read" in page
    assert order_state(app, shop.order_id) == before


# --- Cancel ----------------------------------------------------------------------------------------------


def test_cancel_with_a_reason_emails_the_customer(app, staff_client, staff_post, shop):
    version = version_of(app, shop.order_id)
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/cancel",
        {"version": version, "reason": "Closed for renovation this week"},
    )
    assert response.status_code == 303
    page = text(staff_client.get(response.headers["Location"]))
    assert "Cancelled order" in page and "Cancelled: Closed for renovation this week" in page
    assert ">Edit<" not in page and ">Approve<" not in page
    with app.app_context():
        order = db.session.get(Order, shop.order_id)
        assert (order.status, order.cancel_reason) == ("cancelled", "Closed for renovation this week")
        assert order.events[-1].changes == {
            "status": ["pending", "cancelled"],
            "reason": [None, "Closed for renovation this week"],
        }
        email = db.session.scalar(select(Email).where(Email.kind == "order_cancelled"))
        assert (
            email.to_address == "c0@bluedoorcaf.example"
            and "Closed for renovation this week" in email.text_body
        )


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Give the reason for cancelling"),
        ("   ", "Give the reason for cancelling"),
        ("x" * 501, "at most 500"),
    ],
)
def test_cancel_without_a_reason_is_refused_beside_the_field(
    app, staff_client, staff_post, shop, reason, message
):
    before = order_state(app, shop.order_id)
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/cancel", {"version": version_of(app, shop.order_id), "reason": reason}
    )
    assert response.status_code == 422 and message in text(response)
    assert order_state(app, shop.order_id) == before


# --- Staff orders ----------------------------------------------------------------------------------------


def test_staff_enter_an_order_by_phone_it_starts_approved_with_the_staff_channel(
    app, staff_client, staff_post, shop
):
    page = staff_client.get(f"/admin/orders/new?customer_id={shop.customer_id}").get_data(as_text=True)
    assert f'<option value="{shop.customer_id}" selected>Blue Door Café</option>' in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    data = {"customer_id": shop.customer_id, "start_from": "last", "idempotency_key": key}
    response = staff_post.post("/admin/orders/new", data)
    assert response.status_code == 303
    editor_url = response.headers["Location"]
    again = staff_post.post("/admin/orders/new", data)  # a double click makes one order
    assert again.headers["Location"] == editor_url

    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.channel == "staff"))
        assert editor_url == f"/admin/orders/{order.id}/edit"
        assert (order.status, order.entered_by_staff_id, order.approved_by_staff_id) == (
            "approved",
            shop.staff_id,
            shop.staff_id,
        )
        # It starts from the customer's last order (the one placed on the portal) at today's prices.
        assert [(line.variant.sku, line.quantity) for line in order.lines] == [
            ("C00-340", 4),
            ("C01-340", 2),
            ("C02-2268", 1),
        ]
        assert order.total == Decimal("169.00") and order.events[0].action == "entered by staff"
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.channel == "staff")) == 1
        # It never passes through the portal's draft (that one belongs to the customer's contacts).
        assert (
            db.session.scalar(
                select(func.count()).where(Order.customer_id == shop.customer_id, Order.status == "draft")
            )
            == 0
        )

    editor = text(staff_client.get(editor_url))
    assert "Entered order" in editor and "it is approved" in editor and "staff" in editor
    approved_tab = text(staff_client.get("/admin/?status=approved"))
    assert f"W{order.id:06d}" in approved_tab and "Staff" in approved_tab


@pytest.mark.parametrize(
    ("data", "message", "status"),
    [
        ({"customer_id": ""}, "Choose a customer.", 422),
        ({"customer_id": "abc"}, "Choose a customer from the list.", 422),
        ({"customer_id": "0"}, "Choose a customer from the list.", 422),
        ({"customer_id": "999999"}, "Choose a customer from the list.", 422),
        ({"customer_id": "99999999999999"}, "Choose a customer from the list.", 422),
        ({"start_from": "everything"}, "Not a valid choice", 422),
        ({"idempotency_key": ""}, "This page is out of date", 422),
        ({"idempotency_key": "short"}, "This page is out of date", 422),
    ],
)
def test_a_bad_staff_order_is_explained_and_nothing_is_made(
    app, staff_client, staff_post, shop, data, message, status
):
    form = {"customer_id": shop.customer_id, "start_from": "empty", "idempotency_key": "k" * 32} | data
    response = staff_post.post("/admin/orders/new", form)
    assert response.status_code == status and message in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.channel == "staff")) == 0


def test_an_inactive_customer_cannot_get_a_staff_order(app, staff_post, shop):
    with app.app_context():
        db.session.get(Customer, shop.customer_id).active = False
        db.session.commit()
    response = staff_post.post(
        "/admin/orders/new",
        {"customer_id": shop.customer_id, "start_from": "empty", "idempotency_key": "k" * 32},
    )
    assert response.status_code == 422 and "is inactive" in text(response)


# --- History ---------------------------------------------------------------------------------------------


def test_every_change_is_in_the_history_shown_on_the_order(
    app, staff_client, staff_post, customer_client, shop
):
    """The customer changes a quantity, staff change the discount and approve: who, when, what, from → to."""
    html = customer_client.get(f"/orders/{shop.order_id}/edit").get_data(as_text=True)
    url = re.findall(r'<form class="line" id="line-\d+" method="post"\s+action="([^"]+)"', html)[0]
    version = version_of(app, shop.order_id)
    response = customer_client.post(
        url, data={"csrf_token": csrf_from(html), "quantity": "6", "version": version}
    )
    assert response.status_code == 303
    staff_post.post(
        f"/admin/orders/{shop.order_id}/details", details_data(app, shop.order_id, discount_percent="10")
    )
    staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": version_of(app, shop.order_id)})

    page = text(staff_client.get(f"/admin/orders/{shop.order_id}"))
    history = page.split('id="history-heading"', 1)[1]
    entries = re.findall(r"<strong>(.*?)</strong> · (.*?) · ", history)
    assert entries == [
        ("Approved", "Sam (staff)"),
        ("Details changed", "Sam (staff)"),
        ("Line changed", "Contact 0 of Blue Door Café"),
        ("Placed", "Contact 0 of Blue Door Café"),
    ]
    assert "Coffee 00, 340 g bag: 4 → 6" in history and "discount %: 0.00 → 10.00" in history
    with app.app_context():
        events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == shop.order_id)).all()
        assert all(event.at is not None for event in events)


def test_another_customers_session_cannot_see_staff_pages(app, customer_client, shop):
    for path in (
        f"/admin/orders/{shop.order_id}",
        f"/admin/orders/{shop.order_id}/edit",
        "/admin/orders/new",
    ):
        response = customer_client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/sign-in")


def test_a_portal_order_by_another_contact_shows_that_contact(app, staff_client, shop):
    with app.app_context():
        customer = db.session.get(Customer, shop.customer_id)
        other = app.test_client()
        sign_in_contact(other, customer.contacts[1])
    order_id = place_through_portal(other, "/order?second=1", second_order=True)
    assert "Contact 1 of Blue Door Café" in text(staff_client.get(f"/admin/orders/{order_id}"))
