"""The emails of an order's life: the roastery hears of every portal order (a setting, on by default), and
the customer hears when staff approve or cancel it. Each is a row of the outbox written in the same
transaction as the change, sent after the commit, and never twice for one event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from flask_mail import Message
from sqlalchemy import select

from wholesale import config
from wholesale.extensions import db, mail
from wholesale.models import Email, Order

from .factories import make_catalog, make_customer, make_order, make_shipping, sign_in_contact
from .order_fixtures import (  # noqa: F401  (fixtures)
    customer_client,
    details_data,
    place_through_portal,
    shop,
    staff_post,
    version_of,
)


def emails(kind: str) -> list[Email]:
    return db.session.scalars(select(Email).where(Email.kind == kind).order_by(Email.id)).all()


def test_the_roastery_is_told_of_a_portal_order_in_the_same_transaction(app, shop):
    with app.app_context():
        order = db.session.get(Order, shop.order_id)
        [notice] = emails("order_placed_staff_notice")
        assert (notice.to_address, notice.status, notice.order_id) == (
            "orders@hillside.example",
            "sent",
            order.id,
        )
        assert notice.subject == f"New order {order.number} from Blue Door Café"
        for body in (notice.text_body, notice.html_body):
            assert "Contact 0 of Blue Door Café" in body and "c0@bluedoorcaf.example" in body
            assert "Coffee 00, 340 g bag" in body and "$169.00" in body and "Back door, please" in body
            assert f"http://portal.test/admin/orders/{order.id}" in body
        # Written together with the order: the notice was created no later than the confirmation's commit.
        [confirmation] = emails("order_confirmation")
        assert confirmation.order_id == notice.order_id


def test_the_notice_can_be_switched_off(app, customer_client, monkeypatch):
    monkeypatch.setitem(app.config, "ORDER_NOTIFY_ROASTERY", False)
    with app.app_context():
        variants = make_catalog(coffees=1)
        van = make_shipping("Roastery van", "0.00")
        customer = make_customer("Quiet Café", default_shipping_option=van)
        make_order(customer, [(variants[0], 1)], shipping_option=van)
        db.session.commit()
        sign_in_contact(customer_client, customer.contacts[0])
    with mail.record_messages() as outbox:
        place_through_portal(customer_client)
    assert [m.recipients for m in outbox] == [["c0@quietcaf.example"]]
    with app.app_context():
        assert emails("order_placed_staff_notice") == []


def test_the_setting_is_on_by_default_and_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ORDER_NOTIFY_ROASTERY", raising=False)
    assert config.from_environment(str(tmp_path))["ORDER_NOTIFY_ROASTERY"] is True
    monkeypatch.setenv("ORDER_NOTIFY_ROASTERY", "0")
    assert config.from_environment(str(tmp_path))["ORDER_NOTIFY_ROASTERY"] is False


FRIDAY_NOON = datetime(2026, 12, 4, 12, tzinfo=UTC)


@pytest.fixture
def friday_noon():
    """A fixed Friday from before anyone signs in or orders: the portal order is for the next weekday's delivery,
    which comes before a roast date two days on unless today is a Friday or a Saturday (the edit is refused)."""
    with time_machine.travel(FRIDAY_NOON, tick=False):
        yield


def test_the_approval_email_tells_the_roast_date_and_the_total(friday_noon, app, staff_post, shop):
    roast = date.today() + timedelta(days=2)
    staff_post.post(
        f"/admin/orders/{shop.order_id}/details",
        details_data(app, shop.order_id, roast_date=roast.isoformat()),
    )
    with mail.record_messages() as outbox:
        staff_post.post(f"/admin/orders/{shop.order_id}/approve", {"version": version_of(app, shop.order_id)})
    # The approval, and the invoice issued on approval (INVOICE_ISSUE_ON=approved, INVOICE_EMAIL=on-issue).
    assert (
        len(outbox) == 2
        and all(isinstance(message, Message) for message in outbox)
        and [message.recipients for message in outbox] == [["c0@bluedoorcaf.example"]] * 2
        and outbox[1].subject.startswith("Invoice INV-000001")
    )
    with app.app_context():
        [email] = emails("order_approved")
        assert email.dedupe_key == f"order-approved:{shop.order_id}"
        assert f"We roast it on {roast.strftime('%A %d %B')}" in email.text_body
        assert (
            "$169.00" in email.html_body and f"http://portal.test/orders/{shop.order_id}" in email.html_body
        )


def test_the_cancel_email_gives_the_reason_escaped_in_html(app, staff_post, shop):
    reason = 'We are closed <b>Monday</b> & "Tuesday"'
    staff_post.post(
        f"/admin/orders/{shop.order_id}/cancel", {"version": version_of(app, shop.order_id), "reason": reason}
    )
    with app.app_context():
        [email] = emails("order_cancelled")
        assert email.to_address == "c0@bluedoorcaf.example" and f"Reason: {reason}" in email.text_body
        assert "We are closed &lt;b&gt;Monday&lt;/b&gt; &amp; &#34;Tuesday&#34;" in email.html_body


def test_a_staff_order_sends_no_email_when_entered(app, staff_post, shop):
    """A staff order starts approved but is filled in next: no order email, and its invoice waits for staff to
    issue it (test_invoice_issuing)."""
    with app.app_context():
        before = len(db.session.scalars(select(Email)).all())
    staff_post.post(
        "/admin/orders/new",
        {"customer_id": shop.customer_id, "start_from": "last", "idempotency_key": "s" * 32},
    )
    with app.app_context():
        assert db.session.scalars(select(Email)).all()[before:] == []
