"""A customer's history: what staff did to its account (a sign-in link made for a contact, every link
revoked), newest first on the customer's page.

Entries are written by the use case they record, in its transaction: ``record`` only adds to the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import CustomerEvent, StaffUser

# How many entries the customer's page shows.
HISTORY_SHOWN = 20


def record(
    customer_id: int,
    kind: str,
    detail: str,
    staff_user_id: int | None = None,
    contact_id: int | None = None,
    at: datetime | None = None,
) -> CustomerEvent:
    """Add one entry to the session; the calling use case commits it together with what it records."""
    event = CustomerEvent(
        customer_id=customer_id,
        kind=kind,
        detail=detail,
        staff_user_id=staff_user_id,
        contact_id=contact_id,
        **({"at": at} if at is not None else {}),
    )
    db.session.add(event)
    return event


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str  # the staff member's name (their email when they have none); "" when no one signed in did it
    what: str


def latest_events(customer_id: int, shown: int = HISTORY_SHOWN) -> list[HistoryEntry]:
    """The customer's latest ``shown`` entries, newest first: two statements whatever their number."""
    events = db.session.scalars(
        select(CustomerEvent)
        .where(CustomerEvent.customer_id == customer_id)
        .options(selectinload(CustomerEvent.staff_user))
        .order_by(CustomerEvent.at.desc(), CustomerEvent.id.desc())
        .limit(shown)
    )
    return [HistoryEntry(event.at, _who(event.staff_user), event.detail) for event in events]


def _who(staff: StaffUser | None) -> str:
    if staff is None:
        return ""
    return staff.name or staff.email
