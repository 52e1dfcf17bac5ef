"""Email jobs: send one email, and sweep the outbox for anything not yet sent."""

from __future__ import annotations

from .context import app_context


def send_email(email_id: int) -> bool:
    """Send one outbox email once; raising makes RQ retry it with backoff."""
    from wholesale.services import outbox

    with app_context():
        return outbox.send_email(email_id)


def sweep_outbox() -> int:
    """Enqueue every email left waiting (Redis was down, a retry was lost, a worker died). Returns how many.

    Runs every two minutes (jobs.schedule). Without Redis it sends them in-process instead.
    """
    from flask import current_app

    from wholesale.services import outbox

    from .queue import enqueue_sends

    with app_context():
        outbox.give_up_abandoned()
        ids = outbox.unsent_email_ids()
        if current_app.config["REDIS_URL"]:
            return enqueue_sends(ids)
        for email_id in ids:
            outbox.deliver(email_id)
        return len(ids)
