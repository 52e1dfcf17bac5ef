"""Staff sign in with email and password; every staff page is behind it."""

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import StaffUser
from wholesale.models import staff as staff_model

from .conftest import STAFF_EMAIL, STAFF_PASSWORD, Forms
from .routes import fill, routes
from .statements import recorded_statements

STAFF_ROUTES = routes("admin.") + routes("team.")  # the back office and the owners' team page


def test_there_are_staff_routes_to_check():
    assert len(STAFF_ROUTES) >= 25, STAFF_ROUTES


@pytest.mark.parametrize(
    ("method", "rule", "arguments"), STAFF_ROUTES, ids=[f"{m} {r}" for m, r, _ in STAFF_ROUTES]
)
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
        "/admin/sign-in",
        {"email": "SAM@hillside.example ", "password": STAFF_PASSWORD, "next": "/admin/products"},
        page="/admin/sign-in?next=/admin/products",
    )
    assert response.status_code == 303 and response.headers["Location"] == "/admin/products"
    assert client.get("/admin/products").status_code == 200

    response = forms.post("/admin/sign-out", page="/admin/products")
    assert response.status_code == 303
    assert client.get("/admin/products").status_code == 302


def test_where_they_were_going_is_a_hidden_input_its_length_checked_by_the_server(client, staff, forms):
    page = client.get("/admin/sign-in?next=/admin/products").get_data(as_text=True)
    [hidden] = [tag for tag in page.split("<input") if 'name="next"' in tag]
    assert 'type="hidden"' in hidden and 'value="/admin/products"' in hidden
    assert "maxlength" not in hidden  # HTML allows none on a hidden input
    response = forms.post(
        "/admin/sign-in",
        {"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "next": "/admin/" + "x" * 300},
        page="/admin/sign-in",
    )
    assert response.status_code == 400 and client.get("/admin/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "/portal"])
def test_sign_in_never_redirects_off_the_staff_area(client, staff, forms, target):
    response = forms.post(
        "/admin/sign-in",
        {"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "next": target},
        page="/admin/sign-in",
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


def test_sign_in_does_the_same_work_for_an_unknown_a_deactivated_and_a_known_address(
    app, client, staff, forms, monkeypatch
):
    """The same statement and a password check for every address, so timing does not tell who has an account."""
    with app.app_context():
        former = StaffUser(email="lee@hillside.example", name="Lee", active=False)
        former.set_password(STAFF_PASSWORD)
        db.session.add(former)
        db.session.commit()
    checked = []
    real_check = staff_model.check_password_hash

    def check(password_hash, password):
        checked.append(password)
        return real_check(password_hash, password)

    monkeypatch.setattr(staff_model, "check_password_hash", check)
    token = forms.token("/admin/sign-in")
    attempts = {
        "unknown": ("nobody@hillside.example", "the unknown's guess"),
        "deactivated": ("lee@hillside.example", STAFF_PASSWORD),
        "known, wrong password": (STAFF_EMAIL, "the known's guess"),
    }
    statements, pages = {}, {}
    for name, (email, password) in attempts.items():
        with recorded_statements(app) as statements[name]:
            response = client.post(
                "/admin/sign-in", data={"csrf_token": token, "email": email, "password": password}
            )
        assert response.status_code == 400
        pages[name] = response.get_data(as_text=True)

    assert checked == ["the unknown's guess", STAFF_PASSWORD, "the known's guess"]
    assert statements["unknown"] == statements["deactivated"] == statements["known, wrong password"]
    assert all("That email and password do not match a staff account." in page for page in pages.values())
    assert client.get("/admin/").status_code == 302
    with app.app_context():
        assert [user.last_sign_in_at for user in db.session.scalars(select(StaffUser))] == [None, None]


def test_the_unknown_address_check_costs_what_a_real_one_does(app):
    """Its hash is made with the method (and so the cost) real passwords are hashed with."""
    with app.app_context():
        assert not staff_model.password_matches(None, "")
        user = StaffUser(email="kim@hillside.example")
        user.set_password("kim's password")
        method = user.password_hash.split("$", 1)[0]
        assert staff_model._unknown_account_hash(staff_model.password_hash_method()).startswith(method + "$")


def test_a_deactivated_account_loses_its_session(app, staff_client):
    """``load_signed_in_staff`` reads the account for every request: even a deactivation made behind the app's
    back (no credentials version raised) ends the session at its next request."""
    with app.app_context():
        db.session.scalar(select(StaffUser)).active = False
        db.session.commit()
    assert staff_client.get("/admin/").status_code == 302


def test_a_session_from_before_roles_without_a_credentials_version_is_over(app, staff, client):
    with client.session_transaction() as session:
        session["staff_id"] = staff
    assert client.get("/admin/").status_code == 302


def test_passwords_are_stored_hashed(app, staff):
    with app.app_context():
        user = db.session.get(StaffUser, staff)
        assert STAFF_PASSWORD not in user.password_hash and user.check_password(STAFF_PASSWORD)


def test_create_staff_command_creates_and_resets_an_account(app, runner):
    result = runner.invoke(
        args=["create-staff", "Olivia@Hillside.example", "--password", "kettle morning crema"]
    )
    assert result.exit_code == 0 and "Created staff account olivia@hillside.example" in result.output
    result = runner.invoke(
        args=["create-staff", "olivia@hillside.example", "--password", "another tamper espresso"]
    )
    assert "Updated" in result.output
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        assert user.check_password("another tamper espresso")
    result = runner.invoke(args=["create-staff", "x@hillside.example", "--password", "short"])
    assert result.exit_code != 0 and "at least 12 characters" in result.output


@pytest.mark.parametrize(
    "password", ["password1234", "hillsidecoffee", "qwertyuiop123", "iloveyou12345", "roasteryroastery"]
)
def test_common_or_guessable_staff_passwords_are_refused(app, runner, password):
    result = runner.invoke(args=["create-staff", "x@hillside.example", "--password", password])
    assert result.exit_code != 0 and "Invalid value for password" in result.output
    with app.app_context():
        assert db.session.scalar(select(StaffUser)) is None


def test_sign_in_is_throttled_per_client_and_per_account(app, client, staff, forms):
    token = forms.token("/admin/sign-in")
    statuses = [
        client.post(
            "/admin/sign-in", data={"csrf_token": token, "email": STAFF_EMAIL, "password": f"guess {n}"}
        ).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429
    response = client.post(
        "/admin/sign-in", data={"csrf_token": token, "email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 429 and "Too many sign-in attempts" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # the right password did not get in while throttled


def test_the_account_limit_holds_across_clients(app, staff, forms):
    for n in range(10):
        other = app.test_client()
        token = Forms(other).token("/admin/sign-in")
        other.post(
            "/admin/sign-in",
            data={"csrf_token": token, "email": STAFF_EMAIL, "password": f"guess {n}"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        )
    last = app.test_client()
    token = Forms(last).token("/admin/sign-in")
    response = last.post(
        "/admin/sign-in",
        data={"csrf_token": token, "email": STAFF_EMAIL, "password": STAFF_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
    )
    assert response.status_code == 429


def test_a_customer_session_cannot_reach_staff_pages(client):
    with client.session_transaction() as session:
        session["contact_id"] = 1
    assert client.get("/admin/").status_code == 302
