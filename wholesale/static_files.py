"""Static files: served by WhiteNoise before the app sees the request, gzipped for browsers that accept it,
and kept by browsers for good (WhiteNoise's "immutable": ten years). Every link to one carries a hash of its content (``?v=…``, added to each
``url_for('static', …)``), so a changed file is a new address and a phone that reorders every week
downloads the stylesheet and scripts once, not on each visit.

The gzipped copies (``*.gz`` beside each file) are in the repository, because a PaaS runs no build step of
ours: ``make static`` writes them, and a test fails when one no longer matches its file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from pathlib import Path

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

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=folder,
        prefix=app.static_url_path,
        immutable_file_test=lambda _path, _url: True,  # every link names the content (?v=)
        allow_all_origins=False,
        autorefresh=app.debug,
        add_headers_function=add_headers,
    )

    @app.url_defaults
    def version_static_links(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            path = os.path.join(app.static_folder, values["filename"])
            try:
                stat = os.stat(path)
            except OSError:
                return  # not a file of ours: the link is made as asked, and answers 404
            values["v"] = content_hash(path, stat.st_mtime_ns, stat.st_size)


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

