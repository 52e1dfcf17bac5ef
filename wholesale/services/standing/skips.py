"""Skipping one delivery of a standing order ahead of its cut-off, from the portal, the back office, or the
preview email's link.

A skip is the delivery's outcome "skipped", claimed like a placement (``claims``): whichever comes first
stands, so a skip made while the tick places the delivery either wins before the cut-off or is refused
after it. Taking a skip back before the cut-off empties the outcome again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update

from ...extensions import db
from ...formatting import short_day
from ...models import Contact, StandingDelivery, StandingOrder, utcnow
from ...models.standing import PLACED, SKIPPED
from ...transactions import begin_writing
from .. import deliveries
from ..customers import links
from ..errors import ServiceError
from . import claims, schedule

# How a skip made ahead (by the customer or staff) begins its reason, unlike the tick's "Not placed: …".
SKIPPED_AHEAD = "Skipped by "


def skip_purpose(delivery_id: int) -> str:
    """The token purpose of a preview's "Skip this delivery" link: bound to one delivery, never a sign-in."""
    return f"standing-skip/{delivery_id}"


@dataclass(frozen=True)
class SkipLink:
    delivery: StandingDelivery
    contact: Contact


def read_skip_link(delivery_id: int, token: str, now: datetime | None = None) -> SkipLink:
    """The delivery and contact a skip link names; raises ``links.LinkError``. Only reads."""
    contact = links.read_token(token, (skip_purpose(delivery_id),), now)
    row = db.session.get(StandingDelivery, delivery_id)
    if row is None or row.standing_order.customer_id != contact.customer_id:
        raise links.LinkError("invalid")
    return SkipLink(row, contact)


def _cutoff(standing: StandingOrder, day: date, now: datetime) -> datetime:
    """The delivery's cut-off, refusing a day the standing order does not deliver on or whose cut-off passed."""
    if standing.stopped:
        raise ServiceError("This standing order is stopped: it places nothing more.")
    if not schedule.on_schedule(standing, day):
        raise ServiceError(f"This standing order does not deliver on {short_day(day)}.")
    cutoff = deliveries.delivery_day(standing.shipping_option, day, deliveries.roastery_zone()).cutoff
    if cutoff <= now:
        raise ServiceError(
            f"{deliveries.closed(day, cutoff)}: the standing order has placed it or skipped it."
        )
    return cutoff


def skip(standing: StandingOrder, day: date, by: str, now: datetime | None = None) -> StandingDelivery:
    """No delivery on ``day``: the standing order will not place it. One transaction; skipping twice is one
    skip. Refused after the cut-off."""
    now = now or utcnow()
    begin_writing()
    _cutoff(standing, day, now)
    row = claims.delivery_rows({(standing.id, day)})[(standing.id, day)]
    if row.outcome == PLACED:  # only after the cut-off, which _cutoff refused: a clock moved back
        db.session.rollback()
        raise ServiceError(f"The delivery of {short_day(day)} was placed already.")
    claims.claim_outcome(row, SKIPPED, f"{SKIPPED_AHEAD}{by}.", now)
    db.session.commit()
    return row


def unskip(standing: StandingOrder, day: date, now: datetime | None = None) -> None:
    """Take a skip back: the delivery is placed at its cut-off after all. One transaction. Refused after the
    cut-off, and for a delivery the tick skipped (the roastery closed, it was ordered already)."""
    now = now or utcnow()
    begin_writing()
    _cutoff(standing, day, now)
    db.session.execute(
        update(StandingDelivery)
        .where(
            StandingDelivery.standing_order_id == standing.id,
            StandingDelivery.delivery_date == day,
            StandingDelivery.outcome == SKIPPED,
        )
        .values(outcome=None, reason="", decided_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def skipped_days(standing_ids: list[int], since: date) -> dict[int, dict[date, str]]:
    """The days each standing order skips from ``since`` on, with the reason: {standing id: {day: reason}}."""
    found: dict[int, dict[date, str]] = {standing_id: {} for standing_id in standing_ids}
    if not standing_ids:
        return found
    rows = db.session.execute(
        select(
            StandingDelivery.standing_order_id, StandingDelivery.delivery_date, StandingDelivery.reason
        ).where(
            StandingDelivery.standing_order_id.in_(standing_ids),
            StandingDelivery.delivery_date >= since,
            StandingDelivery.outcome == SKIPPED,
        )
    )
    for standing_id, day, reason in rows:
        found[standing_id][day] = reason
    return found
