"""What the phone downloads on its first visit: the order page's HTML and every asset it links.

Measured against the running server, asking as a browser does (``Accept-Encoding: gzip``): "sent" is what
came over the wire (static files come gzipped; the HTML does not, it fits in the first round trip anyway);
"gzip" is everything gzipped at level 6, what a PaaS router or CDN that compresses would send; "bytes" is
uncompressed.
"""

from __future__ import annotations

import gzip
import re

from .visits import Visit, request

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def first_load(base_url: str, visit: Visit) -> dict:
    browser = {"Accept-Encoding": "gzip, deflate, br"}
    status, _, html = request(base_url, "GET", "/order", {"Cookie": visit.cookie, **browser})
    if status != 200:
        raise RuntimeError(f"the order page answered {status}")
    parts = {"html": _part(html, html)}
    for path in ASSET.findall(html.decode()):
        status, headers, sent = request(base_url, "GET", path, browser)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        gzipped = any(k.lower() == "content-encoding" and v == "gzip" for k, v in headers)
        parts[path.split("?")[0].rsplit("/", 1)[1]] = _part(gzip.decompress(sent) if gzipped else sent, sent)
    return {
        "files": parts,
        "bytes": sum(p["bytes"] for p in parts.values()),
        "gzip": sum(p["gzip"] for p in parts.values()),
        "sent": sum(p["sent"] for p in parts.values()),
        "lines": html.decode().count('class="line"'),
    }


def _part(body: bytes, sent: bytes) -> dict:
    return {"bytes": len(body), "gzip": len(gzip.compress(body, 6)), "sent": len(sent)}
