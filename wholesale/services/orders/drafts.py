"""The customer's draft: last week's order, ready to adjust and place.

A customer has at most one draft (a partial unique index says so), shared by all its contacts and kept on
the server, so leaving and coming back, or another contact of the same café, finds the same one.

The week is built around the delivery: a customer who already ordered for a delivery to come is shown that
order (``upcoming_order``), not a fresh draft of the same lines; a draft left unplaced is made again from the
newest order when that is newer, or when a reminder came since (``refresh_draft``); a copied line keeps
the price it had, shown beside today's when they differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Contact, Customer, Order, OrderLine, Product, ReminderSend, Variant, utcnow
from ...transactions import begin_writing
from .. import deliveries
from . import pricing
from .editing import MAX_QUANTITY, locked_order
from .history import Actor


@dataclass
class Copied:
    """What copying an order's lines could not keep as it was, for the message shown beside the copy."""

    # Labels of lines left out because their product or size was retired.
    left_out: list[str] = field(default_factory=list)
    # "House Espresso, 1 kg bag: Whole bean instead of Turkish", for lines whose option is no longer offered.
    options_replaced: list[str] = field(default_factory=list)

    @property
    def notice(self) -> str:
        """The sentences that say so ('' when everything was copied as it was)."""
        sentences = []
        if self.left_out:
            sentences.append(f"Left out because no longer offered: {', '.join(self.left_out)}.")
        if self.options_replaced:
            sentences.append(
                f"Options no longer offered, so the default is used: {'; '.join(self.options_replaced)}."
            )
        return " ".join(sentences)


@dataclass
class Draft:
    order: Order
    copied: Copied = field(default_factory=Copied)
    copied_from: Order | None = None


def _with_lines(query):
    return query.options(
        selectinload(Order.lines)
        .joinedload(OrderLine.variant)
        .joinedload(Variant.product)
        .selectinload(Product.options)
    )


def as_shown(query):
    """Load an order with everything its page shows (lines, their products, the delivery option, the customer
    whose minimum it is held to) in the same statement (one round trip, not one per relationship)."""
    return query.options(
        joinedload(Order.lines).joinedload(OrderLine.variant).joinedload(Variant.product),
        joinedload(Order.shipping_option),
        joinedload(Order.customer, innerjoin=True),  # its minimum (orders.minimums)
    )


def one_order(query, **params) -> Order | None:
    """The one order ``query`` (made with ``as_shown``) finds, or None."""
    return db.session.scalars(query, params).unique().one_or_none()


# Built once: SQLAlchemy reuses the compiled statement without hashing it again. "draft" is written into the
# SQL, not sent as a parameter:
# PostgreSQL's plan for a prepared statement must know it to use the one-draft-per-customer partial index,
# else it reads every order of the customer.
CUSTOMERS_DRAFT = (Order.customer_id == bindparam("customer_id"), Order.status == literal_column("'draft'"))
DRAFT = as_shown(select(Order).where(*CUSTOMERS_DRAFT))


CUSTOMER_ORDER = as_shown(
    select(Order).where(Order.id == bindparam("order_id"), Order.customer_id == bindparam("customer_id"))
)


def customers_draft(customer_id: int) -> Order | None:
    """The customer's draft with what its page shows, or None."""
    return one_order(DRAFT, customer_id=customer_id)


def customer_order(order_id: int, customer_id: int) -> Order | None:
    """One of the customer's orders with what its pages show; None for an unknown id or another customer's."""
    return one_order(CUSTOMER_ORDER, order_id=order_id, customer_id=customer_id)


def last_orders(customer_ids: list[int]) -> dict[int, Order]:
    """Each customer's last order, with its lines, by customer id (none for a customer who has none).

    The one definition of "last order", which a new draft and a staff order copy and a reminder shows: the
    most recent order that is neither the draft nor cancelled, whoever placed it (portal or staff), by when
    it was placed (else entered), then by id. Two queries, for one customer or many."""
    if not customer_ids:
        return {}
    placed = func.coalesce(Order.placed_at, Order.created_at)
    newest_first = func.row_number().over(
        partition_by=Order.customer_id, order_by=(placed.desc(), Order.id.desc())
    )
    ranked = (
        select(Order.id, newest_first.label("rank"))
        .where(Order.customer_id.in_(customer_ids), Order.status.not_in(("draft", "cancelled")))
        .subquery()
    )
    query = _with_lines(select(Order).join(ranked, ranked.c.id == Order.id).where(ranked.c.rank == 1))
    return {order.customer_id: order for order in db.session.scalars(query)}


