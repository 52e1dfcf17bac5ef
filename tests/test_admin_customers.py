"""Staff manage customers (the groundwork of journey 4): accounts, reminder schedules, contacts, prices.

Each story asserts what staff see and what the database holds; bad input is explained beside its field,
answers 400 and saves nothing.
"""

from .customer_helpers import *  # noqa: F403  (helpers and fixtures shared with the contacts and prices tests)

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
