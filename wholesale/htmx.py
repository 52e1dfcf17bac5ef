"""Answering a request made by htmx or by a plain form post: every page works without JavaScript.

htmx sends ``HX-Request: true``. It swaps the HTML it gets back into the page; a plain post gets a redirect
(303, so a reload does not post again) to the page that shows the result.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import make_response, redirect, request
from werkzeug.wrappers import Response


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def fragment_or_redirect(fragment: Callable[[], Response], url: str) -> Response:
    """The changed piece of the page for htmx, else a redirect to the page."""
    return fragment() if is_htmx() else redirect(url, code=303)


def go_to(url: str, htmx_status: int = 409) -> Response:
    """Send the browser to ``url``: htmx by ``HX-Redirect`` (it swaps no 4xx answer, and a refusal is one),
    a plain post by a 303."""
    if is_htmx():
        response = make_response("", htmx_status)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def retarget(response: Response, target: str, swap: str) -> Response:
    """Have htmx swap ``response`` into ``target`` (a CSS selector) the ``swap`` way, not where the request
    meant it to go."""
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = swap
    return response
