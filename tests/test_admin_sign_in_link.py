"""Staff make a one-off sign-in link for a contact on the customer's page, to paste into a text message: it
signs in exactly that contact, for LINK_TTL_STAFF_SECONDS, until every link is revoked, and the customer's
history says who made it for whom (never the link itself)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine

from tests.conftest import every_row
from tests.link_helpers import path_of, signed_in_contact_id, token_of
from wholesale.models import CustomerEvent
from wholesale.services.customers import links

from .customer_helpers import *  # noqa: F403

DAY = timedelta(hours=24)
T0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # Monday 09:00 in Los Angeles (PST)


@pytest.fixture(autouse=True)
def monday():
    """The whole test at T0, staff's sign-in included (a session signed later than the requests that carry it
    is refused)."""
    with time_machine.travel(T0, tick=False):
        yield


def link_in(html: str) -> str:
    match = re.search(r'<input type="text" id="sign-in-link-url-\d+" value="([^"]+)" readonly', html)
    assert match, "no sign-in link box on the page"
    return unescape(match.group(1))


def make_link(forms, customer_id: int, contact_id: int, **kwargs):
    page = f"/admin/customers/{customer_id}"
    return forms.post(f"{page}/contacts/{contact_id}/sign-in-link", page=page, **kwargs)


def test_the_customer_page_offers_a_sign_in_link_per_contact(staff_client, blue_door, ana):
    page = text(staff_client.get(f"/admin/customers/{blue_door}"))
    assert f'action="/admin/customers/{blue_door}/contacts/{ana}/sign-in-link"' in page
    assert "Sign-in link for Ana Ruiz</button>" in page
    assert "History" in page and "Nothing yet" in page


def test_the_link_signs_in_exactly_that_contact(app, staff_client, forms, blue_door, ana):
    page = f"/admin/customers/{blue_door}"
    bea = contact_data(name="Bea Lim", email="bea@bluedoor.example")
    assert forms.post(f"{page}/contacts", bea, page=page).status_code == 303
    response = make_link(forms, blue_door, ana)

    html = text(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    url = link_in(html)
    assert url.startswith("http://portal.test/link/")
    assert '<label for="sign-in-link-url-' in html and "Sign-in link for Ana Ruiz</label>" in html
    assert "Signs in Ana Ruiz (ana@bluedoor.example) for Blue Door Café, until " in html
    assert 'data-copy="sign-in-link-url-' in html and ">Copy</button>" in html
    assert "<script" not in html.split("</head>")[1]  # the Copy button is app.js's (CSP: no inline scripts)

    customer = app.test_client()
    opened = customer.get(path_of(url))
    assert opened.status_code == 303 and opened.headers["Location"] == "/order"
    assert signed_in_contact_id(customer) == ana


def test_the_link_lasts_its_lifetime_and_no_longer(app, staff_client, forms, blue_door, ana):
    html = text(make_link(forms, blue_door, ana))
    token = token_of(link_in(html))
    # 24 hours in the roastery's zone (Los Angeles): Tuesday 09:00.
    assert "until Tue 03 Mar 2026, 09:00 (America/Los_Angeles)" in html
    with app.app_context():
        assert links.verify(token, now=T0 + DAY - timedelta(seconds=1)).id == ana
        with pytest.raises(links.LinkError) as refused:
            links.verify(token, now=T0 + DAY)
        assert refused.value.reason == "expired"

    late = app.test_client()
    with time_machine.travel(T0 + DAY, tick=False):
        assert late.get(f"/link/{token}").status_code == 410
    assert signed_in_contact_id(late) is None


def test_the_lifetime_is_a_setting(app, staff_client, forms, blue_door, ana, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_TTL_STAFF_SECONDS", 3600)
    html = text(make_link(forms, blue_door, ana))
    assert "until Mon 02 Mar 2026, 10:00" in html
    with app.app_context():
        with pytest.raises(links.LinkError):
            links.verify(token_of(link_in(html)), now=T0 + timedelta(hours=1))


def test_revoking_every_link_ends_it(app, staff_client, forms, blue_door, ana):
    url = link_in(text(make_link(forms, blue_door, ana)))
    page = f"/admin/customers/{blue_door}"
    assert forms.post(f"{page}/revoke-links", page=page).status_code == 303

    customer = app.test_client()
    assert customer.get(path_of(url)).status_code == 400
    assert signed_in_contact_id(customer) is None
    with app.app_context():
        with pytest.raises(links.LinkError) as refused:
            links.verify(token_of(url))
        assert refused.value.reason == "revoked"
    history = text(staff_client.get(page)).split('id="history-heading"')[1]
    assert "Every sign-in link revoked" in history and "Sam" in history


def test_another_customers_contact_is_not_found(app, staff_client, forms, blue_door, corner_shop):
    before = every_row(app)
    assert make_link(forms, blue_door, corner_shop["contact"]).status_code == 404
    assert make_link(forms, blue_door, 999_999).status_code == 404
    assert every_row(app) == before  # no link, no history entry


def test_an_inactive_customer_gets_no_link(app, staff_client, forms, blue_door, ana):
    with app.app_context():
        db.session.get(Customer, blue_door).active = False
        db.session.commit()
    assert "Sign-in link for Ana Ruiz</button>" not in text(staff_client.get(f"/admin/customers/{blue_door}"))
    before = every_row(app)

    response = make_link(forms, blue_door, ana)

    assert response.status_code == 303
    assert "inactive, so a sign-in link would not work" in text(
        staff_client.get(response.headers["Location"])
    )
    assert every_row(app) == before


def test_the_history_says_who_made_a_link_for_whom_until_when(app, staff_client, forms, blue_door, ana):
    make_link(forms, blue_door, ana)

    history = text(staff_client.get(f"/admin/customers/{blue_door}")).split('id="history-heading"')[1]
    row = re.search(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", history, re.S)
    assert row.groups() == (
        "Mon 02 Mar 2026, 09:00",  # the roastery's time
        "Sam",
        "Sign-in link made for Ana Ruiz (ana@bluedoor.example), valid until Tue 03 Mar 2026, 09:00",
    )
    with app.app_context():
        event = db.session.scalar(select(CustomerEvent))
        assert (event.customer_id, event.contact_id, event.kind) == (blue_door, ana, "sign_in_link_made")
        assert event.staff_user.name == "Sam"


def test_the_token_is_stored_nowhere(app, staff_client, forms, blue_door, ana):
    token = token_of(link_in(text(make_link(forms, blue_door, ana))))
    signature = token.rsplit(".", 1)[1]
    stored = repr(every_row(app))
    assert token not in stored and signature not in stored


def test_htmx_shows_the_link_in_place_and_the_history_out_of_band(app, staff_client, forms, blue_door, ana):
    response = make_link(forms, blue_door, ana, headers={"HX-Request": "true"})

    html = text(response)
    assert response.status_code == 200
    assert "<html" not in html and "<h1>" not in html
    assert link_in(html).startswith("http://portal.test/link/")
    assert '<section class="card" id="history" aria-labelledby="history-heading" hx-swap-oob="true">' in html
    assert "Sign-in link made for Ana Ruiz" in html


def test_a_removed_contact_keeps_the_history_entry(app, staff_client, forms, blue_door, ana):
    make_link(forms, blue_door, ana)
    page = f"/admin/customers/{blue_door}"
    assert forms.post(f"{page}/contacts/{ana}/remove", page=page).status_code == 303
    assert "Sign-in link made for Ana Ruiz (ana@bluedoor.example)" in text(staff_client.get(page))
    with app.app_context():
        assert db.session.scalar(select(CustomerEvent.contact_id)) is None
