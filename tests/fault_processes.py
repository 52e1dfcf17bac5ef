"""The Procfile's processes for the fault tests, as subprocesses on loopback ports of their own: a
redis-server (``RedisServer``), RQ workers and the scheduler (``worker``), gunicorn (``Gunicorn``), all
configured like production through the environment (``app_environment``). Every wait is bounded in time
(``wait_until`` says what it saw last); nothing here touches a service it did not start.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .fixtures_jobs import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_KEY = "test-secret"  # the test app's: links made in the test process work in the subprocesses
PUBLIC_BASE_URL = "http://portal.test"


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05, seen=None):
    """Poll ``predicate`` until it returns something truthy (returned), or fail after ``timeout`` seconds.

    Waits on real processes on a machine that may be busy (other tests, other runs): a timeout is a margin,
    not an expectation. The failure says what was last seen: ``seen()`` if given, else the predicate's value.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            last = seen() if seen is not None else repr(result)
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last seen: {last}")
        time.sleep(interval)


def app_environment(database_uri: str, **settings) -> dict[str, str]:
    """A clean environment for a subprocess of the app: the test database, the given settings, nothing
    inherited that could point it anywhere else."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        # Development, as these processes ran before production became the default: the test's clients talk
        # plain HTTP, which Secure cookies would not survive.
        "WHOLESALE_ENV": "development",
        "DATABASE_URL": database_uri,
        "SECRET_KEY": SECRET_KEY,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }
    env.update({name: str(value) for name, value in settings.items() if value is not None})
    return env


# --- Processes -------------------------------------------------------------------------------------------


class Process:
    """One subprocess in a session of its own, its output in a log file; stopped for sure at the end."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name, self.args, self.env = name, args, env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._supervised = False
        self._lock = threading.RLock()  # a restart by the supervisor never races a kill by the test

    def start(self) -> Process:
        with self._lock:
            assert not self.alive(), f"{self.name} is already running"
            self.starts += 1
            with open(self.log_path, "ab") as log:
                log.write(f"\n--- start {self.starts}: {' '.join(self.args)}\n".encode())
                log.flush()
                self.process = subprocess.Popen(
                    self.args,
                    env=self.env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def children(self) -> list[int]:
        """Direct children (an RQ work horse, gunicorn's workers), read from /proc."""
        try:
            listing = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
            return [int(pid) for pid in listing.split()]
        except (OSError, AssertionError):
            return []

    def supervise(self, restart_delay: float = 1.0, max_restarts: int = 20) -> Process:
        """Start it again whenever it exits, as the platform restarts a Procfile process that crashed."""
        self._supervised = True

        def watch() -> None:
            while self._supervised and self.starts <= max_restarts:
                if self.process is not None and self.process.poll() is not None:
                    time.sleep(restart_delay)
                    with self._lock:
                        if self._supervised and not self.alive():
                            self.start()
                time.sleep(0.2)

        threading.Thread(target=watch, name=f"supervise-{self.name}", daemon=True).start()
        return self

    @property
    def restarts(self) -> int:
        return max(0, self.starts - 1)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL for the whole process group if it lingers."""
        with self._lock:
            self._supervised = False
            if not self.alive():
                return
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> list[int]:
        """SIGKILL the process and its children, as a platform kills a container; returns the pids killed.

        The process is frozen first so that it cannot fork a new child between reading and killing them.
        """
        with self._lock:
            self._supervised = False
            if not self.alive():
                return []
            os.kill(self.pid, signal.SIGSTOP)
            victims = [self.pid, *self.children()]
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait(10)
            return victims

    def freeze(self) -> None:
        """SIGSTOP the process and its children (its process group): it runs no code until ``thaw``."""
        os.killpg(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(self.pid, signal.SIGCONT)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class RedisServer(Process):
    """Our own redis-server on a free port: no persistence, so a restart starts empty (everything queued in
    Redis is lost, as with a Redis add-on that fails over or is replaced)."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(log_dir),
        ]
        super().__init__(f"redis-{self.port}", args, {"PATH": os.environ.get("PATH", "")}, log_dir)

    def url(self, db_number: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db_number}"

    def start(self) -> RedisServer:
        super().start()
        wait_until(
            self.ping,
            30,
            f"redis-server on port {self.port}",
            seen=lambda: f"alive={self.alive()}, log: {self.log()[-1000:]!r}",
        )
        return self

    def ping(self) -> bool:
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            with Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5) as connection:
                return bool(connection.ping())
        except RedisError:
            return False


def worker(
    env: dict[str, str], queue: str, log_dir: Path, name: str = "worker", burst: bool = False
) -> Process:
    """The Procfile's worker: ``rq worker --with-scheduler --worker-class jobs.worker.Worker``."""
    args = [
        str(BIN / "rq"),
        "worker",
        "--url",
        env["REDIS_URL"],
        "--with-scheduler",
        "--worker-class",
        "jobs.worker.Worker",
        "--logging_level",
        "INFO",
        "--name",
        f"{name}-{os.getpid()}-{free_port()}",
    ]
    if burst:
        args.append("--burst")
    return Process(name, [*args, queue], env, log_dir)


class Gunicorn(Process):
    """The Procfile's web line on a free loopback port, with the repository's gunicorn.conf.py."""

    def __init__(self, env: dict[str, str], log_dir: Path, workers: int = 2, threads: int = 1):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        args = [
            str(BIN / "gunicorn"),
            "wsgi:app",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
        ]
        super().__init__("gunicorn", args, env, log_dir)

    def start(self) -> Gunicorn:
        super().start()

        def answers() -> bool:
            if not self.alive():
                raise AssertionError(f"gunicorn exited:\n{self.log()[-3000:]}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/ping")
                return connection.getresponse().status == 200
            except OSError:
                return False
            finally:
                connection.close()

        wait_until(answers, 60, "gunicorn to answer /ping", interval=0.2, seen=lambda: self.log()[-3000:])
        return self
