"""Two schedulers at once, a scheduler killed and started again, Redis losing the schedule: each weekly
reminder still goes out once.

The scheduler runs as the Procfile's ``scheduler`` line runs it (``python -m jobs.scheduler``,
here polling every second instead of every minute), the ticks run on real RQ workers, the emails go to an
SMTP server of the test's own. Customers' reminders fall due a few minutes before the test starts, in real
time: real processes cannot share a fake clock. (Ticks racing inside the database, in threads and in
processes, are in test_reminder_concurrency.py.)
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import func, select

from jobs.schedule import PERIODIC_JOBS, register_periodic_jobs
from wholesale.extensions import db
from wholesale.models import Email, ReminderSend, utcnow

from .factories import make_customer
from .faults import (  # noqa: F401  (fixtures)
    BIN,
    ROOT,
    Process,
    app_env,
    processes,
    redis_server,
    smtp_sink,
    tally,
    wait_until,
    worker,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.processes]

CUSTOMERS, CONTACTS = 8, 2
TICK = r"jobs\.reminders\.dispatch_due_reminders"


def scheduler(env: dict[str, str], log_dir: Path, name: str = "scheduler", *options: str) -> Process:
    """The Procfile's scheduler line, as the platform runs it (a shell), checking every second; ``options``
    are added to its command line."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    line = next(line for line in lines if line.startswith("scheduler:"))
    command = re.sub(r"--interval \d+", "--interval 1", line.split(":", 1)[1].strip())
    command = " ".join([command, *options])
    return Process(name, ["/bin/sh", "-c", command], {**env, "PATH": f"{BIN}:{env['PATH']}"}, log_dir)


def reminded_customers(falling_due: int = 0) -> None:
    """Customers whose weekly reminders are due in real time (UTC): five minutes ago, but for the last
    ``falling_due`` of them, which fall due one after another over the next seconds, while the test runs."""
    now = utcnow().replace(microsecond=0)
    for n in range(CUSTOMERS):
        late = n >= CUSTOMERS - falling_due
        due = now + timedelta(seconds=2 * n) if late else now - timedelta(minutes=5)
        make_customer(
            f"Reminded {n}",
            contacts=CONTACTS,
            reminders_enabled=True,
            reminder_weekday=due.weekday(),
            reminder_time=due.time(),
            reminder_timezone="UTC",
        )
    db.session.commit()


@pytest.fixture
def due_now(app_ctx) -> None:
    reminded_customers()


