"""Journey 3 in a real browser on a laptop, with JavaScript on and off: plan a roast day from the approved
orders, see that one customer ordered twice, merge the two orders, and print the roast sheet."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Customer, Order

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .production_data import ROAST_DAY, make_roastery_catalog, week

pytestmark = pytest.mark.browser


@pytest.fixture(params=["js", "no-js"])
def laptop(request, chromium):
    context = chromium.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=request.param == "js"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console", lambda message: message.type == "error" and problems.append(f"console: {message.text}")
    )
    page.on("dialog", lambda dialog: dialog.accept())  # "Merge …?" asked by data-confirm
    yield page
    artifacts = os.environ.get("TEST_ARTIFACTS")
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        page.screenshot(path=os.path.join(artifacts, f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not problems, problems  # a CSP violation (inline style or script) would show up here


@pytest.fixture
def week_of_orders(app, staff, live_server):
    with app.app_context():
        orders = week(make_roastery_catalog())
        return {key: order.number for key, order in orders.items()}


def test_plan_a_run_merge_a_customers_two_orders_and_print_the_roast_sheet(
    app, laptop, live_server, week_of_orders
):
    from playwright.sync_api import expect

    page, numbers = laptop, week_of_orders
    page.goto(f"{live_server}/admin/production")  # signing in leads back here
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Production runs")).to_be_visible()
    expect(page.get_by_role("link", name="Production")).to_have_attribute("aria-current", "page")
    page.get_by_label("Roast date").fill(ROAST_DAY.isoformat())
    page.get_by_role("button", name="Show orders for this day").click()
    for key in ("blue_portal", "blue_staff", "corner"):
        expect(page.get_by_label(numbers[key], exact=True)).to_be_checked()
    expect(page.get_by_text(numbers["owl_pending"])).to_have_count(0)
    page.get_by_role("button", name=re.compile(r"Open the run for")).click()

    expect(page.get_by_text(re.compile(r"Opened production run #\d+"))).to_be_visible()
    warning = page.locator("section.duplicates")
    expect(warning).to_contain_text("1 customer has more than one order in this run")
    expect(warning).to_contain_text(
        f"Blue Door Café: 2 orders, {numbers['blue_portal']}, {numbers['blue_staff']}"
    )
    rows = page.locator("table.run-orders tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("tr.duplicate")).to_have_count(2)
    expect(rows.filter(has_text=numbers["blue_staff"]).locator(".pill.staff")).to_have_text("staff")
    expect(page.locator("#roast")).to_contain_text("14,673 g")

    page.get_by_label(re.compile(numbers["blue_portal"])).check()
    page.get_by_role("button", name="Merge Blue Door Café's orders").click()
    expect(
        page.get_by_text(f"Merged 1 order of Blue Door Café into {numbers['blue_portal']}.")
    ).to_be_visible()
    expect(page.locator("section.duplicates")).to_have_count(0)
    expect(rows).to_have_count(2)
    expect(page.locator("#roast")).to_contain_text("14,673 g")  # the same coffee, in one order now
    with app.app_context():
        blue = select(Order.status).join(Customer).where(Customer.business_name == "Blue Door Café")
        assert sorted(db.session.scalars(blue)) == ["approved", "cancelled"]

    page.get_by_role("link", name="Roast sheet").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Roast sheet: "))).to_be_visible()
    expect(page.locator("table.roast-sheet")).to_contain_text("House Espresso")
    expect(page.locator("table.roast-sheet")).to_contain_text("14,673 g")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()  # the printout is the sheet, not the menus
    expect(page.get_by_text("Print this page with your browser")).to_be_hidden()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pages_in(pdf) == 1

    page.emulate_media(media="screen")
    page.go_back()
    page.get_by_role("link", name="Packing lists").click()
    expect(page.locator("section.packing-list")).to_have_count(
        2
    )  # Blue Door Café's one order, Corner Grocer's
    expect(page.locator("section.packing-list").first).to_contain_text("Roastery mug")
    page.emulate_media(media="print")
    assert pages_in(page.pdf(format="A4")) == 2  # one printed page per order


def pages_in(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))
