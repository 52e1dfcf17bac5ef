"""The web server under test: gunicorn started as the Procfile's ``web`` line starts it, on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .data import ROOT

WORKERS = 2  # the Procfile's default WEB_CONCURRENCY
SECRET_KEY = "bench-secret-key-not-for-production"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, redis_url: str | None, base_url: str) -> dict:
    """What the server (and the in-process app the bench uses) is configured with."""
    env = {
        # As before production became the default: plain-http cookies the load generator and the phone
        # send back, and the same pages the earlier results measured.
        "WHOLESALE_ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "PUBLIC_BASE_URL": base_url,
        # Jobs go to a queue of the bench's own that no worker of anyone else listens to.
        "RQ_QUEUE": "wholesale-bench",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def worker_peak_rss_mb(self) -> list[float]:
        """VmHWM of each worker: the most resident memory it has had since it started."""
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def wait_until_idle(self, patience: float = 90) -> float:
        """Until /ping answers at once again: a slow page leaves requests queued after wrk has gone, which the
        workers still serve, and the next measurement must not pay for them. Returns the seconds waited."""
        started = time.monotonic()
        quick = 0
        while time.monotonic() - started < patience and quick < 2:
            sent = time.monotonic()
            try:
                with urllib.request.urlopen(self.base_url + "/ping", timeout=5) as response:
                    response.read()
                quick = quick + 1 if time.monotonic() - sent < 0.2 else 0
            except OSError:
                quick = 0
            time.sleep(0.1)
        return round(time.monotonic() - started, 1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: workers finish their request
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(database_url: str, redis_url: str | None, log=print) -> Server:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **app_environment(database_url, redis_url, base_url)}
    if not redis_url:
        env.pop("REDIS_URL", None)
    env["WEB_CONCURRENCY"] = str(WORKERS)
    env["PORT"] = str(port)
    log_file = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)
    bin_dir = Path(sys.executable).parent
    # The Procfile's web line, bound to loopback; the access log goes where a PaaS would collect it.
    command = [
        str(bin_dir / "gunicorn"),
        "wsgi:app",
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-",
        "--no-control-socket",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(process, base_url, Path(log_file.name))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start:\n{server.log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base_url + "/ping", timeout=2) as response:
                if response.status == 200 and len(server.worker_pids()) == WORKERS:
                    log(f"  gunicorn: {WORKERS} sync workers at {base_url} (pids {server.worker_pids()})")
                    return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError("gunicorn did not answer /ping within 30 s")


def in_process_app(database_url: str, redis_url: str | None, base_url: str):
    """The same app the server runs, configured the same way, for the bench's own look-ups and counts."""
    from wholesale import create_app

    env = app_environment(database_url, redis_url, base_url)
    return create_app(
        {
            "ENV_NAME": env["WHOLESALE_ENV"],
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": env["SECRET_KEY"],
            "PUBLIC_BASE_URL": base_url,
            "REDIS_URL": redis_url,
            "RQ_QUEUE": env["RQ_QUEUE"],
        }
    )
