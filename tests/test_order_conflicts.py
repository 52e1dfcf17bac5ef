"""The customer and the roastery never overwrite each other (optimistic locking on the order's version).

Each page shows an order at a version and sends it back with every edit. An edit against an older version
is refused with a clear message, nothing is saved, and the order is shown as it is now: staff's edits when
the customer changed it first, and the customer's when staff did. When both press at the same moment, one
wins and the other gets the message: nothing is lost silently.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal

import pytest

from .conftest import csrf_from
from .factories import sign_in_contact
from .order_fixtures import (  # noqa: F401  (fixtures)
    HX,
    customer_client,
    details_data,
    order_state,
    shop,
    staff_post,
    text,
    version_of,
)


def customer_page(client, shop) -> tuple[str, str, int]:
    """The customer's edit page of the pending order: its HTML, CSRF token and the version it shows."""
    html = client.get(f"/orders/{shop.order_id}/edit").get_data(as_text=True)
    version = int(re.search(r'id="order-version" name="version" value="(\d+)"', html).group(1))
    return html, csrf_from(html), version


def quantity_shown(page: str, line_id: int) -> str:
    return re.search(rf'id="line-{line_id}".*?name="quantity"[^>]*value="(\d+)"', page, re.S).group(1)


def customer_line_url(shop, index: int = 0) -> str:
    return f"/orders/{shop.order_id}/lines/{shop.line_ids[index]}"


def customer_changes_quantity(client, shop, quantity: int) -> None:
    _, token, version = customer_page(client, shop)
    response = client.post(
        customer_line_url(shop),
        data={"csrf_token": token, "quantity": quantity, "version": version},
        headers=HX,
    )
    assert response.status_code == 200


# --- Staff against an older version ----------------------------------------------------------------------

STAFF_EDITS = {
    "quantity": lambda s: (f"/admin/orders/{s.order_id}/lines/{s.line_ids[1]}", {"quantity": "8"}),
    "remove": lambda s: (
        f"/admin/orders/{s.order_id}/lines/{s.line_ids[1]}",
        {"quantity": "2", "remove_line": "1"},
    ),
    "add": lambda s: (f"/admin/orders/{s.order_id}/lines", {"variant_id": str(s.variant_ids[4])}),
    "price": lambda s: (
        f"/admin/orders/{s.order_id}/lines/{s.line_ids[1]}/price",
        {"unit_price": "1.00", "price_override_reason": "x"},
    ),
    "details": lambda s: (
        f"/admin/orders/{s.order_id}/details",
        {
            "discount_percent": "50",
            "shipping_option_id": str(s.van_id),
            "discount_amount": "0",
            "shipping_fee": "0",
            "notes": "",
        },
    ),
}


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("edit", STAFF_EDITS)
def test_a_staff_edit_made_before_the_customers_change_is_refused_and_the_current_order_shown(
    app, staff_client, staff_post, customer_client, shop, edit, htmx
):
    seen = version_of(app, shop.order_id)  # staff open the editor …
    assert f'value="{seen}"' in staff_client.get(f"/admin/orders/{shop.order_id}/edit").get_data(as_text=True)
    customer_changes_quantity(customer_client, shop, 9)  # … the customer changes the order meanwhile …
    after_customer = order_state(app, shop.order_id)

    url, data = STAFF_EDITS[edit](shop)
    response = staff_post.post(url, {**data, "version": seen}, htmx=htmx)  # … then staff save theirs.

    editor_url = f"/admin/orders/{shop.order_id}/edit"
    if htmx:
        assert response.status_code == 409 and response.headers["HX-Redirect"] == editor_url
    else:
        assert response.status_code == 303 and response.headers["Location"] == editor_url
    assert order_state(app, shop.order_id) == after_customer
    page = text(staff_client.get(editor_url))
    assert f"Order W{shop.order_id:06d} was changed by Contact 0 of Blue Door Café at" in page
    assert "so your change was not saved. This is the order as it is now" in page
    assert quantity_shown(page, shop.line_ids[0]) == "9"  # the customer's change, not lost
    assert f'id="order-version" name="version" value="{after_customer["version"]}"' in page


def test_staff_cannot_approve_what_they_did_not_review(app, staff_client, staff_post, customer_client, shop):
    seen = version_of(app, shop.order_id)
    customer_changes_quantity(customer_client, shop, 12)
    before = order_state(app, shop.order_id)
    response = staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": seen})
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/orders/{shop.order_id}"
    page = text(staff_client.get(response.headers["Location"]))
    assert "was changed by Contact 0 of Blue Door Café" in page and "so it was not approved" in page
    assert "review it again before approving" in page
    assert "$285.00" in page  # 12 × 14.50 + 29.00 + 82.00: the invoice as it is now
    assert order_state(app, shop.order_id) == before and before["status"] == "pending"


