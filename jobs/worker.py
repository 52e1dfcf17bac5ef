"""The RQ worker the Procfile runs: ``rq worker --worker-class jobs.worker.Worker``.

RQ forks a child (a work horse) per job, and whatever the parent has not done before the fork, every horse
does again. A plain worker imports and builds the app in every child (about a second each); this one builds
it once, in the parent, before any fork, and configures SQLAlchemy's mappers there too (left to the first
query, that took a third of each email's send). Building the app opens no database connection, so no
connection is ever shared across a fork.
"""

from __future__ import annotations

from rq import Worker as RQWorker
from sqlalchemy.orm import configure_mappers

from .context import worker_app


class Worker(RQWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        warm_up()


def warm_up() -> None:
    """What every job would otherwise do first, done once: the app, the job modules, the mappers."""
    worker_app()
    from . import emails, reminders  # noqa: F401  (imported here so no horse imports them again)

    configure_mappers()
