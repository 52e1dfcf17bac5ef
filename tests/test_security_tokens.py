"""Sign-in links at the edges: the exact instant of expiry, secret-key rotation, and forged Host headers.

Tampered links, links of another purpose, revoked links and links of a changed email or a removed contact are
in test_links.py; this file adds what it does not cover.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from wholesale import create_app
from wholesale.extensions import db
from wholesale.models import (
    Contact,
    Customer,
    Email,
    ShippingOption,
    StandingOrder,
    StandingOrderLine,
    utcnow,
)
from wholesale.services import customers, deliveries
from wholesale.services.invoicing.overdue import dispatch_overdue_reminders
from wholesale.services.standing import schedule, tick

from .conftest import STAFF_EMAIL, STAFF_PASSWORD, csrf_from
from .factories import make_catalog, make_customer, make_order, make_shipping
from .link_helpers import ANA, HALF_HOUR, T0, path_of, signed_in_contact_id, url_for_contact

OLD_KEY, NEW_KEY = "the-key-we-had-until-today", "the-key-we-have-from-today"


def app_with(database_uri: str, **settings):
    """Another instance of the app on the test database, as a deploy with other settings runs it."""
    config = {
        "ENV_NAME": "development",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "REDIS_URL": None,
        "PUBLIC_BASE_URL": "http://portal.test",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    config.update(settings)
    return create_app(config)


@pytest.fixture
def deploys(database_uri):
    made = []

    def deploy(**settings):
        made.append(app_with(database_uri, **settings))
        return made[-1]

    yield deploy
    for instance in made:
        with instance.app_context():
            db.session.remove()
            db.engine.dispose()


# --- The instant of expiry -------------------------------------------------------------------------------


def test_a_link_opens_until_the_last_millisecond_before_its_expiry_and_not_at_it(app, client, ana):
    url = url_for_contact(app, ana, "requested", now=T0)
    with time_machine.travel(T0 + HALF_HOUR - timedelta(milliseconds=1), tick=False):
        assert client.get(path_of(url)).status_code == 303
        assert signed_in_contact_id(client) == ana

    other = app.test_client()
    with time_machine.travel(T0 + HALF_HOUR, tick=False):
        response = other.get(path_of(url))
    assert response.status_code == 410 and "This link has expired" in response.get_data(as_text=True)
    assert signed_in_contact_id(other) is None


# --- Rotating the secret key -----------------------------------------------------------------------------


def link_signed_with(instance, contact_id: int) -> str:
    with instance.app_context():
        return path_of(customers.links.login_url(db.session.get(Contact, contact_id), "reminder"))


def test_links_and_sessions_signed_with_the_old_key_work_while_it_is_a_fallback_and_stop_after(deploys, ana):
    before = deploys(SECRET_KEY=OLD_KEY)
    rotating = deploys(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY])
    after = deploys(SECRET_KEY=NEW_KEY)
    old_link = link_signed_with(before, ana)
    phone = before.test_client()
    assert phone.get(old_link).status_code == 303  # signed in before the rotation
    cookie = phone.get_cookie("session").value

    # During the rotation: last week's link still opens, and the session started before it is kept.
    assert rotating.test_client().get(old_link).status_code == 303
    same_phone = rotating.test_client()
    same_phone.set_cookie("session", cookie)
    assert same_phone.get("/order").status_code == 200
    new_link = link_signed_with(rotating, ana)
    assert new_link != old_link and after.test_client().get(new_link).status_code == 303  # new key only

    # Once the old key is dropped: its links sign nobody in, and its sessions end quietly.
    refused = after.test_client().get(old_link)
    assert refused.status_code == 400 and "This link is no longer valid" in refused.get_data(as_text=True)
    late_phone = after.test_client()
    late_phone.set_cookie("session", cookie)
    assert late_phone.get("/order").status_code == 302


def test_a_link_signed_with_a_key_we_never_had_signs_nobody_in(deploys, ana):
    guessed = deploys(SECRET_KEY="dev-only-not-secret")  # the development key, say, tried against production
    ours = deploys(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY])
    forged = link_signed_with(guessed, ana)
    assert ours.test_client().get(forged).status_code == 400


def test_a_form_left_open_across_a_key_rotation_asks_for_one_reload_and_then_posts(deploys, ana):
    """Flask-WTF signs CSRF tokens with SECRET_KEY alone: the open form's token fails once, with a message
    that says to reload, and the reloaded page (same session, kept by the fallback) posts."""
    before = deploys(SECRET_KEY=OLD_KEY)
    rotating = deploys(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY])
    phone = before.test_client()
    token = csrf_from(phone.get("/link/request").get_data(as_text=True))
    cookie = phone.get_cookie("session").value

    later = rotating.test_client()
    later.set_cookie("session", cookie)
    stale = later.post("/link/request", data={"csrf_token": token, "email": ANA})
    assert stale.status_code == 400 and "Please reload the page" in stale.get_data(as_text=True)
    fresh = csrf_from(later.get("/link/request").get_data(as_text=True))
    assert later.post("/link/request", data={"csrf_token": fresh, "email": ANA}).status_code == 303


# --- Forged Host headers cannot change the links in emails -----------------------------------------------

PUBLIC = "https://orders.hillside.example"
FORGED = {
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Port": "8080",
    "X-Forwarded-Prefix": "/evil",
    "Forwarded": "host=evil.example;proto=http",
    "X-Original-Host": "evil.example",
    "X-Host": "evil.example",
}
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")
EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "wholesale" / "templates" / "email"


class Attacker:
    """A browser whose every request says it is for evil.example, directly and through proxy headers."""

    def __init__(self, instance):
        self.client = instance.test_client()

    def get(self, path):
        return self.client.get(path, base_url="http://evil.example", headers=FORGED)

    def post(self, path, data, page):
        """Submit the form of ``page`` that posts to ``path``: its hidden fields (CSRF token, the version the
        page shows), plus ``data``."""
        html = self.get(page).get_data(as_text=True)
        form = re.search(rf'<form[^>]*action="{re.escape(path)}".*?</form>', html, re.S)
        hidden = dict(HIDDEN.findall(form.group(0))) if form else {}
        hidden.setdefault("csrf_token", csrf_from(html))
        return self.client.post(path, data={**hidden, **data}, base_url="http://evil.example", headers=FORGED)


@pytest.fixture
def a_friday():
    """The whole test from a Friday, sign-ins included: the standing order's first delivery is two weeks from
    today, on today's weekday, and the courier delivers no Sundays (run on a Sunday, no preview was sent)."""
    with time_machine.travel(datetime(2026, 12, 4, 12, tzinfo=UTC)):
        yield


