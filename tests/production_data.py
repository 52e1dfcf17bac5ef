"""A roastery's week for the production-run tests: two coffees, a mug, and approved orders with known weights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Order, Product, ProductionRun, Variant

from .factories import make_customer, make_order

# Near today, as real roast days are (a run's date must be within a year of today).
ROAST_DAY = date.today() + timedelta(days=3)
OTHER_DAY = ROAST_DAY + timedelta(days=3)


@dataclass
class Catalog:
    espresso_340: Variant
    espresso_2268: Variant
    guji_340: Variant
    guji_2268: Variant
    mug: Variant


def make_roastery_catalog() -> Catalog:
    """House Espresso at 15 % roast loss, Guji at 16.5 %, and a mug (not coffee: packed, never roasted)."""

    def product(name, kind, loss, sizes):
        item = Product(name=name, kind=kind, roast_loss_percent=Decimal(loss) if loss else None)
        for size, sku, grams, price in sizes:
            item.variants.append(Variant(name=size, sku=sku, net_weight_g=grams, price=Decimal(price)))
        db.session.add(item)
        return item.variants

    espresso = product(
        "House Espresso",
        "coffee",
        "15.00",
        [("340 g bag", "HSE-340", 340, "12.00"), ("5 lb bag", "HSE-2268", 2268, "60.00")],
    )
    guji = product(
        "Ethiopia Guji",
        "coffee",
        "16.50",
        [("340 g bag", "ETH-340", 340, "15.00"), ("5 lb bag", "ETH-2268", 2268, "75.00")],
    )
    mug = product("Roastery mug", "other", None, [("Mug", "MUG-1", 350, "9.00")])
    db.session.flush()
    return Catalog(espresso[0], espresso[1], guji[0], guji[1], mug[0])


def approved(customer, lines, roast_date=ROAST_DAY, channel="portal", **fields) -> Order:
    return make_order(customer, lines, status="approved", roast_date=roast_date, channel=channel, **fields)


def week(catalog: Catalog) -> dict[str, Order]:
    """Approved orders: 10 × 340 g and 4 × 2,268 g of House Espresso over three of them, Guji on one,
    a mug, Blue Door Café twice (portal and staff), and orders the run must not propose."""
    blue = make_customer("Blue Door Café")
    corner = make_customer("Corner Grocer")
    owl = make_customer("Little Owl Kitchen")
    later = make_customer("Later Bakery")
    orders = {
        "blue_portal": approved(blue, [(catalog.espresso_340, 6), (catalog.espresso_2268, 1)]),
        "blue_staff": approved(blue, [(catalog.espresso_340, 2), (catalog.mug, 2)], channel="staff"),
        "corner": approved(
            corner,
            [(catalog.espresso_340, 2), (catalog.espresso_2268, 3), (catalog.guji_340, 2)],
            roast_date=None,
        ),
        "owl_pending": make_order(owl, [(catalog.espresso_340, 5)], status="pending", roast_date=ROAST_DAY),
        "later": approved(later, [(catalog.guji_2268, 1)], roast_date=OTHER_DAY),
    }
    db.session.commit()
    return orders


def order_ids(app) -> dict[int, tuple[str, int | None, str]]:
    """Every order as id → (status, production run id, cancel reason)."""
    with app.app_context():
        rows = db.session.execute(
            select(Order.id, Order.status, Order.production_run_id, Order.cancel_reason)
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def runs(app) -> list[tuple[int, date, str]]:
    with app.app_context():
        query = select(ProductionRun.id, ProductionRun.roast_date, ProductionRun.status).order_by(
            ProductionRun.id
        )
        return [tuple(row) for row in db.session.execute(query)]
