"""Email jobs: send a batch of emails over one SMTP connection, and sweep the outbox for anything not yet sent."""

from __future__ import annotations

from .context import app_context


def send_emails(email_ids: list[int]) -> int:
    """Send these outbox emails, each once, over one SMTP connection; raising makes RQ retry the rest."""
    from wholesale.services import mail

    with app_context():
        return mail.outbox.send_emails(email_ids)


def send_email(email_id: int) -> bool:
    """One email (jobs enqueued before batches existed may still name this one)."""
    return send_emails([email_id]) == 1


def sweep_outbox() -> int:
    """Enqueue every email left waiting (Redis was down, a retry was lost, a worker died). Returns how many.

    Runs every two minutes (jobs.schedule). Without Redis it sends them in-process instead.
    """
    from flask import current_app

    from wholesale.services import mail

    with app_context():
        mail.outbox.give_up_abandoned()
        ids = mail.outbox.unsent_email_ids()
        if current_app.config["REDIS_URL"]:
            return mail.delivery.enqueue_sends(ids)
        mail.delivery.deliver_all(ids)
        return len(ids)
