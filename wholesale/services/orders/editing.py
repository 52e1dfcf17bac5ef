"""Changing an order: one function per edit, called by the portal and the back office alike.

Every edit runs the same steps, in one transaction:

1. ``locked_order`` reads the order with its row locked until the commit: a customer's contact finds only
   their customer's orders, staff any placed order. Two edits of one order at once take turns: the second
   waits for the first to commit, then reads what it wrote.
2. ``ensure_editable``: customers change their draft, or their pending order until its delivery's cut-off;
   staff an order until it goes into production. ``ensure_current``: the order is still the version the page showed (a customer and the
   roastery editing one order never overwrite each other: the later one is told and shown the order as it
   is now).
3. The edit validates its input (the rules below: ``check_quantity``, one wording each) and changes the order.
4. ``finish`` recomputes the totals (prices come from the catalog, never from the client), writes the
   order's history once it is placed, and commits. Any refusal rolls back: nothing is saved.

Each function returns what it changed, still loaded (the order; the added line; the order and the removed
line's label): the answer is rendered from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ...converters import is_id
from ...extensions import db
from ...formatting import local_time
from ...models import (
    Contact,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ProductOption,
    ShippingOption,
    StaffUser,
    Variant,
    utcnow,
)
from ...transactions import begin_writing, commit_keeping_loaded
from .. import deliveries
from ..errors import ServiceError
from . import pricing
from .history import Actor, record

MIN_QUANTITY, MAX_QUANTITY = 1, 999
QUANTITY_MESSAGE = f"Enter a quantity from {MIN_QUANTITY} to {MAX_QUANTITY}."
MAX_LINES = 200
VARIANT_NOT_ORDERABLE = "That product is not available any more. Please pick another."
EDITABLE_BY_CUSTOMER = ("draft", "pending")


class OrderNotFound(ServiceError):
    """No such order for this actor: another customer's orders look exactly like unknown ones."""

    def __init__(self) -> None:
        super().__init__("That order was not found.")


class OrderLocked(ServiceError):
    """The order has moved on (approved, in production…) and can no longer be changed."""


class StaleOrder(ServiceError):
    """The order changed since the page the edit came from was shown; nothing was saved."""

    EDIT = "your change was not saved. This is the order as it is now: make your change again if it is still needed"

    @classmethod
    def for_order(cls, order: Order, actor: Actor, outcome: str = EDIT) -> StaleOrder:
        return cls(
            f"Order {order.number} was changed {last_change_by(order, actor)} since this page was shown, so {outcome}."
        )


# --- The rules ---------------------------------------------------------------------------------------------


def check_quantity(quantity: int) -> None:
    """How many of one size a line may hold: the one range, with the one message, for every caller."""
    if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        raise ServiceError(QUANTITY_MESSAGE, "quantity")


def ensure_editable(order: Order, actor: Actor) -> None:
    """Customers change their draft or pending order; staff change an order until it goes into production."""
    if actor.is_staff:
        if order.status == "pending" or (order.status == "approved" and order.production_run_id is None):
            return
        if order.status == "approved":
            raise OrderLocked(
                f"Order {order.number} is in a production run. Take it out of the run to change it."
            )
        raise OrderLocked(
            f"Order {order.number} is {order.status.replace('_', ' ')} and can no longer be changed."
        )
    refusal = customer_refusal(order)
    if refusal is not None:
        raise OrderLocked(refusal)


def customer_refusal(order: Order) -> str | None:
    """Why a customer may not change (or cancel) ``order``, or None: their draft, or their pending order
    until its delivery's cut-off. Their pages offer a change only when there is none."""
    if order.status not in EDITABLE_BY_CUSTOMER:
        return (
            f"Order {order.number} is {order.status.replace('_', ' ')} and can no longer be changed here. "
            "Please contact the roastery."
        )
    if order.status == "pending" and deliveries.past_cutoff(order):
        return (
            f"{deliveries.closed(order.delivery_date, deliveries.cutoff_of(order))}, so order {order.number} "
            "can no longer be changed here. Please contact the roastery."
        )
    return None


def customer_may_change(order: Order) -> bool:
    """Whether the customer's pages offer to change (or cancel) ``order``: what ``ensure_editable`` allows."""
    return customer_refusal(order) is None


def ensure_current(
    order: Order, seen_version: int | None, actor: Actor, outcome: str = StaleOrder.EDIT
) -> None:
    """Refuse an edit made against an older version of the order.

    ``None`` is what a customer's draft page sends: the draft's edits are not checked (only the customer's
    contacts edit it, and their edits take turns on the lock), but an order placed since, from another tab,
    is not the draft that page showed."""
    if seen_version is None:
        if order.status != "draft":
            raise StaleOrder.for_order(order, actor, outcome)
    elif seen_version != order.version:
        raise StaleOrder.for_order(order, actor, outcome)


