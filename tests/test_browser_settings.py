"""The roastery's settings and team in a real browser: the owner, on a phone (390×844, JavaScript on and off),
renames the roastery and moves it to another time zone, then invites a colleague. The colleague, in a browser
of their own, follows the emailed link, sets a password and works as staff, but cannot open Settings. The
owner deactivates them, and their open session ends at its next request."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import SettingChange
from wholesale.services import settings

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .test_browser_team import link_to

pytestmark = pytest.mark.browser

LEE = "lee@hillside.example"


def test_the_owner_changes_the_roastery_and_a_deactivated_colleague_is_signed_out_at_once(
    app, live_server, phone, chromium, staff
):
    from playwright.sync_api import expect

    owner = phone
    owner.goto(f"{live_server}/admin/sign-in")
    owner.get_by_label("Email").fill(STAFF_EMAIL)
    owner.get_by_label("Password").fill(STAFF_PASSWORD)
    owner.get_by_role("button", name="Sign in").click()

    # Settings: a new name and time zone, saved and in force on the next page.
    owner.get_by_role("navigation", name="Staff").get_by_role("link", name="Settings").click()
    expect(owner.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    owner.get_by_label("Roastery name").fill("Ridge Roasters")
    zone = owner.get_by_label("Time zone", exact=True)
    expect(zone).to_have_attribute("list", "iana-zones")  # chosen from the list of IANA zones
    zone.fill("Europe/London")
    owner.get_by_role("button", name="Save settings").click()
    expect(owner.get_by_text("Saved: Roastery name, Time zone.")).to_be_visible()
    expect(owner.locator(".site-header .brand")).to_have_text("Ridge Roasters")
    expect(owner.locator("#changes")).to_contain_text(
        "Sam changed Time zone from America/Los_Angeles to Europe/London"
    )
    with app.app_context():
        assert settings.get("ROASTERY_TIMEZONE") == "Europe/London"
        assert db.session.scalars(select(SettingChange.name).order_by(SettingChange.id)).all() == [
            "ROASTERY_NAME",
            "ROASTERY_TIMEZONE",
        ]

    # The team: Lee is invited as staff.
    owner.get_by_role("navigation", name="Staff").get_by_role("link", name="Team").click()
    owner.get_by_label("Name", exact=True).fill("Lee Park")
    owner.get_by_label("Email", exact=True).fill(LEE)
    owner.get_by_label("Role", exact=True).select_option("staff")
    owner.get_by_role("button", name="Send invitation").click()
    expect(owner.get_by_text(f"Invitation sent to {LEE}.")).to_be_visible()

    # Lee, on a computer of their own, follows the emailed link and sets a password.
    desk = chromium.new_context(viewport={"width": 1280, "height": 800})
    desk.set_default_timeout(10_000)
    lee = desk.new_page()
    try:
        lee.goto(link_to(app, LEE, "staff_invitation"))
        lee.get_by_label("New password").fill("walnut crema kettle ladder")
        lee.get_by_label("The same password again").fill("walnut crema kettle ladder")
        lee.get_by_role("button", name="Set password and sign in").click()
        expect(lee.get_by_text("Signed in as Lee Park (Staff)")).to_be_visible()
        expect(lee.locator(".site-header .brand")).to_have_text("Ridge Roasters")
        staff_nav = lee.get_by_role("navigation", name="Staff")
        expect(staff_nav.get_by_role("link", name="Settings")).to_have_count(0)
        refused = lee.goto(f"{live_server}/admin/settings")
        assert refused.status == 403
        expect(lee.get_by_text("Only an owner of the roastery can open this page.")).to_be_visible()
        lee.goto(f"{live_server}/admin/customers")
        expect(lee.get_by_role("heading", name="Customers")).to_be_visible()

        # The owner deactivates Lee; Lee's open session ends at its next request.
        owner.reload()
        owner.get_by_role("button", name="Deactivate Lee Park").click()
        expect(owner.get_by_role("row", name=re.compile("Lee Park"))).to_contain_text("Deactivated")
        lee.reload()
        expect(lee).to_have_url(re.compile(r"/admin/sign-in"))
        expect(lee.get_by_label("Password")).to_be_visible()
    finally:
        desk.close()
