"""A customer's contact chooses the weekday and time of their customer's weekly reminder, from the short list
the roastery offers (``REMINDER_CHOICES``; none offered: only staff set it).

Times are wall-clock times in the customer's reminder time zone, which stays as staff set it. Moving the
reminder never brings a second one in the same week: the tick skips an occurrence that a reminder sent less
than ``dispatch.SAME_WEEK`` before it already answered, whoever moved the schedule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import time

from ... import config
from ...extensions import db
from ...models import Contact, Customer, utcnow
from .. import settings
from ..errors import ServiceError

log = logging.getLogger(__name__)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NOT_OFFERED = "The roastery sets the day and time of your reminder; ask them to change it."
NOT_LISTED = "Choose one of the days and times listed."


@dataclass(frozen=True)
class ReminderChoice:
    weekday: int  # Monday=0 … Sunday=6
    at: time

    @property
    def key(self) -> str:
        """What the form sends for this choice: "6-18:00"."""
        return f"{self.weekday}-{self.at:%H:%M}"

    @property
    def label(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]}s at {self.at:%H:%M}"


def allowed_choices() -> list[ReminderChoice]:
    """The weekdays and times customers may choose from; empty when the roastery offers none."""
    text = settings.get("REMINDER_CHOICES") or ""
    return [ReminderChoice(weekday, at) for weekday, at in config.parse_reminder_choices(text)]


def current_choice(customer: Customer) -> ReminderChoice:
    return ReminderChoice(customer.reminder_weekday, customer.reminder_time.replace(second=0, microsecond=0))


def choose_reminder_time(customer: Customer, contact: Contact, key: str | None) -> ReminderChoice:
    """Set the customer's reminder to one of the allowed choices, named by its ``key``. One transaction.

    Refused (ServiceError, nothing changed) when the roastery offers no choice or ``key`` is not one of them.
    Who chose it and when is kept on the customer, which staff see on its page, and logged.
    """
    choices = allowed_choices()
    if not choices:
        raise ServiceError(NOT_OFFERED)
    chosen = next((choice for choice in choices if choice.key == key), None)
    if chosen is None:
        raise ServiceError(NOT_LISTED, "choice")
    before = current_choice(customer)
    customer.reminder_weekday, customer.reminder_time = chosen.weekday, chosen.at
    customer.reminder_chosen_by = f"{contact.name} ({contact.email})"
    customer.reminder_chosen_at = utcnow()
    db.session.commit()
    log.info(
        "customer %s: reminder moved from %s to %s by contact %s",
        customer.id,
        before.label,
        chosen.label,
        contact.id,
    )
    return chosen
