"""Journey 5, "Lost link": asking for a new link answers the same whether or not the address is a customer's,
is rate limited, and sends a link that works for thirty minutes. Also the login-link command and revoking.
"""

from wholesale import create_app

from .link_helpers import *  # noqa: F403
from .statements import recorded_statements

# --- Asking for a new link (journey 5) -----------------------------------------------------------------


def test_the_start_page_offers_to_email_a_new_link(client):
    page = client.get("/").get_data(as_text=True)
    assert 'action="/link/request"' in page and 'name="email"' in page and "Email me a new link" in page


def test_asking_for_a_link_answers_the_same_for_a_customer_and_a_stranger(app, client, forms, ana):
    known = ask_for_link(forms, "  Ana@BlueDoor.example ")
    unknown = ask_for_link(forms, NOBODY)

    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"] == "/link/requested"
    assert known.get_data() == unknown.get_data()
    page = client.get("/link/requested").get_data(as_text=True)
    assert "If that address belongs to a customer, a new link is on its way; it works for 30 minutes." in page

    # The customer gets a link; the stranger's address an email saying it has no account here.
    assert emails(app) == [("login_link", ANA), ("login_link_unknown", NOBODY)]


@pytest.mark.parametrize("stranger", [NOBODY, BO], ids=["unknown address", "contact of an inactive customer"])
def test_asking_for_a_link_runs_the_same_statements_for_a_customer_and_a_stranger(
    app, client, forms, ana, bo, stranger
):
    """The same work, so the time the answer takes does not tell who is a customer either."""
    token = forms.token("/")
    with recorded_statements(app) as known:
        client.post("/link/request", data={"csrf_token": token, "email": ANA})
    with recorded_statements(app) as unknown:
        client.post("/link/request", data={"csrf_token": token, "email": stranger})

    assert known == unknown
    assert any(statement.startswith("INSERT INTO email ") for statement in known)
    with app.app_context():
        stranger_email = db.session.scalar(select(Email).where(Email.to_address == stranger))
        assert stranger_email.kind == "login_link_unknown"
        assert "is not the address of one of our wholesale customers" in stranger_email.text_body
        # No sign-in link: only the way back to the form.
        assert re.findall(r"http://portal\.test/\S*", stranger_email.text_body) == [
            "http://portal.test/link/request"
        ]


@pytest.fixture
def production(app, database_uri):
    """The app as production runs it, its Redis unreachable, its mail server a port that counts connections."""
    smtp = socket.socket()
    smtp.bind(("127.0.0.1", 0))
    smtp.listen(8)
    smtp.setblocking(False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    deployed = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "a-long-random-production-secret-for-the-test",
            "PUBLIC_BASE_URL": "https://orders.hillside.example",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "REDIS_URL": f"redis://127.0.0.1:{closed_port}/0",
            "RATELIMIT_STORAGE_URI": "memory://",  # the limiter is one object shared by every app of the process
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.getsockname()[1],
        }
    )
    yield SimpleNamespace(app=deployed, smtp=smtp)
    smtp.close()
    with deployed.app_context():
        db.session.remove()
        db.engine.dispose()


def smtp_connections(listening: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = listening.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def test_in_production_without_redis_the_link_waits_in_the_outbox_and_no_request_talks_smtp(production, ana):
    deployed = production.app
    assert deployed.config["ENV_NAME"] == "production" and not deployed.config["MAIL_SUPPRESS_SEND"]
    client = deployed.test_client()
    https = {
        "base_url": "https://orders.hillside.example",
        "headers": {"Referer": "https://orders.hillside.example/"},
    }
    token = csrf_from(client.get("/link/request", **https).get_data(as_text=True))
    response = client.post("/link/request", data={"csrf_token": token, "email": ANA}, **https)

    assert response.status_code == 303 and response.headers["Location"] == "/link/requested"
    assert smtp_connections(production.smtp) == 0
    with deployed.app_context():
        [email] = db.session.scalars(select(Email)).all()
        assert (email.kind, email.to_address, email.status, email.attempts) == (
            "login_link",
            ANA,
            "queued",
            0,
        )
        assert "https://orders.hillside.example/link/" in email.text_body


def test_the_emailed_link_signs_in_for_thirty_minutes(app, client, forms, ana):
    with time_machine.travel(T0, tick=False):
        ask_for_link(forms, ANA)
    with app.app_context():
        email = db.session.scalar(select(Email))
        assert email.status == "sent"
        assert email.subject.startswith("Your sign-in link")
        url = re.search(r"http://portal\.test/link/\S+", email.text_body).group(0)
        assert url in email.html_body and "30 minutes" in email.text_body
        assert links.verify(token_of(url), now=T0 + HALF_HOUR - timedelta(seconds=1)).id == ana
        with pytest.raises(links.LinkError):
            links.verify(token_of(url), now=T0 + HALF_HOUR)
    with time_machine.travel(T0 + timedelta(minutes=29), tick=False):
        assert client.get(path_of(url)).status_code == 303
        assert signed_in_contact_id(client) == ana


def test_a_double_tap_sends_one_email(app, forms, ana):
    with time_machine.travel(T0, tick=False):
        ask_for_link(forms, ANA)
        ask_for_link(forms, ANA)
    assert emails(app) == [("login_link", ANA)]


def test_no_link_for_a_contact_of_an_inactive_customer(app, forms, ana):
    with app.app_context():
        db.session.get(Contact, ana).customer.active = False
        db.session.commit()
    response = ask_for_link(forms, ANA)
    assert response.headers["Location"] == "/link/requested"
    assert emails(app) == [("login_link_unknown", ANA)]


def test_a_malformed_address_is_explained_and_sends_nothing(app, forms, ana):
    response = ask_for_link(forms, "ana at bluedoor")
    assert response.status_code == 400
    assert "Enter an email address." in response.get_data(as_text=True)
    assert emails(app) == []


def test_asking_without_a_csrf_token_is_refused(app, client, ana):
    response = client.post("/link/request", data={"email": ANA})
    assert response.status_code == 400
    assert emails(app) == []


def test_the_form_on_a_refused_link_page_posts_over_https(app, client, ana):
    """That page sends only the origin as Referer, which is what Flask-WTF checks on HTTPS."""
    https = "https://portal.test"
    page = client.get("/link/not-a-token", base_url=https).get_data(as_text=True)
    response = client.post(
        "/link/request",
        base_url=https,
        data={"email": ANA, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)},
        headers={"Referer": https + "/"},
    )
    assert response.status_code == 303
    assert emails(app) == [("login_link", ANA)]


