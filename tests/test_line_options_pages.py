"""Options on a line through the pages: staff list a product's grinds, a customer picks one per size from the
catalog, staff pick one in the editor, and every page, email and sheet names the line with its grind.
Bad input gets a message and changes nothing; another customer's order is not found.
"""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Email, Order, OrderLine, Product, ProductOption
from wholesale.services import catalog

from .conftest import csrf_from
from .factories import make_catalog, make_customer, make_order, sign_in_contact
from .order_fixtures import StaffPoster
from .production_data import ROAST_DAY, approved, make_roastery_catalog
from .test_production_runs import open_run, text

HX = {"HX-Request": "true"}
GRINDS = "Whole bean\nEspresso\nFilter\nCafetière"


@pytest.fixture
def cafe(app):
    """Coffee 00 in four grinds, Coffee 01 without options; Blue Door Café's contact signed in on its own
    client, with an empty draft; Rival Roasters has a pending order of its own."""
    with app.app_context():
        variants = make_catalog(coffees=2)
        catalog.set_options(variants[0].product, GRINDS)
        blue = make_customer("Blue Door Café")
        draft = make_order(blue, [], status="draft")
        rival = make_customer("Rival Roasters")
        rival_order = make_order(rival, [(variants[2], 1)], status="pending")
        db.session.commit()
        client = app.test_client()
        sign_in_contact(client, db.session.get(Contact, blue.contacts[0].id))
        return {
            "client": client,
            "variant_ids": [v.id for v in variants],
            "product_ids": [variants[0].product_id, variants[2].product_id],
            "draft_id": draft.id,
            "rival_order_id": rival_order.id,
        }


def lines(order_id: int) -> list[tuple[int, str, int]]:
    rows = db.session.execute(
        select(OrderLine.variant_id, OrderLine.option, OrderLine.quantity)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.id)
    )
    return [tuple(row) for row in rows]


def options_of(product_id: int) -> list[str]:
    query = (
        select(ProductOption.name)
        .where(ProductOption.product_id == product_id)
        .order_by(ProductOption.position)
    )
    return list(db.session.scalars(query))


def add(cafe, variant_index: int, htmx: bool = False, **fields):
    client = cafe["client"]
    token = csrf_from(client.get("/order").get_data(as_text=True))
    data = {"csrf_token": token, "variant_id": cafe["variant_ids"][variant_index], **fields}
    return client.post(f"/orders/{cafe['draft_id']}/lines", data=data, headers=HX if htmx else {})


# --- Staff list the options on the product page --------------------------------------------------------------


def test_staff_edit_a_products_options_on_its_page(app, staff_client, forms, cafe):
    coffee = cafe["product_ids"][0]
    page = unescape(staff_client.get(f"/admin/products/{coffee}").get_data(as_text=True))
    assert "Options, one per line; the first is the default" in page
    assert "Whole bean\nEspresso\nFilter\nCafetière</textarea>" in page
    response = forms.post(
        f"/admin/products/{coffee}/options",
        {"options": "Espresso\r\nWhole bean\r\n\r\nTurkish"},
        page=f"/admin/products/{coffee}",
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/admin/products/{coffee}#product-options"
    )
    page = unescape(staff_client.get(f"/admin/products/{coffee}").get_data(as_text=True))
    assert "Coffee 00: options Espresso, Whole bean, Turkish (Espresso by default)." in page
    with app.app_context():
        assert options_of(coffee) == ["Espresso", "Whole bean", "Turkish"]
        assert db.session.get(Product, coffee).default_option == "Espresso"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("Espresso\nESPRESSO", "“ESPRESSO” is listed twice; list each option once."),
        ("Fine" + "x" * 60, "Keep each option under 61 characters."),
        ("\n".join(f"Grind {n}" for n in range(13)), "A product can have at most 12 options."),
        ("Espresso\x00", "letters, digits, spaces and punctuation only"),
        ("x" * 2001, "Keep the list under 2,000 characters."),
    ],
)
def test_a_bad_option_list_is_refused_beside_the_field_and_changes_nothing(
    app, staff_client, forms, cafe, options, message
):
    coffee = cafe["product_ids"][0]
    response = forms.post(f"/admin/products/{coffee}/options", {"options": options})
    assert response.status_code == 400
    assert message in unescape(response.get_data(as_text=True))
    with app.app_context():
        assert options_of(coffee) == ["Whole bean", "Espresso", "Filter", "Cafetière"]


def test_the_options_of_an_unknown_product_are_not_found(staff_client, forms, cafe):
    assert forms.post("/admin/products/999999/options", {"options": "Espresso"}).status_code == 404


# --- The customer picks a grind per size -----------------------------------------------------------------------


