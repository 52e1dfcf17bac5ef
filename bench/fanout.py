"""The weekly reminder fan-out: 10,000 customers due at once, one tick, the workers sending to a local sink.

The data: 10,000 customers with four weeks of orders (the bench loader), every one with reminders on, one
contact each receiving them, and a schedule whose latest occurrence was five minutes ago (set on this run's
copy, in each customer's own time zone). With Redis, the tick is enqueued as the scheduler enqueues it and
runs in an RQ worker started as the Procfile's ``worker`` line starts it (two of them, one per core); each
email is then a job of its own. Without Redis the tick runs in-process and sends each email itself.

Measured: from enqueueing the tick to the last message arriving at the sink (an aiosmtpd process of its
own), the tick's own duration, and the workers' peak memory. Then, in the same run, the same messages read
back from the outbox and sent by a plain loop over one SMTP connection to the same sink: the ratio of the
two rates says what the outbox, the jobs and the workers cost.
"""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, timedelta
from email.message import EmailMessage
from pathlib import Path

from .data import ROOT, Scale
from .server import app_environment, free_port

FANOUT = Scale("fanout", customers=10_000, weeks=4)
QUEUE = "wholesale-bench-fanout"
RQ_WORKERS = 2
DUE_MINUTES_AGO = 5
# The bench waits for the tick (at most TICK_TIMEOUT s), then for the sends at most SEND_WINDOW s more; what
# has not arrived by then is reported as missing, with the rate so far.
TICK_TIMEOUT = 300
SEND_WINDOW = 60


def available() -> str | None:
    """None when this checkout has the reminder tick, else why not."""
    try:
        from wholesale.services import reminders

        reminders.dispatch.dispatch_due_reminders  # noqa: B018
        import jobs.reminders  # noqa: F401
    except (ImportError, AttributeError) as error:
        return f"no reminder tick in this checkout ({error})"
    return None


def make_everyone_due(app, now) -> int:
    """Every customer's reminder due five minutes ago (in its own zone), one receiving contact each."""
    from sqlalchemy import func, select, update

    from wholesale.extensions import db
    from wholesale.models import Contact, Customer

    due = now - timedelta(minutes=DUE_MINUTES_AGO)
    with app.app_context():
        zones = db.session.scalars(select(Customer.reminder_timezone).distinct()).all()
        from zoneinfo import ZoneInfo

        for zone in zones:
            local = due.astimezone(ZoneInfo(zone))
            db.session.execute(
                update(Customer)
                .where(Customer.reminder_timezone == zone)
                .values(
                    reminders_enabled=True,
                    active=True,
                    reminder_weekday=local.weekday(),
                    reminder_time=local.time().replace(second=0, microsecond=0),
                )
                .execution_options(synchronize_session=False)
            )
        first = select(func.min(Contact.id)).group_by(Contact.customer_id).scalar_subquery()
        db.session.execute(
            update(Contact)
            .values(receives_reminders=Contact.id.in_(first))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(Customer))
        db.session.remove()
    return count


class Sink:
    def __init__(self):
        self.port = free_port()
        self.status_path = os.path.join(tempfile.gettempdir(), f"bench-sink-{os.getpid()}-{self.port}.json")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_sink", str(self.port), self.status_path],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while not os.path.exists(self.status_path):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the SMTP sink did not start")
            time.sleep(0.1)

    def status(self) -> dict:
        try:
            return json.loads(Path(self.status_path).read_text())
        except (OSError, ValueError):
            return {"count": 0, "first": None, "last": None}

    def wait_for(self, count: int, timeout: float, tick=None) -> dict:
        """Until ``count`` messages have arrived, or ``timeout`` seconds passed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status["count"] >= count:
                return status
            if tick:
                tick()
            time.sleep(0.2)
        return self.status()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        Path(self.status_path).unlink(missing_ok=True)


def _vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _start_workers(env: dict, redis_url: str) -> list[subprocess.Popen]:
    rq = str(Path(sys.executable).parent / "rq")
    # The Procfile's worker line.
    command = [
        rq,
        "worker",
        "--url",
        redis_url,
        "--with-scheduler",
        "--worker-class",
        "jobs.worker.Worker",
        QUEUE,
    ]
    return [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(RQ_WORKERS)
    ]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def plain_loop(app, sink: Sink, since, already: int) -> dict:
    """The tick's messages, read back and built beforehand, sent by one loop over one connection."""
    from sqlalchemy import select

    from wholesale.extensions import db
    from wholesale.models import Email

    with app.app_context():
        sender = app.config["MAIL_DEFAULT_SENDER"]
        rows = db.session.execute(
            select(Email.to_address, Email.subject, Email.text_body, Email.html_body)
            .where(Email.kind == "reminder", Email.created_at >= since)
            .order_by(Email.id)
        ).all()
        db.session.remove()
    messages = []
    for to, subject, text, html in rows:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        messages.append(message)
    started = time.time()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        for message in messages:
            smtp.send_message(message)
    status = sink.wait_for(already + len(messages), 60)
    seconds = status["last"] - started
    return {
        "messages": len(messages),
        "seconds": round(seconds, 2),
        "per_second": round(len(messages) / seconds, 1),
    }