def test_three_requests_an_hour_per_address_without_telling_who_is_a_customer(app, client, forms, ana):
    limited = {}
    for address in (ANA, NOBODY):
        for _ in range(3):
            assert ask_for_link(forms, address).status_code == 303
        limited[address] = ask_for_link(forms, address)

    assert limited[ANA].status_code == limited[NOBODY].status_code == 429
    pages = [without_csrf(limited[address].get_data(as_text=True)) for address in (ANA, NOBODY)]
    assert pages[0] == pages[1]
    assert "You can ask again in an hour" in limited[ANA].get_data(as_text=True)
    assert ask_for_link(forms, "someone.else@unknown.example").status_code == 303  # other addresses still may

    with time_machine.travel(datetime.now(timezone.utc) + timedelta(hours=1, minutes=1)):
        assert ask_for_link(forms, ANA).status_code == 303


def test_ten_requests_an_hour_per_client(app, client, forms, ana):
    for n in range(10):
        assert ask_for_link(forms, f"stranger{n}@unknown.example").status_code == 303

    refused = ask_for_link(forms, ANA)
    assert refused.status_code == 429
    assert ("login_link", ANA) not in emails(app)  # a refused request sends nothing, even for a customer

    elsewhere = ask_for_link(forms, ANA, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert elsewhere.status_code == 303
    assert emails(app)[-1] == ("login_link", ANA) and len(emails(app)) == 11


# --- Command line --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "lifetime"), [([], WEEK), (["--purpose", "requested"], HALF_HOUR)])
def test_login_link_command_prints_a_working_link(app, client, runner, ana, args, lifetime):
    with time_machine.travel(T0, tick=False):
        result = runner.invoke(login_link, [ANA.upper(), *args])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://portal.test/link/")
    with app.app_context():
        assert links.verify(token_of(url), now=T0 + lifetime - timedelta(seconds=1)).id == ana
        with pytest.raises(links.LinkError):
            links.verify(token_of(url), now=T0 + lifetime)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert client.get(path_of(url)).status_code == 303
        assert signed_in_contact_id(client) == ana


def test_login_link_command_explains_an_unknown_address(runner):
    result = runner.invoke(login_link, [NOBODY])
    assert result.exit_code == 1
    assert f"no contact has the email {NOBODY}" in result.output


def test_staff_revoke_every_link_of_a_customer_with_one_button(app, staff_client, forms):
    from wholesale.models import Contact, Customer
    from wholesale.services.customers.links import login_url

    with app.app_context():
        customer = Customer(business_name="Revoked Café")
        customer.contacts.append(Contact(name="Ana", email="ana@revoked.example"))
        db.session.add(customer)
        db.session.commit()
        link = login_url(customer.contacts[0], "reminder")
        customer_id = customer.id
    page = staff_client.get(f"/admin/customers/{customer_id}").get_data(as_text=True)
    assert "Revoke all links" in page
    response = forms.post(
        f"/admin/customers/{customer_id}/revoke-links", page=f"/admin/customers/{customer_id}"
    )
    assert response.status_code == 303
    assert "is revoked" in staff_client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Customer, customer_id).token_version == 2
    visitor = app.test_client()
    assert visitor.get(link.replace(app.config["PUBLIC_BASE_URL"], "")).status_code == 400
