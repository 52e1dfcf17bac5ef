"""Staff manage customers (the groundwork of journey 4): accounts, reminder schedules, contacts, prices.

Each story asserts what staff see and what the database holds; bad input is explained beside its field,
answers 400 and saves nothing.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Contact, Customer, CustomerPrice, Order, Product, ShippingOption, Variant, utcnow
from wholesale.services import customers as customer_services

# --- Helpers -------------------------------------------------------------------------------------------


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return count(Customer), count(Contact), count(CustomerPrice)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def error_beside(html: str, field_id: str) -> str:
    """The message the `field` macro shows beside one field ('' when there is none)."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def customer_data(**overrides) -> dict:
    data = {
        "business_name": "Blue Door Café",
        "delivery_address": "4 Harbour St\nPortland, OR 97209",
        "default_shipping_option_id": "",
        "discount_percent": "0",
        "notes": "",
        "active": "y",
        "reminder_weekday": "6",
        "reminder_time": "02:00",
        "reminder_timezone": "America/Los_Angeles",
    } | overrides
    return {k: v for k, v in data.items() if v is not None}


def contact_data(prefix: str = "new-contact", **overrides) -> dict:
    data = {"name": "Ana Ruiz", "email": "ana@bluedoor.example", "phone": "5551", "receives_reminders": "y"}
    return {f"{prefix}-{k}": v for k, v in (data | overrides).items() if v is not None}


def set_price(forms, customer_id: int, variant_id, price: str):
    page = f"/admin/customers/{customer_id}"
    data = {"new-price-variant_id": variant_id, "new-price-price": price}
    return forms.post(f"{page}/prices", data, page=page)


@pytest.fixture
def catalog(app):
    """Shipping options (one no longer offered), sizes on sale, a retired size and a retired coffee."""
    with app.app_context():
        options = [
            ShippingOption(name="Our van", fee=Decimal("0"), position=0),
            ShippingOption(name="Courier", fee=Decimal("12.50"), position=1),
            ShippingOption(name="Bike courier", fee=Decimal("5"), position=2, active=False),
        ]
        guji = Product(name="Ethiopia Guji", kind="coffee", roast_loss_percent=Decimal("15"))
        old = Product(name="Old Blend", kind="coffee", roast_loss_percent=Decimal("14"), retired_at=utcnow())
        sizes = [
            Variant(product=guji, name="340 g bag", sku="G-340", price=Decimal("14.50"), net_weight_g=340),
            Variant(product=guji, name="5 lb bag", sku="G-2268", price=Decimal("98"), net_weight_g=2268),
            Variant(product=guji, name="1 kg bag", sku="G-1000", price=Decimal("40"), net_weight_g=1000),
            Variant(product=old, name="340 g bag", sku="OLD-340", price=Decimal("12"), net_weight_g=340),
        ]
        sizes[2].retired_at = utcnow()
        db.session.add_all([*options, guji, old])
        db.session.commit()
        names = ("van", "courier", "old_shipping", "small", "large", "retired_size", "retired_product_size")
        return dict(zip(names, [str(row.id) for row in options + sizes]))


@pytest.fixture
def blue_door(app, staff_client, forms):
    assert forms.post("/admin/customers/new", customer_data()).status_code == 303
    with app.app_context():
        return db.session.scalar(select(Customer.id).where(Customer.business_name == "Blue Door Café"))


@pytest.fixture
def ana(app, forms, blue_door):
    page = f"/admin/customers/{blue_door}"
    assert forms.post(f"{page}/contacts", contact_data(), page=page).status_code == 303
    with app.app_context():
        return db.session.scalar(select(Contact.id).where(Contact.email == "ana@bluedoor.example"))


@pytest.fixture
def corner_shop(app):
    """Another customer, with a contact and a negotiated price of its own."""
    with app.app_context():
        shop = Customer(business_name="Corner Shop", contacts=[Contact(name="Bo", email="bo@corner.example")])
        blend = Product(name="House Blend", kind="coffee", roast_loss_percent=Decimal("15"))
        bag = Variant(product=blend, name="340 g bag", sku="H-340", price=Decimal("11"), net_weight_g=340)
        shop.prices.append(CustomerPrice(variant=bag, price=Decimal("10")))
        db.session.add(shop)
        db.session.commit()
        return {"customer": shop.id, "contact": shop.contacts[0].id, "price": shop.prices[0].id}


