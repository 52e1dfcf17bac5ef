"""The order page's read model: what the rows say is what the ORM says, and only the customer's own orders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from wholesale.extensions import db
from wholesale.models import Order
from wholesale.services import order_editing, order_views, pricing
from wholesale.services.errors import ServiceError
from wholesale.services.order_views import OrderView

from .factories import make_catalog, make_customer, make_order, make_shipping


def test_a_draft_read_as_rows_is_the_draft_the_orm_reads(app_ctx):
    variants = make_catalog(coffees=3)
    courier = make_shipping(fee="9.50")
    customer = make_customer(discount="5")
    # Lines added out of id order of their variants; the page lists them in the order they were added.
    draft = make_order(
        customer, [(variants[4], 2), (variants[0], 1), (variants[2], 12)], status="draft",
        shipping_option=courier, shipping_fee=courier.fee, discount_percent=Decimal("5"),
        discount_amount=Decimal("1.25"), notes="Back door, please",
    )
    make_order(customer, [(variants[1], 3)], status="fulfilled")  # not the draft
    db.session.commit()
    db.session.expire_all()

    view = order_views.draft(customer.id)

    assert view == OrderView.of(db.session.get(Order, draft.id))
    assert [line.label for line in view.lines] == [variants[i].label for i in (4, 0, 2)]
    assert [line.amount for line in view.lines] == [variants[4].price * 2, variants[0].price, variants[2].price * 12]
    assert (view.status, view.number, view.notes, view.shipping_fee) == ("draft", f"W{draft.id:06d}",
                                                                          "Back door, please", Decimal("9.50"))


def test_an_empty_draft_has_no_lines_and_no_draft_is_none(app_ctx):
    with_draft, without = make_customer("With a draft"), make_customer("Without")
    make_order(with_draft, [], status="draft")
    make_order(without, [], status="pending")
    db.session.commit()

    assert order_views.draft(with_draft.id).lines == ()
    assert order_views.draft(without.id) is None


def test_another_customers_order_is_not_found(app_ctx):
    variants = make_catalog(coffees=1)
    mine, theirs = make_customer("Mine"), make_customer("Theirs")
    order = make_order(theirs, [(variants[0], 1)], status="draft")
    db.session.commit()

    assert order_views.customer_order(order.id, mine.id) is None
    assert order_views.customer_order(order.id, theirs.id).id == order.id
    assert order_views.customer_order(2**31 - 1, theirs.id) is None


def test_a_changed_quantity_changes_that_line_only(app_ctx):
    variants = make_catalog(coffees=1)
    customer = make_customer()
    order = make_order(customer, [(variants[0], 1), (variants[1], 2)], status="draft")
    db.session.commit()
    view = order_views.draft(customer.id)
    first, second = view.lines

    changed = view.with_quantity(second.id, 7)

    assert [line.quantity for line in changed.lines] == [1, 7]
    assert [line.quantity for line in view.lines] == [1, 2]  # views are values: the one read is unchanged
    assert changed.with_quantity(second.id, 2) == view
    assert db.session.scalar(select(Order.version).where(Order.id == order.id)) == view.version


def test_a_tap_returns_the_draft_as_the_database_then_holds_it(app_ctx):
    variants = make_catalog(coffees=1)
    customer = make_customer(discount="10")
    make_order(customer, [(variants[0], 1), (variants[1], 2)], status="draft")
    db.session.commit()
    view = order_views.draft(customer.id)

    changed = order_editing.change_draft_quantity(view, view.lines[1].id, 5)

    db.session.expire_all()
    assert changed == order_views.draft(customer.id)
    assert changed.version == view.version + 1
    stored = db.session.scalar(select(Order).where(Order.customer_id == customer.id))
    assert (stored.subtotal, stored.total) == (pricing.order_totals(changed).subtotal, pricing.order_totals(changed).total)


def test_a_tap_writes_nothing_to_an_order_placed_meanwhile_or_with_a_quantity_out_of_range(app_ctx):
    variants = make_catalog(coffees=1)
    customer = make_customer()
    order = make_order(customer, [(variants[0], 1)], status="draft")
    db.session.commit()
    view = order_views.draft(customer.id)
    line_id = view.lines[0].id

    for quantity in (0, 1000):
        with pytest.raises(ServiceError):
            order_editing.change_draft_quantity(view, line_id, quantity)
    db.session.execute(update(Order).where(Order.id == order.id).values(status="pending"))  # placed, same version
    db.session.commit()
    with pytest.raises(order_editing.StaleOrder):
        order_editing.change_draft_quantity(view, line_id, 4)

    db.session.expire_all()
    assert db.session.get(Order, order.id).lines[0].quantity == 1
