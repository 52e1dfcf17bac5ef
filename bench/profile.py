"""Where a page's time goes: py-spy samples one gunicorn worker while the page is under load.

Only samples taken while the worker handles a request count (not while it waits for the next connection).
Time spent waiting for the database's answer is included (``--idle``): on a 2-core machine that shares its
cores with PostgreSQL, round trips are part of the cost. The summary gives, per sample, the layer of the
innermost frame (socket I/O in gunicorn, the database driver, SQLAlchemy, Jinja, Flask/Werkzeug, our code),
and the inclusive share of each of our own functions.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

DATABASE = "database driver (waiting for and reading answers)"
# sqlite3 is C code: its time shows in the SQLAlchemy frame that called it.
SQLITE_CALLS = (
    "DefaultDialect.do_execute ",
    "DefaultDialect.do_executemany ",
    "DefaultDialect.do_commit ",
    "DefaultDialect.do_rollback ",
    "CursorFetchStrategy.fetchall ",
    "CursorFetchStrategy.fetchone ",
    "CursorFetchStrategy.fetchmany ",
)
LAYERS = (  # (layer, substring of the frame's file)
    (DATABASE, "psycopg/"),
    ("SQLAlchemy", "sqlalchemy/"),
    ("Jinja templates", "jinja2/"),
    ("Jinja templates", "jinja2_fragments/"),
    ("templates (our .html)", "wholesale/templates/"),
    ("Flask-WTF / WTForms (CSRF, forms)", "flask_wtf/"),
    ("Flask-WTF / WTForms (CSRF, forms)", "wtforms/"),
    ("Flask-Limiter", "flask_limiter/"),
    ("Flask-Limiter", "limits/"),
    ("itsdangerous (session cookie, tokens)", "itsdangerous/"),
    ("Flask / Werkzeug", "flask/"),
    ("Flask / Werkzeug", "werkzeug/"),
    ("gunicorn (HTTP parsing, socket writes, access log)", "gunicorn/"),
    ("logging", "logging/"),
    ("our code (wholesale/, jobs/)", "wholesale/"),
    ("our code (wholesale/, jobs/)", "jobs/"),
    ("redis / rq (enqueueing)", "redis/"),
    ("redis / rq (enqueueing)", "rq/"),
)


def py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def _frame_file(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"
    start = frame.rfind("(")
    return frame[start + 1 :] if start >= 0 else frame


def _layer(frame: str) -> str:
    if frame.startswith(SQLITE_CALLS):
        return DATABASE
    where = _frame_file(frame)
    for layer, marker in LAYERS:
        if where.startswith(marker) or "/" + marker in where:
            return layer
    return "other (stdlib, …)"


def _ours(frame: str) -> str | None:
    """ "function (wholesale/module.py)" for a frame of our code, else None."""
    where = _frame_file(frame).rstrip(")")
    if not (where.startswith(("wholesale/", "jobs/")) and not where.startswith("wholesale/templates/")):
        return None
    return f"{frame.split(' (')[0]} ({where.rsplit(':', 1)[0]})"


def summarize(raw_path: str, top: int = 12) -> dict:
    layers: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in Path(raw_path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if not any("handle_request" in f or "handle (gunicorn" in f for f in frames):
            continue  # the worker waiting for a connection
        n = int(count)
        total += n
        leaf = next((f for f in reversed(frames) if not f.startswith("<")), frames[-1])
        layers[_layer(leaf)] += n
        for name in {_ours(f) for f in frames} - {None}:
            ours[name] += n
    share = lambda n: round(100 * n / total, 1) if total else 0.0  # noqa: E731
    return {
        "samples": total,
        "by_layer_percent": {layer: share(n) for layer, n in layers.most_common()},
        "our_functions_inclusive_percent": {name: share(n) for name, n in ours.most_common(top)},
    }


def profile_worker(pid: int, seconds: float, out_dir: Path, name: str) -> dict | None:
    """Sample ``pid`` for ``seconds``; keeps the stacks (collapsed: speedscope and flamegraph.pl read it)."""
    spy = py_spy()
    if spy is None:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f"{name}.collapsed.txt"
    command = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        "250",
        "--idle",
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(raw),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0 or not raw.exists():
        return {"error": (done.stderr or done.stdout)[-500:]}
    return {**summarize(str(raw)), "stacks": str(raw.relative_to(out_dir.parent.parent))}


def during(load, pid: int, seconds: float, out_dir: Path, name: str):
    """Run ``load()`` while sampling ``pid``; returns (what load returned, the profile summary)."""
    result: dict = {}
    thread = threading.Thread(
        target=lambda: result.update(profile=profile_worker(pid, seconds, out_dir, name))
    )
    thread.start()
    loaded = load()
    thread.join(seconds + 90)
    return loaded, result.get("profile")
