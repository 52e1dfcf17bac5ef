"""The run's pages: the list of runs, the printable roast sheet and packing lists, the CSV, and their cost."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from wholesale.extensions import db
from wholesale.models import Order, OrderLine, ProductionRun, Variant

from .factories import make_customer, make_shipping
from .production_data import ROAST_DAY, Catalog, approved, make_roastery_catalog, week
from .test_production_runs import open_run, text

PAGES = ("", "/roast-sheet", "/packing-lists", "/lines.csv")
DAY_2 = ROAST_DAY + timedelta(days=1)


@pytest.fixture
def run_url(app, staff_client, forms):
    with app.app_context():
        orders = week(make_roastery_catalog())
        ids = [orders[k].id for k in ("blue_portal", "blue_staff", "corner")]
        orders["corner"].customer.delivery_address = "12 Market St\nPortland, OR 97201"
        db.session.commit()
    return f"/admin/production/{open_run(forms, ROAST_DAY, ids)}"


def test_the_runs_list_shows_each_run_with_its_orders(staff_client, run_url):
    response = staff_client.get("/admin/production")
    assert response.status_code == 200
    page = text(response)
    assert f"Run #{run_url.rsplit('/', 1)[1]} {ROAST_DAY:%a %d %b %Y} Open 3" in page
    assert '<a href="/admin/production" aria-current="page">Production</a>' in response.get_data(as_text=True)


def test_the_roast_sheet_lists_what_to_weigh_out_per_coffee(staff_client, run_url):
    response = staff_client.get(f"{run_url}/roast-sheet")
    assert response.status_code == 200
    page = text(response)
    assert f"Roast sheet: {ROAST_DAY:%A %d %B %Y}" in page
    assert "House Espresso 15 % 14,673 g 12,472 g 10 × 340 g bag; 4 × 5 lb bag" in page
    assert "Ethiopia Guji 16.5 % 815 g 680 g 2 × 340 g bag" in page
    assert "All coffees 15,488 g 13,152 g" in page and "rounded up to the whole gram" in page
    assert "Roastery mug" not in page
    assert 'class="print-sheet"' in response.get_data(as_text=True)


def test_packing_lists_have_one_section_per_order_with_every_item(staff_client, run_url):
    response = staff_client.get(f"{run_url}/packing-lists")
    html, page = response.get_data(as_text=True), text(response)
    assert response.status_code == 200 and html.count('class="packing-list"') == 3
    assert re.search(
        r"Blue Door Café · W\d{6} Delivery No delivery date · No shipping option Roast .{0,40} staff .*? "
        r"HSE-340 2 Roastery mug Mug MUG-1 2 Items 4",
        page,
    )
    assert '<dt>Deliver to</dt><dd class="packing-address">12 Market St\nPortland, OR 97201</dd>' in html
    assert page.index("Blue Door Café") < page.index("Corner Grocer")


def test_packing_lists_are_grouped_by_delivery_date_then_option(app, staff_client, run_url):
    """Orders going out on the same day by the same option are packed together: the earliest delivery first,
    the options as listed to customers, orders without a date last."""
    with app.app_context():
        van, courier = make_shipping("Roastery van", "0", 0), make_shipping("Courier", "12", 1)
        run_orders = db.session.scalars(select(Order).where(Order.production_run_id.is_not(None))).all()
        by_name = {(order.customer.business_name, order.channel): order for order in run_orders}
        by_name["Blue Door Café", "portal"].delivery_date = DAY_2
        by_name["Blue Door Café", "portal"].shipping_option = courier
        by_name["Corner Grocer", "portal"].delivery_date = DAY_2
        by_name["Corner Grocer", "portal"].shipping_option = van
        db.session.commit()
    page = text(staff_client.get(f"{run_url}/packing-lists"))
    headings = re.findall(
        r"(Blue Door Café|Corner Grocer) · W\d{6} Delivery (.+?) Roast [A-Z][a-z]{2} \d{2}", page
    )
    assert headings == [
        ("Corner Grocer", f"{DAY_2:%a %d %b %Y} · Roastery van"),
        ("Blue Door Café", f"{DAY_2:%a %d %b %Y} · Courier"),
        ("Blue Door Café", "No delivery date · No shipping option"),
    ]
    assert f"{DAY_2.day}" in page and "Roastery van: 1 order" in page and "Courier: 1 order" in page


def test_the_csv_has_every_line_with_grams_and_a_safe_filename(app, staff_client, run_url):
    response = staff_client.get(f"{run_url}/lines.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    run_id = run_url.rsplit("/", 1)[1]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="production-run-{run_id}-{ROAST_DAY.isoformat()}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["order", "customer", "channel", "product", "size", "option", "quantity", "grams"]
    body = [row[1:] for row in rows[1:]]
    assert body == [
        ["Blue Door Café", "portal", "House Espresso", "340 g bag", "", "6", "2040"],
        ["Blue Door Café", "portal", "House Espresso", "5 lb bag", "", "1", "2268"],
        ["Blue Door Café", "staff", "House Espresso", "340 g bag", "", "2", "680"],
        ["Blue Door Café", "staff", "Roastery mug", "Mug", "", "2", "700"],
        ["Corner Grocer", "portal", "House Espresso", "340 g bag", "", "2", "680"],
        ["Corner Grocer", "portal", "House Espresso", "5 lb bag", "", "3", "6804"],
        ["Corner Grocer", "portal", "Ethiopia Guji", "340 g bag", "", "2", "680"],
    ]
    assert all(re.fullmatch(r"W\d{6}", row[0]) for row in rows[1:])


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil.example")', "+1 Café", "-Minus Deli", "@Home Bakery", "\tTabbed Inc"]
)
def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_defused(app, staff_client, forms, name):
    with app.app_context():
        catalog = make_roastery_catalog()
        order_id = approved(make_customer(name), [(catalog.espresso_340, 1)]).id
        db.session.commit()
    run_url = f"/admin/production/{open_run(forms, ROAST_DAY, [order_id])}"
    rows = list(
        csv.reader(io.StringIO(staff_client.get(f"{run_url}/lines.csv").get_data().decode("utf-8-sig")))
    )
    assert rows[1][1] == "'" + name


@pytest.mark.parametrize(
    "suffix", ["", "/roast-sheet", "/packing-lists", "/../production/new?roast_date=" + ROAST_DAY.isoformat()]
)
def test_pages_keep_to_the_strict_csp(staff_client, run_url, suffix):
    html = staff_client.get(run_url + suffix, follow_redirects=True).get_data(as_text=True)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_the_chart_is_drawn_on_the_server_as_svg_bars(staff_client, run_url):
    html = staff_client.get(run_url).get_data(as_text=True)
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    rows = "".join(re.findall(r'<g class="chart-row">.*?</g>', svg, re.S))
    bars = re.findall(r'<rect class="bar-(roasted|green)" x="0" y="[\d.]+" width="([\d.]+)"', rows)
    # Espresso's green bar is the longest (460 units); every other bar is in proportion to it.
    widths = {(kind, round(float(width))) for kind, width in bars}
    assert widths == {("roasted", 21), ("green", 26), ("roasted", 391), ("green", 460)}
    assert "House Espresso: 14,673 g green" in svg


# --- Cost: the number of queries does not grow with the number of orders ----------------------------------


@contextmanager
def count_queries(app):
    """The SQL statements run meanwhile (each request has its own session, as in production)."""
    with app.app_context():
        engine = db.engine
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def run_of(app, size: int) -> int:
    """A run of ``size`` approved orders from ``size // 2`` customers (so half of them are duplicates)."""
    with app.app_context():
        catalog = (
            make_roastery_catalog()
            if size == 10
            else Catalog(*db.session.scalars(select(Variant).order_by(Variant.id)))
        )
        customers = [make_customer(f"Café {size}-{n:04d}") for n in range(max(1, size // 2))]
        run = ProductionRun(roast_date=ROAST_DAY, status="open", notes="")
        db.session.add(run)
        db.session.flush()
        for n in range(size):
            order = Order(
                customer=customers[n % len(customers)],
                channel=("portal", "staff")[n % 2],
                status="approved",
                roast_date=ROAST_DAY,
                production_run_id=run.id,
            )
            order.lines = [
                OrderLine(
                    variant=catalog.espresso_340, quantity=1 + n % 3, unit_price=catalog.espresso_340.price
                ),
                OrderLine(variant=catalog.guji_2268, quantity=1, unit_price=catalog.guji_2268.price),
                OrderLine(variant=catalog.mug, quantity=1, unit_price=catalog.mug.price),
            ]
            db.session.add(order)
        db.session.commit()
        return run.id


def costs(app, staff_client, size: int) -> dict[str, int]:
    run_id = run_of(app, size)
    counted = {}
    for suffix in PAGES:
        with count_queries(app) as statements:
            response = staff_client.get(f"/admin/production/{run_id}{suffix}")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        counted[suffix or "run page"] = len(statements)
        if not suffix:
            assert response.get_data(as_text=True).count('<tr id="order-') == size
    return counted


def test_a_run_of_500_orders_costs_the_same_queries_as_a_run_of_10(app, staff_client):
    small = costs(app, staff_client, 10)
    large = costs(app, staff_client, 500)
    assert small == large, (small, large)
    assert small["run page"] <= 8 and max(small.values()) <= 8, small
    print("queries per page:", small)
