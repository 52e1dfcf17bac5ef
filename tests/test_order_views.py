"""The order page's read model: what the rows say is what the ORM says, and only the customer's own orders."""

from __future__ import annotations

from decimal import Decimal

from wholesale.extensions import db
from wholesale.models import Order
from wholesale.services import order_views, pricing

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

    order = db.session.get(Order, draft.id)
    assert (view.id, view.version, view.shipping_option_id, view.discount_percent, view.discount_amount) == (
        order.id, order.version, order.shipping_option_id, order.discount_percent, order.discount_amount)
    assert [(line.id, line.variant_id, line.unit_price, line.quantity) for line in view.lines] == [
        (line.id, line.variant_id, line.unit_price, line.quantity) for line in order.lines]
    assert pricing.order_totals(view) == pricing.order_totals(order)
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
