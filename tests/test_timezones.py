"""Time zones are chosen from one searchable list of IANA zones (a datalist, no JavaScript needed), and the
server accepts exactly that list."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from wholesale.services.zones import canonical_timezone, zone_names

from .customer_helpers import *  # noqa: F403


def test_the_list_holds_the_current_zones_sorted_and_utc():
    names = zone_names()
    assert {"Europe/London", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland", "UTC"} <= set(names)
    assert list(names) == sorted(names) and len(set(names)) == len(names)
    assert len(names) > 300
    for name in names:
        ZoneInfo(name)  # each one is a zone the system can read


def test_the_list_leaves_out_the_compatibility_aliases():
    names = set(zone_names())
    assert not names & {"US/Pacific", "Canada/Eastern", "Etc/GMT+5", "EST5EDT", "Japan", "GMT", "localtime"}
    assert all("/" in name for name in names - {"UTC"})


def test_a_typed_zone_is_accepted_only_from_the_list():
    assert canonical_timezone(" europe/london ") == "Europe/London"
    assert canonical_timezone("UTC") == "UTC"
    for refused in ("Mars/Olympus", "US/Pacific", "Etc/GMT+5", "../../etc/passwd", "", None):
        assert canonical_timezone(refused) is None


def test_the_customer_form_offers_the_zones_in_a_datalist(app, staff_client, blue_door):
    for url in ("/admin/customers/new", f"/admin/customers/{blue_door}/edit"):
        page = text(staff_client.get(url))
        field = re.search(r'<input[^>]*id="reminder_timezone"[^>]*>', page).group(0)
        assert 'list="reminder-timezones"' in field and 'type="text"' in field
        assert '<label for="reminder_timezone">Time zone</label>' in page
        datalist = re.search(r'<datalist id="reminder-timezones">(.*?)</datalist>', page, re.S).group(1)
        assert re.findall(r'<option value="([^"]+)"></option>', datalist) == list(zone_names())
        assert "pick it from the list" in page


def test_the_customer_form_refuses_a_zone_not_in_the_list(app, staff_client, forms, blue_door):
    for zone in ("Mars/Olympus", "US/Pacific"):
        response = forms.post(f"/admin/customers/{blue_door}/edit", customer_data(reminder_timezone=zone))
        assert response.status_code == 400
        assert error_beside(text(response), "reminder_timezone").startswith(
            "That is not a time zone we know."
        )
        assert 'list="reminder-timezones"' in text(response)  # the list is offered again
    with app.app_context():
        assert db.session.get(Customer, blue_door).reminder_timezone == "America/Los_Angeles"


def test_the_customer_form_saves_a_zone_from_the_list(app, staff_client, forms, blue_door):
    response = forms.post(
        f"/admin/customers/{blue_door}/edit", customer_data(reminder_timezone="europe/london")
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Customer, blue_door).reminder_timezone == "Europe/London"
