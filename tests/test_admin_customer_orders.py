"""Issue 19: a customer's page lists their latest orders and enters a new one for them (journey 6 from the
customer rather than from the orders overview). The button posts the staff order entry's own form, with
its CSRF token and idempotency key, so a double click makes one order."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Customer, Order, utcnow

from .conftest import csrf_from
from .factories import make_customer, make_order
from .order_fixtures import customer_client, shop, staff_post, text  # noqa: F401  (fixtures)


def orders_table(html: str) -> list[str]:
    table = html.split('class="table customer-orders"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


def test_the_customer_page_lists_their_latest_twenty_orders_newest_first(app, staff_client, shop):
    with app.app_context():
        blue = db.session.get(Customer, shop.customer_id)
        bag = db.session.get(Order, shop.order_id).lines[0].variant
        older = [
            make_order(blue, [(bag, 1)], status="fulfilled", placed_at=utcnow() - timedelta(days=30 + n))
            for n in range(25)
        ]
        newest = make_order(
            blue,
            [(bag, 3)],
            status="approved",
            placed_at=utcnow() + timedelta(minutes=1),
            delivery_date=date(2026, 12, 8),
        )
        make_order(blue, [(bag, 1)], status="draft")
        other = make_order(make_customer("Rival Roasters"), [(bag, 1)], status="approved")
        db.session.commit()
        newest_id, newest_number, other_number = newest.id, newest.number, other.number
        oldest_number = older[-1].number

    html = staff_client.get(f"/admin/customers/{shop.customer_id}").get_data(as_text=True)
    rows = orders_table(html)
    assert len(rows) == 20
    assert rows[0] == f"{newest_number} Approved Tue 8 Dec $43.50"
    assert rows[1].startswith(f"W{shop.order_id:06d} Pending")
    assert f'<a href="/admin/orders/{newest_id}">{newest_number}</a>' in html
    assert other_number not in html and oldest_number not in html  # another customer's; past the latest 20
    assert "Draft" not in " ".join(rows)
    # All of them: the orders search narrowed to this customer's name.
    assert 'href="/admin/?status=pending&amp;q=Blue+Door+Caf%C3%A9">All orders of Blue Door Café</a>' in html
    listed = text(staff_client.get("/admin/?status=pending&q=Blue+Door+Caf%C3%A9"))
    assert f"W{shop.order_id:06d}" in listed


def test_a_customer_without_orders_says_so(app, staff_client):
    with app.app_context():
        customer_id = make_customer("Quiet Corner").id
        db.session.commit()
    assert "No orders yet." in staff_client.get(f"/admin/customers/{customer_id}").get_data(as_text=True)


def test_new_order_for_this_customer_posts_the_staff_order_entry_and_a_double_click_makes_one(
    app, staff_client, shop
):
    html = staff_client.get(f"/admin/customers/{shop.customer_id}").get_data(as_text=True)
    form = html.split('action="/admin/orders/new"', 1)[1].split("</form>", 1)[0]
    assert "New order for this customer</button>" in form
    assert f'name="customer_id" value="{shop.customer_id}"' in form
    assert re.search(
        r'<input checked[^>]*value="last"', form
    )  # starts from their last order unless told otherwise
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    data = {
        "csrf_token": csrf_from(form),
        "customer_id": shop.customer_id,
        "start_from": "empty",
        "idempotency_key": key,
    }
    response = staff_client.post("/admin/orders/new", data=data)
    assert response.status_code == 303
    again = staff_client.post("/admin/orders/new", data=data)
    assert again.headers["Location"] == response.headers["Location"]
    with app.app_context():
        entered = db.session.scalars(select(Order).where(Order.channel == "staff")).all()
        assert len(entered) == 1
        assert (entered[0].customer_id, entered[0].status, entered[0].lines) == (
            shop.customer_id,
            "approved",
            [],
        )
        assert response.headers["Location"] == f"/admin/orders/{entered[0].id}/edit"
    # Each visit of the page carries a fresh key: the next click is the next order.
    assert key not in staff_client.get(f"/admin/customers/{shop.customer_id}").get_data(as_text=True)


def test_the_new_order_button_needs_the_csrf_token(app, staff_client, shop):
    html = staff_client.get(f"/admin/customers/{shop.customer_id}").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    response = staff_client.post(
        "/admin/orders/new",
        data={"customer_id": shop.customer_id, "start_from": "empty", "idempotency_key": key},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.channel == "staff")) == 0


def test_an_inactive_customer_has_no_new_order_button(app, staff_client, shop):
    with app.app_context():
        db.session.get(Customer, shop.customer_id).active = False
        db.session.commit()
    html = staff_client.get(f"/admin/customers/{shop.customer_id}").get_data(as_text=True)
    assert "New order for this customer" not in html
    assert f"W{shop.order_id:06d}" in html  # their orders are still listed