def last_change_by(order: Order, actor: Actor) -> str:
    """'by Sam at the roastery at 10:42', as the person being refused should read it."""
    event = db.session.scalar(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id.desc()).limit(1)
    )
    if event is None:
        return "meanwhile"
    at = local_time(event.at, "%H:%M on %a %d %b")
    if (event.staff_user_id, event.contact_id) == (actor.staff_id, actor.contact_id):
        return f"by you (in another window, or a change still being saved) at {at}"
    if event.staff_user_id is not None:
        if not actor.is_staff:
            return f"by the roastery at {at}"
        staff = db.session.get(StaffUser, event.staff_user_id)
        return f"by {staff.name or staff.email} at {at}"
    contact = db.session.get(Contact, event.contact_id) if event.contact_id else None
    return f"by {contact.name if contact else 'the customer'} at {at}"


# --- Reading the order to change it, and the end of every edit ----------------------------------------------

# The order's row is locked first, then the order is read with its lines, sizes and products in one statement,
# once the lock is granted (read in the locking statement itself, the lines would be those from before waiting
# for another edit to commit).
_LOCK = select(Order.id).where(Order.id == bindparam("order_id")).with_for_update()
_CUSTOMERS_LOCK = _LOCK.where(Order.customer_id == bindparam("customer_id"))
_PLACED_LOCK = _LOCK.where(Order.status != "draft")
_WITH_LINES = (
    select(Order)
    .where(Order.id == bindparam("order_id"))
    .options(
        joinedload(Order.lines).joinedload(OrderLine.variant).joinedload(Variant.product),
        joinedload(Order.shipping_option),
        joinedload(Order.customer, innerjoin=True),  # its minimum (orders.minimums)
    )
    .execution_options(populate_existing=True)  # fresh, if this session read the order before
)


def locked_order(order_id: int, actor: Actor) -> Order:
    """The order ``actor`` may see, locked until the commit; ``OrderNotFound`` otherwise."""
    begin_writing()
    if actor.is_staff:
        found = db.session.scalar(_PLACED_LOCK, {"order_id": order_id})
    else:
        found = db.session.scalar(_CUSTOMERS_LOCK, {"order_id": order_id, "customer_id": actor.customer_id})
    if found is None:
        raise OrderNotFound()
    return db.session.scalars(_WITH_LINES, {"order_id": order_id}).unique().one()


@contextmanager
def editing(
    order_id: int, actor: Actor, seen_version: int | None, line_id: int | None = None
) -> Iterator[Order]:
    """The order to change, locked and checked (with the line the edit is about, when it is about one); any
    refusal inside rolls the whole edit back. Losing a race on the version column or a unique constraint
    (SQLite takes no row lock: two edits may read the same version, or add the same size at once) is a
    ``StaleOrder`` too."""
    try:
        order = locked_order(order_id, actor)
        if line_id is not None:
            line_on(order, line_id)
        ensure_editable(order, actor)
        ensure_current(order, seen_version, actor)
        try:
            yield order
        except (StaleDataError, IntegrityError):
            db.session.rollback()
            raise StaleOrder.for_order(order, actor) from None
    except BaseException:
        db.session.rollback()
        raise


def finish(order: Order, actor: Actor, action: str, changes: dict) -> Order:
    """Recompute the totals, write the history, commit: the end of every edit, and its one transaction.

    A change makes a new version of the order even when the totals stay the same (a note, a date), so a
    page showing the old one cannot overwrite it."""
    pricing.apply_totals(order)
    if changes:
        order.updated_at = utcnow()
        if order.status != "draft":
            record(order, actor, action, changes)
    commit_keeping_loaded()
    return order


@contextmanager
def refused_if_stale(order: Order, actor: Actor, outcome: str = StaleOrder.EDIT):
    """Around the writes of a use case that changes an order without ``editing`` it (approving, cancelling):
    losing the race on the version column rolls everything back and becomes a ``StaleOrder``."""
    try:
        yield
    except StaleDataError:
        db.session.rollback()
        raise StaleOrder.for_order(order, actor, outcome) from None


def line_on(order: Order, line_id: int) -> OrderLine:
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise OrderNotFound()
    return line


# --- The edits ---------------------------------------------------------------------------------------------


def set_quantity(order_id: int, line_id: int, quantity: int, actor: Actor, seen_version: int | None) -> Order:
    """Set a line's quantity (1 to ``MAX_QUANTITY``; ``remove_line`` takes it off)."""
    with editing(order_id, actor, seen_version, line_id) as order:
        line = line_on(order, line_id)
        check_quantity(quantity)
        old = line.quantity
        line.quantity = quantity
        return finish(order, actor, "line changed", {line.label: (old, quantity)} if old != quantity else {})


def remove_line(order_id: int, line_id: int, actor: Actor, seen_version: int | None) -> tuple[Order, str]:
    """Take a line off the order; returns the order and the line's label (what the answer says was removed)."""
    with editing(order_id, actor, seen_version, line_id) as order:
        line = line_on(order, line_id)
        label, old = line.label, line.quantity
        order.lines.remove(line)
        return finish(order, actor, "line removed", {label: (old, 0)}), label


