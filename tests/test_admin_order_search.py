"""Issue 19: staff find an order on the orders overview by customer, order number and the days it was placed,
and sort a tab; Pending reads as a queue, oldest first. The search is a GET form that keeps the open tab and
its pages, explains input it cannot read beside the field, and costs the list no extra statements."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from wholesale.extensions import db

from .factories import make_catalog, make_customer, make_order
from .statements import recorded_statements


def at(day: str) -> datetime:
    # 20:00 UTC is midday in the roastery (Los Angeles), so the order lands on that calendar day there.
    return datetime.fromisoformat(f"{day}T20:00:00").replace(tzinfo=UTC)


@pytest.fixture
def book(app):
    """Four pending orders placed on different March days, and one approved."""
    with app.app_context():
        bag, big = make_catalog(coffees=1)
        blue, rival, annex, beans = (
            make_customer(name)
            for name in ("Blue Door Café", "Rival Roasters", "Blue Door Annex", "100% Beans")
        )
        made = {
            "blue": make_order(blue, [(bag, 1)], status="pending", placed_at=at("2026-03-02")),
            "rival": make_order(rival, [(bag, 5)], status="pending", placed_at=at("2026-03-10")),
            "beans": make_order(beans, [(big, 1)], status="pending", placed_at=at("2026-03-15")),
            "annex": make_order(annex, [(big, 2)], status="pending", placed_at=at("2026-03-20")),
            "approved": make_order(rival, [(bag, 1)], status="approved", placed_at=at("2026-03-11")),
        }
        db.session.commit()
        return SimpleNamespace(**{key: order.number for key, order in made.items()})


def listed(html: str) -> list[str]:
    """The order numbers in the table, top to bottom."""
    if "<tbody>" not in html:
        return []
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<td>(W\d{6})</td>", body)


def page(staff_client, query: str = "") -> tuple[int, str]:
    response = staff_client.get(f"/admin/{query}")
    return response.status_code, response.get_data(as_text=True)


def test_pending_is_a_queue_oldest_first_and_other_sorts_are_offered(staff_client, book):
    status, html = page(staff_client)
    assert status == 200
    assert listed(html) == [book.blue, book.rival, book.beans, book.annex]
    assert "Pending orders, oldest first" in html
    assert listed(page(staff_client, "?sort=newest")[1]) == [book.annex, book.beans, book.rival, book.blue]
    assert listed(page(staff_client, "?sort=customer")[1]) == [book.beans, book.annex, book.blue, book.rival]
    # Largest total first: 2 × 82.00, 1 × 82.00, 5 × 14.50, 1 × 14.50.
    assert listed(page(staff_client, "?sort=total")[1]) == [book.annex, book.beans, book.rival, book.blue]
    # The archive tabs keep newest first.
    assert "Approved orders, newest first" in page(staff_client, "?status=approved")[1]


def test_search_by_customer_name_number_and_the_days_placed(staff_client, book):
    assert listed(page(staff_client, "?q=blue+door")[1]) == [book.blue, book.annex]
    # A % in the name is a character to match, not a wildcard.
    assert listed(page(staff_client, "?q=100%25")[1]) == [book.beans]
    assert listed(page(staff_client, "?q=%25")[1]) == [book.beans]
    assert listed(page(staff_client, f"?number={book.rival}")[1]) == [book.rival]
    assert listed(page(staff_client, f"?number={int(book.rival[1:])}")[1]) == [book.rival]
    assert listed(page(staff_client, f"?number={book.rival.lower()}")[1]) == [book.rival]
    # Both ends are included, as the roastery's calendar days.
    both = "?placed_from=2026-03-10&placed_to=2026-03-15"
    assert listed(page(staff_client, both)[1]) == [book.rival, book.beans]
    assert listed(page(staff_client, "?placed_from=2026-03-16")[1]) == [book.annex]
    assert listed(page(staff_client, "?placed_to=2026-03-02")[1]) == [book.blue]
    # Combined, and on another tab.
    assert listed(page(staff_client, "?q=rival&placed_to=2026-03-09")[1]) == []
    assert listed(page(staff_client, "?status=approved&q=rival")[1]) == [book.approved]


def test_a_search_with_nothing_found_says_so_and_offers_to_clear_it(staff_client, book):
    status, html = page(staff_client, "?q=nobody")
    assert status == 200
    assert "No pending orders match this search." in html
    assert 'href="/admin/?status=pending">Clear the search</a>' in html
    assert 'value="nobody"' in html  # what was typed stays in the box


def test_the_search_keeps_the_tab_and_the_tabs_keep_the_search(staff_client, book):
    # On a phone the form stays folded until used; it is open while a search is on.
    assert '<details class="card order-search">' in page(staff_client)[1]
    html = page(staff_client, "?status=approved&q=rival&sort=total")[1]
    assert '<details class="card order-search" open>' in html
    assert '<input type="hidden" name="status" value="approved">' in html
    tabs = html.split('aria-label="Order status"')[1].split("</nav>")[0]
    assert 'href="/admin/?status=pending&amp;q=rival&amp;sort=total"' in tabs
    assert 'href="/admin/?status=fulfilled&amp;q=rival&amp;sort=total"' in tabs


def test_the_next_page_keeps_the_search(app, staff_client, book):
    with app.app_context():
        from wholesale.models import Variant

        bag = db.session.scalars(db.select(Variant)).first()
        customer = make_customer("Busy Bean")
        for n in range(51):
            make_order(customer, [(bag, 1)], status="pending", placed_at=at(f"2026-02-{1 + n % 28:02d}"))
        db.session.commit()
    first = page(staff_client, "?q=busy")[1]
    assert len(listed(first)) == 50
    assert 'href="/admin/?status=pending&amp;page=2&amp;q=busy">Next page</a>' in first
    second = page(staff_client, "?status=pending&page=2&q=busy")[1]
    assert len(listed(second)) == 1
    assert 'href="/admin/?status=pending&amp;page=1&amp;q=busy">Previous page</a>' in second


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?placed_from=2026-02-30", "That is not a date on the calendar."),
        ("?placed_to=yesterday", "That is not a date on the calendar."),
        ("?number=W12x", "That is not an order number. Enter it like W000123 or 123."),
        ("?number=99999999999999", "That is not an order number."),
        ("?number=W000000", "That is not an order number."),
        ("?sort=price", "Not a valid choice."),
        ("?placed_from=2026-03-10&placed_to=2026-03-01", "The last day comes before the first."),
        ("?q=" + "x" * 121, "Field cannot be longer than 120 characters."),
    ],
)
def test_a_search_that_cannot_be_read_is_explained_beside_its_field_never_a_500(
    staff_client, book, query, message
):
    status, html = page(staff_client, query)
    assert status == 400
    assert "No orders shown: please fix the field marked below." in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert listed(html) == []
    assert "Fix the search above to see orders." in html


def test_searching_and_sorting_cost_the_list_no_extra_statements(app, staff_client, book):
    staff_client.get("/admin/")  # warm the session's first-request work
    with recorded_statements(app) as plain:
        staff_client.get("/admin/")
    with recorded_statements(app) as searched:
        staff_client.get(
            f"/admin/?q=blue&number={book.blue}&placed_from=2026-03-01&placed_to=2026-03-31&sort=customer"
        )
    assert len(searched) == len(plain)
    order_selects = [s for s in searched if re.search(r'FROM "order" JOIN customer', s)]
    assert len(order_selects) == 1, order_selects
