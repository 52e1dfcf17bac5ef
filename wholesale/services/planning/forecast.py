"""What the week's roast will likely be, per coffee and size, in three columns never added together:

- **ordered**: the orders delivering in the week (drafts and cancelled ones aside);
- **standing**: the standing orders' deliveries in the week still to be placed (``board.standing_deliveries``);
- **forecast**: a guess for the silent regulars (``METHOD``).

Weights are the production plan's (``production.roast_plan``): roasted grams = bags × the size's net
weight, green grams after the coffee's roast loss, rounded up once per coffee and once per size. Only coffees
are roasted; other items are left out.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from statistics import median

from sqlalchemy import func, select

from ...extensions import db
from ...models import Order, OrderLine, Product, StandingOrderLine, Variant
from ..production.queries import PLAN_SIZE
from ..production.roast_plan import CoffeeWeight, PlanRow, RoastPlan, SizeWeight, plan_from_rows
from .board import NOT_COUNTED, WeekBoard
from .week import Week

# A regular: at least REGULAR_ORDERS orders placed in the REGULAR_WEEKS weeks before the week begins; the
# forecast takes the median of their last LAST_ORDERS orders of those weeks.
REGULAR_ORDERS, REGULAR_WEEKS, LAST_ORDERS = 3, 8, 4
METHOD = (
    f"Forecast: for each customer with nothing for the week and no “no order” who placed at least "
    f"{REGULAR_ORDERS} orders in the {REGULAR_WEEKS} weeks before it, the median quantity of each size over "
    f"their last {LAST_ORDERS} of those orders (a size missing from an order counts as 0); the medians are "
    "added up per size and rounded up to whole bags (the sum, in brackets, when it was not whole). It is a "
    "guess, kept apart from orders."
)


@dataclass(frozen=True)
class SizeLine:
    """One size of one coffee in each column (None: none in that column)."""

    variant_id: int
    name: str
    ordered: SizeWeight | None
    standing: SizeWeight | None
    forecast: SizeWeight | None
    # The forecast's sum of medians before rounding up (it may hold halves).
    expected: Decimal | None


@dataclass(frozen=True)
class CoffeeLine:
    product_id: int
    name: str
    ordered: CoffeeWeight | None
    standing: CoffeeWeight | None
    forecast: CoffeeWeight | None
    sizes: tuple[SizeLine, ...]


@dataclass(frozen=True)
class WeekForecast:
    ordered: RoastPlan
    standing: RoastPlan
    forecast: RoastPlan
    expected: dict[int, Decimal]  # variant id -> the regulars' medians added up
    regulars: int  # silent regulars the forecast is made of

    @property
    def coffees(self) -> list[CoffeeLine]:
        """The three columns side by side: coffees by name, sizes smallest first."""
        columns = (self.ordered, self.standing, self.forecast)
        by_coffee = [{coffee.product_id: coffee for coffee in plan.coffees} for plan in columns]
        listed = {coffee.product_id: coffee for plan in columns for coffee in plan.coffees}
        lines = []
        for product_id, first in sorted(listed.items(), key=lambda item: (item[1].name.lower(), item[0])):
            coffees = [column.get(product_id) for column in by_coffee]
            sizes = {size.variant_id: size for coffee in coffees if coffee for size in coffee.sizes}
            by_size = [{s.variant_id: s for s in coffee.sizes} if coffee else {} for coffee in coffees]
            size_lines = tuple(
                SizeLine(
                    variant_id,
                    size.name,
                    *(column.get(variant_id) for column in by_size),
                    self.expected.get(variant_id),
                )
                for variant_id, size in sorted(
                    sizes.items(), key=lambda item: (item[1].net_weight_g, item[0])
                )
            )
            lines.append(CoffeeLine(product_id, first.name, *coffees, size_lines))
        return lines


def week_forecast(board: WeekBoard) -> WeekForecast:
    """The three columns for the board's week. Only reads; four statements, whatever the data (none is left
    out when it has nothing to look for, so the count is the same on any week)."""
    week = board.week
    due = Counter(due.standing_order_id for row in board.rows for due in row.standing)
    silent = [row.customer_id for row in board.rows if row.silent]
    expected, regulars = _regulars_medians(week, silent)
    return WeekForecast(
        ordered=_ordered(week),
        standing=_standing(due),
        forecast=plan_from_rows(_rows_for(expected)),
        expected=expected,
        regulars=regulars,
    )


def _ordered(week: Week) -> RoastPlan:
    query = (
        select(*PLAN_SIZE, func.sum(OrderLine.quantity))  # as PlanRow reads them
        .select_from(OrderLine)
        .join(Order, OrderLine.order_id == Order.id)
        .join(Variant, OrderLine.variant_id == Variant.id)
        .join(Product, Variant.product_id == Product.id)
        .where(
            Order.delivery_date >= week.start,
            Order.delivery_date <= week.end,
            Order.status.not_in(NOT_COUNTED),
            Product.kind == "coffee",
        )
        .group_by(*PLAN_SIZE)
    )
    return plan_from_rows(PlanRow(*row) for row in db.session.execute(query).tuples())


def _standing(due: Counter) -> RoastPlan:
    """Each standing order's lines, times its deliveries still to be placed in the week."""
    query = (
        select(StandingOrderLine.standing_order_id, StandingOrderLine.quantity, *PLAN_SIZE)
        .join(Variant, StandingOrderLine.variant_id == Variant.id)
        .join(Product, Variant.product_id == Product.id)
        .where(StandingOrderLine.standing_order_id.in_(due), Product.kind == "coffee")
    )
    bags: Counter = Counter()
    for standing_order_id, quantity, *size in db.session.execute(query).tuples():
        bags[tuple(size)] += quantity * due[standing_order_id]
    return plan_from_rows(PlanRow(*size, count) for size, count in bags.items())