# --- Customers -----------------------------------------------------------------------------------------


def test_customer_pages_are_for_signed_in_staff_only(client):
    response = client.get("/admin/customers")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]


def test_a_new_customer_starts_with_the_configured_reminder_schedule(app, staff_client, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_DEFAULT_WEEKDAY", 0)
    monkeypatch.setitem(app.config, "REMINDER_DEFAULT_TIME", "06:30")
    monkeypatch.setitem(app.config, "REMINDER_DEFAULT_TIMEZONE", "Europe/London")

    page = staff_client.get("/admin/customers/new").get_data(as_text=True)

    assert '<option selected value="0">Monday</option>' in page
    assert 'value="06:30"' in page and 'value="Europe/London"' in page


def test_staff_add_a_customer_and_see_it_listed(app, staff_client, forms, catalog):
    form = staff_client.get("/admin/customers/new").get_data(as_text=True)
    assert '<option selected value="6">Sunday</option>' in form and 'value="02:00"' in form
    assert "Our van" in form and "Courier" in form and "Bike courier" not in form

    data = customer_data(default_shipping_option_id=catalog["courier"], discount_percent="7.5")
    response = forms.post("/admin/customers/new", data)

    assert response.status_code == 303
    page = text(staff_client.get(response.headers["Location"]))
    assert "Added Blue Door Café." in page and "Courier" in page and "7.5 %" in page
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert customer.business_name == "Blue Door Café"
        assert customer.delivery_address == "4 Harbour St\nPortland, OR 97209"
        assert customer.default_shipping_option_id == int(catalog["courier"])
        assert customer.discount_percent == Decimal("7.50")
        assert customer.active and not customer.reminders_enabled
        schedule = (customer.reminder_weekday, customer.reminder_time, customer.reminder_timezone)
        assert schedule == (6, time(2, 0), "America/Los_Angeles")
    listing = text(staff_client.get("/admin/customers"))
    assert "Blue Door Café" in listing and "New customer" in listing


def test_staff_switch_on_reminders_and_edit_a_customer(app, staff_client, forms, catalog, blue_door):
    changes = customer_data(
        business_name="Blue Door Café & Bakery",
        default_shipping_option_id=catalog["van"],
        discount_percent="",
        notes="Back door after 7am",
        active=None,
        reminders_enabled="y",
        reminder_weekday="4",
        reminder_time="18:45",
        reminder_timezone="europe/berlin",
    )
    response = forms.post(f"/admin/customers/{blue_door}/edit", changes)

    assert response.status_code == 303
    page = text(staff_client.get(response.headers["Location"]))
    assert "Saved Blue Door Café & Bakery." in page
    assert "On: Fridays at 18:45, Europe/Berlin" in page and "Back door after 7am" in page
    with app.app_context():
        customer = db.session.get(Customer, blue_door)
        assert customer.business_name == "Blue Door Café & Bakery"
        assert customer.default_shipping_option_id == int(catalog["van"])
        assert (customer.discount_percent, customer.active, customer.reminders_enabled) == (0, False, True)
        schedule = (customer.reminder_weekday, customer.reminder_time, customer.reminder_timezone)
        assert schedule == (4, time(18, 45), "Europe/Berlin")
    listing = staff_client.get("/admin/customers").get_data(as_text=True)
    assert '<tr class="muted">' in listing and "Inactive" in listing


def test_a_retired_shipping_option_stays_selectable_for_the_customer_that_has_it(
    app, staff_client, forms, catalog, blue_door
):
    with app.app_context():
        db.session.get(Customer, blue_door).default_shipping_option_id = int(catalog["old_shipping"])
        db.session.commit()
    assert "Bike courier" in staff_client.get(f"/admin/customers/{blue_door}/edit").get_data(as_text=True)

    data = customer_data(default_shipping_option_id=catalog["old_shipping"], notes="kept")
    assert forms.post(f"/admin/customers/{blue_door}/edit", data).status_code == 303


@pytest.mark.parametrize("name", ["Blue Door Café", "BLUE DOOR CAFÉ", "  blue door café "])
@pytest.mark.parametrize("action", ["new", "rename"])
def test_a_business_name_in_use_is_refused(app, staff_client, forms, blue_door, name, action):
    url = "/admin/customers/new"
    if action == "rename":
        with app.app_context():
            corner_shop = Customer(business_name="Corner Shop")
            db.session.add(corner_shop)
            db.session.commit()
            url = f"/admin/customers/{corner_shop.id}/edit"
    before = counts(app)

    response = forms.post(url, customer_data(business_name=name))

    assert response.status_code == 400
    assert "There is already a customer called" in error_beside(text(response), "business_name")
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Customer.business_name == "Corner Shop")) == (
            1 if action == "rename" else 0
        )


