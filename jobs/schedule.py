"""Periodic jobs, registered with rq-scheduler under fixed ids, so a restart replaces them instead of adding.

``python -m jobs.schedule`` registers them with the app's ``REDIS_URL`` and ``RQ_QUEUE`` and exits; the
Procfile's scheduler (``python -m jobs.scheduler``) registers them at start and again whenever Redis lost
them, then enqueues each job on its interval. All timing is a
plain UTC interval: calendar logic (reminder days, time zones) lives in the jobs, not in cron strings.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from redis import Redis
from rq_scheduler import Scheduler

from wholesale.models import utcnow


@dataclass(frozen=True)
class PeriodicJob:
    id: str
    func: str
    every_seconds: int
    timeout: int = 300


# One line per periodic job. Changing a line takes effect on the next deploy (the id is replaced). RQ job ids
# may hold only letters, digits, "-" and "_".
PERIODIC_JOBS = (
    PeriodicJob("wholesale-sweep-outbox", "jobs.emails.sweep_outbox", every_seconds=120),
    PeriodicJob(
        "wholesale-dispatch-reminders",
        "jobs.reminders.dispatch_due_reminders",
        every_seconds=120,
        timeout=600,
    ),
    PeriodicJob(
        "wholesale-standing-orders",
        "jobs.standing.dispatch_standing_orders",
        every_seconds=120,
        timeout=600,
    ),
    PeriodicJob(
        "wholesale-overdue-reminders",
        "jobs.invoicing.dispatch_overdue_reminders",
        every_seconds=600,
        timeout=600,
    ),
)
# Ids of periodic jobs since removed from the list above: registering cancels them, or they would run on.
RETIRED_JOB_IDS: tuple[str, ...] = ()


def register_periodic_jobs(
    connection: Redis, queue_name: str, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS
) -> list[str]:
    """Schedule every periodic job to run now and then on its interval, replacing any schedule with its id."""
    scheduler = Scheduler(queue_name=queue_name, connection=connection)
    for job_id in RETIRED_JOB_IDS:
        scheduler.cancel(job_id)
    for job in jobs:
        if job.id in scheduler:
            scheduler.cancel(job.id)
        scheduler.schedule(
            scheduled_time=utcnow(),
            func=job.func,
            interval=job.every_seconds,
            repeat=None,
            id=job.id,
            queue_name=queue_name,
            timeout=job.timeout,
            description=f"every {job.every_seconds} s: {job.func}",
        )
    return [job.id for job in jobs]


def main() -> int:
    from wholesale import create_app

    config = create_app().config
    if not config["REDIS_URL"]:
        print("REDIS_URL is not set: periodic jobs need Redis and rqscheduler.", file=sys.stderr)
        return 1
    with Redis.from_url(config["REDIS_URL"], socket_connect_timeout=5) as connection:
        ids = register_periodic_jobs(connection, config["RQ_QUEUE"])
    print(f"Scheduled on queue {config['RQ_QUEUE']!r}: {', '.join(ids)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
