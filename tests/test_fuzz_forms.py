"""Every form, fed by hypothesis: whatever arrives, never a 500 and never a half-written order.

The routes come from the URL map and the field names from every form class in the app, so new forms are
fuzzed without editing this file. The client is signed in as staff and as a customer contact at once, with
a valid CSRF token, so requests get past the guards and reach the form code.
"""

from __future__ import annotations

import inspect
import pkgutil
from collections import defaultdict
from decimal import Decimal
from importlib import import_module
from types import SimpleNamespace

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import wholesale
from wholesale.extensions import db
from wholesale.models import (
    Contact,
    Customer,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Product,
    ShippingOption,
    StaffUser,
    Variant,
)
from wholesale.services import staff_links
from wholesale.services.invoicing.issuing import issue_invoice
from wholesale.services.invoicing.tax import TaxedLine, document_totals
from wholesale.services.orders import pricing
from wholesale.services.standing import manage

from .conftest import STAFF_EMAIL, STAFF_PASSWORD, csrf_from, csrf_token
from .factories import sign_in_contact
from .routes import fill_some, routes

# Routes whose whole point is to end the session or to be rate limited are fuzzed elsewhere.
SKIPPED = {"/admin/sign-out", "/admin/sign-in", "/link/request"}
POSTS = [
    (rule, arguments) for method, rule, arguments in routes("") if method == "POST" and rule not in SKIPPED
]

pytestmark = pytest.mark.module_data  # the demo data below is built once for the module


def form_field_names() -> list[str]:
    names = set()
    for module in pkgutil.walk_packages(wholesale.__path__, "wholesale."):
        loaded = import_module(module.name)
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls is not FlaskForm:
                fields = [name for name in dir(cls) if not name.startswith("_") and _is_field(cls, name)]
                names.update(fields)
                # A list of fields (a credit note's quantities) posts its entries as name-0, name-1, …
                names.update(f"{name}-{n}" for name in fields if _is_field_list(cls, name) for n in (0, 1))
    return sorted(names)


def _is_field(cls, name: str) -> bool:
    from wtforms.fields.core import UnboundField

    return isinstance(getattr(cls, name, None), UnboundField)


def _is_field_list(cls, name: str) -> bool:
    from wtforms import FieldList

    return issubclass(getattr(cls, name).field_class, FieldList)


# Fields a form reads by name beside its declared ones: a payment's amount for each open invoice.
FIELDS = form_field_names() + ["allocation-1", "allocation-2", "allocation-3"]
PREFIXES = ["", "variant-", "new-contact-", "new-price-", "contact-1-", "price-1-"]

NASTY = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1.5",
            "1e3",
            "1e999",
            "NaN",
            "-Infinity",
            "99999999999999999999",
            "0x10",
            "٣",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "\x00",
            "2026-02-30",
            "9999-12-31",
            "25:61",
            "None",
            "true",
        ]
    ),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.just("x" * 20_000),
)
FORM_DATA = st.dictionaries(
    st.builds(lambda prefix, name: prefix + name, st.sampled_from(PREFIXES), st.sampled_from(FIELDS)),
    NASTY,
    max_size=8,
)


