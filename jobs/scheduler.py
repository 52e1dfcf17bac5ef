"""The Procfile's scheduler: rq-scheduler that keeps the periodic jobs registered.

Redis keeps nothing on disk on many PaaS plans; after a restart or a failover it comes back empty and plain
``rqscheduler`` runs on with no schedule at all (redis-py reconnects). This one puts any missing periodic
job back (same fixed id, so never twice) before each of its loops, so the outbox sweep and the reminder
tick come back within one interval.
"""

from __future__ import annotations

import argparse
import logging
import sys

from redis import Redis
from rq_scheduler import Scheduler

from .schedule import PERIODIC_JOBS, register_periodic_jobs

log = logging.getLogger(__name__)


class SelfHealingScheduler(Scheduler):
    def enqueue_jobs(self):
        missing = tuple(job for job in PERIODIC_JOBS if job.id not in self)
        if missing:
            log.warning(
                "periodic jobs missing from Redis, registering again: %s", ", ".join(j.id for j in missing)
            )
            register_periodic_jobs(self.connection, self.queue_name, missing)
        return super().enqueue_jobs()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=int, default=60, help="seconds between loops")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from wholesale import create_app

    config = create_app().config
    if not config["REDIS_URL"]:
        print("REDIS_URL is not set: periodic jobs need Redis.", file=sys.stderr)
        return 1
    connection = Redis.from_url(config["REDIS_URL"], socket_connect_timeout=5)
    register_periodic_jobs(connection, config["RQ_QUEUE"])
    SelfHealingScheduler(queue_name=config["RQ_QUEUE"], connection=connection, interval=args.interval).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