def test_the_catalog_offers_each_products_options_with_the_default_chosen(cafe):
    page = cafe["client"].get(f"/orders/{cafe['draft_id']}/catalog").get_data(as_text=True)
    coffee, plain = cafe["product_ids"]
    assert (
        f'<label for="option-{coffee}">Option<span class="visually-hidden"> for Coffee 00</span></label>'
        in page
    )
    assert '<option value="Whole bean" selected>Whole bean</option>' in page
    assert '<option value="Espresso" >Espresso</option>' in page
    assert f'id="option-{plain}"' not in page  # Coffee 01 has no options
    assert page.count('name="variant_id"') == 4


def test_a_customer_adds_one_size_in_two_grinds_without_javascript(app, cafe):
    response = add(cafe, 0, option="Espresso", quantity="2")
    assert response.status_code == 303
    assert add(cafe, 0, option="Filter").status_code == 303
    assert add(cafe, 0, option="Espresso").status_code == 303  # the same grind again: the same line
    with app.app_context():
        v = cafe["variant_ids"][0]
        assert lines(cafe["draft_id"]) == [(v, "Espresso", 3), (v, "Filter", 1)]
    page = unescape(cafe["client"].get("/order").get_data(as_text=True))
    assert "Added Coffee 00, 340 g bag · Espresso." in page
    assert '<span class="muted"> 340 g bag</span> · <span class="line-option">Espresso</span>' in page
    assert 'aria-label="Quantity of Coffee 00, 340 g bag · Filter"' in page


def test_with_htmx_the_added_line_shows_its_grind_and_the_default_needs_no_choice(app, cafe):
    response = add(cafe, 1, htmx=True)
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert '<span class="line-option">Whole bean</span>' in body
    assert "Added Coffee 00, 5 lb bag · Whole bean (1 in your order)." in body
    response = add(cafe, 2, htmx=True)  # Coffee 01: no options, no option shown
    assert (
        response.status_code == 200
        and "line-option" not in response.get_data(as_text=True).split('id="add-status"')[0]
    )
    with app.app_context():
        assert lines(cafe["draft_id"]) == [
            (cafe["variant_ids"][1], "Whole bean", 1),
            (cafe["variant_ids"][2], "", 1),
        ]


@pytest.mark.parametrize(
    ("variant_index", "option", "message"),
    [
        (0, "Turkish", "Choose one of the options of Coffee 00: Whole bean, Espresso, Filter, Cafetière."),
        (0, "Espresso\x00", "Choose one of the options of Coffee 00"),
        (0, "x" * 61, "Choose one of the options listed."),
        (0, "x" * 20_000, "Choose one of the options listed."),
        (2, "Espresso", "Coffee 01 has no options to choose from."),
        (2, "\x00", "Coffee 01 has no options to choose from."),
    ],
)
def test_an_option_not_offered_is_refused_with_a_message_and_adds_nothing(
    app, cafe, variant_index, option, message
):
    response = add(cafe, variant_index, htmx=True, option=option)
    assert response.status_code == 422 and message in unescape(response.get_data(as_text=True))
    # Without JavaScript the catalog is shown again with the message.
    response = add(cafe, variant_index, option=option)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/orders/{cafe['draft_id']}/catalog"
    )
    assert message in unescape(cafe["client"].get(response.headers["Location"]).get_data(as_text=True))
    with app.app_context():
        assert lines(cafe["draft_id"]) == []


def test_adding_with_an_option_to_another_customers_order_is_not_found(app, cafe):
    token = csrf_from(cafe["client"].get("/order").get_data(as_text=True))
    for option in ("Espresso", "Turkish"):
        response = cafe["client"].post(
            f"/orders/{cafe['rival_order_id']}/lines",
            data={"csrf_token": token, "variant_id": cafe["variant_ids"][0], "option": option},
            headers=HX,
        )
        assert response.status_code == 404
    with app.app_context():
        assert lines(cafe["rival_order_id"]) == [(cafe["variant_ids"][2], "", 1)]


# --- Staff pick a grind in the editor --------------------------------------------------------------------------


@pytest.fixture
def pending(app, cafe):
    with app.app_context():
        order = db.session.get(Order, cafe["draft_id"])
        order.status = "pending"
        db.session.commit()
        return order.id


