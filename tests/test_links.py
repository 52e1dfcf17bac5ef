"""Passwordless links and journey 5, "Lost link".

A contact opens the emailed link and is signed in; a link that expired, was tampered with, was made for
something else or was revoked signs nobody in and offers to email a new one. Asking for a new link answers
the same whether or not the address is a customer's, and is rate limited. Tokens never reach a log.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import runpy
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import event, select

from tests.conftest import csrf_from
from wholesale.extensions import db
from wholesale.links_cli import login_link
from wholesale.logging_redaction import RedactLinkTokens, redact
from wholesale.models import Contact, Customer, Email
from wholesale.portal.session import load_signed_in_contact
from wholesale.services import links

ROOT = Path(__file__).resolve().parent.parent
ANA = "ana@bluedoor.example"
NOBODY = "nobody@unknown.example"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)
HALF_HOUR = timedelta(minutes=30)
WEEK = timedelta(days=7)
# Shaped like a real token (payload.signature) but signed by nobody.
TOKEN = "WzEsIjEyIl0.c2lnbmF0dXJl"


# --- Helpers -------------------------------------------------------------------------------------------


@pytest.fixture
def ana(app) -> int:
    """Ana orders for Blue Door Café; the id of her contact."""
    with app.app_context():
        customer = Customer(business_name="Blue Door Café")
        contact = Contact(customer=customer, name="Ana Ruiz", email=ANA)
        db.session.add_all([customer, contact])
        db.session.commit()
        return contact.id


def url_for_contact(app, contact_id: int, purpose: str = "reminder", now: datetime | None = None) -> str:
    with app.app_context():
        return links.login_url(db.session.get(Contact, contact_id), purpose, now=now)


def path_of(url: str) -> str:
    return urlsplit(url).path


def token_of(url: str) -> str:
    return path_of(url).rsplit("/", 1)[1]


def signed_in_contact_id(client) -> int | None:
    """Who the portal would say is signed in on the client's next request."""
    with client:
        client.get("/link/requested")
        contact = load_signed_in_contact()
        return contact.id if contact else None


def has_portal_session(client) -> bool:
    with client.session_transaction() as session:
        return "contact_id" in session


def emails(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.kind, e.to_address) for e in db.session.scalars(select(Email).order_by(Email.id))]


def without_csrf(html: str) -> str:
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1-", html)
    return re.sub(r'("X-CSRFToken": ")[^"]+', r"\1-", html)


def ask_for_link(forms, address: str, **kwargs):
    return forms.post("/link/request", {"email": address}, page="/", **kwargs)


def every_row(app) -> dict[str, list[tuple]]:
    with app.app_context():
        with db.engine.connect() as conn:
            return {
                table.name: [tuple(row) for row in conn.execute(table.select().order_by(*table.primary_key))]
                for table in db.metadata.sorted_tables
            }


# --- Opening a link ------------------------------------------------------------------------------------


def test_a_link_signs_the_contact_in_and_sends_them_to_the_order_page(app, client, ana):
    url = url_for_contact(app, ana)
    assert url.startswith("http://portal.test/link/")

    response = client.get(path_of(url))

    assert response.status_code == 303
    assert response.headers["Location"] == "/order"
    assert token_of(url) not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    with client.session_transaction() as session:
        assert session["contact_id"] == ana
    assert signed_in_contact_id(client) == ana


def test_a_requested_link_signs_in_too(app, client, ana):
    response = client.get(path_of(url_for_contact(app, ana, "requested")))
    assert response.status_code == 303
    assert signed_in_contact_id(client) == ana


