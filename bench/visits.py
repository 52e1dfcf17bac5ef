"""Signed-in visitors: a customer contact on their order page, or a staff member, as the bench drives them.

A ``Visit`` is what a browser holds after opening the order page: the session cookie, the CSRF token, and the
addresses and values the page's forms post to. The load generators replay it; the query counter builds the
same thing in-process.
"""

from __future__ import annotations

import http.client
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')
PLACE = re.compile(r'action="(/orders/(\d+)/place)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
LINE = re.compile(r'<form class="line" id="line-(\d+)" method="post"\s+action="([^"]+)"')
QUANTITY = re.compile(r'id="qty-(\d+)"[^>]*?value="(\d+)"', re.S)
SHIPPING = re.compile(r'<option value="(\d+)" selected>')


@dataclass
class Visit:
    cookie: str  # "session=…", as the browser sends it back
    csrf: str = ""
    order_id: int = 0
    place_path: str = ""
    idempotency_key: str = ""
    shipping_option_id: str = ""
    lines: list[tuple[str, int]] = field(default_factory=list)  # (post path, quantity) per line

    @classmethod
    def from_order_page(cls, cookie: str, html: str) -> Visit:
        place = PLACE.search(html)
        quantities = {int(line_id): int(value) for line_id, value in QUANTITY.findall(html)}
        shipping = SHIPPING.search(html)
        key = KEY.search(html)
        return cls(
            cookie=cookie,
            csrf=csrf_token(html),
            order_id=int(place.group(2)) if place else 0,
            place_path=place.group(1) if place else "",
            idempotency_key=key.group(1) if key else "",
            shipping_option_id=shipping.group(1) if shipping else "",
            lines=[(path, quantities[int(line_id)]) for line_id, path in LINE.findall(html)],
        )


def csrf_token(html: str) -> str:
    return VALUE.search(CSRF_INPUT.search(html).group(0)).group(1)


def session_cookie(headers) -> str | None:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return None


def request(base_url: str, method: str, path: str, headers: dict | None = None, body: str = ""):
    """One request on a fresh connection (as every request to gunicorn's sync workers is)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body.encode() if body else None, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def open_link(base_url: str, link: str) -> Visit:
    """What the emailed link does in a browser: sign in, land on the order page (its draft is made now)."""
    status, headers, _ = request(base_url, "GET", urlsplit(link).path)
    cookie = session_cookie(headers)
    if status != 303 or cookie is None:
        raise RuntimeError(f"opening a sign-in link answered {status}")
    status, headers, body = request(base_url, "GET", "/order", {"Cookie": cookie})
    if status != 200:
        raise RuntimeError(f"the order page answered {status}")
    return Visit.from_order_page(session_cookie(headers) or cookie, body.decode())


def open_links(base_url: str, links: list[str], workers: int = 4) -> list[Visit]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda link: open_link(base_url, link), links))


def staff_sign_in(base_url: str, email: str, password: str) -> Visit:
    status, headers, body = request(base_url, "GET", "/admin/sign-in")
    cookie = session_cookie(headers)
    csrf = csrf_token(body.decode())
    form = f"email={email}&password={password}&csrf_token={csrf}".replace("@", "%40")
    status, headers, _ = request(
        base_url,
        "POST",
        "/admin/sign-in",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    signed_in = session_cookie(headers)
    if status != 303 or signed_in is None:
        raise RuntimeError(f"staff sign-in answered {status}")
    return Visit(cookie=signed_in, csrf=csrf)