def last_order(customer: Customer) -> Order | None:
    """The customer's last order (``last_orders``), or None."""
    return last_orders([customer.id]).get(customer.id)


def copy_lines(source: Order, target: Order, customer: Customer, show_previous: bool = False) -> Copied:
    """Put ``source``'s lines on ``target`` at today's prices, each with its option; returns what could not be
    kept as it was: lines of retired sizes are left out, an option no longer offered becomes the product's
    default (two lines that then name the same size and option become one). ``show_previous`` (a customer's
    draft) keeps each line's price on ``source`` to show beside today's."""
    negotiated = pricing.customer_prices(customer.id, [line.variant_id for line in source.lines])
    copied = Copied()
    added: dict[tuple[int, str], OrderLine] = {}
    for line in source.lines:
        variant = line.variant
        if not variant.on_sale:
            copied.left_out.append(line.label)
            continue
        option = line.option
        if option not in variant.product.option_names and option != variant.product.default_option:
            option = variant.product.default_option
            if line.option:  # from before the product had options, the customer chose none: no word
                instead = f"{option} instead of {line.option}" if option else f"without {line.option}"
                copied.options_replaced.append(f"{variant.label}: {instead}")
        same = added.get((variant.id, option))
        if same is not None:
            same.quantity = min(same.quantity + line.quantity, MAX_QUANTITY)
            continue
        added[(variant.id, option)] = OrderLine(
            variant=variant,
            option=option,
            quantity=line.quantity,
            unit_price=pricing.unit_price(variant, negotiated),
            previous_unit_price=line.unit_price if show_previous else None,
        )
        target.lines.append(added[(variant.id, option)])
    return copied


def open_draft(customer: Customer, contact: Contact) -> Draft:
    """The customer's draft, made from the last order (or empty) when there is none. Commits when it makes one."""
    existing = customers_draft(customer.id)
    if existing is not None:
        return Draft(existing)
    return make_draft(customer, contact)


def make_draft(customer: Customer, contact: Contact) -> Draft:
    """A new draft for a customer found to have none: a copy of the last order (or empty). Commits. If another
    contact of the same customer made one at the same moment, theirs is the draft."""
    begin_writing()
    source = last_order(customer)
    draft = Order(
        customer=customer,
        channel="portal",
        status="draft",
        placed_by_contact_id=contact.id,
        discount_percent=customer.discount_percent,
    )
    _apply_default_shipping(draft, customer, source)
    apply_usual_delivery(draft, source)
    copied = copy_lines(source, draft, customer, show_previous=True) if source else Copied()
    pricing.apply_totals(draft)
    db.session.add(draft)
    try:
        db.session.commit()
    except IntegrityError:
        # Another contact of the same customer opened the page at the same moment: use their draft.
        db.session.rollback()
        return Draft(customers_draft(customer.id))
    return Draft(customers_draft(customer.id), copied, source)


def _apply_default_shipping(draft: Order, customer: Customer, source: Order | None) -> None:
    option = None
    if source is not None and source.shipping_option and source.shipping_option.active:
        option = source.shipping_option
    elif customer.default_shipping_option and customer.default_shipping_option.active:
        option = customer.default_shipping_option
    draft.shipping_option = option
    draft.shipping_fee = option.fee if option else pricing.ZERO


def apply_usual_delivery(order: Order, source: Order | None) -> deliveries.DeliveryDay | None:
    """Set the order's delivery date to the first offered on the weekday of ``source``'s delivery (the
    customer's usual day), else the first offered (None when its option offers none)."""
    usual = source.delivery_date.weekday() if source and source.delivery_date else None
    chosen = deliveries.preferred(deliveries.choices(order.shipping_option), None, usual)
    order.delivery_date = chosen.day if chosen else None
    return chosen


# Orders that hold a delivery to come: the order page opens them instead of a new draft.
UNDER_WAY = ("pending", "approved", "in_production")


def _literal_in(column, values: tuple[str, ...]):
    """``column IN (...)`` written into the SQL: no expanding parameters to render on every execution, and a
    plan PostgreSQL can make once (see CUSTOMERS_DRAFT)."""
    return column.in_([literal_column(f"'{value}'") for value in values])


# Built once (the order page runs it on every visit).
UPCOMING = (
    select(Order.id)
    .where(
        Order.customer_id == bindparam("customer_id"),
        _literal_in(Order.status, UNDER_WAY),
        Order.delivery_date >= bindparam("today"),
    )
    .order_by(Order.delivery_date, Order.id)
    .limit(1)
)


