"""The overdue-reminder tick, run by RQ every ten minutes (jobs.schedule) and by `flask invoices overdue`."""

from __future__ import annotations

from .context import app_context


def dispatch_overdue_reminders() -> str:
    """Remind each overdue invoice once per step reached. Returns the tick's summary."""
    from wholesale.services.invoicing import overdue

    with app_context():
        return overdue.dispatch_overdue_reminders().summary()
