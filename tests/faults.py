"""Real services for the fault tests, started, broken and mended by the tests, on loopback ports of their own.

- ``RedisServer``: a redis-server subprocess without persistence, to stop, kill, freeze and start again.
- ``SmtpSink``: an aiosmtpd server that accepts, refuses with 451, holds its goodbye, or (through the
  ``TcpProxy`` in front of it) stalls or is down. It counts what it accepted by Message-ID.
- ``TcpProxy``: a TCP forwarder a test can cut (every connection reset), turn into a black hole, or restore.
- ``Worker``, ``Scheduler``, ``Gunicorn``: the Procfile's processes as subprocesses, configured like
  production through the environment (``app_environment``), pointed at the test database and these ports.
- ``Visitor``: a customer's phone over plain HTTP: a cookie, the CSRF token of the page, htmx headers.

Every wait is bounded in time; every loop in count. Nothing here touches a service it did not start.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Email

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
            try:
                return Visitor(self.base_url, timeout=2).get("/ping").status == 200
            except OSError:
                return False

        wait_until(answers, 60, "gunicorn to answer /ping", interval=0.2, seen=lambda: self.log()[-3000:])
        return self


# --- A TCP proxy that a test can cut ----------------------------------------------------------------------


def _reset(sock: socket.socket) -> None:
    """End the connection at once, as a crashed host looks to the other end.

    ``shutdown`` first: closing a socket another thread is blocked reading leaves the connection open in the
    kernel until that read returns, so the other end (a PostgreSQL backend holding locks) would never know.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target_port``. Modes: ``forward``; ``reset`` (every connection, new
    or open, is reset: the service is unreachable); ``blackhole`` (connections are accepted and never
    answered: the service hangs). ``restore()`` goes back to forwarding."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.mode = "forward"
        self.connections_seen = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name=f"proxy-{self.port}", daemon=True)
        self._thread.start()

    def cut(self) -> None:
        with self._lock:
            self.mode = "reset"
            for sock in list(self._open):
                _reset(sock)
            self._open.clear()

    def blackhole(self) -> None:
        self.cut()
        self.mode = "blackhole"

    def restore(self) -> None:
        self.cut()  # whatever hung in the black hole is let go
        self.mode = "forward"

    def close(self) -> None:
        self._closed.set()
        self.cut()
        self._thread.join(5)
        self.listener.close()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections_seen += 1
            if self.mode == "reset":
                _reset(client)
            elif self.mode == "blackhole":
                with self._lock:
                    self._open.add(client)
            else:
                threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(None)
        with self._lock:
            if self.mode != "forward":
                _reset(client)
                _reset(upstream)
                return
            self._open.update((client, upstream))
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            with self._lock:
                for sock in (source, sink):
                    if sock in self._open:
                        self._open.discard(sock)
                        _reset(sock) if self.mode == "reset" else sock.close()


# --- An SMTP server that misbehaves on request ------------------------------------------------------------


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.mode == "refuse":
            self.sink.refused += 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.sink.data_started += 1
        if self.sink.accept_delay:  # a server that takes its time (scanning, a slow disk) before it accepts
            await asyncio.sleep(self.sink.accept_delay)
        message = message_from_bytes(envelope.content)
        with self.sink.lock:  # accepted from here on, as a real server has queued it when it says 250
            self.sink.messages.append((list(envelope.rcpt_tos), message))
        if self.sink.mode == "hold-reply":
            # Queued here, but the client has not heard so yet: its "250" is held until the test lets go.
            await self._hold()
        return "250 Message accepted for delivery"

    async def _hold(self) -> None:
        self.sink.holding.set()
        for _ in range(600):  # bounded: 30 s
            if self.sink.released.is_set():
                break
            await asyncio.sleep(0.05)

    async def handle_QUIT(self, server, session, envelope):
        if self.sink.mode == "hold-quit":
            await self._hold()  # the message is accepted; the goodbye is held until the test lets go
        return "221 Bye"