BAD_CUSTOMER_INPUT = [
    ({"business_name": ""}, "business_name", "Enter the business name."),
    ({"business_name": "   "}, "business_name", "Enter the business name."),
    ({"business_name": "x" * 10_000}, "business_name", "Use at most 160 characters."),
    ({"delivery_address": "x" * 10_000}, "delivery_address", "Use at most 1,000 characters."),
    ({"notes": "x" * 10_000}, "notes", "Use at most 5,000 characters."),
    ({"discount_percent": "-1"}, "discount_percent", "Enter a value from 0 to 100."),
    ({"discount_percent": "101"}, "discount_percent", "Enter a value from 0 to 100."),
    ({"discount_percent": "1e999"}, "discount_percent", "Enter a value from 0 to 100."),
    ({"discount_percent": "ten"}, "discount_percent", "Enter a percentage as a number"),
    ({"discount_percent": "NaN"}, "discount_percent", "Enter a percentage as a number"),
    ({"discount_percent": "Infinity"}, "discount_percent", "Enter a percentage as a number"),
    ({"discount_percent": "12.345"}, "discount_percent", "Use at most two decimal places."),
    ({"reminder_weekday": "7"}, "reminder_weekday", "Choose a day of the week."),
    ({"reminder_weekday": "-1"}, "reminder_weekday", "Choose a day of the week."),
    ({"reminder_weekday": "Sunday"}, "reminder_weekday", "Choose a day of the week."),
    ({"reminder_time": "25:00"}, "reminder_time", "Enter a time like 02:00."),
    ({"reminder_time": ""}, "reminder_time", "Enter a time like 02:00."),
    ({"reminder_timezone": "Mars/Olympus_Mons"}, "reminder_timezone", "That is not a time zone we know."),
    ({"reminder_timezone": "../../etc/passwd"}, "reminder_timezone", "That is not a time zone we know."),
    ({"reminder_timezone": "America"}, "reminder_timezone", "That is not a time zone we know."),
    ({"reminder_timezone": ""}, "reminder_timezone", "Enter a time zone"),
    ({"reminder_timezone": "x" * 10_000}, "reminder_timezone", "Use at most 64 characters."),
    ({"default_shipping_option_id": "999999"}, "default_shipping_option_id", "Choose a shipping option"),
    ({"default_shipping_option_id": "9" * 30}, "default_shipping_option_id", "Choose a shipping option"),
    ({"default_shipping_option_id": "Our van"}, "default_shipping_option_id", "Choose a shipping option"),
    ({"default_shipping_option_id": "old_shipping"}, "default_shipping_option_id", "Choose a shipping"),
]


@pytest.mark.parametrize(("bad", "field_id", "message"), BAD_CUSTOMER_INPUT)
@pytest.mark.parametrize("action", ["new", "edit"])
def test_bad_customer_input_is_explained_and_saves_nothing(
    app, staff_client, forms, catalog, blue_door, action, bad, field_id, message
):
    bad = {k: catalog.get(v, v) if k == "default_shipping_option_id" else v for k, v in bad.items()}
    url = "/admin/customers/new" if action == "new" else f"/admin/customers/{blue_door}/edit"

    response = forms.post(url, customer_data(**{"business_name": "Other", "notes": "changed", **bad}))

    assert response.status_code == 400
    page = text(response)
    assert message in error_beside(page, field_id)
    assert "Nothing was saved." in page
    assert counts(app) == (1, 0, 0)
    with app.app_context():
        customer = db.session.get(Customer, blue_door)
        assert (customer.business_name, customer.notes) == ("Blue Door Café", "")


def test_a_nul_character_never_reaches_the_database(app, staff_client, forms):
    response = forms.post("/admin/customers/new", customer_data(business_name="Nul\x00 Café", notes="a\x00b"))

    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Customer.business_name)) == "Nul Café"


