"""What a customer can add to an order: offered products and sizes, at that customer's prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from ..extensions import db
from ..models import OrderLine, Product, Variant
from ..services import orders


@dataclass(frozen=True)
class Offer:
    variant: Variant
    price: Decimal


@dataclass(frozen=True)
class ProductOffers:
    product: Product
    offers: list[Offer]


def catalog_for(customer_id: int, query: str = "") -> list[ProductOffers]:
    """Offered products whose name, description or SKU matches ``query``, with the customer's prices."""
    statement = (
        select(Product)
        .join(Product.variants)
        .where(Variant.on_sale)
        .options(contains_eager(Product.variants), selectinload(Product.options))
        .order_by(Product.kind, Product.name, Variant.net_weight_g)
    )
    words = query.split()
    for word in words[:5]:
        pattern = f"%{word.lower()}%"
        statement = statement.where(
            or_(
                func.lower(Product.name).like(pattern),
                func.lower(Product.description).like(pattern),
                func.lower(Variant.sku).like(pattern),
            )
        )
    products = db.session.scalars(statement).unique().all()
    negotiated = orders.pricing.customer_prices(customer_id)
    return [
        ProductOffers(product, [Offer(v, orders.pricing.unit_price(v, negotiated)) for v in product.variants])
        for product in products
    ]


def quantities_on_order(order_id: int) -> dict[int, int]:
    """How many of each size the order already holds (its options added up), by variant id, in one query."""
    rows = db.session.execute(
        select(OrderLine.variant_id, func.sum(OrderLine.quantity))
        .where(OrderLine.order_id == order_id)
        .group_by(OrderLine.variant_id)
    )
    return {variant_id: int(quantity) for variant_id, quantity in rows}