@pytest.fixture
def falling_due(app_ctx) -> None:
    reminded_customers(falling_due=CUSTOMERS // 2)


def tick_every_two_seconds(redis_url: str, *workers: Process) -> None:
    """Register the reminder tick under its fixed id as the Procfile does, but every 2 s instead of 120 s.

    A scheduler that is enqueuing the tick at the moment it is replaced writes the job it holds (every 120 s)
    back over the new one; rq-scheduler has no compare-and-set. So: register, and again until ticks come.
    """
    tick = next(job for job in PERIODIC_JOBS if job.func.endswith("dispatch_due_reminders"))
    for _ in range(5):
        with Redis.from_url(redis_url) as connection:
            register_periodic_jobs(connection, "wholesale", (replace(tick, every_seconds=2),))
        before = ticks_run(*workers)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            if ticks_run(*workers) >= before + 2:
                return
            time.sleep(0.1)
    raise AssertionError(
        "the reminder tick did not run every two seconds after being registered five times "
        f"({ticks_run(*workers)} ticks in all)"
    )


def reminders_sent() -> tuple[int, int, int]:
    """(reminders sent, reminder emails, the most reminders any one customer was sent).

    A customer whose reminder falls due during the test also has last week's occurrence recorded as skipped
    (found days late, as the catch-up rule says); only sent ones count here."""
    db.session.expire_all()
    per_customer = db.session.execute(
        select(ReminderSend.customer_id, func.count())
        .where(ReminderSend.outcome == "sent")
        .group_by(ReminderSend.customer_id)
    ).all()
    emails = db.session.scalar(select(func.count()).where(Email.kind == "reminder"))
    return sum(n for _, n in per_customer), emails, max((n for _, n in per_customer), default=0)


def ticks_run(*workers: Process) -> int:
    """How many reminder ticks the workers have finished."""
    return sum(len(re.findall(rf"Successfully completed .*{TICK}", process.log())) for process in workers)


def all_reminders_delivered(sink) -> bool:
    outcome = tally(sink)
    return outcome.statuses == {"sent": CUSTOMERS * CONTACTS} and outcome.delivered == CUSTOMERS * CONTACTS


def assert_each_reminder_once(sink) -> None:
    sends, emails, most = reminders_sent()
    assert (sends, emails, most) == (CUSTOMERS, CUSTOMERS * CONTACTS, 1)
    outcome = tally(sink)
    assert outcome.missing == [] and outcome.duplicates == 0 and outcome.delivered == CUSTOMERS * CONTACTS


def test_two_schedulers_at_once_send_each_reminder_once(
    app_env, falling_due, processes, redis_server, smtp_sink, tmp_path, capsys
):
    workers = [processes(worker(app_env, "wholesale", tmp_path, name=f"worker-{n}")) for n in (1, 2)]
    processes(scheduler(app_env, tmp_path, "scheduler-1"))
    processes(scheduler(app_env, tmp_path, "scheduler-2"))  # a second one, by mistake or in a deploy overlap
    wait_until(lambda: ticks_run(*workers) >= 1, 30, "the first tick")
    tick_every_two_seconds(redis_server.url(), *workers)  # many ticks, by either scheduler, on either worker

    wait_until(
        lambda: all_reminders_delivered(smtp_sink),
        60,
        "every reminder delivered",
        seen=lambda: tally(smtp_sink),
    )
    wait_until(lambda: ticks_run(*workers) >= 5, 30, "ticks after the last reminder fell due")
    assert_each_reminder_once(smtp_sink)
    with capsys.disabled():
        print(
            f"\n[two schedulers: {ticks_run(*workers)} ticks on two workers, {CUSTOMERS} reminders, "
            f"{tally(smtp_sink).delivered} emails delivered, {tally(smtp_sink).duplicates} duplicates]"
        )


def test_a_scheduler_killed_and_started_again_sends_nothing_twice(
    app_env, due_now, processes, smtp_sink, tmp_path
):
    work = processes(worker(app_env, "wholesale", tmp_path))
    first = processes(scheduler(app_env, tmp_path))
    wait_until(
        lambda: all_reminders_delivered(smtp_sink),
        60,
        "every reminder delivered",
        seen=lambda: tally(smtp_sink),
    )
    wait_until(lambda: ticks_run(work) >= 1, 30, "the first tick")

    first.kill()  # SIGKILL: no clean shutdown, its lock and registration left as they were
    first.start()  # the platform starts it again: it registers the ticks again, and one runs at once
    wait_until(lambda: ticks_run(work) >= 2, 60, "the restarted scheduler's tick")
    assert_each_reminder_once(smtp_sink)


def schedule_in(redis_server) -> set[str]:
    with Redis.from_url(redis_server.url()) as connection:
        return {member.decode() for member in connection.zrange("rq:scheduler:scheduled_jobs", 0, -1)}


PERIODIC_IDS = {job.id for job in PERIODIC_JOBS}


def test_after_a_long_redis_outage_the_restarted_scheduler_registers_the_schedule_again(
    app_env, due_now, processes, redis_server, smtp_sink, tmp_path
):
    """The scheduler exits once Redis stays away longer than ``jobs.scheduler.OUTAGE_LIMIT``; the platform
    restarts the Procfile line, which registers the periodic jobs again in the Redis that came back empty.

    Here the limit is 5 s instead of 20 (``--outage-limit``): the same give-up path, 15 s sooner. A quick
    restart within the limit is the next test's, at the default limit."""
    processes(worker(app_env, "wholesale", tmp_path)).supervise(restart_delay=1, max_restarts=30)
    beat = processes(scheduler(app_env, tmp_path, "scheduler", "--outage-limit", "5")).supervise(
        restart_delay=1, max_restarts=30
    )
    wait_until(
        lambda: all_reminders_delivered(smtp_sink),
        60,
        "every reminder delivered",
        seen=lambda: tally(smtp_sink),
    )
    assert PERIODIC_IDS <= schedule_in(redis_server)

    redis_server.stop()
    wait_until(
        lambda: beat.restarts >= 1,
        60,
        "the scheduler to give up on Redis and be restarted",
        seen=lambda: f"alive={beat.alive()}, log:\n{beat.log()[-2000:]}",
    )
    redis_server.start()  # empty: no schedule, no queue

    wait_until(
        lambda: PERIODIC_IDS <= schedule_in(redis_server),
        60,
        "the periodic jobs registered again",
        seen=lambda: scheduler_state(beat, redis_server),
    )
    assert_each_reminder_once(smtp_sink)


def test_after_a_quick_redis_restart_that_lost_the_schedule_the_running_scheduler_registers_it_again(
    app_env, processes, redis_server, tmp_path
):
    """Plain rqscheduler survives a quick restart (redis-py reconnects) and runs on with no schedule at all;
    ours puts the missing periodic jobs back within a loop, without being restarted. A loop that fails on the
    lost connection anyway is started again on a new one (``jobs.scheduler.OUTAGE_LIMIT``).

    The scheduler is frozen (SIGSTOP) while Redis restarts, so that the restart is quick as the scheduler
    sees it however busy the machine is: thawed, it finds its connection closed and the schedule gone, as
    after a failover between two loops.
    """
    beat = processes(scheduler(app_env, tmp_path))
    wait_until(
        lambda: PERIODIC_IDS <= schedule_in(redis_server),
        30,
        "the periodic jobs registered",
        seen=lambda: scheduler_state(beat, redis_server),
    )

    beat.freeze()
    try:
        redis_server.stop()
        redis_server.start()  # empty: a failover, or a restart without persistence
    finally:
        beat.thaw()

    wait_until(
        lambda: PERIODIC_IDS <= schedule_in(redis_server),
        30,
        "the periodic jobs registered again",
        seen=lambda: scheduler_state(beat, redis_server),
    )
    assert beat.restarts == 0 and beat.alive(), scheduler_state(beat, redis_server)  # the same process did it


def scheduler_state(beat: Process, redis_server) -> str:
    """What a failure should say: is the scheduler running, what Redis holds, the end of its log."""
    return (
        f"scheduler alive={beat.alive()} restarts={beat.restarts}, schedule={sorted(schedule_in(redis_server))}, "
        f"log:\n{beat.log()[-2000:]}"
    )