def upcoming_order(customer_id: int, today: date) -> Order | None:
    """The customer's order for their next delivery: the order under way with the soonest delivery date from
    ``today`` on (orders without a date, from before delivery dates, are never it)."""
    found = db.session.scalar(UPCOMING, {"customer_id": customer_id, "today": today})
    return customer_order(found, customer_id) if found is not None else None


@dataclass(frozen=True)
class Week:
    """Where the customer stands this week, read in one statement when the order page opens: their order
    for the next delivery (an id), when they last ordered, and when they were last reminded."""

    upcoming_id: int | None
    last_ordered_at: datetime | None
    last_reminded_at: datetime | None

    def newer_than(self, draft: Order) -> bool:
        """An order placed, or a reminder sent, since the draft last changed."""
        return any(
            at is not None and at > draft.updated_at for at in (self.last_ordered_at, self.last_reminded_at)
        )


WEEK_COLUMNS = (
    UPCOMING.scalar_subquery(),
    select(func.max(func.coalesce(Order.placed_at, Order.created_at)))
    .where(Order.customer_id == bindparam("customer_id"), ~_literal_in(Order.status, ("draft", "cancelled")))
    .scalar_subquery(),
    select(func.max(ReminderSend.created_at))
    .where(
        ReminderSend.customer_id == bindparam("customer_id"),
        ReminderSend.outcome != literal_column("'skipped'"),
    )
    .scalar_subquery(),
)
WEEK = select(*WEEK_COLUMNS)
# The draft with what its page shows, and the week beside it on each row: the order page's one read.
DRAFT_AND_WEEK = as_shown(select(Order, *WEEK_COLUMNS).where(*CUSTOMERS_DRAFT))


def customer_week(customer_id: int, today: date) -> Week:
    return Week(*db.session.execute(WEEK, {"customer_id": customer_id, "today": today}).one())


def draft_and_week(customer_id: int, today: date) -> tuple[Order | None, Week]:
    """The customer's draft (as ``customers_draft``) and their week, in one statement; a customer without a
    draft (the first visit of the week) has their week read on its own."""
    params = {"customer_id": customer_id, "today": today}
    row = db.session.execute(DRAFT_AND_WEEK, params).unique().first()
    if row is None:
        return None, customer_week(customer_id, today)
    return row[0], Week(*row[1:])


def ordered_for(customer_id: int, day: date) -> Order | None:
    """An order of the customer's already placed for delivery on ``day`` (any status but draft or
    cancelled), or None."""
    query = (
        select(Order)
        .where(
            Order.customer_id == customer_id,
            Order.delivery_date == day,
            Order.status.not_in(("draft", "cancelled")),
        )
        .order_by(Order.id)
        .limit(1)
    )
    return db.session.scalar(query)


def refresh_draft(customer: Customer, contact: Contact) -> Draft | None:
    """Make the draft again from the newest order: when that order is newer than the draft, or the customer
    was reminded since the draft last changed (``Week.newer_than``), a new week starts from the last order,
    not from what was left unplaced. None when there is no order to make it from."""
    source = last_order(customer)
    if source is None:
        return None
    return refill_draft(customer, contact, source, fresh=True)


def refill_draft(customer: Customer, contact: Contact, source: Order, fresh: bool = False) -> Draft:
    """ "Order these again": the draft's lines become ``source``'s, at today's prices. One transaction, with the
    draft's row locked before its lines are replaced: a +/− tap arriving meanwhile waits, then finds its line
    gone (a 404, and the page shows the order as it now is) instead of the two writing past each other. A
    draft placed from another tab while this waited for the lock is left as placed: a new draft takes the
    lines. ``fresh`` (a new week: ``refresh_draft``) also takes the source's delivery option and usual day;
    the notes typed on the draft stay."""
    begin_writing()
    actor = Actor(contact_id=contact.id, customer_id=customer.id)
    draft = locked_order(open_draft(customer, contact).order.id, actor)
    if draft.status != "draft":  # placed meanwhile
        db.session.rollback()
        draft = locked_order(open_draft(customer, contact).order.id, actor)
    draft.lines.clear()
    db.session.flush()
    if fresh:  # a new week: the last order's delivery option and usual day too
        _apply_default_shipping(draft, customer, source)
        apply_usual_delivery(draft, source)
    copied = copy_lines(source, draft, customer, show_previous=True)
    pricing.apply_totals(draft)
    draft.updated_at = utcnow()  # a new version even when the totals come out the same (see editing.finish)
    db.session.commit()
    return Draft(draft, copied, source)
