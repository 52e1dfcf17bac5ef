"""Production runs: the approved orders roasted on one day, from planning to fulfilment.

Each change is one use case in one transaction, called by staff only, and all-or-nothing: when any order
asked for cannot be used, the whole request is refused with a message naming it, and nothing changes.

Concurrency. Every change to a run starts by *claiming* it: a conditional UPDATE that proves the run is
still in the expected status. It takes the run's row lock on PostgreSQL and the database write lock on
SQLite, so two requests on one run take turns. Orders are read ``FOR UPDATE`` (PostgreSQL) after that, and
the order's version column (optimistic locking) catches what is left: two runs claiming one order at the
same moment. So an order is in at most one run, and only an approved order joins an open one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from ...models import Order, OrderLine, ProductionRun, Variant, utcnow
from ..errors import ServiceError
from ..invoicing.issuing import FULFILLED, issue_on
from ..mail.delivery import deliver_all
from ..orders import pricing
from ..orders.history import Actor, record

MAX_ORDERS_PER_REQUEST = 1000
# Orders that count in a run: an order cancelled elsewhere while in an open run is simply left out.
IN_RUN_STATUSES = ("approved", "in_production", "fulfilled")
RACE_MESSAGE = "Someone changed these orders at the same moment, so nothing was changed. Please look again."


class RunLocked(ServiceError):
    """The run is no longer in the status the change needs (closed runs take no more orders…)."""


def describe(run: ProductionRun) -> str:
    return f"run #{run.id} ({run.roast_date:%a %d %b %Y})"


# --- Creating a run ---------------------------------------------------------------------------------------


def proposed_orders(roast_date: date) -> list[Order]:
    """Approved orders in no run whose roast date is ``roast_date`` or not set: what a new run suggests."""
    query = (
        select(Order)
        .where(
            Order.status == "approved",
            Order.production_run_id.is_(None),
            (Order.roast_date == roast_date) | Order.roast_date.is_(None),
        )
        .options(joinedload(Order.customer))
        .order_by(Order.id)
    )
    return by_customer_name(db.session.scalars(query))


def create_run(roast_date: date, order_ids: Collection[int], actor: Actor) -> ProductionRun:
    """Open a run for ``roast_date`` holding the chosen approved orders (none is fine: fill it later).

    One transaction: the run exists only if every chosen order could join it."""
    run = ProductionRun(roast_date=roast_date, status="open", notes="", created_by_staff_id=actor.staff_id)
    db.session.add(run)
    with _all_or_nothing():
        db.session.flush()  # the first write of the transaction: from here on SQLite serialises us
        if order_ids:
            _join(run, _claimable(run, order_ids), actor)
        db.session.commit()
    return run


# --- Changing an open run ---------------------------------------------------------------------------------


def add_orders(run: ProductionRun, order_ids: Collection[int], actor: Actor) -> list[Order]:
    """Add approved orders that are in no run; orders already in this run are left as they are."""
    if not order_ids:
        raise ServiceError("Choose at least one order to add.", "order_ids")

    def change():
        orders = _claimable(run, order_ids)
        _join(run, orders, actor)
        return orders

    return _in_transaction(run, "open", change)


def remove_order(run: ProductionRun, order_id: int, actor: Actor) -> Order:
    """Take an order out of the open run; it is approved again and free for another run."""

    def change():
        order = _orders_for_update([order_id]).get(order_id)
        if order is None or order.production_run_id != run.id:
            raise ServiceError("That order is not in this run (any more), so nothing was removed.")
        order.production_run_id = None
        record(order, actor, "removed from production run", {"production run": (f"#{run.id}", None)})
        return order

    return _in_transaction(run, "open", change)


def merge_orders(run: ProductionRun, keep_id: int, order_ids: Collection[int], actor: Actor) -> Order:
    """Merge one customer's orders in the run into the order ``keep_id``.

    The kept order gets every line of the others, summed per bag size (a size it already has keeps its
    unit price; a new size keeps the price its order was placed at); notes are joined, and its own shipping,
    discount and roast date stay. Its totals are recomputed. Each other order is cancelled with the reason
    and leaves the run, its lines untouched. Both histories say what happened. One transaction.
    """
    ids = set(order_ids) | {keep_id}
    if not 2 <= len(ids) <= MAX_ORDERS_PER_REQUEST:
        raise ServiceError("Choose at least two orders of one customer to merge.")

    def change():
        orders = _orders_for_update(ids, with_lines=True)
        if any(i not in orders or orders[i].production_run_id != run.id for i in ids):
            raise ServiceError(
                "Only orders in this run can be merged; some of these are not in it (any more)."
            )
        _refuse_unless_approved(orders.values())
        if len({order.customer_id for order in orders.values()}) > 1:
            raise ServiceError("Only orders of the same customer can be merged.")
        kept = orders[keep_id]
        for other in sorted((o for o in orders.values() if o.id != keep_id), key=lambda o: o.id):
            _merge_into(kept, other, run, actor)
        return kept

    return _in_transaction(run, "open", change)


def _merge_into(kept: Order, other: Order, run: ProductionRun, actor: Actor) -> None:
    changes: dict[str, tuple] = {"merged from": (None, other.number)}
    # A line is a size with an option: the same size in two grinds stays two lines.
    lines = {(line.variant_id, line.option): line for line in kept.lines}
    for line in other.lines:
        label, key = line.label, (line.variant_id, line.option)
        if key in lines:
            target = lines[key]
            changes[label] = (target.quantity, target.quantity + line.quantity)
            target.quantity += line.quantity
        else:
            lines[key] = OrderLine(
                variant=line.variant,
                option=line.option,
                quantity=line.quantity,
                unit_price=line.unit_price,
                price_override_reason=line.price_override_reason,
            )
            kept.lines.append(lines[key])
            changes[label] = (0, line.quantity)
    if other.notes.strip():
        notes = f"{kept.notes}\n{other.number}: {other.notes}".strip()
        changes["notes"] = (kept.notes, notes)
        kept.notes = notes
    old_total = kept.total
    pricing.apply_totals(kept)
    changes["total"] = (old_total, kept.total)
    record(kept, actor, "merged", changes)

    reason = f"Merged into {kept.number} (same customer) in production {describe(run)}."
    record(
        other,
        actor,
        "merged away",
        {
            "status": (other.status, "cancelled"),
            "merged into": (None, kept.number),
            "production run": (f"#{run.id}", None),
        },
    )
    other.status, other.cancelled_at, other.cancel_reason = "cancelled", utcnow(), reason
    other.production_run_id = None


def close_run(run: ProductionRun, actor: Actor) -> int:
    """Roasting starts: the run is closed and its orders are in production, roasted on the run's date."""

    def change():
        orders = _orders_in_run(run, "approved")
        if not orders:
            raise ServiceError("This run has no orders yet. Add at least one before closing it.")
        for order in orders:
            changes = {"status": ("approved", "in_production")}
            if order.roast_date != run.roast_date:
                changes["roast date"] = (order.roast_date, run.roast_date)
                order.roast_date = run.roast_date
            order.status = "in_production"
            record(order, actor, "in production", changes)
        run.status, run.closed_at = "closed", utcnow()
        return len(orders)

    return _in_transaction(run, "open", change)


