"""Staff sign in with email and password; every staff page is behind it."""

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import StaffUser

from .conftest import STAFF_EMAIL, STAFF_PASSWORD
from .routes import fill, routes


STAFF_ROUTES = routes("admin.")


def test_there_are_staff_routes_to_check():
    assert len(STAFF_ROUTES) >= 25, STAFF_ROUTES


@pytest.mark.parametrize(("method", "rule", "arguments"), STAFF_ROUTES, ids=[f"{m} {r}" for m, r, _ in STAFF_ROUTES])
def test_every_staff_route_redirects_to_sign_in_when_signed_out(client, forms, method, rule, arguments):
    path = fill(rule, **{name: 1 for name in arguments})
    data = {"csrf_token": forms.token("/admin/sign-in")} if method == "POST" else None
    response = client.open(path, method=method, data=data)
    assert response.status_code == 302, (method, path, response.status_code)
    assert response.headers["Location"].startswith("/admin/sign-in")


def test_staff_signs_in_lands_where_they_were_going_and_signs_out(client, staff, forms):
    response = client.get("/admin/products")
    assert response.headers["Location"] == "/admin/sign-in?next=/admin/products"
    response = forms.post(
        "/admin/sign-in", {"email": "SAM@hillside.example ", "password": STAFF_PASSWORD, "next": "/admin/products"},
        page="/admin/sign-in?next=/admin/products",
    )
    assert response.status_code == 303 and response.headers["Location"] == "/admin/products"
    assert client.get("/admin/products").status_code == 200

    response = forms.post("/admin/sign-out", page="/admin/products")
    assert response.status_code == 303
    assert client.get("/admin/products").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "/portal"])
def test_sign_in_never_redirects_off_the_staff_area(client, staff, forms, target):
    response = forms.post(
        "/admin/sign-in", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "next": target}, page="/admin/sign-in"
    )
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("email", "password"),
    [(STAFF_EMAIL, "wrong password"), ("nobody@hillside.example", STAFF_PASSWORD), (STAFF_EMAIL, "")],
)
def test_a_wrong_password_or_unknown_email_gets_the_same_message(client, staff, forms, email, password):
    response = forms.post("/admin/sign-in", {"email": email, "password": password}, page="/admin/sign-in")
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_a_deactivated_account_loses_its_session(app, staff_client):
    with app.app_context():
        db.session.scalar(select(StaffUser)).active = False
        db.session.commit()
    assert staff_client.get("/admin/").status_code == 302


def test_passwords_are_stored_hashed(app, staff):
    with app.app_context():
        user = db.session.get(StaffUser, staff)
        assert STAFF_PASSWORD not in user.password_hash and user.check_password(STAFF_PASSWORD)


def test_create_staff_command_creates_and_resets_an_account(app, runner):
    result = runner.invoke(args=["create-staff", "Olivia@Hillside.example", "--password", "long enough pw"])
    assert result.exit_code == 0 and "Created staff account olivia@hillside.example" in result.output
    result = runner.invoke(args=["create-staff", "olivia@hillside.example", "--password", "another long pw"])
    assert "Updated" in result.output
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        assert user.check_password("another long pw")
    result = runner.invoke(args=["create-staff", "x@hillside.example", "--password", "short"])
    assert result.exit_code != 0 and "at least 8 characters" in result.output


def test_a_customer_session_cannot_reach_staff_pages(client):
    with client.session_transaction() as session:
        session["contact_id"] = 1
    assert client.get("/admin/").status_code == 302
