"""A contact's own session: `/` takes a signed-in contact to their order, and Sign out ends the session."""

from __future__ import annotations

from wholesale.extensions import db
from wholesale.models import Contact

from .conftest import csrf_from
from .factories import make_catalog, make_customer, make_order, sign_in_contact


def signed_in(app, client) -> None:
    with app.app_context():
        variants = make_catalog(coffees=1)
        customer = make_customer("Blue Door Café")
        make_order(customer, [(variants[0], 2)])
        db.session.commit()
        sign_in_contact(client, db.session.get(Contact, customer.contacts[0].id))


def test_the_start_page_sends_a_signed_in_contact_to_their_order(app, client):
    page = client.get("/")
    assert page.status_code == 200 and "Link expired or lost?" in page.get_data(as_text=True)
    signed_in(app, client)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/order"


def test_sign_out_ends_the_customer_session(app, client):
    signed_in(app, client)
    order_page = client.get("/order").get_data(as_text=True)
    assert "Sign out" in order_page
    response = client.post("/sign-out", data={"csrf_token": csrf_from(order_page)})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    start = client.get("/").get_data(as_text=True)
    assert "You are signed out." in start and "Link expired or lost?" in start
    assert client.get("/order").headers["Location"] == "/"  # the order page needs the link again


def test_signing_out_of_the_portal_leaves_a_staff_session_in_the_same_browser(app, staff_client):
    signed_in(app, staff_client)
    page = staff_client.get("/order").get_data(as_text=True)
    staff_client.post("/sign-out", data={"csrf_token": csrf_from(page)})
    assert staff_client.get("/order").headers["Location"] == "/"
    assert staff_client.get("/admin/").status_code == 200


def test_sign_out_without_a_session_just_shows_the_start_page(client):
    page = client.get("/").get_data(as_text=True)
    response = client.post("/sign-out", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_sign_out_needs_the_csrf_token(app, client):
    """Otherwise another site could sign a customer out."""
    signed_in(app, client)
    assert client.post("/sign-out").status_code == 400
    assert client.get("/order").status_code == 200
