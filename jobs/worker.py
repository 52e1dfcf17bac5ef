"""The RQ worker the Procfile runs: ``rq worker --worker-class jobs.worker.Worker``.

RQ forks a child per job. A plain worker imports and builds the app in every child (about a second each);
this one builds it once, in the parent, before any fork, so each job starts warm. Building the app opens no
database connection, so no connection is ever shared across a fork.
"""

from __future__ import annotations

from rq import Worker as RQWorker

from .context import worker_app


class Worker(RQWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        worker_app()
