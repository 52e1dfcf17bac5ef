"""Journey 11 in a real browser on a phone (390×844), with JavaScript on and off: the owner invites a colleague,
who opens the emailed link, sets a password and works as staff, without the Team page; then forgets the
password and sets a new one from the sign-in page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Email

from .conftest import STAFF_EMAIL, STAFF_PASSWORD

pytestmark = pytest.mark.browser

LEE = "lee@hillside.example"


def link_to(app, address: str, kind: str) -> str:
    with app.app_context():
        email = db.session.scalars(
            select(Email).where(Email.to_address == address, Email.kind == kind).order_by(Email.id.desc())
        ).first()
        return re.search(r"https?://\S+/admin/password/\S+", email.text_body).group(0)


def test_an_owner_invites_a_colleague_who_signs_in_and_later_resets_the_password(
    app, live_server, phone, staff
):
    from playwright.sync_api import expect

    page = phone
    page.goto(f"{live_server}/admin/sign-in")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as Sam (Owner)")).to_be_visible()

    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Lee Park")
    page.get_by_label("Email", exact=True).fill(LEE)
    page.get_by_label("Role", exact=True).select_option("staff")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Invitation sent to {LEE}.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Lee Park"))).to_contain_text("Invited")
    page.get_by_role("button", name="Sign out").click()

    # Lee opens the invitation, sets a password and is signed in as staff.
    page.goto(link_to(app, LEE, "staff_invitation"))
    expect(page).to_have_url(f"{live_server}/admin/password")  # the token left the address bar
    page.get_by_label("New password").fill("walnut crema kettle ladder")
    page.get_by_label("The same password again").fill("walnut crema kettle ladder")
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.get_by_text("Signed in as Lee Park (Staff)")).to_be_visible()
    expect(page.get_by_role("navigation", name="Staff").get_by_role("link", name="Team")).to_have_count(0)
    page.expected_problems.append("status of 403")  # the browser reports the refusal it shows
    page.goto(f"{live_server}/admin/team")
    expect(page.get_by_text("Only an owner of the roastery can open this page.")).to_be_visible()

    # Later, Lee forgets the password.
    page.goto(f"{live_server}/admin/")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Your email address").fill(LEE)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_text("If an account exists for that address, we've emailed a link")).to_be_visible()
    page.goto(link_to(app, LEE, "staff_password_reset"))
    page.get_by_label("New password").fill("lantern otter gravel tuesday")
    page.get_by_label("The same password again").fill("lantern otter gravel tuesday")
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.get_by_text("Signed in as Lee Park (Staff)")).to_be_visible()
