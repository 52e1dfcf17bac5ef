"""``flask --app wsgi reminders …``: run one reminder tick now, or list the next sends."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .services import settings
from .services.reminders.dispatch import dispatch_due_reminders
from .services.reminders.history import upcoming_reminders


@click.group("reminders")
def reminders() -> None:
    """Weekly reminder emails."""


@reminders.command("dispatch")
@with_appcontext
def dispatch() -> None:
    """Run one reminder tick now: send every due reminder not yet sent (safe to run any time)."""
    report = dispatch_due_reminders()
    click.echo(f"Reminder tick at {report.at:%Y-%m-%d %H:%M:%S} UTC: {report.summary()}.")
    if report.failed:
        raise SystemExit(1)


@reminders.command("preview")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000), help="How many.")
@with_appcontext
def preview(limit: int) -> None:
    """List the next reminder of each customer with reminders on, soonest first."""
    upcoming = upcoming_reminders(limit=limit)
    if not upcoming:
        click.echo("No customer has weekly reminders on.")
        return
    roastery_zone = settings.get("ROASTERY_TIMEZONE")
    click.echo(f"{'UTC':<17}  {'their time':<28}  {'roastery time (' + roastery_zone + ')':<28}  customer")
    for item in upcoming:
        customer = item.customer
        when = "due now" if item.next.due_now else f"{item.next.at:%Y-%m-%d %H:%M}"
        their = item.next.in_customer_zone
        contacts = f"{item.contacts} contact{'' if item.contacts == 1 else 's'}"
        if not item.contacts:
            contacts = "no contact gets it"
        click.echo(
            f"{when:<17}  {their:<28}  {item.next.in_roastery_zone:<28}  {customer.business_name} "
            f"({customer.reminder_timezone}; {contacts})"
        )
