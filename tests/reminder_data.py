"""Builders and readers shared by the weekly reminder tests (journey 4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from email import message_from_bytes
from html import unescape

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Customer, Email, ReminderSend
from wholesale.services.reminders.calendar import Schedule, latest_occurrence
from wholesale.services.reminders.dispatch import TickReport, dispatch_due_reminders

from .factories import make_customer

UTC = UTC
LA = "America/Los_Angeles"
SUNDAY = 6
LINK = re.compile(r"https?://[^/\s\"]+(/link/[^\s\"<]+)")


def utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def remind(
    name: str,
    weekday: int = SUNDAY,
    at: wall_time = wall_time(2),
    zone: str = LA,
    contacts: int = 1,
    **fields,
) -> Customer:
    """A customer with weekly reminders on (default Sunday 02:00 Los Angeles) and ``contacts`` contacts."""
    fields.setdefault("reminders_enabled", True)
    return make_customer(
        name, contacts=contacts, reminder_weekday=weekday, reminder_time=at, reminder_timezone=zone, **fields
    )


def answered_before(customer: Customer, instant: datetime) -> None:
    """The reminder due before ``instant`` already went out, as it would have on a running system."""
    schedule = Schedule.of(customer.reminder_weekday, customer.reminder_time, customer.reminder_timezone)
    previous = latest_occurrence(schedule, instant - timedelta(seconds=1))
    db.session.add(
        ReminderSend(customer_id=customer.id, occurrence_at=previous, outcome="sent", skip_reason="")
    )
    db.session.flush()


def tick(at: datetime) -> TickReport:
    """One reminder tick with the clock frozen at ``at``."""
    with time_machine.travel(at, tick=False):
        return dispatch_due_reminders()


def sends(customer_id: int | None = None) -> list[ReminderSend]:
    db.session.expire_all()
    query = select(ReminderSend).order_by(ReminderSend.customer_id, ReminderSend.occurrence_at)
    if customer_id is not None:
        query = query.where(ReminderSend.customer_id == customer_id)
    return list(db.session.scalars(query))


def reminder_emails(customer_id: int | None = None) -> list[Email]:
    db.session.expire_all()
    query = select(Email).where(Email.kind == "reminder").order_by(Email.id)
    if customer_id is not None:
        query = query.where(Email.customer_id == customer_id)
    return list(db.session.scalars(query))


def visible_text(html: str) -> str:
    """What a mail app shows of an HTML body: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" ,", ",")


def links_in(body: str) -> tuple[str, str]:
    """(the sign-in link, the "no order this week" link) of a reminder, as paths for the test client; its
    third link, to stop the reminders, is test_reminder_opt_out's."""
    found = [url for url in LINK.findall(body) if not url.endswith("/reminders")]
    order = [url for url in found if "/no-order/" not in url]
    no_order = [url for url in found if "/no-order/" in url]
    assert len(set(order)) == 1 and len(set(no_order)) == 1, found
    return order[0], no_order[0]


# --- A mail server that refuses one address ------------------------------------------------------------

BOUNCING = "nobody@bounce.example"


class PickyServer:
    """An SMTP server that refuses the recipients in ``refused`` (550, no such user) and keeps the rest."""

    def __init__(self):
        self.refused = {BOUNCING}
        self.messages = []
        self.connections = set()  # the client's (address, port) of every connection that named a recipient

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.connections.add(session.peer)
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def picky_server(smtp_port):
    server = PickyServer()
    controller = Controller(server, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield server
    controller.stop()