def reminder_fanout(loaded, redis_url: str | None, log=print) -> dict:
    """Run one tick over 10,000 due customers; compare with a plain send loop."""
    from datetime import datetime

    from .server import in_process_app

    now = datetime.now(UTC)
    app = in_process_app(loaded.url, redis_url, "http://127.0.0.1:5000")
    customers = make_everyone_due(app, now)
    sink = Sink()
    env = {
        **os.environ,
        **app_environment(loaded.url, redis_url, "http://127.0.0.1:5000"),
        "RQ_QUEUE": QUEUE,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink.port),
        "MAIL_SUPPRESS_SEND": "0",
    }
    workers: list[subprocess.Popen] = []
    peaks = {"worker": 0.0, "job": 0.0}

    def watch_memory():
        for worker in workers:
            peaks["worker"] = max(peaks["worker"], _vm_hwm_mb(worker.pid))
            for horse in _children(worker.pid):
                peaks["job"] = max(peaks["job"], _vm_hwm_mb(horse))

    try:
        tick_seconds = None
        if redis_url:
            from redis import Redis
            from rq import Queue

            connection = Redis.from_url(redis_url)
            queue = Queue(QUEUE, connection=connection)
            queue.delete(delete_jobs=True)
            workers = _start_workers(env, redis_url)
            time.sleep(3)  # the workers build the app before their first job
            started = time.time()
            job = queue.enqueue("jobs.reminders.dispatch_due_reminders", job_timeout=600)
            # The tick hands each page's emails to the queue as it commits, so sending starts at once; the
            # bench waits for the tick to finish, then gives the sends SEND_WINDOW more seconds.
            deadline = time.monotonic() + TICK_TIMEOUT
            while time.monotonic() < deadline and sink.status()["count"] < customers:
                if job.get_status(refresh=True) in ("finished", "failed", "stopped", "canceled"):
                    break
                watch_memory()
                time.sleep(0.5)
            status = sink.wait_for(customers, SEND_WINDOW, tick=watch_memory)
            job.refresh()
            if job.started_at and job.ended_at:
                tick_seconds = round((job.ended_at - job.started_at).total_seconds(), 1)
            failed = queue.failed_job_registry.count
            how = f"tick enqueued on RQ, {RQ_WORKERS} workers (jobs.worker.Worker, fork per job)"
        else:
            started = time.time()
            tick = subprocess.Popen(
                [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "reminders", "dispatch"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            workers = [tick]  # watched for memory, and stopped at the deadline like the RQ workers
            status = sink.wait_for(
                customers, TICK_TIMEOUT + SEND_WINDOW, tick=watch_memory, window=SEND_WINDOW
            )
            tick_seconds = round(time.time() - started, 1) if tick.poll() is not None else None
            failed = 0 if tick.poll() in (0, None) else 1
            how = "no Redis: the tick sends each email in-process (Flask-Mail, a connection per message)"
        watch_memory()
        _stop(workers)  # before the plain loop: nothing else sends (or uses the cores) while it runs
        arrived = status["count"]
        seconds = (status["last"] or time.time()) - started
        first = (status["first"] - started) if status["first"] else None
        loop = plain_loop(
            app,
            sink,
            datetime.fromtimestamp(started, UTC) - timedelta(seconds=5),
            sink.status()["count"],
        )
    finally:
        _stop(workers)
        sink.stop()
        if redis_url:
            from redis import Redis
            from rq import Queue

            Queue(QUEUE, connection=Redis.from_url(redis_url)).delete(delete_jobs=True)
        from wholesale.extensions import db

        with app.app_context():
            db.engine.dispose()

    complete = arrived >= customers
    # When not all arrived: when the last would have, at the rate seen so far from the first arrival.
    sending = (status["last"] - status["first"]) if status["first"] and status["last"] else 0.0
    send_rate = arrived / sending if sending > 0 else 0.0
    if not complete:
        seconds = (first or 0) + customers / send_rate if send_rate else float("inf")
    rate = customers / seconds if seconds and seconds != float("inf") else 0.0
    result = {
        "complete": complete,
        "customers_due": customers,
        "messages": arrived,
        "seconds": round(seconds, 1) if seconds != float("inf") else None,
        "first_message_seconds": round(first, 1) if first is not None else None,
        "tick_seconds": tick_seconds,
        "per_second": round(rate, 1),
        "sending_per_second": round(send_rate, 1),
        "failed_jobs": failed,
        "how": how,
        "plain_loop": loop,
        "share_of_plain_loop": round(rate / loop["per_second"], 3) if loop["per_second"] else None,
        "worker_peak_mb": round(peaks["worker"], 1) or None,
        "job_peak_mb": round(peaks["job"], 1) or None,
    }
    arrival = (
        f"{arrived:,} messages at the sink in {seconds:,.1f} s"
        if complete
        else f"only {arrived:,} messages had arrived {sending:,.0f} s after the first one, when the bench "
        f"stopped waiting (at that rate the last would arrive after about {seconds:,.0f} s)"
    )
    result["description"] = (
        f"{customers:,} customers due, one tick: {arrival} "
        f"({rate:,.1f}/s overall, {send_rate:,.1f}/s once sending; "
        f"first after {result['first_message_seconds']} s, "
        f"the tick itself {tick_seconds} s); "
        f"{how}. A plain loop sent the same {loop['messages']:,} messages in {loop['seconds']:,.1f} s "
        f"({loop['per_second']:,.0f}/s): the fan-out runs at {result['share_of_plain_loop'] or 0:.0%} of it."
    )
    return result
