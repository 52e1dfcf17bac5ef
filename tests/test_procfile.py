"""The Procfile's web line fails closed.

Started the way a PaaS starts it, with nothing but PORT and DATABASE_URL, it refuses to serve and names every
setting production is missing, all at once. With them set it serves; so does a development server that says
it is one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .fixtures_jobs import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def web_command() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line[len("web:") :].strip()
    raise AssertionError("the Procfile has no web line")


def minimal_environment(tmp_path, **settings) -> dict[str, str]:
    return {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
        "WEB_CONCURRENCY": "1",
        **settings,
    }


class Web:
    """The web line in a shell of its own session, its output in a file; stopped for sure at the end."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env, self.log_path = env, log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["/bin/sh", "-c", web_command()],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ping(self) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.env['PORT']}/ping", timeout=2) as response:
                return response.status
        except OSError:
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def start_web(tmp_path):
    started = []

    def start(env: dict[str, str]) -> Web:
        web = Web(env, tmp_path / f"web-{len(started)}.log")
        started.append(web)
        return web

    yield start
    for web in started:
        web.stop()


def serves(web: Web) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if web.ping() == 200:
            return True
        if web.process.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def test_the_web_line_with_only_port_and_database_refuses_and_names_every_missing_setting(
    tmp_path, start_web
):
    web = start_web(minimal_environment(tmp_path))
    try:
        code = web.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the web process still runs without its settings:\n{web.output()[-3000:]}")
    output = web.output()
    assert code != 0
    assert "Refusing to start in production: SECRET_KEY, PUBLIC_BASE_URL, REDIS_URL must be set." in output
    assert "WHOLESALE_ENV=development" in output  # and how to ask for a development server instead
    assert web.ping() is None


def test_the_web_line_serves_in_production_once_the_settings_are_there(tmp_path, start_web):
    web = start_web(
        minimal_environment(
            tmp_path,
            SECRET_KEY="a-long-random-production-secret-for-the-test",
            PUBLIC_BASE_URL="https://orders.hillside.example",
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # /ping needs no Redis; the worker would
        )
    )
    assert serves(web), web.output()[-3000:]


def test_the_web_line_serves_a_development_server_that_says_it_is_one(tmp_path, start_web):
    web = start_web(minimal_environment(tmp_path, WHOLESALE_ENV="development"))
    assert serves(web), web.output()[-3000:]