class SmtpSink:
    """An SMTP server on a port of its own, behind a ``TcpProxy``; apps are pointed at ``port``.

    ``mode``: ``accept``; ``refuse`` (451 to every recipient); ``hold-quit`` (accept the message, then hold
    the reply to QUIT until ``release()``); ``hold-reply`` (queue the message, then hold its "250" until
    ``release()``: the client cannot know it was accepted); ``stall`` (connections accepted, never answered); ``down``
    (connections reset). ``accept_delay`` slows every acceptance down, to make a batch last a while.
    """

    def __init__(self):
        self.messages: list[tuple[list[str], object]] = []
        self.lock = threading.Lock()
        self.refused = 0
        self.data_started = 0  # messages whose content has begun to arrive, accepted or not (yet)
        self.accept_delay = 0.0
        self.holding = threading.Event()
        self.released = threading.Event()
        self._mode = "accept"
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.proxy = TcpProxy(self.controller.port)
        self.port = self.proxy.port

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        assert mode in ("accept", "refuse", "hold-quit", "hold-reply", "stall", "down"), mode
        self._mode = mode
        if mode == "stall":
            self.proxy.blackhole()
        elif mode == "down":
            self.proxy.cut()
        else:
            self.proxy.restore() if self.proxy.mode != "forward" else None
            self.holding.clear()
            self.released.clear()

    def release(self) -> None:
        self.released.set()

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(message["Message-ID"] for _, message in self.messages)

    def received(self) -> int:
        with self.lock:
            return len(self.messages)

    def close(self) -> None:
        self.released.set()
        self.proxy.close()
        self.controller.stop()


# --- Reading and shifting the outbox ----------------------------------------------------------------------


def age_outbox(minutes: float) -> None:
    """Move every email's clock back, as if ``minutes`` had passed: the sweep's grace, a retry's backoff and a
    dead worker's claim are all measured from these columns. (Real processes cannot share a fake clock.)"""
    shift = timedelta(minutes=minutes)
    db.session.expire_all()
    for email in db.session.scalars(select(Email)):
        email.created_at -= shift
        if email.claimed_at is not None:
            email.claimed_at -= shift
    db.session.commit()


@dataclass
class OutboxTally:
    rows: int
    statuses: Counter
    delivered: int  # messages the SMTP server accepted
    distinct: int  # distinct Message-IDs among them
    missing: list[str]  # Message-IDs of rows never delivered

    @property
    def duplicates(self) -> int:
        return self.delivered - self.distinct


def tally(sink: SmtpSink) -> OutboxTally:
    """What the outbox holds against what the SMTP server got, matched by each row's Message-ID."""
    from wholesale.services.mail.outbox import message_id

    db.session.expire_all()
    emails = db.session.query(Email).all()
    received = sink.message_ids()
    expected = {message_id(email) for email in emails}
    return OutboxTally(
        rows=len(emails),
        statuses=Counter(email.status for email in emails),
        delivered=sum(received.values()),
        distinct=len(received),
        missing=sorted(expected - set(received)),
    )


# --- A customer's phone, over HTTP ------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PLACE = re.compile(r'action="/orders/(\d+)/place"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
LINE = re.compile(r'action="/orders/\d+/lines/(\d+)"')
QUANTITY = re.compile(r'id="qty-(\d+)"[^>]*?value="(\d+)"', re.S)
SHIPPING = re.compile(r'<option value="(\d+)"')
COOKIE = re.compile(r"^session=([^;]*)")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Visitor:
    """One browser: keeps the session cookie, sends a fresh connection per request."""

    def __init__(self, base_url: str, timeout: float = 30):
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port, self.timeout = host, int(port), timeout
        self.cookie: str | None = None

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None
    ) -> Response:
        headers = dict(headers or {})
        body = None
        if data is not None:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                match = COOKIE.match(value)
                if match:
                    self.cookie = match.group(1) or None
            return Response(response.status, {k.lower(): v for k, v in response.headers.items()}, text)
        finally:
            connection.close()

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, htmx: bool = False) -> Response:
        return self.request("POST", path, data=data, headers={"HX-Request": "true"} if htmx else None)


class AppVisitor(Visitor):
    """The same phone, talking to an app in this process (Flask's test client) instead of over HTTP."""

    def __init__(self, app):
        self.client = app.test_client()

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None
    ) -> Response:
        # In a thread of its own, as a request to a server would be: an app context the test has pushed
        # (and its ``g``, where Flask-WTF keeps the CSRF token it rendered) must not leak into the request.
        answer: list = []
        thread = threading.Thread(
            target=lambda: answer.append(self.client.open(path, method=method, data=data, headers=headers))
        )
        thread.start()
        thread.join(60)
        assert answer, f"no answer to {method} {path} within 60 s"
        response = answer[0]
        return Response(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.get_data(as_text=True),
        )


