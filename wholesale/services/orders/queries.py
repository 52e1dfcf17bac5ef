"""Read-only views of orders for staff: lists by status, the pending count, one order with its history, and
the customers staff can enter an order for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import STATUSES, Contact, Customer, Order, OrderEvent, OrderLine, StaffUser, Variant

LISTED_STATUSES = tuple(s for s in STATUSES if s != "draft")


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    page: int
    has_next: bool


# The tabs that hold work to do show how many orders wait in them. The archive tabs (fulfilled, cancelled) do
# not: counting every order ever fulfilled would grow with the roastery's whole history on each visit, while
# the work-to-do counts come from the (status, placed_at) index and stay small.
COUNTED_STATUSES = ("pending", "approved", "in_production")


def counts_by_status() -> dict[str, int]:
    """Orders per work-to-do status (``COUNTED_STATUSES``), zeros included."""
    query = (
        select(Order.status, func.count()).where(Order.status.in_(COUNTED_STATUSES)).group_by(Order.status)
    )
    counts = dict.fromkeys(COUNTED_STATUSES, 0)
    counts.update(db.session.execute(query).tuples().all())
    return counts


def pending_count() -> int:
    """One COUNT on the (status, placed_at) index, for the badge in the staff navigation."""
    return db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "pending"))


def orders_with_status(status: str, page: int = 1, per_page: int = 50) -> OrderPage:
    """Newest first, by when they were placed (staff orders by when they were entered)."""
    placed = func.coalesce(Order.placed_at, Order.created_at)
    query = (
        select(Order)
        .where(Order.status == status)
        .options(
            joinedload(Order.customer), joinedload(Order.placed_by_contact), joinedload(Order.shipping_option)
        )
        .order_by(placed.desc(), Order.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    orders = list(db.session.scalars(query))
    return OrderPage(orders[:per_page], page, len(orders) > per_page)


def order_for_staff(order_id: int) -> Order | None:
    """A placed order (any status but the customer's draft) with everything its invoice shows."""
    query = (
        select(Order)
        .where(Order.id == order_id, Order.status != "draft")
        .options(
            selectinload(Order.lines).joinedload(OrderLine.variant).joinedload(Variant.product),
            joinedload(Order.customer),
            joinedload(Order.shipping_option),
            joinedload(Order.placed_by_contact),
        )
    )
    return db.session.scalar(query)


def order_contact(order: Order) -> Contact | None:
    """The order's contact: who placed it, else (a staff order) the customer's first contact."""
    if order.placed_by_contact is not None:
        return order.placed_by_contact
    return db.session.scalar(
        select(Contact).where(Contact.customer_id == order.customer_id).order_by(Contact.id).limit(1)
    )


def staff_name(staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    staff = db.session.get(StaffUser, staff_id)
    return (staff.name or staff.email) if staff else None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    action: str
    # (what, from, to), values as text; None where there was nothing.
    changes: list[tuple[str, str | None, str | None]]


def order_history(order: Order) -> list[HistoryEntry]:
    """The order's history, oldest first, with who made each change, in one query."""
    rows = db.session.execute(
        select(OrderEvent, StaffUser.name, StaffUser.email, Contact.name)
        .outerjoin(StaffUser, StaffUser.id == OrderEvent.staff_user_id)
        .outerjoin(Contact, Contact.id == OrderEvent.contact_id)
        .where(OrderEvent.order_id == order.id)
        .order_by(OrderEvent.id)
    ).all()
    entries = []
    for event, staff_name_, staff_email, contact_name in rows:
        if event.staff_user_id is not None:
            who = f"{staff_name_ or staff_email} (staff)"
        elif contact_name is not None:
            who = contact_name
        else:
            who = "A former contact"
        changes = [(what, values[0], values[1]) for what, values in (event.changes or {}).items()]
        entries.append(HistoryEntry(event.at, who, event.action, changes))
    return entries


def customers_to_order_for() -> list[Customer]:
    return list(db.session.scalars(select(Customer).where(Customer.active).order_by(Customer.business_name)))
