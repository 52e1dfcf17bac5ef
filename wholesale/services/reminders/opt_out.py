"""A contact stops (or restarts) their own weekly reminder, from the link in every reminder.

The link names the contact by a signed token, as a sign-in link does (``customers.links``), but it only
ever reads or sets whether that contact gets reminders: it signs nobody in. It lasts long, as an unsubscribe
link must (RFC 8058), and dies with the contact's email or the customer's revoked links.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ...extensions import db
from ...models import Contact, utcnow
from ..customers import links

PURPOSE = "reminders-opt-out"
LIFETIME = timedelta(days=400)


def opt_out_url(contact: Contact, now: datetime | None = None) -> str:
    """The address a reminder's footer and its List-Unsubscribe header give."""
    token = links.make_token(contact, PURPOSE, (now or utcnow()) + LIFETIME)
    return links.public_url("portal.reminders_stop", token=token)


def read_opt_out_link(token: str) -> Contact:
    """The contact the link names; ``links.LinkError`` when it is not (or no longer) a working link."""
    return links.read_token(token, (PURPOSE,))


def set_receives_reminders(contact: Contact, receives: bool) -> None:
    """Stop or restart the contact's weekly reminder: one transaction, committed here; idempotent."""
    contact.receives_reminders = receives
    db.session.commit()