def test_staff_search_customers_by_name_or_contact_email(app, staff_client, ana, corner_shop):
    def names(query: str) -> list[str]:
        page = text(staff_client.get("/admin/customers", query_string={"q": query}))
        return re.findall(r'<a href="/admin/customers/\d+">([^<]+)</a>', page)

    assert names("") == ["Blue Door Café", "Corner Shop"]
    assert names("door") == ["Blue Door Café"]
    assert names("ANA@BlueDoor") == ["Blue Door Café"]
    assert names("corner.example") == ["Corner Shop"]
    assert names("%") == [] and names("_") == []
    assert "No customer matches “nobody”." in text(staff_client.get("/admin/customers?q=nobody"))
    assert staff_client.get("/admin/customers?q=%00").status_code == 200
    assert staff_client.get("/admin/customers?page=0").status_code == 404


def test_the_list_counts_contacts_and_shows_the_reminder(app, staff_client, forms, ana, blue_door):
    page = f"/admin/customers/{blue_door}"
    forms.post(f"{page}/contacts", contact_data(name="Kim", email="kim@bluedoor.example"), page=page)
    with app.app_context():
        db.session.get(Customer, blue_door).reminders_enabled = True
        db.session.commit()

    listing = text(staff_client.get("/admin/customers"))

    assert '<td class="num">2</td>' in listing and "On: Sunday 02:00" in listing


@pytest.mark.parametrize(
    "path", ["/admin/customers/9", "/admin/customers/9/edit", "/admin/customers/" + "9" * 20]
)
def test_unknown_customers_are_not_found(staff_client, path):
    assert staff_client.get(path).status_code == 404


# --- Contacts ------------------------------------------------------------------------------------------


def test_staff_add_edit_and_remove_a_contact(app, staff_client, forms, blue_door):
    page = f"/admin/customers/{blue_door}"

    response = forms.post(f"{page}/contacts", contact_data(email="Ana@BlueDoor.Example"), page=page)
    assert response.status_code == 303
    assert "Added Ana Ruiz." in text(staff_client.get(response.headers["Location"]))
    with app.app_context():
        contact = db.session.scalar(select(Contact))
        assert (contact.customer_id, contact.email) == (blue_door, "ana@bluedoor.example")
        assert contact.receives_reminders is True
        contact_id = contact.id

    changes = contact_data(
        f"contact-{contact_id}", name="Ana Ortega", email="ana.o@bluedoor.example", phone="",
        receives_reminders=None,
    )
    assert forms.post(f"{page}/contacts/{contact_id}", changes, page=page).status_code == 303
    shown = text(staff_client.get(page))
    assert "Saved Ana Ortega." in shown and "ana.o@bluedoor.example" in shown
    assert "No weekly reminder" in shown
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert (contact.name, contact.email, contact.phone, contact.receives_reminders) == (
            "Ana Ortega", "ana.o@bluedoor.example", "", False
        )

    assert 'data-confirm="Remove Ana Ortega' in shown
    assert forms.post(f"{page}/contacts/{contact_id}/remove", page=page).status_code == 303
    assert "Removed Ana Ortega." in text(staff_client.get(page))
    assert counts(app) == (1, 0, 0)


def test_removing_a_contact_keeps_the_orders_they_placed(app, staff_client, forms, blue_door, ana):
    with app.app_context():
        order = Order(customer_id=blue_door, channel="portal", status="pending", placed_by_contact_id=ana)
        db.session.add(order)
        db.session.commit()
        order_id = order.id

    page = f"/admin/customers/{blue_door}"
    assert forms.post(f"{page}/contacts/{ana}/remove", page=page).status_code == 303

    with app.app_context():
        assert db.session.get(Contact, ana) is None
        assert db.session.get(Order, order_id).placed_by_contact_id is None


@pytest.mark.parametrize("email", ["ana@bluedoor.example", "ANA@BlueDoor.example", " Ana@bluedoor.EXAMPLE "])
@pytest.mark.parametrize("action", ["add", "edit"])
def test_an_email_in_use_is_refused_in_any_case(app, staff_client, forms, ana, corner_shop, action, email):
    page = f"/admin/customers/{corner_shop['customer']}"
    prefix = "new-contact" if action == "add" else f"contact-{corner_shop['contact']}"
    url = f"{page}/contacts" if action == "add" else f"{page}/contacts/{corner_shop['contact']}"
    before = counts(app)

    response = forms.post(url, contact_data(prefix, name="Bo", email=email), page=page)

    assert response.status_code == 400
    html = text(response)
    message = "ana@bluedoor.example is already a contact of Blue Door Café."
    assert error_beside(html, f"{prefix}-email") == message
    assert counts(app) == before
    with app.app_context():
        assert db.session.get(Contact, corner_shop["contact"]).email == "bo@corner.example"
    if action == "edit":
        assert "<details open>" in html


