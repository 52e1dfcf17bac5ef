"""Read-only views of orders for staff: lists by status, the pending count, one order with its history, and
the customers staff can enter an order for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ...extensions import db
from ...models import STATUSES, Contact, Customer, Order, OrderEvent, OrderLine, StaffUser, Variant
from ..deliveries import roastery_zone
from ..zones import occurrence_on

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


ORDER_SORTS = ("oldest", "newest", "customer", "total")


@dataclass(frozen=True)
class OrderSearch:
    """What staff narrowed a tab to. Days are the roastery's calendar days, both ends included."""

    customer: str = ""
    order_id: int | None = None
    placed_from: date | None = None
    placed_to: date | None = None
    # None: the tab's own order (a queue, oldest first, for Pending; newest first elsewhere).
    sort: str | None = None

    def sort_for(self, status: str) -> str:
        return self.sort or ("oldest" if status == "pending" else "newest")


def _start_of(day: date):
    return occurrence_on(day, time(0), roastery_zone())


def orders_with_status(
    status: str, page: int = 1, per_page: int = 50, search: OrderSearch | None = None
) -> OrderPage:
    """One page of a tab's orders, narrowed and sorted as asked, in one query. Placed means when the customer
    placed it (a staff order: when it was entered)."""
    search = search or OrderSearch()
    placed = func.coalesce(Order.placed_at, Order.created_at)
    query = (
        select(Order)
        .join(Order.customer)
        .where(Order.status == status)
        .options(
            contains_eager(Order.customer),
            joinedload(Order.placed_by_contact),
            joinedload(Order.shipping_option),
            # The Approved and In production tabs show each order's run; joined here, not asked per row.
            joinedload(Order.production_run),
        )
    )
    if search.customer:
        query = query.where(Customer.business_name.icontains(search.customer, autoescape=True))
    if search.order_id is not None:
        query = query.where(Order.id == search.order_id)
    if search.placed_from is not None:
        query = query.where(placed >= _start_of(search.placed_from))
    if search.placed_to is not None:
        query = query.where(placed < _start_of(search.placed_to + timedelta(days=1)))
    order_by = {
        "oldest": (placed.asc(), Order.id.asc()),
        "newest": (placed.desc(), Order.id.desc()),
        "customer": (Customer.business_name.asc(), placed.desc(), Order.id.desc()),
        "total": (Order.total.desc(), Order.id.desc()),
    }[search.sort_for(status)]
    query = query.order_by(*order_by).limit(per_page + 1).offset((page - 1) * per_page)
    orders = list(db.session.scalars(query))
    return OrderPage(orders[:per_page], page, len(orders) > per_page)


def customer_recent_orders(customer_id: int, limit: int = 20) -> list[Order]:
    """The customer's latest placed orders (any status but the draft), newest first, in one query."""
    placed = func.coalesce(Order.placed_at, Order.created_at)
    query = (
        select(Order)
        .where(Order.customer_id == customer_id, Order.status != "draft")
        .order_by(placed.desc(), Order.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


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
