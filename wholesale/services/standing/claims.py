"""Each delivery of a standing order is previewed once and decided (placed or skipped) once.

A delivery is a ``StandingDelivery`` row, unique per standing order and date, made when first needed (by
the tick, or by a skip made ahead). Each step is claimed by one conditional UPDATE in the transaction that
does it (writes the emails, places the order): of two ticks at once (two schedulers, a retried job), one
updates the row and the other finds it taken, waiting on the first's row lock on PostgreSQL and on the
database lock on SQLite. A transaction rolled back (a worker killed mid-placement) leaves the step
unclaimed for the next tick.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm.attributes import set_committed_value

from ...extensions import db
from ...models import StandingDelivery, utcnow
from ...transactions import insert_ignoring_taken


def delivery_rows(keys: set[tuple[int, date]]) -> dict[tuple[int, date], StandingDelivery]:
    """The rows of ``keys`` (standing order id, delivery date), made where missing; in the caller's
    transaction."""
    if not keys:
        return {}
    now = utcnow()
    db.session.execute(
        insert_ignoring_taken(StandingDelivery)
        .values(
            [
                {"standing_order_id": standing_id, "delivery_date": day, "reason": "", "created_at": now}
                for standing_id, day in sorted(keys)
            ]
        )
        .on_conflict_do_nothing(index_elements=["standing_order_id", "delivery_date"])
    )
    rows = db.session.scalars(
        select(StandingDelivery)
        .where(tuple_(StandingDelivery.standing_order_id, StandingDelivery.delivery_date).in_(sorted(keys)))
        .execution_options(populate_existing=True)
    )
    return {(row.standing_order_id, row.delivery_date): row for row in rows}


def claim_preview(row: StandingDelivery, now: datetime) -> bool:
    """Mark the delivery previewed (the row object too, as if loaded so); False when another transaction
    did, or it was decided already."""
    claimed = db.session.execute(
        update(StandingDelivery)
        .where(
            StandingDelivery.id == row.id,
            StandingDelivery.previewed_at.is_(None),
            StandingDelivery.outcome.is_(None),
        )
        .values(previewed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        set_committed_value(row, "previewed_at", now)
    return bool(claimed)


def claim_outcome(
    row: StandingDelivery, outcome: str, reason: str, now: datetime, order_id: int | None = None
) -> bool:
    """Decide the delivery (placed or skipped, with the reason); False when it was decided already."""
    claimed = db.session.execute(
        update(StandingDelivery)
        .where(StandingDelivery.id == row.id, StandingDelivery.outcome.is_(None))
        .values(outcome=outcome, reason=reason, decided_at=now, order_id=order_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        for name, value in (
            ("outcome", outcome),
            ("reason", reason),
            ("decided_at", now),
            ("order_id", order_id),
        ):
            set_committed_value(row, name, value)
    return bool(claimed)