def test_staff_cannot_cancel_against_an_older_version(app, staff_client, staff_post, customer_client, shop):
    seen = version_of(app, shop.order_id)
    customer_changes_quantity(customer_client, shop, 3)
    before = order_state(app, shop.order_id)
    response = staff_post.post(
        f"/admin/orders/{shop.order_id}/cancel", {"version": seen, "reason": "Out of stock"}
    )
    assert response.status_code == 303 and order_state(app, shop.order_id) == before
    assert "so it was not cancelled" in text(staff_client.get(response.headers["Location"]))


# --- The customer against an older version ---------------------------------------------------------------

CUSTOMER_EDITS = {
    "quantity": lambda s: (customer_line_url(s, 1), {"quantity": "8"}),
    "step": lambda s: (customer_line_url(s, 1), {"quantity": "2", "step": "1"}),
    "remove": lambda s: (customer_line_url(s, 1), {"quantity": "2", "remove_line": "1"}),
    "add": lambda s: (f"/orders/{s.order_id}/lines", {"variant_id": str(s.variant_ids[4])}),
    "details": lambda s: (
        f"/orders/{s.order_id}/details",
        {"shipping_option_id": str(s.courier_id), "notes": "mine"},
    ),
}


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("edit", CUSTOMER_EDITS)
def test_a_customer_edit_made_before_the_roasterys_change_is_refused_and_the_current_order_shown(
    app, staff_post, customer_client, shop, edit, htmx
):
    html, token, seen = customer_page(customer_client, shop)  # the customer opens the order …
    response = staff_post.post(  # … the roastery gives 10 % off meanwhile …
        f"/admin/orders/{shop.order_id}/details", details_data(app, shop.order_id, discount_percent="10")
    )
    assert response.status_code == 303
    after_staff = order_state(app, shop.order_id)

    url, data = CUSTOMER_EDITS[edit](shop)
    response = customer_client.post(
        url, data={"csrf_token": token, **data, "version": seen}, headers=HX if htmx else {}
    )

    edit_url = f"/orders/{shop.order_id}/edit"
    if htmx:
        assert response.status_code == 409 and response.headers["HX-Redirect"] == edit_url
    else:
        assert response.status_code == 303 and response.headers["Location"] == edit_url
    assert order_state(app, shop.order_id) == after_staff
    page = text(customer_client.get(edit_url))
    assert f"Order W{shop.order_id:06d} was changed by the roastery at" in page
    assert "your change was not saved" in page
    assert "−$16.90" in page  # the roastery's discount, as it is now
    assert f'id="order-version" name="version" value="{after_staff["version"]}"' in page


def test_the_customers_successive_edits_carry_the_new_version_and_all_count(app, customer_client, shop):
    html, token, version = customer_page(customer_client, shop)
    for quantity in (5, 6, 7):
        response = customer_client.post(
            customer_line_url(shop),
            data={"csrf_token": token, "quantity": quantity, "version": version},
            headers=HX,
        )
        assert response.status_code == 200
        version = int(
            re.search(
                r'id="order-version" name="version" value="(\d+)" hx-swap-oob="true"',
                response.get_data(as_text=True),
            ).group(1)
        )
    state = order_state(app, shop.order_id)
    assert state["lines"][0][1] == 7 and state["version"] == version


def test_without_javascript_each_form_carries_its_own_version(app, customer_client, shop):
    html, token, version = customer_page(customer_client, shop)
    assert html.count(f'<noscript><input type="hidden" name="version" value="{version}"></noscript>') == 3
    assert 'hx-include="#order-version"' in html


def test_a_customer_edit_after_approval_is_refused_and_shows_the_approved_order(
    app, staff_post, customer_client, shop
):
    html, token, seen = customer_page(customer_client, shop)
    staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": version_of(app, shop.order_id)})
    before = order_state(app, shop.order_id)
    response = customer_client.post(
        customer_line_url(shop), data={"csrf_token": token, "quantity": "9", "version": seen}, headers=HX
    )
    assert response.status_code == 409 and response.headers["HX-Redirect"] == f"/orders/{shop.order_id}"
    page = text(customer_client.get(f"/orders/{shop.order_id}"))
    assert "is approved and can no longer be changed here" in page
    assert order_state(app, shop.order_id) == before


def test_the_customers_draft_is_not_version_checked(app, customer_client, shop):
    """The draft is the customer's alone; its forms carry no version and nothing refuses them."""
    html = customer_client.get("/order").get_data(as_text=True)
    assert 'name="version"' not in html and "order-version" not in html


# --- Both at the same moment -----------------------------------------------------------------------------


