"""Read-only views of production runs for the staff pages.

Each view costs a fixed number of queries however many orders a run holds: rows are loaded in sets
(joined or ``selectin`` loading) and weights and bag counts are summed by the database, never order by order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import (
    Customer,
    Order,
    OrderLine,
    Product,
    ProductionRun,
    ProductOption,
    ShippingOption,
    Variant,
)
from ...models.orders import order_number
from .roast_plan import PlanRow, RoastPlan, plan_from_rows
from .runs import IN_RUN_STATUSES, MAX_ORDERS_PER_REQUEST, by_customer_name, customer_name_order


@dataclass(frozen=True)
class RunSummary:
    run: ProductionRun
    orders: int


@dataclass(frozen=True)
class Duplicate:
    """A customer with more than one order in the run; the earliest placed is proposed as the one to keep."""

    customer: Customer | CustomerName
    orders: list[Order] | list[ListedOrder]

    @property
    def keep(self) -> Order | ListedOrder:
        return self.orders[0]


@dataclass(frozen=True, slots=True)
class CustomerName:
    id: int
    business_name: str


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """An order as the run's list shows it, read as a row: a run holds a thousand orders or more, and making
    an ORM object of each (and of its customer) took most of the page's time."""

    id: int
    customer: CustomerName
    channel: str
    roast_date: date | None
    total: Decimal
    placed_at: datetime | None
    created_at: datetime

    @property
    def customer_id(self) -> int:
        return self.customer.id

    @property
    def number(self) -> str:
        return order_number(self.id)


@dataclass(frozen=True)
class RunOrder:
    order: ListedOrder
    bags: int
    duplicate: bool


@dataclass(frozen=True)
class RunOverview:
    run: ProductionRun
    orders: list[RunOrder]
    duplicates: list[Duplicate]
    plan: RoastPlan
    for_this_date: list[Order]  # approved, in no run, roast date this day or unset
    for_other_dates: list[Order]  # approved, in no run, another roast date


def recent_runs(limit: int = 60) -> list[RunSummary]:
    """Open runs first, then closed, then done; latest roast date first within each."""
    counted = and_(Order.production_run_id == ProductionRun.id, Order.status.in_(IN_RUN_STATUSES))
    stage = case({"open": 0, "closed": 1}, value=ProductionRun.status, else_=2)
    query = (
        select(ProductionRun, func.count(Order.id))
        .outerjoin(Order, counted)
        .group_by(ProductionRun.id)
        .order_by(stage, ProductionRun.roast_date.desc(), ProductionRun.id.desc())
        .limit(limit)
    )
    return [RunSummary(run, count) for run, count in db.session.execute(query).tuples()]


def run_orders(run: ProductionRun) -> list[Order]:
    """The run's orders with their customers and lines, by customer name (packing lists, the CSV)."""
    query = (
        select(Order)
        .where(Order.production_run_id == run.id, Order.status.in_(IN_RUN_STATUSES))
        .options(
            joinedload(Order.customer, innerjoin=True),
            joinedload(Order.shipping_option),
            selectinload(Order.lines).joinedload(OrderLine.variant).joinedload(Variant.product),
        )
    )
    return by_customer_name(db.session.scalars(query))


@dataclass
class DeliveryGroup:
    """The run's orders going out on one delivery date by one shipping option (packing lists)."""

    delivery_date: date | None
    option: ShippingOption | None
    orders: list[Order]


def by_delivery(orders: list[Order]) -> list[DeliveryGroup]:
    """``orders`` grouped by delivery date (orders without one last), then shipping option (as listed to
    customers); each group keeps the orders' order (by customer name)."""
    groups: dict[tuple, DeliveryGroup] = {}
    for order in orders:
        key = (order.delivery_date, order.shipping_option_id)
        if key not in groups:
            groups[key] = DeliveryGroup(order.delivery_date, order.shipping_option, [])
        groups[key].orders.append(order)

    def sort_key(group: DeliveryGroup):
        option = group.option
        return (
            group.delivery_date is None,
            group.delivery_date or date.min,
            option is None,
            (option.position, option.name) if option else (0, ""),
        )

    return sorted(groups.values(), key=sort_key)


# A size of a coffee as a PlanRow begins: what every roast plan selects and groups by, before the bags.
PLAN_SIZE = (
    Product.id,
    Product.name,
    Product.roast_loss_percent,
    Variant.id,
    Variant.name,
    Variant.net_weight_g,
)


