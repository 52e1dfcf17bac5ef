"""Staff remind the silent customers of a week again, from the week board, several at once.

Each ticked customer still silent for the week (``board.SILENT``) gets staff's "send now" reminder
(``reminders.dispatch.send_reminder_now``: its own transaction, so one refusal stops none of the others);
anyone else is refused with the reason, as is an id that is no active customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ...extensions import db
from ...formatting import local_moment
from ...models import Customer, utcnow
from ..errors import ServiceError
from ..reminders.dispatch import send_reminder_now
from .board import NO_ORDER, ORDERED, STANDING, week_board
from .week import Week

NOT_SILENT = {
    ORDERED: "has an order for the week already",
    STANDING: "a standing order will place one for the week",
    NO_ORDER: "said “no order this week”",
}


@dataclass
class Nudged:
    sent: list[str] = field(default_factory=list)  # business names
    refused: list[tuple[str, str]] = field(default_factory=list)  # (who, why)


def why_not_now(week: Week, now: datetime | None = None) -> str:
    """Why reminders sent now would not answer ``week`` ("" when they would): a reminder answers a week from
    the Monday before it to its end (``week.REMINDED_MEANS``)."""
    now = now or utcnow()
    if now < week.reminders_from():
        return f"Reminders for this week can be sent from {local_moment(week.reminders_from())}."
    if now >= week.reminders_until():
        return "This week is over: its reminders can no longer be sent."
    return ""


def remind_silent(week: Week, customer_ids: list[int], now: datetime | None = None) -> Nudged:
    """Send the week's reminder again to each of ``customer_ids`` still silent for ``week``.

    One transaction per customer reminded; reading the board first costs its fixed statements. Refused as a
    whole (nothing sent) outside the week's reminder window (``why_not_now``).
    """
    now = now or utcnow()
    if refusal := why_not_now(week, now):
        raise ServiceError(refusal + " Nothing was sent.")
    rows = {row.customer_id: row for row in week_board(week).rows}
    result = Nudged()
    for customer_id in dict.fromkeys(customer_ids):
        row = rows.get(customer_id)
        if row is None:
            result.refused.append((f"Customer #{customer_id}", "is not an active customer"))
        elif not row.silent:
            result.refused.append((row.business_name, NOT_SILENT[row.state]))
        else:
            try:
                send_reminder_now(db.session.get(Customer, customer_id), now)
            except ServiceError as error:
                result.refused.append((row.business_name, error.message))
            else:
                result.sent.append(row.business_name)
    return result
