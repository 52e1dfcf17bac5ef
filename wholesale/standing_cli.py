"""``flask --app wsgi standing dispatch``: run one standing-order tick now."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .services.standing.tick import dispatch_standing_orders


@click.group("standing")
def standing() -> None:
    """Standing orders."""


@standing.command("dispatch")
@with_appcontext
def dispatch() -> None:
    """Run one standing-order tick now: send due previews and place deliveries whose cut-off has come (safe to
    run any time: each is done once)."""
    report = dispatch_standing_orders()
    click.echo(f"Standing-order tick at {report.at:%Y-%m-%d %H:%M:%S} UTC: {report.summary()}.")
    if report.failed:
        raise SystemExit(1)
