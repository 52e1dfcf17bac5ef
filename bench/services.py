"""What the bench runs on: the database, Redis and wrk it finds, and how busy the machine is meanwhile."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from pathlib import Path

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/14"  # a db number of the bench's own


def _postgres_reachable(url: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def find_database(choice: str | None) -> str:
    """A PostgreSQL server URL, or "sqlite". DATABASE_URL names a server: the bench makes databases there."""
    from wholesale.config import database_url

    raw = os.environ.get("DATABASE_URL")
    if choice == "sqlite" or (raw and raw.startswith("sqlite")):
        return "sqlite"
    if raw:
        url = database_url(raw, "")
        if not _postgres_reachable(url):
            raise SystemExit(f"DATABASE_URL is set but its server cannot be reached: {raw}")
        return url
    if _postgres_reachable(LOCAL_POSTGRES):
        return LOCAL_POSTGRES
    if choice == "postgres":
        raise SystemExit("no PostgreSQL at 127.0.0.1:5432 and no DATABASE_URL")
    return "sqlite"


def find_redis() -> str | None:
    from redis import Redis

    for url in (os.environ.get("REDIS_URL"), LOCAL_REDIS):
        if not url:
            continue
        try:
            Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
            return url
        except Exception:
            if url == os.environ.get("REDIS_URL"):
                raise SystemExit(f"REDIS_URL is set but cannot be reached: {url}") from None
    return None


def database_version(database: str) -> str:
    if database == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    from sqlalchemy import create_engine, text

    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
        return f"PostgreSQL {version.split()[0]}"
    finally:
        engine.dispose()


def ensure_wrk(log=print) -> str | None:
    """wrk from Debian, installed when missing and we may; None means the Python load generator is used."""
    found = shutil.which("wrk")
    if found or os.environ.get("BENCH_NO_INSTALL") == "1":
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        log("  wrk is missing: apt-get install -y wrk …")
        for command in (
            ["apt-get", "install", "-y", "-qq", "wrk"],
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "wrk"],
        ):
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
            if command[1] == "install" and done.returncode == 0:
                break
        found = shutil.which("wrk")
    if not found:
        log("  wrk is not available: using the Python load generator (its figures are lower bounds)")
    return found


def forget_queue(redis_url: str | None, queue_name: str) -> None:
    """The bench's jobs (confirmation emails of the orders it placed) go with its queue."""
    if not redis_url:
        return
    from redis import Redis
    from rq import Queue

    Queue(queue_name, connection=Redis.from_url(redis_url)).delete(delete_jobs=True)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        memory_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_gb, 1),
        "python": platform.python_version(),
        "load_average": os.getloadavg()[0],
    }


def _busy_ticks() -> int:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle


def _process_ticks(pid: int, with_children: bool = False) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if with_children:  # children that have exited and been waited for (each wrk run)
            ticks += int(fields[13]) + int(fields[14])
        return ticks
    except (OSError, IndexError, ValueError):
        return 0


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        queue += [int(child) for child in children]
    return found


class CpuWatch:
    """How much CPU processes other than the bench's used meanwhile (another test run on a shared machine).

    "Ours" is this process and its descendants (gunicorn, wrk, the browser) and the PostgreSQL backends
    serving the bench's database, given by ``our_pids``.
    """

    def __init__(self, our_pids):
        self.our_pids = our_pids
        self.started = time.monotonic()
        self.busy = _busy_ticks()
        self.ours = self._ours()

    def _ours(self) -> dict[int, int]:
        pids = set(_descendants(os.getpid())) | set(self.our_pids())
        return {pid: _process_ticks(pid, with_children=pid == os.getpid()) for pid in pids}

    def others_cores(self) -> float:
        """Cores' worth of CPU used by everything else since the watch started."""
        seconds = time.monotonic() - self.started
        ours_now = self._ours()
        ours = sum(ticks - self.ours.get(pid, 0) for pid, ticks in ours_now.items())
        hz = os.sysconf("SC_CLK_TCK")
        others = (_busy_ticks() - self.busy - ours) / hz
        return round(max(0.0, others / seconds), 2) if seconds > 0 else 0.0


def wait_for_quiet(our_pids, threshold: float = 0.3, patience: float = 60, log=print) -> float:
    """Wait (``patience`` seconds at most) until other processes use under ``threshold`` cores; their use.

    On a shared machine another test run would take cores from the server under test: the figures then say
    less about the app. The run goes on after the wait either way; the table reports what the others used.
    """
    deadline = time.monotonic() + patience
    told = False
    while True:
        watch = CpuWatch(our_pids)
        time.sleep(2)
        others = watch.others_cores()
        if others < threshold or time.monotonic() >= deadline:
            if told:
                log(f"  other processes now use {others} cores; going on")
            return others
        if not told:
            log(
                f"  other processes use {others} cores: "
                f"waiting up to {patience:.0f} s for a quieter machine …"
            )
            told = True