BAD_CONTACT_INPUT = [
    ({"name": ""}, "name", "Enter the contact's name."),
    ({"name": "x" * 10_000}, "name", "Use at most 120 characters."),
    ({"email": ""}, "email", "Enter an email address."),
    ({"email": "not-an-email"}, "email", "Enter an email address like ana@example.com."),
    ({"email": "ana@"}, "email", "Enter an email address like ana@example.com."),
    ({"email": "a" * 10_000 + "@example.com"}, "email", "Use at most 254 characters."),
    ({"phone": "5" * 10_000}, "phone", "Use at most 40 characters."),
]


@pytest.mark.parametrize(("bad", "field", "message"), BAD_CONTACT_INPUT)
@pytest.mark.parametrize("action", ["add", "edit"])
def test_bad_contact_input_is_explained_and_saves_nothing(
    app, staff_client, forms, blue_door, ana, action, bad, field, message
):
    page = f"/admin/customers/{blue_door}"
    prefix, url = ("new-contact", f"{page}/contacts")
    if action == "edit":
        prefix, url = f"contact-{ana}", f"{page}/contacts/{ana}"
    data = contact_data(prefix, **{"name": "Changed", "email": "new@x.example", **bad})

    response = forms.post(url, data, page=page)

    assert response.status_code == 400
    html = text(response)
    assert message in error_beside(html, f"{prefix}-{field}")
    assert "Nothing was saved." in html
    assert counts(app) == (1, 1, 0)
    with app.app_context():
        contact = db.session.get(Contact, ana)
        assert (contact.name, contact.email) == ("Ana Ruiz", "ana@bluedoor.example")


# --- Negotiated prices ---------------------------------------------------------------------------------


def test_staff_set_change_and_remove_a_negotiated_price(app, staff_client, forms, catalog, blue_door):
    page = f"/admin/customers/{blue_door}"
    offered = text(staff_client.get(page))
    assert "Ethiopia Guji, 340 g bag (list $14.50)" in offered
    assert "1 kg bag" not in offered and "Old Blend" not in offered

    assert set_price(forms, blue_door, catalog["small"], "12.75").status_code == 303
    assert "Ethiopia Guji, 340 g bag now costs Blue Door Café $12.75." in text(staff_client.get(page))

    # Setting it again for the same size replaces it rather than adding a second one.
    assert set_price(forms, blue_door, catalog["small"], "$12.25").status_code == 303
    with app.app_context():
        row = db.session.scalar(select(CustomerPrice))
        assert count(CustomerPrice) == 1 and row.price == Decimal("12.25")
        price_id = row.id

    response = forms.post(f"{page}/prices/{price_id}", {f"price-{price_id}-price": "0"}, page=page)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(CustomerPrice, price_id).price == Decimal("0.00")

    assert forms.post(f"{page}/prices/{price_id}/remove", page=page).status_code == 303
    assert "pays the list price for Ethiopia Guji, 340 g bag again." in text(staff_client.get(page))
    assert counts(app) == (1, 0, 0)


def test_a_price_on_a_size_retired_since_can_still_be_changed(app, staff_client, forms, catalog, blue_door):
    assert set_price(forms, blue_door, catalog["large"], "90").status_code == 303
    with app.app_context():
        db.session.get(Variant, int(catalog["large"])).retired_at = utcnow()
        db.session.commit()
        price_id = db.session.scalar(select(CustomerPrice.id))
    page = f"/admin/customers/{blue_door}"
    assert "Retired" in staff_client.get(page).get_data(as_text=True)

    response = forms.post(f"{page}/prices/{price_id}", {f"price-{price_id}-price": "88"}, page=page)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(CustomerPrice, price_id).price == Decimal("88.00")