class JourneyError(AssertionError):
    pass


@dataclass
class Placed:
    order_id: int
    key: str


def expect(response: Response, status: int, step: str) -> Response:
    if response.status != status:
        raise JourneyError(f"{step}: {response.status} (expected {status}): {response.text[:300]!r}")
    return response


def reorder_journey(visitor: Visitor, link_path: str, step: int = 1) -> Placed:
    """Journey 1 over HTTP: open the emailed link, change one quantity inline (htmx), place the order, see it
    confirmed. Any answer but the expected one raises ``JourneyError``."""
    response = expect(visitor.get(link_path), 303, "open the link")
    page = expect(visitor.get(response.location), 200, "the order page").text
    csrf, order_id, key = CSRF.search(page), PLACE.search(page), KEY.search(page)
    if not (csrf and order_id and key):
        raise JourneyError(f"the order page has no place form: {page[:300]!r}")
    quantities = dict(QUANTITY.findall(page))
    lines = LINE.findall(page)
    if lines:
        line = lines[0]
        quantity = int(quantities.get(line, "1")) + step
        form = {"csrf_token": csrf.group(1), "quantity": str(max(1, min(quantity, 999)))}
        edit = visitor.post(f"/orders/{order_id.group(1)}/lines/{line}", form, htmx=True)
        expect(edit, 200, "change a quantity")
    shipping = SHIPPING.search(page)
    form = {
        "csrf_token": csrf.group(1),
        "idempotency_key": key.group(1),
        "shipping_option_id": shipping.group(1) if shipping else "",
        "notes": "",
    }
    placed = expect(visitor.post(f"/orders/{order_id.group(1)}/place", form), 303, "place the order")
    confirmed = expect(visitor.get(placed.location), 200, "the confirmation")
    if "placed=1" not in placed.location or "is placed" not in confirmed.text:
        raise JourneyError(f"no confirmation at {placed.location}: {confirmed.text[:300]!r}")
    return Placed(int(re.search(r"/orders/(\d+)", placed.location).group(1)), key.group(1))


# --- Fixtures (imported by the test modules that use them) ------------------------------------------------


@pytest.fixture
def processes(tmp_path):
    """Start processes through this; whatever is still running at the end is killed, children and all."""
    started: list[Process] = []

    def start(process: Process) -> Process:
        started.append(process)
        return process.start()

    yield start
    for process in reversed(started):
        process.kill()


@pytest.fixture
def redis_server(tmp_path, processes):
    return processes(RedisServer(tmp_path))


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture
def app_env(database_uri, redis_server, smtp_sink):
    """The environment of every subprocess of a fault test: the test database, our Redis, our SMTP sink."""
    return app_environment(
        database_uri,
        REDIS_URL=redis_server.url(),
        RQ_QUEUE="wholesale",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_sink.port,
        MAIL_TIMEOUT=3,
    )


def regular_customers(count: int, prefix: str = "Café") -> list[str]:
    """``count`` customers who ordered last week, each with one contact; the path of each one's sign-in link
    (a reminder's, lasting a week). Runs in the caller's app context and commits."""
    from urllib.parse import urlsplit

    from wholesale.services.customers import links

    from .factories import make_catalog, make_customer, make_order, make_shipping

    variants = make_catalog(coffees=3)
    make_shipping()
    customers = []
    for n in range(count):
        customer = make_customer(f"{prefix} {n:03d}")
        lines = [(variants[n % len(variants)], 1 + n % 4), (variants[(n + 1) % len(variants)], 2)]
        make_order(customer, lines)
        customers.append(customer)
    db.session.commit()
    return [urlsplit(links.login_url(customer.contacts[0], "reminder")).path for customer in customers]


@pytest.fixture
def portal_on_our_redis(app, redis_server, monkeypatch):
    """This process's app (the test client's) enqueues its jobs on the test's own Redis, queue "wholesale"."""
    monkeypatch.setitem(app.config, "REDIS_URL", redis_server.url())
    monkeypatch.setitem(app.config, "RQ_QUEUE", "wholesale")
    return redis_server