def test_staff_add_a_size_in_a_grind_in_the_editor(app, staff_client, cafe, pending):
    page = unescape(staff_client.get(f"/admin/orders/{pending}/edit").get_data(as_text=True))
    assert '<label for="add-option">Option</label>' in page
    assert '<option value="">The product\'s default</option>' in page and '<option value="Cafetière">' in page
    poster = StaffPoster(staff_client)
    with app.app_context():
        version = db.session.get(Order, pending).version
    response = poster.post(
        f"/admin/orders/{pending}/lines",
        {"variant_id": cafe["variant_ids"][0], "option": "Cafetière", "quantity": "2", "version": version},
    )
    assert response.status_code == 303
    response = poster.post(
        f"/admin/orders/{pending}/lines",
        {"variant_id": cafe["variant_ids"][0], "version": version + 1},
        htmx=True,
    )
    assert "Added Coffee 00, 340 g bag · Whole bean (1 on the order)." in unescape(
        response.get_data(as_text=True)
    )
    with app.app_context():
        v = cafe["variant_ids"][0]
        assert lines(pending) == [(v, "Cafetière", 2), (v, "Whole bean", 1)]
    page = unescape(staff_client.get(f"/admin/orders/{pending}").get_data(as_text=True))
    assert "Coffee 00, 340 g bag · Cafetière" in page and "Coffee 00, 340 g bag · Whole bean" in page


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("Turkish", "Choose one of the options of Coffee 00"),
        ("x" * 500, "Choose one of the options listed."),
        ("\x00", "Choose one of the options of Coffee 00"),
    ],
)
def test_staff_are_refused_an_option_the_product_does_not_offer(
    app, staff_client, cafe, pending, option, message
):
    with app.app_context():
        version = db.session.get(Order, pending).version
    response = StaffPoster(staff_client).post(
        f"/admin/orders/{pending}/lines",
        {"variant_id": cafe["variant_ids"][0], "option": option, "version": version},
    )
    assert response.status_code == 422 and message in unescape(response.get_data(as_text=True))
    with app.app_context():
        assert lines(pending) == [] and db.session.get(Order, pending).version == version


# --- What the roastery prints and sends ------------------------------------------------------------------------


def test_the_confirmation_email_names_each_lines_grind(app, cafe):
    add(cafe, 0, option="Espresso", quantity="2")
    add(cafe, 2)
    client = cafe["client"]
    html = client.get("/order").get_data(as_text=True)
    response = client.post(
        f"/orders/{cafe['draft_id']}/place",
        data={
            "csrf_token": csrf_from(html),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1),
            "notes": "",
        },
    )
    assert response.status_code == 303
    detail = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Coffee 00, 340 g bag · Espresso" in detail
    with app.app_context():
        email = db.session.scalar(select(Email).where(Email.kind == "order_confirmation"))
        assert "2 × Coffee 00, 340 g bag · Espresso @ $14.50" in email.text_body
        assert "1 × Coffee 01, 340 g bag @ $14.50" in email.text_body
        assert "Coffee 00, 340 g bag · Espresso<br>" in unescape(email.html_body)


@pytest.fixture
def ground_run(app, staff_client, forms):
    """House Espresso in grinds: Blue Door takes 2 × 340 g whole bean and 1 × 5 lb espresso, Corner Grocer
    3 × 340 g espresso and a mug; both approved for the roast day, in one run."""
    with app.app_context():
        shelf = make_roastery_catalog()
        catalog.set_options(shelf.espresso_340.product, "Whole bean\nEspresso\nFilter")
        blue, corner = make_customer("Blue Door Café"), make_customer("Corner Grocer")
        blue_order = approved(blue, [(shelf.espresso_340, 2), (shelf.espresso_2268, 1)])
        blue_order.lines[0].option, blue_order.lines[1].option = "Whole bean", "Espresso"
        corner_order = approved(corner, [(shelf.espresso_340, 3), (shelf.mug, 1)])
        corner_order.lines[0].option = "Espresso"
        db.session.commit()
        ids = [blue_order.id, corner_order.id]
    return f"/admin/production/{open_run(forms, ROAST_DAY, ids)}"


def test_the_roast_sheet_totals_each_grind_under_its_coffee(staff_client, ground_run):
    page = text(staff_client.get(f"{ground_run}/roast-sheet"))
    # 5 × 340 g + 1 × 2268 g = 3,968 g roasted; green at 15 % loss, rounded up: 4,669 g, as without grinds.
    assert "House Espresso 15 % 4,669 g 3,968 g 5 × 340 g bag; 1 × 5 lb bag" in page
    assert "Whole bean 680 g 2 × 340 g bag" in page
    assert "Espresso 3,288 g 3 × 340 g bag; 1 × 5 lb bag" in page
    assert page.index("Whole bean 680 g") < page.index("Espresso 3,288 g") < page.index("All coffees")
    assert "All coffees 4,669 g 3,968 g" in page and "Roastery mug" not in page


def test_packing_lists_and_the_csv_name_each_lines_grind(staff_client, ground_run):
    page = text(staff_client.get(f"{ground_run}/packing-lists"))
    assert "Product Size Option SKU Quantity Packed" in page
    assert "House Espresso 340 g bag Whole bean HSE-340 2 House Espresso 5 lb bag Espresso HSE-2268 1" in page
    assert "House Espresso 340 g bag Espresso HSE-340 3 Roastery mug Mug — MUG-1 1 Items 4" in page
    response = staff_client.get(f"{ground_run}/lines.csv")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [row[3:7] for row in rows[1:]] == [
        ["House Espresso", "340 g bag", "Whole bean", "2"],
        ["House Espresso", "5 lb bag", "Espresso", "1"],
        ["House Espresso", "340 g bag", "Espresso", "3"],
        ["Roastery mug", "Mug", "", "1"],
    ]