def test_staff_and_customer_saving_at_the_same_moment_one_wins_the_other_is_told(
    app, staff_client, staff_post, customer_client, shop
):
    """Both saw version N and press at once. The edits take turns on the order's row (PostgreSQL locks it; SQLite
    writes one at a time and the version column catches the second): the first wins, the second is told."""
    _, token, seen = customer_page(customer_client, shop)
    staff_token = staff_post.token
    start = threading.Barrier(2, timeout=20)
    responses = {}

    def staff_saves():
        start.wait()
        responses["staff"] = staff_client.post(
            f"/admin/orders/{shop.order_id}/lines/{shop.line_ids[0]}",
            data={"quantity": "7", "version": seen},
            headers={**HX, "X-CSRFToken": staff_token},
        )

    def customer_saves():
        start.wait()
        responses["customer"] = customer_client.post(
            customer_line_url(shop), data={"csrf_token": token, "quantity": "9", "version": seen}, headers=HX
        )

    threads = [threading.Thread(target=staff_saves), threading.Thread(target=customer_saves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    codes = sorted(response.status_code for response in responses.values())
    assert codes == [200, 409], {who: r.get_data(as_text=True)[:300] for who, r in responses.items()}
    winner = next(who for who, r in responses.items() if r.status_code == 200)
    loser = "customer" if winner == "staff" else "staff"
    state = order_state(app, shop.order_id)
    assert state["lines"][0][1] == {"staff": 7, "customer": 9}[winner]
    assert state["version"] == seen + 1 and state["events"] == 2  # placed + the winner's change, nothing else
    assert state["total"] == {
        "staff": Decimal("7") * Decimal("14.50"),
        "customer": Decimal("9") * Decimal("14.50"),
    }[winner] + Decimal("111.00")

    # The loser is sent to the order as it is now, with the message.
    target = responses[loser].headers["HX-Redirect"]
    client = staff_client if loser == "staff" else customer_client
    page = text(client.get(target))
    assert "so your change was not saved" in page
    assert quantity_shown(page, shop.line_ids[0]) == str(state["lines"][0][1])


def test_two_quick_taps_on_different_lines_of_the_draft_both_count(app, customer_client, shop):
    """A customer taps + on one line and − on another before the first answer is back: two edits of one order
    at once. They take turns on the order's row, so neither is refused and the total counts both.
    (PostgreSQL's row lock; SQLite, the development default, writes one request at a time.)"""
    from sqlalchemy import text as sql

    from wholesale.extensions import db
    from wholesale.models import Contact

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are PostgreSQL's")
    html = customer_client.get("/order?second=1").get_data(as_text=True)  # a second order's draft
    token = csrf_from(html)
    urls = re.findall(r'<form class="line" id="line-\d+" method="post"\s+action="([^"]+)"', html)
    draft_id = int(re.search(r"/orders/(\d+)/lines/", urls[0]).group(1))
    second = app.test_client()
    with app.app_context():
        sign_in_contact(second, db.session.get(Contact, shop.contact_ids[0]))
    tokens = {customer_client: token, second: csrf_from(second.get("/order?second=1").get_data(as_text=True))}
    responses = {}

    def tap(client, url, quantity):
        responses[url] = client.post(
            url, data={"csrf_token": tokens[client], "quantity": quantity}, headers=HX
        )

    with app.app_context(), db.engine.connect() as holder:  # another request is still writing the order
        holder.execute(sql('SELECT id FROM "order" WHERE id = :id FOR UPDATE'), {"id": draft_id})
        threads = [
            threading.Thread(target=tap, args=(customer_client, urls[0], 5)),
            threading.Thread(target=tap, args=(second, urls[1], 1)),
        ]
        for thread in threads:
            thread.start()
        threading.Event().wait(0.5)  # both are waiting for the row now
        holder.rollback()
    for thread in threads:
        thread.join(30)

    assert [r.status_code for r in responses.values()] == [200, 200], [
        r.get_data(as_text=True)[:300] for r in responses.values()
    ]
    state = order_state(app, draft_id)
    assert [line[1] for line in state["lines"]] == [5, 1, 1]
    assert state["total"] == Decimal("5") * Decimal("14.50") + Decimal("14.50") + Decimal("82.00")


def test_an_edit_that_loses_a_race_on_a_unique_constraint_is_told_not_a_500(
    app, customer_client, shop, monkeypatch
):
    """SQLite takes no row lock: two adds of the same size at once can both insert the line, and the second
    fails on the (order, size) constraint. It is answered as an order changed meanwhile; nothing is saved."""
    from sqlalchemy.exc import IntegrityError

    from wholesale.services.orders import editing

    html, token, seen = customer_page(customer_client, shop)
    before = order_state(app, shop.order_id)

    def lost_the_race():
        raise IntegrityError("INSERT INTO order_line", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(editing, "commit_keeping_loaded", lost_the_race)
    response = customer_client.post(
        f"/orders/{shop.order_id}/lines",
        data={"csrf_token": token, "variant_id": shop.variant_ids[4], "version": seen},
        headers=HX,
    )
    assert response.status_code == 409 and response.headers["HX-Redirect"] == f"/orders/{shop.order_id}/edit"
    assert order_state(app, shop.order_id) == before
