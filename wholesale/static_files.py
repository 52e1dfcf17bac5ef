"""Static files: served by WhiteNoise before the app sees the request, gzipped for browsers that accept it,
and kept by browsers for good (WhiteNoise's "immutable": ten years). Every link to one carries a hash of its
content (``?v=…``, added to each ``url_for('static', …)``), so a changed file is a new address and a phone
that reorders every week downloads the stylesheet and scripts once, not on each visit.

The gzipped copies (``*.gz`` beside each file) are in the repository, because a PaaS runs no build step of
ours: ``make static`` writes them, and a test fails when one no longer matches its file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from flask import Flask
from whitenoise import WhiteNoise

from .security import security_headers

COMPRESSED_SUFFIXES = (".css", ".js", ".svg")


def register(app: Flask) -> None:
    folder = app.static_folder
    every_answer = security_headers(app.config["ENV_NAME"] == "production")

    def add_headers(headers, _path, _url):
        for name, value in every_answer.items():
            headers[name] = value

    served = WhiteNoise(
        app.wsgi_app,
        root=folder,
        prefix=app.static_url_path,
        immutable_file_test=lambda _path, _url: True,  # every link names the content (?v=)…
        allow_all_origins=False,
        autorefresh=app.debug,
        add_headers_function=add_headers,
    )
    app.wsgi_app = _immutable_only_as_named(served, app.static_url_path + "/", lambda: app.static_folder)

    @app.url_defaults
    def version_static_links(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            version = current_version(os.path.join(app.static_folder, values["filename"]))
            if version:  # else not a file of ours: the link is made as asked, and answers 404
                values["v"] = version


def _immutable_only_as_named(wsgi_app, prefix: str, folder):
    """…but WhiteNoise does not read the query string: a request whose ``v`` is not the file's content now (an
    old link, or, during a deploy, a new link answered by an instance still running the old release) is
    answered with ``no-cache`` instead, so no cache keeps the wrong content under a name for good."""

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(prefix):
            return wsgi_app(environ, start_response)
        asked = parse_qs(environ.get("QUERY_STRING", "")).get("v", [None])[0]
        root = os.path.abspath(folder())
        file = os.path.normpath(os.path.join(root, path[len(prefix) :].lstrip("/")))
        inside = file.startswith(root + os.sep)  # never look at a file outside the folder ("/static/../…")
        if asked is not None and inside and asked == current_version(file):
            return wsgi_app(environ, start_response)

        def revalidate(status, headers, exc_info=None):
            headers = [(name, value) for name, value in headers if name.lower() != "cache-control"]
            return start_response(status, [*headers, ("Cache-Control", "no-cache")], exc_info)

        return wsgi_app(environ, revalidate)

    return app


def current_version(path: str) -> str | None:
    """The file's content hash as links carry it, or None when there is no such file."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return content_hash(path, found.st_mtime_ns, found.st_size)


@lru_cache(maxsize=64)
def content_hash(path: str, _mtime_ns: int, _size: int) -> str:
    """The first 12 hex digits of the file's SHA-256; read again only when the file changes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def compress_all(folder: str | Path) -> list[Path]:
    """Write ``name.gz`` beside each CSS, JS and SVG file (level 9, no name or time in the header, so the
    same file always gives the same bytes). Returns what was written."""
    written = []
    for path in sorted(Path(folder).iterdir()):
        if path.suffix in COMPRESSED_SUFFIXES:
            target = path.with_name(path.name + ".gz")
            target.write_bytes(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
            written.append(target)
    return written
