"""What the phone downloads on its first visit: the order page's HTML and every asset it links, gzipped.

Measured against the running server. gzip level 6 stands for what a PaaS router or CDN would send; the app
itself sends them uncompressed, so the raw bytes are reported too.
"""

from __future__ import annotations

import gzip
import re

from .visits import Visit, request

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def first_load(base_url: str, visit: Visit) -> dict:
    status, _, html = request(base_url, "GET", "/order", {"Cookie": visit.cookie})
    if status != 200:
        raise RuntimeError(f"the order page answered {status}")
    files = {"html": html}
    for path in ASSET.findall(html.decode()):
        status, _, body = request(base_url, "GET", path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        files[path.rsplit("/", 1)[1]] = body
    parts = {name: {"bytes": len(body), "gzip": len(gzip.compress(body, 6))} for name, body in files.items()}
    return {
        "files": parts,
        "bytes": sum(p["bytes"] for p in parts.values()),
        "gzip": sum(p["gzip"] for p in parts.values()),
        "lines": html.decode().count('class="line"'),
    }
