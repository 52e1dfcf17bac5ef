"""The Procfile's scheduler: rq-scheduler that keeps the periodic jobs registered.

Redis keeps nothing on disk on many PaaS plans; after a restart or a failover it comes back empty and plain
``rqscheduler`` runs on with no schedule at all (redis-py reconnects). This one puts any missing periodic
job back (same fixed id, so never twice) before each of its loops, so the outbox sweep and the reminder
tick come back within one interval.

rq-scheduler's loop ends on the first Redis error that redis-py's own retries do not absorb. A Redis that is
away for a moment (a restart, a failover) should not end the process, so the scheduler is started again on a
new connection for up to ``OUTAGE_LIMIT`` seconds (``--outage-limit``); a Redis away longer ends it with an
error, and the platform restarts the Procfile line.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq_scheduler import Scheduler

from .schedule import PERIODIC_JOBS, register_periodic_jobs

log = logging.getLogger(__name__)

# Seconds Redis may stay unreachable before the scheduler gives up (and the platform restarts it).
OUTAGE_LIMIT = 20


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
    parser.add_argument(
        "--outage-limit",
        type=float,
        default=OUTAGE_LIMIT,
        help=f"seconds Redis may stay unreachable before the scheduler gives up (default {OUTAGE_LIMIT})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from wholesale import create_app

    config = create_app().config
    if not config["REDIS_URL"]:
        print("REDIS_URL is not set: periodic jobs need Redis.", file=sys.stderr)
        return 1
    lost_since = None
    while True:
        connection = Redis.from_url(config["REDIS_URL"], socket_connect_timeout=5)
        try:
            register_periodic_jobs(connection, config["RQ_QUEUE"])
            lost_since = None
            # A new name each time: the one before may still be marked alive in a Redis that kept its data.
            scheduler = SelfHealingScheduler(
                queue_name=config["RQ_QUEUE"], connection=connection, interval=args.interval
            )
            scheduler.run()
            return 0
        except (RedisConnectionError, RedisTimeoutError) as error:
            lost_since = lost_since or time.monotonic()
            if time.monotonic() - lost_since >= args.outage_limit:
                log.error("Redis has been unreachable for %s s; giving up: %s", args.outage_limit, error)
                return 1
            log.warning("lost Redis (%s); starting again on a new connection", error)
            time.sleep(1)
        finally:
            connection.close()


if __name__ == "__main__":
    sys.exit(main())
