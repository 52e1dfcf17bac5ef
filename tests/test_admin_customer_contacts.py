"""Staff manage a customer's contacts and negotiated prices on the customer page; other customers' ids are 404."""

from .customer_helpers import *  # noqa: F403

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
        f"contact-{contact_id}",
        name="Ana Ortega",
        email="ana.o@bluedoor.example",
        phone="",
        receives_reminders=None,
    )
    assert forms.post(f"{page}/contacts/{contact_id}", changes, page=page).status_code == 303
    shown = text(staff_client.get(page))
    assert "Saved Ana Ortega." in shown and "ana.o@bluedoor.example" in shown
    assert "No weekly reminder" in shown
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert (contact.name, contact.email, contact.phone, contact.receives_reminders) == (
            "Ana Ortega",
            "ana.o@bluedoor.example",
            "",
            False,
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


def test_a_form_without_its_optional_fields_adds_the_contact(app, staff_client, forms, blue_door):
    """A client that leaves out the fields it has nothing for (phone, the reminders box) is answered, not a 500."""
    page = f"/admin/customers/{blue_door}"
    data = contact_data(phone=None, receives_reminders=None)
    response = forms.post(f"{page}/contacts", data, page=page)
    assert response.status_code == 303
    with app.app_context():
        contact = db.session.scalar(select(Contact))
        assert (contact.name, contact.phone, contact.receives_reminders) == ("Ana Ruiz", "", False)
