"""Ids in URLs and forms follow one rule (wholesale/converters.py): ASCII digits without a leading zero, from
1 to the database integer's largest value. Anything else in a URL is no address (404, never a 500 from a
database asked to compare a number it cannot hold); in a form it is the field's own "choose from the list"."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from wholesale.converters import MAX_ID, parse_id
from wholesale.extensions import db
from wholesale.forms import IdField

from .factories import make_customer
from .routes import routes

IDS = [
    ("1", 1),
    ("42", 42),
    (str(2**31 - 1), 2**31 - 1),
    ("0", None),
    (str(2**31), None),
    ("9999999999", None),  # ten digits, like MAX_ID, but more
    ("99999999999", None),
    ("9" * 5000, None),  # past the length Python refuses to read as an int
    ("-1", None),
    ("007", None),  # one address per row: no leading zeros
    ("1.0", None),
    ("1e3", None),
    ("0x10", None),
    ("abc", None),
    ("٣", None),  # a non-ASCII digit, which int() would read as 3
    ("", None),
]


def test_the_largest_id_is_the_database_integers():
    assert MAX_ID == 2**31 - 1


@pytest.mark.parametrize(("raw", "expected"), IDS)
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), IDS)
def test_the_id_converter_routes_ids_and_nothing_else(app, raw, expected):
    adapter = app.url_map.bind("portal.test")
    if expected is None:
        with pytest.raises(NotFound):
            adapter.match(f"/admin/customers/{raw}", method="GET")
    else:
        assert adapter.match(f"/admin/customers/{raw}", method="GET") == (
            "admin.customer",
            {"customer_id": expected},
        )


def test_urls_are_built_with_the_converter(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("admin.customer", customer_id=2**31 - 1) == f"/admin/customers/{2**31 - 1}"


@pytest.mark.parametrize("raw", ["0", str(2**31), "99999999999999999999", "-1", "007", "abc"])
def test_out_of_range_and_garbled_ids_answer_404(app, staff_client, raw):
    with app.app_context():
        customer_id = make_customer().id
        db.session.commit()
    assert staff_client.get(f"/admin/customers/{customer_id}").status_code == 200
    for path in (
        f"/admin/customers/{raw}",
        f"/admin/customers/{raw}/reminders",
        f"/admin/products/{raw}",
        f"/admin/emails/{raw}",
        f"/admin/production/{raw}",
    ):
        assert staff_client.get(path).status_code == 404, path


def test_the_largest_id_is_looked_up_and_not_found(staff_client):
    # Sent to the database (on PostgreSQL too) and simply not there.
    for path in (
        "/admin/customers",
        "/admin/products",
        "/admin/variants",
        "/admin/emails",
        "/admin/production",
    ):
        assert staff_client.get(f"{path}/{2**31 - 1}").status_code == 404, path


def test_every_route_id_uses_the_converter():
    for _, rule, _ in routes(""):
        assert "<int:" not in rule, rule


class _Form:
    """The smallest form to drive one IdField through WTForms' processing."""

    def __init__(self, values):
        from wtforms import Form

        class One(Form):
            picked = IdField(message="Choose one from the list.")

        self.form = One(MultiDict([("picked", v) for v in values]))


@pytest.mark.parametrize(("raw", "expected"), IDS)
def test_the_id_field_reads_ids_as_the_converter_does(raw, expected):
    form = _Form([raw]).form
    assert form.validate() == (expected is not None or raw == "")
    assert form.picked.data == expected
    if expected is None and raw != "":
        assert form.picked.errors == ["Choose one from the list."]


def test_the_id_field_takes_one_value():
    form = _Form(["1", "2"]).form
    assert not form.validate() and form.picked.data is None