@pytest.mark.parametrize("trusted_proxies", [0, 1], ids=["no proxy", "behind one trusted proxy"])
def test_no_email_with_a_link_can_be_pointed_elsewhere_by_the_request(
    a_friday, deploys, staff, trusted_proxies
):
    instance = deploys(PUBLIC_BASE_URL=PUBLIC, TRUSTED_PROXIES=trusted_proxies, ORDER_NOTIFY_ROASTERY=True)
    with instance.app_context():
        variants = make_catalog(coffees=1)
        make_shipping()
        customer = make_customer("Blue Door Café", reminders_enabled=True)
        make_order(customer, [(variants[0], 2)])
        to_cancel = make_order(customer, [(variants[1], 1)], status="pending")
        they_cancel = make_order(customer, [(variants[1], 2)], status="pending")
        db.session.commit()
        contact_email, customer_id, cancel_id = customer.contacts[0].email, customer.id, to_cancel.id
        their_cancel_id = they_cancel.id

    customer_phone = Attacker(instance)
    asked = customer_phone.post("/link/request", {"email": contact_email}, page="/link/request")
    assert asked.status_code == 303
    stranger = customer_phone.post(
        "/link/request", {"email": "stranger@unknown.example"}, page="/link/request"
    )
    assert stranger.status_code == 303  # the "no account with this address" email links back to the form
    with instance.app_context():
        login = db.session.scalar(select(Email).where(Email.kind == "login_link"))
        link = URL.search(login.text_body).group(0)
    assert customer_phone.get(path_of(link)).status_code == 303
    page = customer_phone.get("/order").get_data(as_text=True)
    order_id = re.search(r'action="/orders/(\d+)/place"', page).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"idempotency_key": key, "shipping_option_id": "1", "notes": ""}
    placed = customer_phone.post(f"/orders/{order_id}/place", form, page="/order")
    assert placed.status_code == 303
    detail = f"/orders/{their_cancel_id}"
    cancelled = customer_phone.post(f"{detail}/cancel", {"reason": "Closed for a week"}, page=detail)
    assert cancelled.status_code == 303

    staff_laptop = Attacker(instance)
    signed_in = staff_laptop.post(
        "/admin/sign-in", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}, page="/admin/sign-in"
    )
    assert signed_in.status_code == 303
    for path, data, page in [
        (f"/admin/orders/{order_id}/approve", {}, f"/admin/orders/{order_id}"),
        (f"/admin/orders/{cancel_id}/cancel", {"reason": "Out of this coffee"}, f"/admin/orders/{cancel_id}"),
        (
            f"/admin/customers/{customer_id}/reminders/send-now",
            {"confirmed": "1"},
            f"/admin/customers/{customer_id}",
        ),
        (
            "/admin/team/invite",
            {"name": "Lee", "email": "lee@hillside.example", "role": "staff"},
            "/admin/team",
        ),
    ]:
        assert staff_laptop.post(path, data, page).status_code == 303, path
    forgot = Attacker(instance).post(
        "/admin/forgot-password", {"email": STAFF_EMAIL}, "/admin/forgot-password"
    )
    assert forgot.status_code == 303

    with instance.app_context():  # a standing order's preview, then its placement and the roastery's notice
        customer = db.session.get(Customer, customer_id)
        option = db.session.scalar(select(ShippingOption))
        standing = StandingOrder(
            customer=customer, shipping_option=option, first_delivery=date.today() + timedelta(days=14)
        )
        standing.lines.append(StandingOrderLine(variant=variants[0], quantity=1))
        db.session.add(standing)
        db.session.commit()
        [delivery] = schedule.upcoming(standing, utcnow(), deliveries.roastery_zone(), set())
        for now in (delivery.preview_at, delivery.cutoff):
            tick.dispatch_standing_orders(now)
        # The approved order's invoice, unpaid 40 days later: its overdue reminder.
        instance.config["OVERDUE_REMINDER_DAYS"] = "7"
        assert dispatch_overdue_reminders(utcnow() + timedelta(days=40)).reminded

    with instance.app_context():
        emails = db.session.scalars(select(Email)).all()
    linked_templates = {path.stem for path in EMAIL_TEMPLATES.glob("[!_]*.txt")} - {"staff_test"}
    assert {email.kind for email in emails} >= linked_templates  # every kind of email we send was made here
    for email in emails:
        body = email.text_body + email.html_body
        assert "evil" not in body and "8080" not in body, email.kind
        for url in URL.findall(body):
            assert url.startswith(PUBLIC + "/"), (email.kind, url)