def test_opening_a_link_writes_nothing_to_the_database(app, client, ana):
    url = url_for_contact(app, ana)
    before = every_row(app)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path_of(url))
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert response.status_code == 303
    assert statements, "the link was checked against the database"
    assert not [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert every_row(app) == before


@pytest.mark.parametrize(
    ("purpose", "lifetime"), [("requested", HALF_HOUR), ("reminder", WEEK)]
)
def test_a_link_works_until_its_expiry_and_not_from_it_on(app, ana, purpose, lifetime):
    url = url_for_contact(app, ana, purpose, now=T0)
    with app.app_context():
        assert links.verify(token_of(url), now=T0 + lifetime - timedelta(seconds=1)).id == ana
        with pytest.raises(links.LinkError) as refused:
            links.verify(token_of(url), now=T0 + lifetime)
        assert refused.value.reason == "expired"


def test_an_expired_link_offers_a_new_one_and_signs_nobody_in(app, client, ana):
    url = url_for_contact(app, ana, "requested", now=T0)
    with time_machine.travel(T0 + HALF_HOUR, tick=False):
        response = client.get(path_of(url))

    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "This link has expired" in page
    assert "Email me a new link" in page and 'action="/link/request"' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "strict-origin"  # origin only: never the token
    assert not has_portal_session(client) and signed_in_contact_id(client) is None


def one_char_changed(token: str) -> str:
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


@pytest.mark.parametrize(
    "tamper",
    [
        one_char_changed,
        lambda token: token[:-1],
        lambda token: token.rsplit(".", 1)[0],
        lambda token: token + "x",
        lambda token: token * 10,
        lambda token: "not-a-token",
    ],
    ids=["one-char-changed", "truncated", "signature-dropped", "extended", "very-long", "garbage"],
)
def test_a_tampered_link_is_refused(app, client, ana, tamper):
    token = tamper(token_of(url_for_contact(app, ana)))
    with app.app_context(), pytest.raises(links.LinkError) as refused:
        links.verify(token)
    assert refused.value.reason == "invalid"

    response = client.get(f"/link/{token}")
    assert response.status_code == 400
    assert "This link is no longer valid" in response.get_data(as_text=True)
    assert not has_portal_session(client) and signed_in_contact_id(client) is None


def test_a_token_made_for_another_purpose_never_signs_in(app, client, ana):
    with app.app_context():
        contact = db.session.get(Contact, ana)
        token = links.make_token(contact, "no-order", datetime.now(timezone.utc) + WEEK)
        assert links.read_token(token, ("no-order",)).id == ana  # good for what it was made for
        with pytest.raises(links.LinkError) as refused:
            links.verify(token)
        assert refused.value.reason == "invalid"

    response = client.get(f"/link/{token}")
    assert response.status_code == 400
    assert not has_portal_session(client) and signed_in_contact_id(client) is None


def revoke(contact: Contact):
    links.revoke_links(contact.customer)


def change_email(contact: Contact):
    contact.email = "ana.ruiz@bluedoor.example"
    db.session.commit()


def delete_contact(contact: Contact):
    db.session.delete(contact)
    db.session.commit()


def deactivate_customer(contact: Contact):
    contact.customer.active = False
    db.session.commit()


@pytest.mark.parametrize("change", [revoke, change_email, delete_contact, deactivate_customer])
def test_a_link_stops_working_when_staff_change_the_account(app, client, ana, change):
    url = url_for_contact(app, ana)
    with app.app_context():
        change(db.session.get(Contact, ana))
        with pytest.raises(links.LinkError) as refused:
            links.verify(token_of(url))
        assert refused.value.reason == "revoked"

    response = client.get(path_of(url))

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This link is no longer valid" in page and "Email me a new link" in page
    assert not has_portal_session(client) and signed_in_contact_id(client) is None


@pytest.mark.parametrize("change", [revoke, change_email, deactivate_customer])
def test_a_session_started_before_the_change_ends_with_it(app, client, ana, change):
    client.get(path_of(url_for_contact(app, ana)))
    assert signed_in_contact_id(client) == ana

    with app.app_context():
        change(db.session.get(Contact, ana))

    assert signed_in_contact_id(client) is None


def test_revoking_bumps_the_token_version_once_and_new_links_work(app, client, ana):
    with app.app_context():
        customer = db.session.get(Contact, ana).customer
        links.revoke_links(customer)
        assert customer.token_version == 2
    response = client.get(path_of(url_for_contact(app, ana)))
    assert response.status_code == 303


# --- Where links point ---------------------------------------------------------------------------------


def test_links_are_built_from_the_public_base_url_never_the_request_host(app, ana):
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    with app.test_request_context("/", base_url="http://evil.example", headers=forged):
        url = links.login_url(db.session.get(Contact, ana), "reminder")
    assert url.startswith("http://portal.test/link/")
    assert "evil" not in url


def test_an_emailed_link_ignores_a_forged_host_on_the_request(app, client, ana):
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    page = client.get("/", headers=forged).get_data(as_text=True)
    data = {"email": ANA, "csrf_token": csrf_from(page)}
    response = client.post("/link/request", data=data, headers=forged)
    assert response.status_code == 303
    with app.app_context():
        email = db.session.scalar(select(Email))
        assert "http://portal.test/link/" in email.text_body
        assert "evil" not in email.text_body + email.html_body


# --- Asking for a new link (journey 5) -----------------------------------------------------------------


def test_the_start_page_offers_to_email_a_new_link(client):
    page = client.get("/").get_data(as_text=True)
    assert 'action="/link/request"' in page and 'name="email"' in page and "Email me a new link" in page


def test_asking_for_a_link_answers_the_same_for_a_customer_and_a_stranger(app, client, forms, ana):
    known = ask_for_link(forms, "  Ana@BlueDoor.example ")
    unknown = ask_for_link(forms, NOBODY)

    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"] == "/link/requested"
    assert known.get_data() == unknown.get_data()
    page = client.get("/link/requested").get_data(as_text=True)
    assert "If that address belongs to a customer, a new link is on its way; it works for 30 minutes." in page

    assert emails(app) == [("login_link", ANA)]


def test_the_emailed_link_signs_in_for_thirty_minutes(app, client, forms, ana):
    with time_machine.travel(T0, tick=False):
        ask_for_link(forms, ANA)
    with app.app_context():
        email = db.session.scalar(select(Email))
        assert email.status == "sent"
        assert email.subject.startswith("Your sign-in link")
        url = re.search(r"http://portal\.test/link/\S+", email.text_body).group(0)
        assert url in email.html_body and "30 minutes" in email.text_body
        assert links.verify(token_of(url), now=T0 + HALF_HOUR - timedelta(seconds=1)).id == ana
        with pytest.raises(links.LinkError):
            links.verify(token_of(url), now=T0 + HALF_HOUR)
    with time_machine.travel(T0 + timedelta(minutes=29), tick=False):
        assert client.get(path_of(url)).status_code == 303
        assert signed_in_contact_id(client) == ana


def test_a_double_tap_sends_one_email(app, forms, ana):
    with time_machine.travel(T0, tick=False):
        ask_for_link(forms, ANA)
        ask_for_link(forms, ANA)
    assert emails(app) == [("login_link", ANA)]


def test_no_email_for_a_contact_of_an_inactive_customer(app, forms, ana):
    with app.app_context():
        db.session.get(Contact, ana).customer.active = False
        db.session.commit()
    response = ask_for_link(forms, ANA)
    assert response.headers["Location"] == "/link/requested"
    assert emails(app) == []


def test_a_malformed_address_is_explained_and_sends_nothing(app, forms, ana):
    response = ask_for_link(forms, "ana at bluedoor")
    assert response.status_code == 400
    assert "Enter an email address." in response.get_data(as_text=True)
    assert emails(app) == []


def test_asking_without_a_csrf_token_is_refused(app, client, ana):
    response = client.post("/link/request", data={"email": ANA})
    assert response.status_code == 400
    assert emails(app) == []


def test_the_form_on_a_refused_link_page_posts_over_https(app, client, ana):
    """That page sends only the origin as Referer, which is what Flask-WTF checks on HTTPS."""
    https = "https://portal.test"
    page = client.get("/link/not-a-token", base_url=https).get_data(as_text=True)
    response = client.post(
        "/link/request",
        base_url=https,
        data={"email": ANA, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)},
        headers={"Referer": https + "/"},
    )
    assert response.status_code == 303
    assert emails(app) == [("login_link", ANA)]