def build_demo(app) -> dict:
    """The demo roastery, a staff member and a customer contact signed in on one client; what a test needs
    of it: the ids to post to, the page's CSRF token and the session cookie carrying both sign-ins."""
    with app.app_context():  # first, as the staff fixture did before the seed
        staff = StaffUser(email=STAFF_EMAIL, name="Sam", role="owner")  # an owner reaches the team's forms
        staff.set_password(STAFF_PASSWORD)
        # A colleague invited and not yet signed in: the team's forms act on them.
        colleague = StaffUser(email="lee@hillside.example", name="Lee", role="staff", password_hash=None)
        db.session.add_all([staff, colleague])
        db.session.commit()
        colleague_id = colleague.id
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = app.test_client()
    signed_in = client.post(
        "/admin/sign-in",
        data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert signed_in.status_code == 303, signed_in.status_code
    with app.app_context():
        invitation = staff_links.make_token(db.session.get(StaffUser, colleague_id), "invitation")
    # Lee's invitation opened in this browser too: the set-password form gets past its link check.
    assert client.get(f"/admin/password/{invitation}").status_code == 303
    with app.app_context():
        contact = db.session.scalar(select(Contact).order_by(Contact.id))
        sign_in_contact(client, contact)
    page = client.get("/order?second=1")  # a draft, even when the demo's contact has ordered this week
    assert page.status_code == 200
    with app.app_context():
        customer = db.session.get(Customer, contact.customer_id)
        source = db.session.scalar(
            select(Order).where(Order.customer_id == customer.id, Order.status != "draft")
        )
        option = db.session.scalar(
            select(ShippingOption).where(ShippingOption.active).order_by(ShippingOption.id)
        )
        standing = manage.make_standing(
            customer, source, 2, option.weekdays[0], option.id, "staff: Sam"
        ).standing  # the customer's standing order, which the portal's and the staff's standing forms change
        draft = db.session.scalar(
            select(Order).where(Order.status == "draft", Order.customer_id == contact.customer_id)
        )
        ids = {
            "order_id": draft.id,
            "line_id": draft.lines[0].id if draft.lines else 1,
            "customer_id": contact.customer_id,
            "contact_id": contact.id,
            "product_id": db.session.scalar(select(func.min(Product.id))),
            "variant_id": db.session.scalar(select(func.min(Variant.id))),
            "option_id": db.session.scalar(select(func.min(ShippingOption.id))),
            "standing_id": standing.id,
            "invoice_id": _an_invoice(),
            "staff_id": colleague_id,
        }
    return {
        "token": csrf_from(page.get_data(as_text=True)),
        "ids": ids,
        "cookie": client.get_cookie("session").value,
    }


def _an_invoice() -> int:
    """An invoice of one of the demo's approved orders (the demo makes orders, not invoices), to credit."""
    order = db.session.scalar(select(Order).where(Order.status == "approved").order_by(Order.id))
    invoice = issue_invoice(order, None)
    db.session.commit()
    return invoice.id


@pytest.fixture
def world(app, module_database):
    """The demo roastery with a staff member and a customer contact signed in on the test's client.

    Built once for the module (module_data): every test fuzzes one route and may change anything it can
    reach (place the draft, remove the contact, revoke its links…), so the rows are put back as built after
    each test that changed them, and each test's client starts from the session cookie of the build: every
    route is fuzzed from the same state, whatever ran before it, as when each test seeded its own.
    """
    demo = module_database.build_once(lambda: build_demo(app))
    client = app.test_client()
    client.set_cookie("session", demo["cookie"])
    yield {**demo, "client": client}
    module_database.put_back()


def fill_ids(rule: str, arguments, ids: dict) -> str:
    return fill_some(rule, {name: ids.get(name, 1) for name in arguments})


def assert_orders_consistent() -> None:
    """Every order's stored totals are what its lines say (no half-applied edit), lines are sane.

    It runs after every example (some 760 times a pass), so it reads plain rows, not ORM objects: building
    every order and invoice with its lines each time was most of this module's time. The totals are still
    worked out by the app's own ``pricing.order_totals`` and ``document_totals``, from the same columns.
    """
    order_lines = defaultdict(list)
    for order_id, unit_price, quantity in db.session.execute(
        select(OrderLine.order_id, OrderLine.unit_price, OrderLine.quantity)
    ):
        order_lines[order_id].append(SimpleNamespace(unit_price=unit_price, quantity=quantity))
    orders = db.session.execute(
        select(
            Order.id,
            Order.subtotal,
            Order.total,
            Order.discount_percent,
            Order.discount_amount,
            Order.shipping_fee,
        )
    ).all()
    for order in orders:
        # order_totals reads only these; another attribute it came to need would fail here, loudly.
        totals = pricing.order_totals(
            SimpleNamespace(
                lines=order_lines[order.id],
                discount_percent=order.discount_percent,
                discount_amount=order.discount_amount,
                shipping_fee=order.shipping_fee,
            )
        )
        assert (order.subtotal, order.total) == (totals.subtotal, totals.total), order
        assert order.total >= Decimal("0")
    assert db.session.scalar(select(func.count()).where(OrderLine.quantity <= 0)) == 0
    invoice_lines = defaultdict(list)
    for invoice_id, *line in db.session.execute(
        select(
            InvoiceLine.invoice_id,
            InvoiceLine.amount,
            InvoiceLine.discount,
            InvoiceLine.tax_rate,
            InvoiceLine.tax,
            InvoiceLine.is_shipping,
        )
    ):
        invoice_lines[invoice_id].append(TaxedLine(*line))
    invoices = db.session.execute(  # and credit notes
        select(
            Invoice.id,
            Invoice.prices_include_tax,
            Invoice.subtotal,
            Invoice.discount,
            Invoice.shipping,
            Invoice.tax,
            Invoice.total,
        )
    ).all()
    for invoice in invoices:
        totals = document_totals(invoice_lines[invoice.id], invoice.prices_include_tax)
        assert (totals.subtotal, totals.discount, totals.shipping, totals.tax, totals.total) == (
            invoice.subtotal,
            invoice.discount,
            invoice.shipping,
            invoice.tax,
            invoice.total,
        ), invoice
    assert db.session.scalar(select(func.count()).select_from(Customer)) >= 12


def test_every_form_field_is_known():
    assert len(FIELDS) > 20, FIELDS


@pytest.mark.parametrize(("rule", "arguments"), POSTS, ids=[rule for rule, _ in POSTS])
def test_no_input_makes_a_500_or_a_half_written_order(app, world, rule, arguments):
    path = fill_ids(rule, arguments, world["ids"])
    client = world["client"]

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(data=FORM_DATA, htmx=st.booleans())
    def post(data, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(path, data={**data, "csrf_token": world["token"]}, headers=headers)
        assert response.status_code < 500, (path, data, response.status_code)
        with app.app_context():
            assert_orders_consistent()

    post()
