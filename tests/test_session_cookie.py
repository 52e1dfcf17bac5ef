"""The session cookie goes out when the session changes, and once a day to move its expiry forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from wholesale import session_cookie
from wholesale.extensions import db
from wholesale.models import Customer

from .factories import make_customer, make_shipping, sign_in_contact


def session_set_cookie(response) -> str | None:
    return next((v for v in response.headers.getlist("Set-Cookie") if v.startswith("session=")), None)


def signed_in(app, client):
    with app.app_context():
        make_shipping()
        customer = make_customer("Dockside Roasts Café")
        db.session.commit()
        sign_in_contact(client, customer.contacts[0])


def test_a_signed_in_customer_gets_the_cookie_once_a_day_not_with_every_page(app, client, monkeypatch):
    signed_in(app, client)
    first = client.get("/order")
    assert first.status_code == 200
    assert session_set_cookie(first)  # the first request of the day refreshes it
    for _ in range(3):
        again = client.get("/order")
        assert again.status_code == 200
        assert session_set_cookie(again) is None
        assert "Cookie" in again.headers.get("Vary", "")

    tomorrow = session_cookie.today() + 1
    monkeypatch.setattr(session_cookie, "today", lambda: tomorrow)
    next_day = client.get("/order")
    cookie = session_set_cookie(next_day)
    assert cookie, "the first request of a new day sends the cookie with a new expiry"
    expires = parsedate_to_datetime(cookie.split("Expires=", 1)[1].split(";", 1)[0])
    lifetime = app.permanent_session_lifetime
    assert abs(expires - (datetime.now(UTC) + lifetime)) < timedelta(minutes=5)
    assert session_set_cookie(client.get("/order")) is None
    assert client.get("/order").status_code == 200  # still signed in


def test_a_changed_session_is_always_sent(app, client):
    """Revoking the customer's links ends their session: the cookie that says so goes out at once."""
    signed_in(app, client)
    client.get("/order")
    assert session_set_cookie(client.get("/order")) is None
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        customer.token_version += 1
        db.session.commit()
    response = client.get("/order")
    assert response.status_code == 302
    assert session_set_cookie(response)
    with client.session_transaction() as session:
        assert "contact_id" not in session


def test_a_visitor_who_is_not_signed_in_gets_the_cookie_only_when_it_changes(client):
    first = client.get("/link/request")  # the form's CSRF token is kept in the session
    assert first.status_code == 200 and session_set_cookie(first)
    again = client.get("/link/request")
    assert again.status_code == 200
    assert session_set_cookie(again) is None