def test_three_requests_an_hour_per_address_without_telling_who_is_a_customer(app, client, forms, ana):
    limited = {}
    for address in (ANA, NOBODY):
        for _ in range(3):
            assert ask_for_link(forms, address).status_code == 303
        limited[address] = ask_for_link(forms, address)

    assert limited[ANA].status_code == limited[NOBODY].status_code == 429
    pages = [without_csrf(limited[address].get_data(as_text=True)) for address in (ANA, NOBODY)]
    assert pages[0] == pages[1]
    assert "You can ask again in an hour" in limited[ANA].get_data(as_text=True)
    assert ask_for_link(forms, "someone.else@unknown.example").status_code == 303  # other addresses still may

    with time_machine.travel(datetime.now(timezone.utc) + timedelta(hours=1, minutes=1)):
        assert ask_for_link(forms, ANA).status_code == 303


def test_ten_requests_an_hour_per_client(app, client, forms, ana):
    for n in range(10):
        assert ask_for_link(forms, f"stranger{n}@unknown.example").status_code == 303

    refused = ask_for_link(forms, ANA)
    assert refused.status_code == 429
    assert emails(app) == []  # a refused request sends nothing, even for a customer

    elsewhere = ask_for_link(forms, ANA, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert elsewhere.status_code == 303
    assert emails(app) == [("login_link", ANA)]


# --- Command line --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "lifetime"), [([], WEEK), (["--purpose", "requested"], HALF_HOUR)])
def test_login_link_command_prints_a_working_link(app, client, runner, ana, args, lifetime):
    with time_machine.travel(T0, tick=False):
        result = runner.invoke(login_link, [ANA.upper(), *args])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://portal.test/link/")
    with app.app_context():
        assert links.verify(token_of(url), now=T0 + lifetime - timedelta(seconds=1)).id == ana
        with pytest.raises(links.LinkError):
            links.verify(token_of(url), now=T0 + lifetime)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert client.get(path_of(url)).status_code == 303
        assert signed_in_contact_id(client) == ana


def test_login_link_command_explains_an_unknown_address(runner):
    result = runner.invoke(login_link, [NOBODY])
    assert result.exit_code == 1
    assert f"no contact has the email {NOBODY}" in result.output


# --- Tokens never reach a log --------------------------------------------------------------------------


def test_the_filter_redacts_a_dev_server_request_line():
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s %s',
        ("127.0.0.1", "03/Mar/2025 09:00:00", f"GET /link/{TOKEN} HTTP/1.1", "303", "-"), None,
    )
    assert RedactLinkTokens().filter(record) is True
    assert record.getMessage() == '127.0.0.1 - - [03/Mar/2025 09:00:00] "GET /link/[redacted] HTTP/1.1" 303 -'
    assert redact("POST /link/request HTTP/1.1") == "POST /link/request HTTP/1.1"
    assert redact("GET /link/requested HTTP/1.1") == "GET /link/requested HTTP/1.1"


