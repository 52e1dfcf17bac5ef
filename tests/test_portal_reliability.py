"""Placing an order survives double submits and a Redis outage: one order, one confirmation."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Email, Order, utcnow

from .conftest import csrf_from
from .factories import make_catalog, make_customer, make_order, make_shipping, sign_in_contact


@pytest.fixture
def ready_to_place(app, client, monkeypatch):
    """A signed-in contact looking at an order page; returns the form fields of its Place button."""
    # These stories count the customer's confirmation; the roastery's notice has its own (test_admin_orders_emails).
    monkeypatch.setitem(app.config, "ORDER_NOTIFY_ROASTERY", False)
    with app.app_context():
        variants = make_catalog(coffees=2)
        make_shipping()
        customer = make_customer("Blue Door Café")
        make_order(customer, [(variants[0], 3), (variants[1], 1)])
        db.session.commit()
        sign_in_contact(client, customer.contacts[0])
    html = client.get("/order").get_data(as_text=True)
    order_id = re.search(r'action="/orders/(\d+)/place"', html).group(1)
    return f"/orders/{order_id}/place", {
        "csrf_token": csrf_from(html),
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1),
        "shipping_option_id": "1",
        "notes": "",
    }


def placed_and_emails(app):
    with app.app_context():
        placed = db.session.scalar(select(func.count()).where(Order.status == "pending"))
        emails = db.session.execute(select(Email.status)).scalars().all()
        return placed, emails


def test_two_concurrent_submits_with_the_same_key_make_one_order(app, client, ready_to_place):
    url, data = ready_to_place
    cookie = client.get_cookie("session").value
    barrier = threading.Barrier(4)
    responses = []

    def submit():
        other = app.test_client()
        other.set_cookie("session", cookie)
        barrier.wait()
        responses.append(other.post(url, data=data))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert [r.status_code for r in responses] == [303] * 4, [
        r.get_data(as_text=True)[:300] for r in responses
    ]
    assert len({r.headers["Location"] for r in responses}) == 1
    assert placed_and_emails(app) == (1, ["sent"])


@pytest.mark.redis
def test_redis_down_while_placing_still_places_and_the_email_goes_out_once_it_is_back(
    app, client, ready_to_place, queue, run_worker, start_smtp_server, monkeypatch
):
    from jobs.emails import sweep_outbox

    url, data = ready_to_place
    real_redis = app.config["REDIS_URL"]
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    response = client.post(url, data=data)
    assert response.status_code == 303
    assert placed_and_emails(app) == (1, ["queued"])

    monkeypatch.setitem(app.config, "REDIS_URL", real_redis)  # Redis is back
    inbox = start_smtp_server()
    with app.app_context(), time_machine.travel(utcnow() + timedelta(minutes=5)):
        assert sweep_outbox() == 1
    run_worker()
    with app.app_context():
        assert sweep_outbox() == 0
    run_worker()
    assert placed_and_emails(app) == (1, ["sent"])
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    assert recipients == ["c0@bluedoorcaf.example"] and "is placed" in text.get_payload(decode=True).decode()