@pytest.mark.parametrize(
    ("variant", "price", "field", "message"),
    [
        ("small", "", "price", "Enter their price."),
        ("small", "-1", "price", "Enter a value from 0 to 100000."),
        ("small", "100001", "price", "Enter a value from 0 to 100000."),
        ("small", "1e999", "price", "Enter a value from 0 to 100000."),
        ("small", "abc", "price", "Enter a price as a number"),
        ("small", "NaN", "price", "Enter a price as a number"),
        ("small", "-Infinity", "price", "Enter a price as a number"),
        ("small", "1.005", "price", "Use at most two decimal places."),
        ("", "10", "variant_id", "Choose a product size."),
        ("retired_size", "10", "variant_id", "Choose a product size from the list."),
        ("retired_product_size", "10", "variant_id", "Choose a product size from the list."),
        ("999999", "10", "variant_id", "Choose a product size from the list."),
        ("1e999", "10", "variant_id", "Choose a product size from the list."),
    ],
)
def test_bad_price_input_is_explained_and_saves_nothing(
    app, staff_client, forms, catalog, blue_door, variant, price, field, message
):
    response = set_price(forms, blue_door, catalog.get(variant, variant), price)

    assert response.status_code == 400
    assert message in error_beside(text(response), f"new-price-{field}")
    assert counts(app) == (1, 0, 0)


@pytest.mark.parametrize("price", ["", "-5", "NaN", "1e999", "twelve"])
def test_bad_input_when_changing_a_price_changes_nothing(app, staff_client, forms, catalog, blue_door, price):
    set_price(forms, blue_door, catalog["small"], "12.00")
    with app.app_context():
        price_id = db.session.scalar(select(CustomerPrice.id))
    page = f"/admin/customers/{blue_door}"

    response = forms.post(f"{page}/prices/{price_id}", {f"price-{price_id}-price": price}, page=page)

    assert response.status_code == 400
    assert error_beside(text(response), f"price-{price_id}-price")
    with app.app_context():
        assert db.session.get(CustomerPrice, price_id).price == Decimal("12.00")


# --- Ids that are not this customer's, races, CSRF ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/customers/{mine}/contacts/{their_contact}",
        "/admin/customers/{mine}/contacts/{their_contact}/remove",
        "/admin/customers/{mine}/prices/{their_price}",
        "/admin/customers/{mine}/prices/{their_price}/remove",
        "/admin/customers/{mine}/contacts/99999",
        "/admin/customers/{mine}/prices/99999999999999",
        "/admin/customers/99999/contacts",
        "/admin/customers/99999/prices",
    ],
)
def test_another_customers_contacts_and_prices_are_not_found(
    app, staff_client, forms, blue_door, corner_shop, path
):
    url = path.format(mine=blue_door, their_contact=corner_shop["contact"], their_price=corner_shop["price"])
    data = contact_data(f"contact-{corner_shop['contact']}", name="Hijacked") | {
        f"price-{corner_shop['price']}-price": "0"
    }
    before = counts(app)

    response = forms.post(url, data, page=f"/admin/customers/{blue_door}")

    assert response.status_code == 404
    assert counts(app) == before
    with app.app_context():
        assert db.session.get(Contact, corner_shop["contact"]).name == "Bo"
        assert db.session.get(CustomerPrice, corner_shop["price"]).price == Decimal("10.00")


def test_a_duplicate_that_slips_past_the_checks_is_caught_by_the_database(
    app, staff_client, forms, ana, corner_shop, monkeypatch
):
    """As when two requests race: the unique constraints answer, with the same kind of message."""
    monkeypatch.setattr(customer_services, "_checked_contact", lambda details, contact: details)
    monkeypatch.setattr(customer_services, "_checked_customer", lambda details, customer: details)
    page = f"/admin/customers/{corner_shop['customer']}"
    before = counts(app)

    response = forms.post(f"{page}/contacts", contact_data(email="ana@bluedoor.example"), page=page)
    assert response.status_code == 400
    assert error_beside(text(response), "new-contact-email") == "Another contact already uses that email."

    response = forms.post("/admin/customers/new", customer_data())
    assert response.status_code == 400
    assert "already a customer with that business name" in error_beside(text(response), "business_name")
    assert counts(app) == before


def test_every_form_needs_its_csrf_token(app, staff_client, blue_door):
    assert staff_client.post(f"/admin/customers/{blue_door}/contacts", data=contact_data()).status_code == 400
    assert counts(app) == (1, 0, 0)
