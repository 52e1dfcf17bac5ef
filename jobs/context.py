"""One app per worker process, made on first use (never at import time)."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

from flask import Flask, has_app_context


@lru_cache(maxsize=1)
def worker_app() -> Flask:
    """The worker's app, configured from the environment like the web's. Opens no connection by itself."""
    from wholesale import create_app

    return create_app()


@contextmanager
def app_context():
    """The running app's context when there is one (in-process jobs, tests), else the worker's own app."""
    if has_app_context():
        yield
        return
    with worker_app().app_context():
        yield
