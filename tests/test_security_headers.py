"""Security headers on every response, no inline script or style anywhere, and production's HTTPS settings.

Every page of every route, for every kind of visitor, is checked by the authorization matrix
(test_authorization_matrix.py) with the two helpers below; this file checks what the matrix does not reach:
error answers, static files, htmx's configuration, and the production-only settings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from wholesale import create_app
from wholesale.extensions import db
from wholesale.models import Email

from .conftest import csrf_from
from .fixtures_jobs import free_port

STATIC = Path(__file__).resolve().parent.parent / "wholesale" / "static"
REFERRER_POLICIES = {"same-origin", "no-referrer", "strict-origin"}  # never one that sends the path away
EMAIL_HTML = re.compile(r"^/admin/emails/\d+/html$")


def csp_directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def assert_safe_headers(response, path: str) -> None:
    """The headers every answer of ours carries (an email's own HTML gets a sandbox of its own instead)."""
    headers = response.headers
    where = f"{response.status_code} {path}"
    policy = headers.get("Content-Security-Policy", "")
    directives = csp_directives(policy)
    assert "unsafe-eval" not in policy and "script-src 'unsafe-inline'" not in policy, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in REFERRER_POLICIES, where
    if EMAIL_HTML.match(path) and response.status_code == 200:
        assert "sandbox" in directives and directives["default-src"] == "'none'", where
        assert "script-src" not in directives, where  # default-src 'none': no script at all
        return
    assert directives.get("script-src") == "'self'" and directives.get("style-src") == "'self'", where
    assert directives.get("frame-ancestors") == "'none'" and headers.get("X-Frame-Options") == "DENY", where
    assert directives.get("object-src") == "'none'" and directives.get("base-uri") == "'self'", where


INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style", re.I), "a <style> element"),
    (re.compile(r"\sstyle=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "an inline event handler"),
    (re.compile(r"""(href|src|action)=["']?\s*javascript:""", re.I), "a javascript: URL"),
    (re.compile(r"\shx-on", re.I), "an hx-on handler (needs eval)"),
]


def assert_no_inline_code(response, path: str) -> None:
    """An HTML page of ours has no script or style the CSP would have to allow inline."""
    if not response.mimetype == "text/html" or EMAIL_HTML.match(path):
        return
    html = response.get_data(as_text=True)
    for pattern, what in INLINE:
        match = pattern.search(html)
        assert match is None, f"{path} has {what}: {html[max(0, match.start() - 80) : match.end() + 80]!r}"


# --- What the matrix does not reach ----------------------------------------------------------------------


def test_error_answers_and_static_files_carry_the_headers_too(app, client, staff_client, forms):
    answers = {
        "/no/such/page": client.get("/no/such/page"),  # 404
        "/healthz (POST)": client.post("/healthz"),  # 405
        "/link/request (no token)": client.post("/link/request", data={"email": "a@b.example"}),  # 400
        "/static/app.css": client.get("/static/app.css"),
        "/static/htmx-2.0.11.min.js": client.get("/static/htmx-2.0.11.min.js"),
        "/admin/products/new (too large)": staff_client.post(
            "/admin/products/new",
            data={"csrf_token": forms.token("/admin/products/new"), "name": "x" * 2_000_000},
        ),  # 413
    }
    assert [r.status_code for r in answers.values()] == [404, 405, 400, 200, 200, 413]
    for path, response in answers.items():
        assert_safe_headers(response, path)
        assert_no_inline_code(response, path)
        response.close()  # static files are streamed from an open file


@pytest.mark.db_independent
def test_a_503_while_the_database_is_down_carries_the_headers():
    app = create_app(
        {
            "ENV_NAME": "development",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SECRET_KEY": "x",
        }
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["contact_id"] = 1
    response = client.get("/order")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert_safe_headers(response, "/order (database down)")
    assert_no_inline_code(response, "/order (database down)")


@pytest.mark.db_independent
def test_htmx_runs_without_eval_and_its_indicator_styles_come_from_our_css(client):
    page = client.get("/link/request").get_data(as_text=True)
    config = re.search(r"""<meta name="htmx-config" content='([^']+)'>""", page).group(1)
    assert '"allowEval": false' in config and '"includeIndicatorStyles": false' in config
    assert '"allowScriptTags": false' in config and '"historyCacheSize": 0' in config
    scripts = [src.split("?")[0] for src in re.findall(r'<script src="([^"]+)"', page)]
    assert scripts == ["/static/htmx-2.0.11.min.js", "/static/app.js"]  # vendored 2.x, same origin, no CDN
    css = (STATIC / "app.css").read_text()
    assert re.search(r"\.htmx-indicator\s*\{", css) and re.search(r"\.htmx-request[^{]*\.htmx-indicator", css)
    assert "eval(" not in (STATIC / "app.js").read_text()


def test_an_htmx_request_that_fails_reloads_the_page_with_the_reason(app, client):
    """htmx swaps no error answer: without this the customer's tap would seem to do nothing."""
    response = client.post("/link/request", data={"email": "a@b.example"}, headers={"HX-Request": "true"})
    assert response.status_code == 400 and response.headers["HX-Refresh"] == "true"
    page = client.get("/link/request").get_data(as_text=True)
    assert "Your last change was not saved. Your session expired or the form was stale" in page
    plain = client.post("/link/request", data={"email": "a@b.example"})
    assert "HX-Refresh" not in plain.headers  # a plain form post shows the error page itself


# --- Production -------------------------------------------------------------------------------------------


@pytest.fixture
def production(monkeypatch, database_uri):
    monkeypatch.setenv("WHOLESALE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-for-the-test")
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens: mail waits
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://orders.hillside.example")
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    # The limiter is one object shared by every app of the process: it keeps counting in memory.
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "MAIL_SUPPRESS_SEND": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_production_pins_https_and_sends_the_session_cookie_only_over_it(production):
    client = production.test_client()
    behind_router = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    response = client.get("/link/request", headers=behind_router)
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000 and "includeSubDomains" in hsts
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.secure and cookie.http_only and cookie.same_site == "Lax"
    assert_safe_headers(response, "/link/request (production)")


def test_production_forms_post_over_https_with_the_referrer_policy_we_send(production, ana):
    """Flask-WTF wants a same-origin Referer on HTTPS posts: "same-origin" sends one, "no-referrer" not."""
    client = production.test_client()
    https = {"base_url": "https://orders.hillside.example"}
    page = client.get("/link/request", **https)
    assert page.headers["Referrer-Policy"] == "same-origin"
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "email": "ana@bluedoor.example"}
    foreign = client.post("/link/request", data=data, headers={"Referer": "https://evil.example/x"}, **https)
    assert foreign.status_code == 400
    ours = client.post(
        "/link/request", data=data, headers={"Referer": "https://orders.hillside.example/"}, **https
    )
    assert ours.status_code == 303
    with production.app_context():
        [email] = db.session.scalars(select(Email)).all()
        assert "https://orders.hillside.example/link/" in email.text_body  # and the link is HTTPS too


def test_development_pins_nothing(client):
    response = client.get("/link/request")
    assert "Strict-Transport-Security" not in response.headers