def finish_run(run: ProductionRun, actor: Actor) -> int:
    """Roasted and packed: the run is done and its orders are fulfilled (and invoiced, when invoices are
    issued on fulfilment: services.invoicing.issuing)."""
    invoice_emails = []

    def change():
        orders = _orders_in_run(run, "in_production")
        for order in orders:
            order.status = "fulfilled"
            record(order, actor, "fulfilled", {"status": ("in_production", "fulfilled")})
            invoice_emails.append(issue_on(order, FULFILLED, actor.staff_id))
        run.status, run.done_at = "done", utcnow()
        return len(orders)

    finished = _in_transaction(run, "closed", change)
    deliver_all([email.id for email in invoice_emails if email is not None])
    return finished


# --- The machinery the changes share ----------------------------------------------------------------------

_NEEDS = {
    "open": "Orders can only be added, removed or merged while the run is open",
    "closed": "Only a closed run (in production) can be marked done",
}


def _in_transaction(run: ProductionRun, status: str, change):
    """Claim the run in ``status``, make the change, commit; any refusal or race rolls everything back."""
    with _all_or_nothing():
        claimed = db.session.execute(
            update(ProductionRun)
            .where(ProductionRun.id == run.id, ProductionRun.status == status)
            .values(status=status)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.refresh(run)
        if claimed != 1:
            raise RunLocked(
                f"Run #{run.id} ({run.roast_date:%a %d %b %Y}) is {run.status}. "
                f"{_NEEDS[status]}; nothing was changed."
            )
        result = change()
        db.session.commit()
        return result


@contextmanager
def _all_or_nothing() -> Iterator[None]:
    """Around a use case's writes: a refusal rolls everything back, and so does losing a race (another
    request changed the same rows), which is refused with RACE_MESSAGE."""
    try:
        yield
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise ServiceError(RACE_MESSAGE) from None
    except ServiceError:
        db.session.rollback()
        raise


def _orders_for_update(ids: Collection[int], *, with_lines: bool = False) -> dict[int, Order]:
    """The orders with these ids, locked and read afresh (another request may just have changed them)."""
    options = [joinedload(Order.customer, innerjoin=True), selectinload(Order.events)]
    if with_lines:
        options.append(selectinload(Order.lines).joinedload(OrderLine.variant).joinedload(Variant.product))
    query = (
        select(Order)
        .where(Order.id.in_(list(ids)))
        .options(*options)
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    )
    return {order.id: order for order in db.session.scalars(query)}


def _orders_in_run(run: ProductionRun, status: str) -> list[Order]:
    query = (
        select(Order)
        .where(Order.production_run_id == run.id, Order.status == status)
        .options(selectinload(Order.events))
        .order_by(Order.id)
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(query))


def _claimable(run: ProductionRun, order_ids: Collection[int]) -> list[Order]:
    """The orders asked for, each approved and in no other run; else a refusal naming every problem."""
    if len(order_ids) > MAX_ORDERS_PER_REQUEST:
        raise ServiceError(f"Choose at most {MAX_ORDERS_PER_REQUEST} orders at a time.", "order_ids")
    orders = _orders_for_update(order_ids)
    if len(orders) != len(set(order_ids)):
        raise ServiceError(
            "Some of the chosen orders do not exist. Please reload the page and choose again.", "order_ids"
        )
    _refuse_unless_approved(orders.values())
    elsewhere = [o for o in orders.values() if o.production_run_id not in (None, run.id)]
    if elsewhere:
        taken = ", ".join(
            f"{o.number} ({o.customer.business_name})" for o in sorted(elsewhere, key=lambda o: o.id)
        )
        raise ServiceError(
            f"Already in another production run: {taken}. An order can be in one run only.", "order_ids"
        )
    return [o for o in sorted(orders.values(), key=lambda o: o.id) if o.production_run_id is None]


def _refuse_unless_approved(orders) -> None:
    refused = sorted((o for o in orders if o.status != "approved"), key=lambda o: o.id)
    if refused:
        listed = ", ".join(f"{o.number} is {o.status.replace('_', ' ')}" for o in refused)
        raise ServiceError(f"Only approved orders can go into a run or be merged: {listed}.", "order_ids")


def _join(run: ProductionRun, orders: list[Order], actor: Actor) -> None:
    for order in orders:
        order.production_run_id = run.id
        record(order, actor, "added to production run", {"production run": (None, f"#{run.id}")})


def customer_name_order(order) -> tuple:
    """How lists of orders are sorted for staff: by customer name, then earliest placed."""
    return order.customer.business_name.lower(), order.placed_at or order.created_at, order.id


def by_customer_name(orders) -> list[Order]:
    return sorted(orders, key=customer_name_order)
