"""Changing an order's lines and details: the customer's draft or pending order, or staff before production.

Every function checks the order may still be changed, checks it is the version the edit was made against,
recomputes the totals on the server (prices come from the catalog, never from the client), writes the change
to the order's history once it is placed, and commits once.

Optimistic locking: a page shows an order at some ``version`` and sends it back with every edit. An edit
against an older version is refused with ``StaleOrder`` and nothing is saved, so a customer and a staff
member editing one order at once never overwrite each other: one wins, the other is told and shown the
order as it is now. Two requests racing past the check are caught by the version column itself (the
second UPDATE matches no row), and get the same refusal. ``seen_version=None`` means "not checked": the
customer's own draft, which nobody else edits.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, exists, literal_column, select, update
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..formatting import local_time
from ..models import Contact, Order, OrderEvent, OrderLine, ShippingOption, StaffUser, Variant, utcnow
from ..transactions import begin_writing, commit_keeping_loaded, one_statement
from . import pricing
from .errors import ServiceError
from .history import Actor, record

if TYPE_CHECKING:
    from .order_views import OrderView

MAX_QUANTITY = 999
MAX_LINES = 200
EDITABLE_BY_CUSTOMER = ("draft", "pending")


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
    if order.status not in EDITABLE_BY_CUSTOMER:
        raise OrderLocked(
            f"Order {order.number} is {order.status.replace('_', ' ')} and can no longer be changed here. "
            "Please contact the roastery."
        )


def ensure_current(
    order: Order, seen_version: int | None, actor: Actor, outcome: str = StaleOrder.EDIT
) -> None:
    """Refuse an edit made against an older version of the order (``None``: not checked)."""
    if seen_version is not None and seen_version != order.version:
        raise StaleOrder.for_order(order, actor, outcome)


def ensure_changeable(order: Order, actor: Actor, seen_version: int | None) -> None:
    ensure_editable(order, actor)
    ensure_current(order, seen_version, actor)


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


def check_quantity(quantity: int) -> None:
    if not 0 <= quantity <= MAX_QUANTITY:
        raise ServiceError(f"Enter a quantity from 0 to {MAX_QUANTITY}.", "quantity")


def finish_edit(order: Order, actor: Actor, action: str, changes: dict) -> None:
    """Recompute the totals, write the history, commit: the end of every edit, and its one transaction.

    A change makes a new version of the order even when the totals stay the same (a note, a date), so a
    page showing the old one cannot overwrite it. Losing the race at commit is a ``StaleOrder`` too.
    """
    with refused_if_stale(order, actor):
        pricing.apply_totals(order)
        if changes:
            order.updated_at = utcnow()
            if order.status != "draft":
                record(order, actor, action, changes)
        commit_keeping_loaded()


@contextmanager
def refused_if_stale(order: Order, actor: Actor, outcome: str = StaleOrder.EDIT):
    """Around the writes of a use case: losing the race on the version column (at commit, or at any
    autoflush before it) rolls everything back and becomes a ``StaleOrder``."""
    try:
        yield
    except StaleDataError:
        db.session.rollback()
        raise StaleOrder.for_order(order, actor, outcome) from None


def set_quantity(
    order: Order, line: OrderLine, quantity: int, actor: Actor, seen_version: int | None = None
) -> OrderLine | None:
    """Set a line's quantity; 0 removes the line. Returns the line, or None when it was removed."""
    ensure_changeable(order, actor, seen_version)
    check_quantity(quantity)
    if quantity == 0:
        remove_line(order, line, actor, seen_version)
        return None
    begin_writing()
    old = line.quantity
    line.quantity = quantity
    finish_edit(
        order, actor, "line changed", {line.variant.label: (old, quantity)} if old != quantity else {}
    )
    return line


# A draft's quantity change is the edit made most: every +/− tap. It takes the draft as its page shows it
# (``order_views``, read by the caller) and writes its two rows itself, with statements built once, instead of
# through the ORM and its unit of work (together about a millisecond and a half less of the server's time per
# tap): the order's new version and totals, and the line. The order's row is changed only if it is still the
# draft, at the version that was read, and the line is still on it; every other change to a draft's lines
# makes a new version too. On PostgreSQL both writes are one statement (a data-modifying WITH), atomic by
# itself, so the tap needs no transaction around it: the request reads without one
# (``transactions.reads_first``) and makes three round trips instead of six. SQLite has no such statement:
# there the two run in a transaction.
_LINE, _ORDER = OrderLine.__table__, Order.__table__
_BUMP_DRAFT = (
    update(_ORDER)
    .where(
        _ORDER.c.id == bindparam("draft_id"),
        _ORDER.c.status == literal_column("'draft'"),
        _ORDER.c.version == bindparam("read_version"),
        exists().where(_LINE.c.id == bindparam("line_id"), _LINE.c.order_id == _ORDER.c.id),
    )
    .values(
        version=bindparam("new_version", type_=_ORDER.c.version.type),
        subtotal=bindparam("new_subtotal", type_=_ORDER.c.subtotal.type),
        total=bindparam("new_total", type_=_ORDER.c.total.type),
        updated_at=bindparam("now", type_=_ORDER.c.updated_at.type),
    )
)
_SET_LINE_QUANTITY = (
    update(_LINE)
    .where(_LINE.c.id == bindparam("line_id"), _LINE.c.order_id == bindparam("draft_id"))
    .values(quantity=bindparam("new_quantity", type_=_LINE.c.quantity.type))
)
_BUMPED = _BUMP_DRAFT.returning(_ORDER.c.id).cte("bumped")
_CHANGE_DRAFT_QUANTITY = one_statement(  # WITH bumped AS (UPDATE "order" … RETURNING id) UPDATE order_line …
    update(_LINE)
    .where(_LINE.c.id == bindparam("line_id"), _LINE.c.order_id == _BUMPED.c.id)
    .values(quantity=bindparam("new_quantity", type_=_LINE.c.quantity.type))
)


