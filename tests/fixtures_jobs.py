"""Fixtures for tests that need Redis, an RQ worker or an SMTP server (all on this machine).

Redis is the database of ``TEST_REDIS_URL`` (default db 15); each test gets a queue of its own, removed after.
The worker is an in-process ``rq.SimpleWorker`` in burst mode; mail goes to an aiosmtpd server on a free port.
"""

from __future__ import annotations

import os
import socket
import uuid
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from .conftest import missing_service

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis():
    connection = Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        connection.ping()
    except RedisError as error:
        connection.close()
        missing_service(f"Redis is not reachable at {TEST_REDIS_URL}: {error}")
    yield connection
    connection.close()


@pytest.fixture
def queue(app, redis, monkeypatch):
    """The app sends through Redis, on a queue no other test (or test run) shares."""
    name = f"wholesale-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "REDIS_URL", TEST_REDIS_URL)
    monkeypatch.setitem(app.config, "RQ_QUEUE", name)
    yield Queue(name, connection=redis)
    forget_queue(redis, name)


def forget_queue(redis: Redis, name: str) -> None:
    """Remove the queue, its registries, its jobs and its worker from Redis; nothing else is touched."""
    queue = Queue(name, connection=redis)
    registries = (
        queue.started_job_registry,
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.scheduled_job_registry,
        queue.deferred_job_registry,
        queue.canceled_job_registry,
    )
    job_ids = set(queue.get_job_ids()).union(*(registry.get_job_ids() for registry in registries))
    keys = [key for job_id in job_ids for key in redis.scan_iter(match=f"rq:*{job_id}*")]
    keys += redis.scan_iter(match=f"*{name}*")
    if keys:
        redis.delete(*keys)
    redis.srem("rq:queues", f"rq:queue:{name}")


@pytest.fixture
def run_worker(app, queue):
    """Run what is queued, as `rq worker --burst --with-scheduler` would, in an app context of its own."""

    def run() -> None:
        worker = SimpleWorker([queue], connection=queue.connection, name=f"{queue.name}-worker")
        with app.app_context():
            worker.work(burst=True, with_scheduler=True, logging_level="WARNING")

    return run


class Inbox:
    """What the SMTP server accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_port(app, monkeypatch):
    """Mail really leaves the app, for a local port where a test may or may not start a server."""
    port = free_port()
    state = app.extensions["mail"]  # Flask-Mail reads its settings once, at init_app
    for setting, attribute, value in (
        ("MAIL_SUPPRESS_SEND", "suppress", False),
        ("MAIL_SERVER", "server", "127.0.0.1"),
        ("MAIL_PORT", "port", port),
    ):
        monkeypatch.setitem(app.config, setting, value)
        monkeypatch.setattr(state, attribute, value)
    return port


@pytest.fixture
def start_smtp_server(smtp_port):
    controllers = []

    def start() -> Inbox:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        controllers.append(controller)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()