def add_line(
    order_id: int,
    variant_id: int,
    quantity: int,
    actor: Actor,
    seen_version: int | None,
    option: str | None = None,
) -> OrderLine:
    """Add a product size with one of its options (none given: the product's default); if the order already
    has that size with that option, its quantity goes up instead. Returns the line."""
    with editing(order_id, actor, seen_version) as order:
        check_quantity(quantity)
        variant = orderable_variant(variant_id)
        option = chosen_option(variant.product, option)
        line = next(
            (line for line in order.lines if (line.variant_id, line.option) == (variant.id, option)), None
        )
        if line is not None:
            old = line.quantity
            check_quantity(old + quantity)
            line.quantity = old + quantity
            finish(order, actor, "line changed", {line.label: (old, line.quantity)})
            return line
        if len(order.lines) >= MAX_LINES:
            raise ServiceError(f"An order can have at most {MAX_LINES} lines.", "variant_id")
        negotiated = pricing.customer_prices(order.customer_id, [variant.id])
        line = OrderLine(
            variant=variant,
            option=option,
            quantity=quantity,
            unit_price=pricing.unit_price(variant, negotiated),
        )
        order.lines.append(line)
        finish(order, actor, "line added", {line.label: (0, quantity)})
        return line


def chosen_option(product: Product, option: str | None) -> str:
    """The option a new line of ``product`` gets: one of the product's options (matched ignoring case and
    surrounding spaces), or its default when none is given. A product without options takes none."""
    wanted = (option or "").strip()
    if not wanted:
        return product.default_option
    if not product.options:
        raise ServiceError(f"{product.name} has no options to choose from.", "option")
    found = next((name for name in product.option_names if name.casefold() == wanted.casefold()), None)
    if found is None:
        raise ServiceError(
            f"Choose one of the options of {product.name}: {', '.join(product.option_names)}.", "option"
        )
    return found


def withdrawn_options(lines: list[OrderLine]) -> list[OrderLine]:
    """The lines whose chosen option their product no longer offers (renamed or removed since), in one query.
    A line without an option is not one of them."""
    product_ids = {line.variant.product_id for line in lines if line.option}
    if not product_ids:
        return []
    offered = set(
        db.session.execute(
            select(ProductOption.product_id, ProductOption.name).where(
                ProductOption.product_id.in_(product_ids)
            )
        ).tuples()
    )
    return [line for line in lines if line.option and (line.variant.product_id, line.option) not in offered]


def set_details(
    order_id: int,
    shipping_option_id: int | None,
    notes: str,
    actor: Actor,
    seen_version: int | None,
    delivery_date: date | None = None,
) -> Order:
    """The customer's choice of delivery option (its fee comes from the catalog), delivery date and notes."""
    with editing(order_id, actor, seen_version) as order:
        changes = apply_details(order, shipping_option_id, notes, delivery_date)
        return finish(order, actor, "details changed", changes)


def orderable_variant(variant_id: int) -> Variant:
    variant = db.session.get(Variant, variant_id) if is_id(variant_id) else None
    if variant is None or not variant.on_sale:
        raise ServiceError(VARIANT_NOT_ORDERABLE, "variant_id")
    return variant


ACTIVE_SHIPPING_OPTIONS = (
    select(ShippingOption).where(ShippingOption.active).order_by(ShippingOption.position, ShippingOption.name)
)


def active_shipping_options() -> list[ShippingOption]:
    return list(db.session.scalars(ACTIVE_SHIPPING_OPTIONS))


def apply_details(
    order: Order, shipping_option_id: int | None, notes: str, delivery_date: date | None = None
) -> dict:
    """Set shipping, delivery date and notes on ``order`` without committing; returns what changed, for the
    history. A date must be one the option offers now (``deliveries.choices``); None keeps the one set."""
    option = None
    if shipping_option_id:
        option = db.session.get(ShippingOption, shipping_option_id) if is_id(shipping_option_id) else None
        if option is None or not option.active:
            raise ServiceError("Please choose one of the delivery options listed.", "shipping_option_id")
    changes = {}
    if order.shipping_option_id != (option.id if option else None):
        old = order.shipping_option.name if order.shipping_option else None
        changes["shipping"] = (old, option.name if option else None)
        order.shipping_option = option
        order.shipping_fee = option.fee if option else pricing.ZERO
    if delivery_date is not None and delivery_date != order.delivery_date:
        offered = deliveries.choices(option)
        if delivery_date not in {choice.day for choice in offered}:
            raise ServiceError(deliveries.not_offered(option, delivery_date), "delivery_date")
        changes["delivery date"] = (order.delivery_date, delivery_date)
        order.delivery_date = delivery_date
    notes = notes.replace("\x00", "").strip()
    if notes != order.notes:
        changes["notes"] = (order.notes, notes)
        order.notes = notes
    return changes