def _regulars_medians(week: Week, customer_ids: list[int]) -> tuple[dict[int, Decimal], int]:
    """Per size (variant id), the silent regulars' medians added up; and how many regulars there are."""
    begins = week.begins_at()
    by_customer = Order.customer_id
    latest_first = (Order.placed_at.desc(), Order.id.desc())
    ranked = (
        select(
            Order.id.label("order_id"),
            Order.customer_id.label("customer_id"),
            func.row_number().over(partition_by=by_customer, order_by=latest_first).label("rank"),
            func.count().over(partition_by=by_customer).label("orders"),
        )
        .where(
            Order.customer_id.in_(customer_ids),
            Order.status.not_in(NOT_COUNTED),
            Order.placed_at < begins,
            Order.placed_at >= begins - timedelta(weeks=REGULAR_WEEKS),
        )
        .subquery()
    )
    query = (
        select(
            ranked.c.customer_id,
            ranked.c.orders,
            ranked.c.order_id,
            OrderLine.variant_id,
            func.sum(OrderLine.quantity),
        )
        .join(OrderLine, OrderLine.order_id == ranked.c.order_id)
        .where(ranked.c.rank <= LAST_ORDERS, ranked.c.orders >= REGULAR_ORDERS)
        .group_by(ranked.c.customer_id, ranked.c.orders, ranked.c.order_id, OrderLine.variant_id)
    )
    quantities: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    considered: dict[int, int] = {}
    for customer_id, orders, _, variant_id, quantity in db.session.execute(query).tuples():
        considered[customer_id] = min(orders, LAST_ORDERS)
        quantities[customer_id][variant_id].append(quantity)
    expected: dict[int, Decimal] = defaultdict(Decimal)
    for customer_id, sizes in quantities.items():
        for variant_id, found in sizes.items():
            missing = [0] * (considered[customer_id] - len(found))
            # The median of whole numbers is one of them or the midpoint of two: a float that is exact.
            expected[variant_id] += Decimal(median(found + missing))
    return {variant_id: total for variant_id, total in expected.items() if total > 0}, len(considered)


def _rows_for(expected: dict[int, Decimal]) -> list[PlanRow]:
    """The forecast as plan rows, each size's sum of medians rounded up to whole bags (coffees only)."""
    query = (
        select(*PLAN_SIZE)
        .select_from(Variant)
        .join(Product, Variant.product_id == Product.id)
        .where(Variant.id.in_(expected), Product.kind == "coffee")
    )
    return [PlanRow(*size, math.ceil(expected[size[3]])) for size in db.session.execute(query).tuples()]
