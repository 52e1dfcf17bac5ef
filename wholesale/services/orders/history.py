"""Who is acting on an order, and the order's history of changes."""

from __future__ import annotations

from dataclasses import dataclass

from ...extensions import db
from ...models import Order, OrderEvent


@dataclass(frozen=True)
class Actor:
    """A customer contact on the portal (with the customer whose orders they may change), or a staff member
    in the back office."""

    contact_id: int | None = None
    staff_id: int | None = None
    customer_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None


def _text(value) -> str | None:
    return None if value is None else str(value)


def record(order: Order, actor: Actor, action: str, changes: dict | None = None) -> OrderEvent:
    """Add an entry to the order's history; ``changes`` maps a field to its (old, new) values. (Set on the
    event, the order is not made to load its whole history first, as appending to ``order.events`` would.)"""
    event = OrderEvent(
        order=order,
        contact_id=actor.contact_id,
        staff_user_id=actor.staff_id,
        action=action,
        changes={field: [_text(old), _text(new)] for field, (old, new) in (changes or {}).items()},
    )
    db.session.add(event)
    return event
