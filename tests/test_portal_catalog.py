"""Issue 19: the customer's catalog (journey 1, adding to an order) says what each coffee is, marks the sizes
already on the order, and says so when a search finds nothing."""

from __future__ import annotations

import re

from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import OrderLine, Product, Variant

from .portal_shop import HX, customer_client, open_order_page, shop  # noqa: F401  (fixtures)


def test_the_catalog_shows_descriptions_and_marks_what_is_on_the_order(app, customer_client, shop):
    with app.app_context():
        _, draft = open_order_page(customer_client)
        db.session.scalars(select(Product).order_by(Product.id)).first().description = "Stone fruit, cocoa."
        held = {
            sku: quantity
            for sku, quantity in db.session.execute(
                select(Variant.sku, OrderLine.quantity)
                .join(OrderLine.variant)
                .where(OrderLine.order_id == draft.id)
            )
        }
        db.session.commit()
        draft_id = draft.id
    assert held == {"C00-340": 4, "C01-340": 2, "C02-2268": 1}  # last week's order, copied onto the draft

    html = customer_client.get(f"/orders/{draft_id}/catalog").get_data(as_text=True)
    assert '<p class="offer-description muted">Stone fruit, cocoa.</p>' in html
    marks = re.findall(r"aria-label=\"Add ([^\"]+) \(on your order: (\d+)\)\"", html)
    assert len(marks) == 3 and html.count("On your order: ") == 3
    assert sorted(int(n) for _, n in marks) == [1, 2, 4]
    assert "On your order: 4</span>" in html and "On your order: 1</span>" in html
    # The htmx fragment (a search as the customer types) carries the same marks.
    fragment = customer_client.get(f"/orders/{draft_id}/catalog?q=coffee 00", headers=HX).get_data(
        as_text=True
    )
    assert "<html" not in fragment and fragment.count("On your order: ") == 1


def test_a_search_that_finds_nothing_says_so(app, customer_client, shop):
    with app.app_context():
        _, draft = open_order_page(customer_client)
    html = customer_client.get(f"/orders/{draft.id}/catalog?q=xyz").get_data(as_text=True)
    assert "No coffee matches “xyz”." in html
    assert 'class="offer"' not in html
