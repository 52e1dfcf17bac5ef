"""The standing-order tick, run by RQ every two minutes (jobs.schedule) and by `flask standing dispatch`."""

from __future__ import annotations

from .context import app_context


def dispatch_standing_orders() -> str:
    """Preview and place every due standing-order delivery once. Returns the tick's summary.

    The calendar is in ``wholesale.services.standing.schedule``: a second scheduler (or a retried job) runs
    a second tick, which finds every delivery claimed.
    """
    from wholesale.services.standing import tick

    with app_context():
        return tick.dispatch_standing_orders().summary()