def change_draft_quantity(draft: OrderView, line_id: int, quantity: int) -> OrderView:
    """A +/− tap on the customer's draft (nobody's history to write): the draft as it is now. ``StaleOrder``,
    with nothing written, when another edit committed since the draft was read (or placed it), or the line
    is gone. Removing a line (quantity 0) is ``remove_line``'s."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ServiceError(f"Enter a quantity from 1 to {MAX_QUANTITY}.", "quantity")
    lost = StaleOrder(f"Order {draft.number} was changed meanwhile, so your change was not saved.")
    if draft.line(line_id) is None:
        raise lost
    changed = draft.with_quantity(line_id, quantity)
    if changed == draft:
        return draft  # nothing to write
    totals = pricing.storable_totals(changed)
    params = {"draft_id": draft.id, "read_version": draft.version, "new_version": draft.version + 1,
              "new_subtotal": totals.subtotal, "new_total": totals.total, "now": utcnow(),
              "line_id": line_id, "new_quantity": quantity}
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        written = session.execute(_CHANGE_DRAFT_QUANTITY, params).rowcount == 1
    else:
        begin_writing()
        written = (
            session.execute(_BUMP_DRAFT, params).rowcount == 1
            and session.execute(_SET_LINE_QUANTITY, params).rowcount == 1
        )
    if not written:
        session.rollback()
        raise lost
    commit_keeping_loaded()  # after the one statement in autocommit mode: nothing is sent
    return replace(changed, version=draft.version + 1)


def remove_line(order: Order, line: OrderLine, actor: Actor, seen_version: int | None = None) -> None:
    ensure_changeable(order, actor, seen_version)
    begin_writing()
    label, old = line.variant.label, line.quantity
    order.lines.remove(line)
    finish_edit(order, actor, "line removed", {label: (old, 0)})


def orderable_variant(variant_id: int) -> Variant:
    variant = db.session.get(Variant, variant_id) if 0 < variant_id < 2**31 else None
    if variant is None or variant.retired:
        raise ServiceError("That product is not available any more. Please pick another.", "variant_id")
    return variant


def add_line(
    order: Order, variant_id: int, quantity: int, actor: Actor, seen_version: int | None = None
) -> OrderLine:
    """Add a product size; if the order already has it, its quantity goes up instead."""
    ensure_changeable(order, actor, seen_version)
    begin_writing()
    if quantity < 1:
        raise ServiceError(f"Enter a quantity from 1 to {MAX_QUANTITY}.", "quantity")
    variant = orderable_variant(variant_id)
    line = next((line for line in order.lines if line.variant_id == variant.id), None)
    if line is not None:
        old = line.quantity
        check_quantity(old + quantity)
        line.quantity = old + quantity
        finish_edit(order, actor, "line changed", {variant.label: (old, line.quantity)})
        return line
    check_quantity(quantity)
    if len(order.lines) >= MAX_LINES:
        raise ServiceError(f"An order can have at most {MAX_LINES} lines.", "variant_id")
    negotiated = pricing.customer_prices(order.customer_id, [variant.id])
    line = OrderLine(variant=variant, quantity=quantity, unit_price=pricing.unit_price(variant, negotiated))
    order.lines.append(line)
    finish_edit(order, actor, "line added", {variant.label: (0, quantity)})
    return line


ACTIVE_SHIPPING_OPTIONS = (
    select(ShippingOption).where(ShippingOption.active).order_by(ShippingOption.position, ShippingOption.name)
)


def active_shipping_options() -> list[ShippingOption]:
    return list(db.session.scalars(ACTIVE_SHIPPING_OPTIONS))


def set_details(
    order: Order, shipping_option_id: int | None, notes: str, actor: Actor, seen_version: int | None = None
) -> None:
    """The customer's choice of shipping option (its fee comes from the catalog) and their notes."""
    ensure_changeable(order, actor, seen_version)
    begin_writing()
    finish_edit(order, actor, "details changed", apply_details(order, shipping_option_id, notes))


def apply_details(order: Order, shipping_option_id: int | None, notes: str) -> dict:
    """Set shipping and notes on ``order`` without committing; returns what changed, for the history."""
    option = None
    if shipping_option_id:
        option = db.session.get(ShippingOption, shipping_option_id) if shipping_option_id < 2**31 else None
        if option is None or not option.active:
            raise ServiceError("Please choose one of the delivery options listed.", "shipping_option_id")
    changes = {}
    if order.shipping_option_id != (option.id if option else None):
        old = order.shipping_option.name if order.shipping_option else None
        changes["shipping"] = (old, option.name if option else None)
        order.shipping_option = option
        order.shipping_fee = option.fee if option else pricing.ZERO
    notes = notes.replace("\x00", "").strip()
    if notes != order.notes:
        changes["notes"] = (order.notes, notes)
        order.notes = notes
    return changes
