"""Staff copy a one-off sign-in link for a contact, in a real browser: with JavaScript the link appears under
the contact's button and Copy puts it on the clipboard; without, a page shows it, selectable, with no Copy."""

from __future__ import annotations

import re

import pytest

from wholesale.extensions import db
from wholesale.models import Contact, Customer

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .test_browser_back_office import laptop  # noqa: F401  (fixture: a laptop-sized page, JavaScript on and off)

pytestmark = pytest.mark.browser


@pytest.fixture
def blue_door(app, staff) -> int:
    with app.app_context():
        customer = Customer(business_name="Blue Door Café")
        db.session.add_all(
            [customer, Contact(customer=customer, name="Ana Ruiz", email="ana@bluedoor.example")]
        )
        db.session.commit()
        return customer.id


def test_staff_copy_a_sign_in_link_for_a_contact(app, live_server, laptop, blue_door):  # noqa: F811
    from playwright.sync_api import expect

    page = laptop
    if page.javascript:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/admin/sign-in")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/admin/customers/{blue_door}")

    page.get_by_role("button", name="Sign-in link for Ana Ruiz").click()

    box = page.get_by_label("Sign-in link for Ana Ruiz")
    expect(box).to_have_value(re.compile(rf"^{re.escape(live_server)}/link/"))
    expect(box).to_have_attribute("readonly", "")
    expect(page.get_by_text("Signs in Ana Ruiz (ana@bluedoor.example)")).to_be_visible()
    copy = page.get_by_role("button", name="Copy")
    if page.javascript:
        assert page.url.endswith(f"/admin/customers/{blue_door}")  # in place
        history = page.locator("#history")
        expect(history).to_contain_text("Sign-in link made for Ana Ruiz (ana@bluedoor.example)")
        expect(history).to_contain_text("Sam")
        copy.click()
        expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == box.input_value()
    else:
        assert page.url.endswith("/sign-in-link")  # the answer page
        expect(copy).to_be_hidden()
        box.select_text()  # still selectable to copy by hand
        assert page.evaluate("window.getSelection().toString() || document.activeElement.value") != ""
