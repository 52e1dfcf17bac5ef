"""Read-only views of orders for staff lists: a page of orders and the count per status."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import STATUSES, Order

LISTED_STATUSES = tuple(s for s in STATUSES if s != "draft")


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    page: int
    has_next: bool


def counts_by_status() -> dict[str, int]:
    rows = db.session.execute(select(Order.status, func.count()).group_by(Order.status)).tuples()
    counts = dict.fromkeys(LISTED_STATUSES, 0)
    counts.update({status: n for status, n in rows if status in counts})
    return counts


def orders_with_status(status: str, page: int = 1, per_page: int = 50) -> OrderPage:
    """Newest first, by when they were placed (staff orders by when they were entered)."""
    placed = func.coalesce(Order.placed_at, Order.created_at)
    query = (
        select(Order)
        .where(Order.status == status)
        .options(joinedload(Order.customer), joinedload(Order.placed_by_contact))
        .order_by(placed.desc(), Order.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    orders = list(db.session.scalars(query))
    return OrderPage(orders[:per_page], page, len(orders) > per_page)
