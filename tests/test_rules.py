"""Rules with one home, checked where they are used: "on sale" (Variant.on_sale) and "a customer's last order"
(drafts.last_orders). The id rule is in test_ids.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Variant, utcnow
from wholesale.portal.catalog import catalog_for
from wholesale.services import customers, orders
from wholesale.services.catalog import sizes_on_sale
from wholesale.services.errors import ServiceError

from .factories import make_catalog, make_customer, make_order


def utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


@pytest.fixture
def catalog(app_ctx):
    """Coffee 00 retired with its sizes not; Coffee 01's first size retired, its product not; Coffee 02 on sale."""
    variants = make_catalog(coffees=3)
    variants[0].product.retired_at = utcnow()
    variants[2].retired_at = utcnow()
    customer = make_customer()
    db.session.commit()
    on_sale = {variants[3].id, variants[4].id, variants[5].id}
    return variants, customer, on_sale


def test_on_sale_in_python_and_in_sql_agree(catalog):
    variants, _, on_sale = catalog
    assert {v.id for v in variants if v.on_sale} == on_sale
    in_sql = db.session.scalars(select(Variant.id).join(Variant.product).where(Variant.on_sale))
    assert set(in_sql) == on_sale
    not_in_sql = db.session.scalars(select(Variant.id).join(Variant.product).where(~Variant.on_sale))
    assert set(not_in_sql) == {v.id for v in variants} - on_sale


def test_the_customer_catalog_offers_only_sizes_on_sale(catalog):
    _, customer, on_sale = catalog
    offered = {offer.variant.id for product in catalog_for(customer.id) for offer in product.offers}
    assert offered == on_sale


def test_the_staff_editor_offers_only_sizes_on_sale(catalog):
    _, _, on_sale = catalog
    assert {v.id for v in sizes_on_sale()} == on_sale


def test_a_negotiated_price_is_set_only_for_a_size_on_sale(catalog):
    variants, customer, on_sale = catalog
    for variant in variants:
        if variant.id in on_sale:
            assert (
                customers.accounts.set_customer_price(customer, variant.id, variant.price).variant_id
                == variant.id
            )
        else:
            with pytest.raises(ServiceError):
                customers.accounts.set_customer_price(customer, variant.id, variant.price)


def test_a_copied_order_leaves_out_the_sizes_not_on_sale(catalog):
    variants, customer, on_sale = catalog
    source = make_order(customer, [(v, 1) for v in variants])
    db.session.commit()
    target = make_order(customer, [], status="draft")
    left_out = orders.drafts.copy_lines(source, target, customer).left_out
    assert sorted(left_out) == sorted(v.label for v in variants if v.id not in on_sale)
    assert {line.variant.id for line in target.lines} == on_sale


def test_the_last_order_skips_drafts_and_cancelled_orders_and_counts_staff_orders(app_ctx):
    variants = make_catalog(coffees=1)
    cafe, quiet, newcomer = (make_customer(name) for name in ("Café", "Quiet", "Newcomer"))
    make_order(cafe, [(variants[0], 1)], placed_at=utc(2026, 3, 1))
    # Entered by staff with no placed_at: when it was entered counts.
    staff = make_order(
        cafe,
        [(variants[0], 2)],
        channel="staff",
        status="approved",
        placed_at=None,
        created_at=utc(2026, 3, 5),
    )
    make_order(cafe, [(variants[1], 3)], status="cancelled", placed_at=utc(2026, 3, 9))
    make_order(cafe, [(variants[1], 4)], status="draft", created_at=utc(2026, 3, 10))
    first = make_order(quiet, [(variants[0], 5)], status="fulfilled", placed_at=utc(2026, 3, 2))
    same_time = make_order(quiet, [(variants[1], 6)], status="in_production", placed_at=utc(2026, 3, 2))
    make_order(newcomer, [(variants[0], 7)], status="cancelled", placed_at=utc(2026, 3, 2))
    make_order(newcomer, [(variants[0], 8)], status="draft")
    db.session.commit()
    assert same_time.id > first.id

    found = orders.drafts.last_orders([cafe.id, quiet.id, newcomer.id])

    assert found[cafe.id].id == staff.id and [line.quantity for line in found[cafe.id].lines] == [2]
    assert found[quiet.id].id == same_time.id  # placed at the same moment: the later id
    assert newcomer.id not in found
    for customer in (cafe, quiet, newcomer):
        assert (orders.drafts.last_order(customer) or None) is found.get(customer.id)
    assert orders.drafts.last_orders([]) == {}


def test_a_new_draft_copies_the_last_order(app_ctx):
    variants = make_catalog(coffees=1)
    cafe = make_customer("Café")
    make_order(cafe, [(variants[0], 1)], placed_at=utc(2026, 3, 1))
    staff = make_order(
        cafe, [(variants[1], 2)], channel="staff", status="approved", placed_at=utc(2026, 3, 5)
    )
    make_order(cafe, [(variants[0], 9)], status="cancelled", placed_at=utc(2026, 3, 9))
    db.session.commit()

    draft = orders.drafts.open_draft(cafe, cafe.contacts[0])

    assert draft.copied_from.id == staff.id
    assert [(line.variant_id, line.quantity) for line in draft.order.lines] == [(variants[1].id, 2)]
