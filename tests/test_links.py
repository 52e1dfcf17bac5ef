"""Passwordless links: a contact opens the emailed link and is signed in; a link that expired, was tampered
with, was made for something else or was revoked signs nobody in and offers to email a new one.
"""

from .link_helpers import *  # noqa: F403  (shared constants and helpers; the `ana` fixture comes from conftest)

# --- Opening a link ------------------------------------------------------------------------------------


def test_a_link_signs_the_contact_in_and_sends_them_to_the_order_page(app, client, ana):
    url = url_for_contact(app, ana)
    assert url.startswith("http://portal.test/link/")

    response = client.get(path_of(url))

    assert response.status_code == 303
    assert response.headers["Location"] == "/order"
    assert token_of(url) not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    with client.session_transaction() as session:
        assert session["contact_id"] == ana
    assert signed_in_contact_id(client) == ana


def test_a_requested_link_signs_in_too(app, client, ana):
    response = client.get(path_of(url_for_contact(app, ana, "requested")))
    assert response.status_code == 303
    assert signed_in_contact_id(client) == ana


def test_opening_a_link_writes_nothing_to_the_database(app, client, ana):
    url = url_for_contact(app, ana)
    before = every_row(app)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path_of(url))
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert response.status_code == 303
    assert statements, "the link was checked against the database"
    assert not [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert every_row(app) == before


@pytest.mark.parametrize(("purpose", "lifetime"), [("requested", HALF_HOUR), ("reminder", WEEK)])
def test_a_link_works_until_its_expiry_and_not_from_it_on(app, ana, purpose, lifetime):
    url = url_for_contact(app, ana, purpose, now=T0)
    with app.app_context():
        assert links.verify(token_of(url), now=T0 + lifetime - timedelta(seconds=1)).id == ana
        with pytest.raises(links.LinkError) as refused:
            links.verify(token_of(url), now=T0 + lifetime)
        assert refused.value.reason == "expired"


def test_an_expired_link_offers_a_new_one_and_signs_nobody_in(app, client, ana):
    url = url_for_contact(app, ana, "requested", now=T0)
    with time_machine.travel(T0 + HALF_HOUR, tick=False):
        response = client.get(path_of(url))

    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "This link has expired" in page
    assert "Email me a new link" in page and 'action="/link/request"' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "strict-origin"  # origin only: never the token
    assert not has_portal_session(client) and signed_in_contact_id(client) is None


def one_char_changed(token: str) -> str:
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        one_char_changed,
        lambda token: token[:-1],
        lambda token: token.rsplit(".", 1)[0],
        lambda token: token + "x",
        lambda token: token * 10,
        lambda token: "not-a-token",
    ],
    ids=["one-char-changed", "truncated", "signature-dropped", "extended", "very-long", "garbage"],
)
def test_a_tampered_link_is_refused(app, client, ana, tamper):
    token = tamper(token_of(url_for_contact(app, ana)))
    with app.app_context(), pytest.raises(links.LinkError) as refused:
        links.verify(token)
    assert refused.value.reason == "invalid"

    response = client.get(f"/link/{token}")
    assert response.status_code == 400
    assert "This link is no longer valid" in response.get_data(as_text=True)
    assert not has_portal_session(client) and signed_in_contact_id(client) is None


def test_a_token_made_for_another_purpose_never_signs_in(app, client, ana):
    with app.app_context():
        contact = db.session.get(Contact, ana)
        token = links.make_token(contact, "no-order", datetime.now(timezone.utc) + WEEK)
        assert links.read_token(token, ("no-order",)).id == ana  # good for what it was made for
        with pytest.raises(links.LinkError) as refused:
            links.verify(token)
        assert refused.value.reason == "invalid"

    response = client.get(f"/link/{token}")
    assert response.status_code == 400
    assert not has_portal_session(client) and signed_in_contact_id(client) is None


def revoke(contact: Contact):
    links.revoke_links(contact.customer)


def change_email(contact: Contact):
    contact.email = "ana.ruiz@bluedoor.example"
    db.session.commit()


def delete_contact(contact: Contact):
    db.session.delete(contact)
    db.session.commit()


def deactivate_customer(contact: Contact):
    contact.customer.active = False
    db.session.commit()


@pytest.mark.parametrize("change", [revoke, change_email, delete_contact, deactivate_customer])
def test_a_link_stops_working_when_staff_change_the_account(app, client, ana, change):
    url = url_for_contact(app, ana)
    with app.app_context():
        change(db.session.get(Contact, ana))
        with pytest.raises(links.LinkError) as refused:
            links.verify(token_of(url))
        assert refused.value.reason == "revoked"

    response = client.get(path_of(url))

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This link is no longer valid" in page and "Email me a new link" in page
    assert not has_portal_session(client) and signed_in_contact_id(client) is None


@pytest.mark.parametrize("change", [revoke, change_email, deactivate_customer])
def test_a_session_started_before_the_change_ends_with_it(app, client, ana, change):
    client.get(path_of(url_for_contact(app, ana)))
    assert signed_in_contact_id(client) == ana

    with app.app_context():
        change(db.session.get(Contact, ana))

    assert signed_in_contact_id(client) is None


def test_revoking_bumps_the_token_version_once_and_new_links_work(app, client, ana):
    with app.app_context():
        customer = db.session.get(Contact, ana).customer
        links.revoke_links(customer)
        assert customer.token_version == 2
    response = client.get(path_of(url_for_contact(app, ana)))
    assert response.status_code == 303


# --- Where links point ---------------------------------------------------------------------------------


def test_links_are_built_from_the_public_base_url_never_the_request_host(app, ana):
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    with app.test_request_context("/", base_url="http://evil.example", headers=forged):
        url = links.login_url(db.session.get(Contact, ana), "reminder")
    assert url.startswith("http://portal.test/link/")
    assert "evil" not in url


def test_an_emailed_link_ignores_a_forged_host_on_the_request(app, client, ana):
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    page = client.get("/", headers=forged).get_data(as_text=True)
    data = {"email": ANA, "csrf_token": csrf_from(page)}
    response = client.post("/link/request", data=data, headers=forged)
    assert response.status_code == 303
    with app.app_context():
        email = db.session.scalar(select(Email))
        assert "http://portal.test/link/" in email.text_body
        assert "evil" not in email.text_body + email.html_body


@pytest.mark.parametrize(
    "session_holds",
    [
        {"contact_id": "id only"},  # a session written before versions and emails were kept
        {"token_version": None},
        {"token_version": 2},
        {"contact_email": "someone.else@bluedoor.example"},
        {"contact_email": None},
    ],
)
def test_a_session_that_does_not_match_the_contact_signs_nobody_in(app, client, ana, session_holds):
    client.get(path_of(url_for_contact(app, ana)))
    with client.session_transaction() as session:
        if session_holds == {"contact_id": "id only"}:
            del session["token_version"], session["contact_email"]
        else:
            session.update(session_holds)

    response = client.get("/order")

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert not has_portal_session(client)
    with app.app_context():
        assert db.session.scalar(select(Order.id)) is None  # no draft was made for anyone
