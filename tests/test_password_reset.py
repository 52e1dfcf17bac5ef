""" "Forgot your password?" on the staff sign-in page: the same answer for every address, a one-hour link
that works once, a new password that ends every other session, and limits on asking."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.logging_redaction import redact
from wholesale.models import Email, StaffUser

from .conftest import STAFF_EMAIL, STAFF_PASSWORD, Forms
from .test_team import LEE, LEE_PASSWORD, add_colleague, emails_to, link_in, set_password, signed_in

CSRF = re.compile(r"[\w-]{20,}\.[\w-]+\.[\w-]+")  # a signed CSRF token
NEW_PASSWORD = "lantern otter gravel tuesday"
ANSWER = (
    "If an account exists for that address, we've emailed a link to set a new password. It works for 1 hour."
)


def ask(client, email: str, **kwargs):
    return Forms(client).post("/admin/forgot-password", {"email": email}, **kwargs)


def test_the_sign_in_page_offers_a_password_reset(client):
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert 'href="/admin/forgot-password"' in page and "Forgot your password?" in page
    page = client.get("/admin/forgot-password").get_data(as_text=True)
    assert '<label for="email">Your email address</label>' in page and "Email me a link" in page


def test_every_address_gets_the_same_answer_and_only_an_account_gets_an_email(app, staff):
    add_colleague(app, "former@hillside.example", "Former")
    add_colleague(app, "kai@hillside.example", "Kai", password=None)  # invited, not yet accepted
    with app.app_context():
        db.session.scalar(
            select(StaffUser).where(StaffUser.email == "former@hillside.example")
        ).active = False
        db.session.commit()
    answers = {}
    for address in (
        STAFF_EMAIL,
        "nobody@hillside.example",
        "former@hillside.example",
        "kai@hillside.example",
    ):
        client = app.test_client()
        response = ask(client, address, page="/admin/forgot-password")
        assert response.status_code == 303 and response.headers["Location"] == "/admin/sign-in"
        answers[address] = html.unescape(client.get("/admin/sign-in").get_data(as_text=True))
        assert ANSWER in answers[address]
    # The page differs by its CSRF token only (every browser has its own).
    assert len({CSRF.sub("", page) for page in answers.values()}) == 1
    with app.app_context():
        sent = [
            (email.kind, email.to_address) for email in db.session.scalars(select(Email).order_by(Email.id))
        ]
    # The known address gets a reset; an invitation not yet accepted too (its link sets the first password).
    assert sent == [("staff_password_reset", STAFF_EMAIL), ("staff_password_reset", "kai@hillside.example")]


def test_a_reset_link_sets_a_new_password_once_and_ends_every_other_session(app, staff):
    elsewhere = signed_in(app, STAFF_EMAIL, STAFF_PASSWORD)  # Sam's laptop, still signed in
    assert elsewhere.get("/admin/products").status_code == 200
    ask(app.test_client(), "SAM@hillside.example ")
    [reset] = emails_to(app, STAFF_EMAIL)
    assert reset.kind == "staff_password_reset" and "works for 1 hour, once" in reset.text_body
    path = link_in(reset)

    phone = app.test_client()
    refused = set_password(phone, path, "short")
    assert refused.status_code == 400 and "at least 12 characters" in refused.get_data(as_text=True)
    done = set_password(phone, path, NEW_PASSWORD)
    assert done.status_code == 303 and phone.get("/admin/").status_code == 200

    # The laptop's session is over; the old password no longer signs in, the new one does.
    response = elsewhere.get("/admin/products")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/sign-in")
    old = Forms(app.test_client()).post("/admin/sign-in", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert old.status_code == 400
    assert signed_in(app, STAFF_EMAIL, NEW_PASSWORD).get("/admin/").status_code == 200
    # The link was used: it is refused now, and cannot set the password again.
    assert app.test_client().get(path).status_code == 400


def test_a_reset_link_works_for_an_hour(app, staff):
    asked = datetime.now(UTC)
    ask(app.test_client(), STAFF_EMAIL)
    path = link_in(emails_to(app, STAFF_EMAIL)[0])
    with time_machine.travel(asked + timedelta(minutes=59), tick=False):
        assert app.test_client().get(path).status_code == 303
    with time_machine.travel(asked + timedelta(minutes=61), tick=False):
        response = app.test_client().get(path)
        assert response.status_code == 410 and "This link has expired" in response.get_data(as_text=True)


def test_a_reset_link_stops_working_when_the_account_is_deactivated(app, staff):
    lee_id = add_colleague(app)
    ask(app.test_client(), LEE)
    path = link_in(emails_to(app, LEE)[0])
    with app.app_context():
        from wholesale.services import team

        team.deactivate_colleague(lee_id)
    assert app.test_client().get(path).status_code == 400


@pytest.mark.parametrize(
    "token",
    ["garbage", "x" * 500, "WzEsMV0.aaaa.bbbb"],
    ids=["garbage", "too long", "forged signature"],
)
def test_a_bad_token_is_refused_and_leaves_no_trace_in_the_session(app, staff, token):
    client = app.test_client()
    response = client.get(f"/admin/password/{token}")
    assert response.status_code == 400 and "no longer valid" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/admin/password").status_code == 400


def test_a_customer_sign_in_token_is_not_a_password_link(app, staff, ana_link_token):
    assert app.test_client().get(f"/admin/password/{ana_link_token}").status_code == 400


def test_the_link_leaves_the_address_bar_and_the_logs(app, staff):
    ask(app.test_client(), STAFF_EMAIL)
    path = link_in(emails_to(app, STAFF_EMAIL)[0])
    response = app.test_client().get(path)
    assert response.headers["Location"] == "/admin/password"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    token = path.rsplit("/", 1)[1]
    line = f'127.0.0.1 - - "GET {path} HTTP/1.1" 303 -'
    assert token not in redact(line) and "/admin/password/[redacted]" in redact(line)
    assert redact('"GET /admin/password HTTP/1.1" 200') == '"GET /admin/password HTTP/1.1" 200'


def test_a_password_reset_from_the_command_line_ends_other_sessions_too(app, staff, runner):
    laptop = signed_in(app, STAFF_EMAIL, STAFF_PASSWORD)
    result = runner.invoke(args=["create-staff", STAFF_EMAIL, "--password", NEW_PASSWORD])
    assert result.exit_code == 0
    assert laptop.get("/admin/").status_code == 302


def test_asking_is_limited_per_client(app, staff):
    client = app.test_client()
    token = Forms(client).token("/admin/forgot-password")
    statuses = [
        client.post(
            "/admin/forgot-password", data={"csrf_token": token, "email": f"n{n}@hillside.example"}
        ).status_code
        for n in range(6)
    ]
    assert statuses == [303] * 5 + [429]
    page = client.post("/admin/forgot-password", data={"csrf_token": token, "email": STAFF_EMAIL})
    assert page.status_code == 429 and "Too many requests for a password link" in page.get_data(as_text=True)
    assert emails_to(app, STAFF_EMAIL) == []


def test_asking_is_limited_per_address_across_clients(app, staff):
    for n in range(4):
        client = app.test_client()
        token = Forms(client).token("/admin/forgot-password")
        response = client.post(
            "/admin/forgot-password",
            data={"csrf_token": token, "email": STAFF_EMAIL},
            environ_base={"REMOTE_ADDR": f"10.0.1.{n}"},
        )
        assert response.status_code == (303 if n < 3 else 429), n
    # Three asks within a few minutes: one email (a double tap), and the fourth was refused before any work.
    assert len(emails_to(app, STAFF_EMAIL)) == 1


def test_a_signed_in_colleague_resetting_leaves_the_set_password_page_to_them(app, staff):
    """The set-password page shows whose password it sets (the link's account, whoever is signed in)."""
    add_colleague(app)
    ask(app.test_client(), LEE)
    sams_browser = signed_in(app, STAFF_EMAIL, STAFF_PASSWORD)
    sams_browser.get(link_in(emails_to(app, LEE)[0]))
    page = sams_browser.get("/admin/password").get_data(as_text=True)
    assert f"For <strong>{LEE}</strong>" in page
    assert (
        Forms(sams_browser)
        .post("/admin/password", {"password": LEE_PASSWORD + " z", "confirm": LEE_PASSWORD + " z"})
        .status_code
        == 303
    )
    assert "Signed in as Lee (Staff)" in sams_browser.get("/admin/").get_data(as_text=True)


@pytest.fixture
def ana_link_token(app):
    from .factories import make_customer

    with app.app_context():
        from wholesale.services.customers.links import login_url

        contact = make_customer("Blue Door Café").contacts[0]
        db.session.commit()
        return login_url(contact, "requested").rsplit("/", 1)[1]
