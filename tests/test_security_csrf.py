"""Every POST refuses a CSRF token that is not this session's own, or that outlived it, and writes nothing.

A missing token and a made-up one are refused on every POST in test_portal_access.py. Here the tokens are
real ones, which is what an attacker actually has: their own session's, one from before the victim signed in
(the session is renewed at sign-in), one signed with a secret key since retired. And on HTTPS, a post whose
Referer is another site is refused whatever its token.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from wholesale import create_app
from wholesale.extensions import db

from .conftest import STAFF_EMAIL, STAFF_PASSWORD, Forms, csrf_from
from .factories import make_catalog, make_customer, make_order, make_shipping, sign_in_contact
from .link_helpers import every_row
from .routes import fill, routes

# The one POST without a CSRF check: a mail client's one-click unsubscribe (RFC 8058) posts with no session.
# Its token is in the address and stopping that contact's reminders is all it can do (test_reminder_opt_out).
CSRF_EXEMPT = {"/link/<token>/reminders"}
POSTS = [
    (rule, arguments)
    for method, rule, arguments in routes("")
    if method == "POST" and rule not in CSRF_EXEMPT
]
STALE_FORM = "Your session expired or the form was stale"


@pytest.fixture
def victim(app, client, staff):
    """A client signed in as staff and as a customer contact at once: every POST gets past sign-in."""
    with app.app_context():
        variants = make_catalog(coffees=1)
        make_shipping()
        customer = make_customer("Blue Door Café")
        make_order(customer, [(variants[0], 2)])
        make_order(customer, [(variants[1], 1)], status="pending")
        db.session.commit()
        contact = customer.contacts[0]
        before_sign_in = Forms(client).token("/admin/sign-in")
        response = client.post(
            "/admin/sign-in",
            data={"csrf_token": before_sign_in, "email": STAFF_EMAIL, "password": STAFF_PASSWORD},
        )
        assert response.status_code == 303
        sign_in_contact(client, contact)
    return before_sign_in


def refused(response) -> bool:
    return response.status_code == 400 and STALE_FORM in response.get_data(as_text=True)


@pytest.mark.parametrize(("rule", "arguments"), POSTS, ids=[rule for rule, _ in POSTS])
def test_every_post_refuses_a_real_token_that_is_not_this_sessions(app, client, victim, rule, arguments):
    path = fill(rule, **{name: 1 for name in arguments})
    attackers_own = csrf_from(app.test_client().get("/link/request").get_data(as_text=True))
    retired_key = create_app(
        {
            "ENV_NAME": "development",
            "TESTING": True,
            "SECRET_KEY": "a-key-retired-last-month",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    signed_with_retired_key = csrf_from(retired_key.test_client().get("/link/request").get_data(as_text=True))
    before = every_row(app)

    for name, token in [
        ("the attacker's own session's", attackers_own),
        ("the victim's from before signing in", victim),
        ("one signed with a retired key", signed_with_retired_key),
    ]:
        for headers in ({}, {"HX-Request": "true", "X-CSRFToken": token}):
            data = {"quantity": "2", "email": "ana@bluedoor.example", "name": "X"}
            if not headers:
                data["csrf_token"] = token
            response = client.post(path, data=data, headers=headers)
            assert refused(response), (path, name, headers, response.status_code)

    assert every_row(app) == before


def test_a_form_posts_hours_later_in_the_same_session(app, client, victim):
    """By design (WTF_CSRF_TIME_LIMIT = None) a phone tab left open all day still posts: the token lives as
    long as the session, and ends with it (sign-in above, revoking links, a key rotation)."""
    token = csrf_from(client.get("/admin/products/new").get_data(as_text=True))
    with time_machine.travel(timedelta(hours=20)):
        response = client.post(
            "/admin/products/new", data={"csrf_token": token, "name": "Late Espresso", "kind": "coffee"}
        )
    assert response.status_code < 500 and not refused(response)  # a form error at most, never "stale"


@pytest.fixture
def https_staff(app, staff):
    client = app.test_client()
    https = {"base_url": "https://portal.test"}
    token = csrf_from(client.get("/admin/sign-in", **https).get_data(as_text=True))
    response = client.post(
        "/admin/sign-in",
        data={"csrf_token": token, "email": STAFF_EMAIL, "password": STAFF_PASSWORD},
        headers={"Referer": "https://portal.test/admin/sign-in"},
        **https,
    )
    assert response.status_code == 303
    return client, csrf_from(client.get("/admin/products/new", **https).get_data(as_text=True))


@pytest.mark.parametrize(
    "referer",
    ["https://evil.example/page", "http://portal.test/admin/", None],
    ids=["another site", "our site over plain http", "none"],
)
def test_over_https_a_post_from_another_origin_is_refused_whatever_its_token(app, https_staff, referer):
    client, token = https_staff
    before = every_row(app)
    headers = {"Referer": referer} if referer else {}
    form = {"csrf_token": token, "name": "Forged", "kind": "coffee"}
    response = client.post("/admin/products/new", data=form, headers=headers, base_url="https://portal.test")
    assert refused(response)
    assert every_row(app) == before
    ours = {"Referer": "https://portal.test/admin/products/new"}
    same_origin = client.post(
        "/admin/products/new", data={**form, "name": "Ours"}, headers=ours, base_url="https://portal.test"
    )
    assert not refused(same_origin)
