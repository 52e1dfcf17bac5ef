"""The order as its page shows it: plain values read in one statement, without the ORM.

The order page is the page customers open most, and every edit on it answers with a piece of it. Loading
an order with its lines, sizes and products through the ORM builds an object for every row of every table,
with its identity and change tracking, where the page needs only the values: so the portal's order pages,
and their answers after an edit, render from this one read model. Changes go through ``order_editing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Order, OrderLine, Product, ShippingOption, Variant
from ..models.catalog import variant_label
from ..models.orders import order_number
from . import drafts, order_editing


@dataclass(frozen=True, slots=True)
class LineView:
    id: int
    variant_id: int
    product_name: str
    size_name: str
    unit_price: Decimal
    quantity: int

    @property
    def label(self) -> str:
        return variant_label(self.product_name, self.size_name)

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    status: str
    version: int
    notes: str
    shipping_option_id: int | None
    shipping_fee: Decimal
    discount_percent: Decimal
    discount_amount: Decimal
    lines: tuple[LineView, ...]

    @property
    def number(self) -> str:
        return order_number(self.id)

    def line(self, line_id: int) -> LineView | None:
        return next((line for line in self.lines if line.id == line_id), None)


_ORDER_COLUMNS = (
    Order.id, Order.status, Order.version, Order.notes, Order.shipping_option_id, Order.shipping_fee,
    Order.discount_percent, Order.discount_amount,
)
_LINE_COLUMNS = (OrderLine.id, OrderLine.variant_id, Product.name, Variant.name, OrderLine.unit_price, OrderLine.quantity)
_WITH_LINES = (
    select(*_ORDER_COLUMNS, *_LINE_COLUMNS)
    .select_from(Order)
    .outerjoin(OrderLine, OrderLine.order_id == Order.id)
    .outerjoin(Variant, Variant.id == OrderLine.variant_id)
    .outerjoin(Product, Product.id == Variant.product_id)
    .order_by(OrderLine.id)
)
# Built once, as every order page and edit runs one: SQLAlchemy reuses the compiled statements. The draft is
# found as the ORM finds it (``drafts.CUSTOMERS_DRAFT``: through the one-draft-per-customer partial index).
_DRAFT = _WITH_LINES.where(*drafts.CUSTOMERS_DRAFT)
_CUSTOMER_ORDER = _WITH_LINES.where(Order.id == bindparam("order_id"), Order.customer_id == bindparam("customer_id"))
_SPLIT = len(_ORDER_COLUMNS)


def _from_rows(rows) -> OrderView | None:
    if not rows:
        return None
    lines = tuple(LineView(*row[_SPLIT:]) for row in rows if row[_SPLIT] is not None)
    return OrderView(*rows[0][:_SPLIT], lines)


# The delivery options a customer may choose, as rows (id, name, fee): the same choice staff see, read without
# making an object of each.
_OFFERED_SHIPPING = order_editing.ACTIVE_SHIPPING_OPTIONS.with_only_columns(
    ShippingOption.id, ShippingOption.name, ShippingOption.fee
)


def offered_shipping_options() -> list:
    return db.session.execute(_OFFERED_SHIPPING).all()


def draft(customer_id: int) -> OrderView | None:
    """The customer's draft as its page shows it, or None when there is none."""
    return _from_rows(db.session.execute(_DRAFT, {"customer_id": customer_id}).all())


def customer_order(order_id: int, customer_id: int) -> OrderView | None:
    """One of the customer's orders as its page shows it; None for an unknown id or another customer's."""
    return _from_rows(db.session.execute(_CUSTOMER_ORDER, {"order_id": order_id, "customer_id": customer_id}).all())
