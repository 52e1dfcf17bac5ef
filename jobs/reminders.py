"""The weekly reminder tick, run by RQ every two minutes (jobs.schedule) and by `flask reminders dispatch`."""

from __future__ import annotations

from .context import app_context


def dispatch_due_reminders() -> str:
    """Send every due reminder once; the sends are enqueued as their own jobs. Returns the tick's summary.

    All calendar logic is in ``wholesale.services.reminders.calendar``: this job only runs on an interval, in
    UTC, so a second scheduler (or a retried job) runs a second tick that finds everything answered.
    """
    from wholesale.services import reminders

    with app_context():
        return reminders.dispatch.dispatch_due_reminders().summary()
