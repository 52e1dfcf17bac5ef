"""``flask --app wsgi invoices overdue``: run one overdue-reminder tick now."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .services.invoicing.overdue import dispatch_overdue_reminders


@click.group("invoices")
def invoices() -> None:
    """Invoices and getting paid."""


@invoices.command("overdue")
@with_appcontext
def overdue() -> None:
    """Run one overdue-reminder tick now: remind each overdue invoice of the latest step it reached, once
    (safe to run any time)."""
    report = dispatch_overdue_reminders()
    click.echo(f"Overdue-reminder tick at {report.at:%Y-%m-%d %H:%M:%S} UTC: {report.summary()}.")
    if report.failed:
        raise SystemExit(1)
