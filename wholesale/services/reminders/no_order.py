"""A customer's "no order this week", answered from the link in a weekly reminder.

The link's token is bound to one reminder (its purpose names the ReminderSend id) and one contact, and is
never a sign-in. Reading it only reads; recording the answer is one UPDATE, and the first answer stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from ...extensions import db
from ...models import Contact, ReminderSend, utcnow
from ..customers import links
from .dispatch import SENT_OUTCOMES, no_order_purpose


@dataclass(frozen=True)
class NoOrderAnswer:
    send: ReminderSend
    contact: Contact


def read_no_order_link(send_id: int, token: str, now: datetime | None = None) -> NoOrderAnswer:
    """The reminder and contact a "no order this week" link names; raises ``links.LinkError``. Only reads."""
    contact = links.read_token(token, (no_order_purpose(send_id),), now)
    send = db.session.get(ReminderSend, send_id)
    if send is None or send.customer_id != contact.customer_id or send.outcome not in SENT_OUTCOMES:
        raise links.LinkError("invalid")
    return NoOrderAnswer(send, contact)


def record_no_order(answer: NoOrderAnswer, now: datetime | None = None) -> bool:
    """Record "no order this week" on the reminder. One transaction; the first answer stands.

    True when this call recorded it, False when someone (another contact, a second tap) already had.
    """
    recorded = db.session.execute(
        update(ReminderSend)
        .where(ReminderSend.id == answer.send.id, ReminderSend.no_order_at.is_(None))
        .values(no_order_at=now or utcnow(), no_order_contact_id=answer.contact.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(answer.send)
    return bool(recorded)