def test_the_dev_server_log_never_shows_a_token(app, ana, caplog):
    from werkzeug.serving import make_server

    url = url_for_contact(app, ana)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
            conn.request("GET", path_of(url))
            assert conn.getresponse().status == 303
            conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "werkzeug")
    assert "/link/[redacted]" in logged
    assert token_of(url) not in logged


def _gunicorn_logger_class():
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["logger_class"]


def test_gunicorns_access_log_never_shows_a_token(tmp_path):
    from gunicorn.config import Config

    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    cfg.set("access_log_format", '%(r)s %(U)s %(f)s %({referer}i)s %({raw_uri}e)s %(s)s')
    logger = _gunicorn_logger_class()(cfg)
    try:
        environ = {
            "REQUEST_METHOD": "GET", "RAW_URI": f"/link/{TOKEN}", "PATH_INFO": f"/link/{TOKEN}",
            "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_REFERER": f"http://portal.test/link/{TOKEN}",
        }
        response = SimpleNamespace(status="303 SEE OTHER", sent=0, headers=[("Location", "/order")])
        request = SimpleNamespace(headers=[("Referer", f"http://portal.test/link/{TOKEN}")])
        logger.access(response, request, environ, timedelta(milliseconds=3))
    finally:
        for log in (logger.access_log, logger.error_log):
            for handler in list(log.handlers):
                handler.close()
                log.removeHandler(handler)

    line = log_file.read_text()
    assert line.count("/link/[redacted]") == 5, line
    assert TOKEN not in line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_reads_the_redacting_logger_from_the_repository(tmp_path):
    """Run gunicorn as the Procfile does (from the repository, no --config) and read its access log."""
    port = _free_port()
    log_file, errors = tmp_path / "access.log", tmp_path / "errors.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
        "SECRET_KEY": "gunicorn-test",
        "HOME": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    process = subprocess.Popen(
        [*command, "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--access-logfile", str(log_file), "--error-logfile", str(errors), "--no-control-socket"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", f"/link/{TOKEN}")
                status = conn.getresponse().status
                conn.close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = errors.read_text()[-2000:] if errors.exists() else ""
                    pytest.fail(f"gunicorn did not answer: {log}")
                time.sleep(0.2)
        assert status == 400
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (log_file.exists() and "/link/" in log_file.read_text()):
            time.sleep(0.1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    logged = log_file.read_text()
    assert "GET /link/[redacted] HTTP/1.1" in logged
    assert TOKEN not in logged



def test_staff_revoke_every_link_of_a_customer_with_one_button(app, staff_client, forms):
    from wholesale.models import Contact, Customer
    from wholesale.services.links import login_url

    with app.app_context():
        customer = Customer(business_name="Revoked Café")
        customer.contacts.append(Contact(name="Ana", email="ana@revoked.example"))
        db.session.add(customer)
        db.session.commit()
        link = login_url(customer.contacts[0], "reminder")
        customer_id = customer.id
    page = staff_client.get(f"/admin/customers/{customer_id}").get_data(as_text=True)
    assert "Revoke all links" in page
    response = forms.post(f"/admin/customers/{customer_id}/revoke-links", page=f"/admin/customers/{customer_id}")
    assert response.status_code == 303
    assert "is revoked" in staff_client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Customer, customer_id).token_version == 2
    visitor = app.test_client()
    assert visitor.get(link.replace(app.config["PUBLIC_BASE_URL"], "")).status_code == 400