def roast_plan(run: ProductionRun) -> RoastPlan:
    """Bags per coffee, size and option over the run, summed in one query; other items are not roasted."""
    size = PLAN_SIZE
    option = (OrderLine.option, ProductOption.position)
    query = (
        select(*size, func.sum(OrderLine.quantity), *option)  # as PlanRow reads them
        .select_from(OrderLine)
        .join(Order, OrderLine.order_id == Order.id)
        .join(Variant, OrderLine.variant_id == Variant.id)
        .join(Product, Variant.product_id == Product.id)
        .outerjoin(
            ProductOption, (ProductOption.product_id == Product.id) & (ProductOption.name == OrderLine.option)
        )
        .where(
            Order.production_run_id == run.id,
            Order.status.in_(IN_RUN_STATUSES),
            Product.kind == "coffee",
        )
        .group_by(*size, *option)
    )
    return plan_from_rows(PlanRow(*row) for row in db.session.execute(query).tuples())


def duplicates_among(orders: list[Order]) -> list[Duplicate]:
    """Customers with more than one of ``orders``, by name; each customer's orders earliest first."""
    by_customer: dict[int, list[Order]] = {}
    for order in orders:
        by_customer.setdefault(order.customer_id, []).append(order)
    groups = [
        Duplicate(group[0].customer, sorted(group, key=lambda o: (o.placed_at or o.created_at, o.id)))
        for group in by_customer.values()
        if len(group) > 1
    ]
    return sorted(groups, key=lambda d: d.customer.business_name.lower())


def listed_run_orders(run: ProductionRun) -> list[tuple[ListedOrder, int]]:
    """The run's orders as its list shows them, each with its number of bags and items, by customer name: one
    statement, bags summed by the database."""
    in_run = and_(Order.production_run_id == run.id, Order.status.in_(IN_RUN_STATUSES))
    bags = (
        select(OrderLine.order_id, func.sum(OrderLine.quantity).label("bags"))
        .join(Order, OrderLine.order_id == Order.id)
        .where(in_run)
        .group_by(OrderLine.order_id)
        .subquery()
    )
    query = (
        select(
            Order.id,
            Customer.id,
            Customer.business_name,
            Order.channel,
            Order.roast_date,
            Order.total,
            Order.placed_at,
            Order.created_at,
            func.coalesce(bags.c.bags, 0),
        )
        .join(Customer, Customer.id == Order.customer_id)
        .outerjoin(bags, bags.c.order_id == Order.id)
        .where(in_run)
    )
    listed = [
        (
            ListedOrder(
                order_id, CustomerName(customer_id, name), channel, roast_date, total, placed, created
            ),
            count,
        )
        for order_id, customer_id, name, channel, roast_date, total, placed, created, count in db.session.execute(
            query
        )
    ]
    return sorted(listed, key=lambda pair: customer_name_order(pair[0]))


def run_overview(run: ProductionRun) -> RunOverview:
    listed = listed_run_orders(run)
    duplicates = duplicates_among([order for order, _ in listed])
    flagged = {order.id for group in duplicates for order in group.orders}
    rows = [RunOrder(order, bags, order.id in flagged) for order, bags in listed]
    this_date, other_dates = addable_orders(run.roast_date) if run.status == "open" else ([], [])
    return RunOverview(run, rows, duplicates, roast_plan(run), this_date, other_dates)


def next_roast_date(today: date) -> date | None:
    """The earliest roast date from ``today`` on that approved orders in no run are waiting for."""
    return db.session.scalar(
        select(func.min(Order.roast_date)).where(
            Order.status == "approved", Order.production_run_id.is_(None), Order.roast_date >= today
        )
    )


def addable_orders(roast_date: date) -> tuple[list[Order], list[Order]]:
    """Approved orders in no run: those for ``roast_date`` (or without a date), then those for other days."""
    query = (
        select(Order)
        .where(Order.status == "approved", Order.production_run_id.is_(None))
        .options(joinedload(Order.customer, innerjoin=True))
        .order_by(Order.roast_date, Order.id)
        .limit(MAX_ORDERS_PER_REQUEST)
    )
    this_date, other_dates = [], []
    for order in db.session.scalars(query):
        (this_date if order.roast_date in (None, roast_date) else other_dates).append(order)
    return by_customer_name(this_date), other_dates
