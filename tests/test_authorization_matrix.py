"""Who may reach what: every route of the app, portal and staff, for every kind of visitor, in one table.

    route                      no session        customer (own ids)   customer, another's ids   staff           owner
    public (links, sign-in,    answers           answers              answers                   answers         answers
      password links…)
    portal, by order, invoice  start page        allowed              404 ¹                     start page      start page
      or standing order id
    portal, no id (/order…)    start page        allowed              sees only their own       start page      start page
    staff (/admin/…)           staff sign-in ²   staff sign-in        staff sign-in             allowed         allowed
    owner only (/admin/team,   staff sign-in     staff sign-in        staff sign-in             403             allowed
      /admin/settings)

"staff" is a staff member who is not an owner; "owner" may do everything. The routes come from the app's URL
map: a new route falls into its row without editing this file (a route under an ``OWNER_ONLY`` prefix is
owner only, /admin/settings included once it exists), and a route this table cannot place fails loudly. Every request carries a valid CSRF token for its session, so
what answers is the authorization, not the CSRF check; POSTs go plain and as htmx fragments; a refused
request changes nothing in the database. Every answer also carries the security headers and no inline code
(test_security_headers.py).

¹ proven in test_portal_access.py (three order states, with and without htmx), for standing orders in
test_standing_pages.py; ² in test_staff_auth.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from wholesale.extensions import db, limiter
from wholesale.models import (
    ClosedDate,
    CustomerPrice,
    Payment,
    PaymentAllocation,
    ReminderSend,
    StaffUser,
    StandingDelivery,
    StandingOrder,
    StandingOrderLine,
)
from wholesale.services import customers, reminders, staff_links
from wholesale.services.invoicing.issuing import issue_invoice
from wholesale.services.mail.outbox import queue_email
from wholesale.services.orders.history import Actor
from wholesale.services.production.runs import create_run
from wholesale.services.standing.skips import skip_purpose

from .conftest import STAFF_EMAIL, STAFF_PASSWORD, csrf_token, every_row, sign_in_staff
from .factories import make_catalog, make_customer, make_order, make_shipping, sign_in_contact
from .routes import fill, routes
from .test_portal_access import PUBLIC as PUBLIC_PORTAL
from .test_security_headers import assert_no_inline_code, assert_safe_headers

PUBLIC = PUBLIC_PORTAL | {
    "/healthz",
    "/ping",
    "/admin/sign-in",
    "/admin/sign-out",
    "/admin/forgot-password",
    "/admin/password/<token>",
    "/admin/password",
    "/logo/<version>",
}
# Pages for owners only: the team, and the roastery's settings.
OWNER_ONLY = ("/admin/team", "/admin/settings")
ROUTES = routes("")

pytestmark = pytest.mark.module_data  # the world below is built once for the module


def kind_of(rule: str, arguments: tuple[str, ...]) -> str:
    if rule in PUBLIC:
        return "public"
    if any(rule == prefix or rule.startswith(prefix + "/") for prefix in OWNER_ONLY):
        return "owner only"
    if rule.startswith("/admin/"):
        return "staff"
    if {"order_id", "invoice_id", "standing_id"} & set(arguments):
        return "portal by id"
    assert not arguments, f"{rule}: a portal route with ids this table cannot place"
    return "portal, own data"


# What each visitor gets, per kind of route; None: proven in another file (see the docstring).
MATRIX = {
    "public": {
        "anonymous": "answers",
        "customer": "answers",
        "another's ids": None,
        "staff": "answers",
        "owner": "answers",
    },
    "portal by id": {
        "anonymous": "start page",
        "customer": "allowed",
        "another's ids": None,
        "staff": "start page",
        "owner": "start page",
    },
    "portal, own data": {
        "anonymous": "start page",
        "customer": "allowed",
        "another's ids": "own data only",
        "staff": "start page",
        "owner": "start page",
    },
    "staff": {
        "anonymous": None,
        "customer": "staff sign-in",
        "another's ids": "staff sign-in",
        "staff": "allowed",
        "owner": "allowed",
    },
    "owner only": {
        "anonymous": "staff sign-in",
        "customer": "staff sign-in",
        "another's ids": "staff sign-in",
        "staff": "forbidden",
        "owner": "allowed",
    },
}
REFUSALS = ("start page", "staff sign-in", "forbidden")
# A form body with every field a POST here might read; authorization comes before any of it.
PAYLOAD = {
    "quantity": "2",
    "variant_id": "1",
    "idempotency_key": "k" * 32,
    "notes": "matrix",
    "email": "ana@bluedoor.example",
    "name": "Matrix",
    "reason": "matrix",
    "kind": "coffee",
    "price": "1.00",
    "unit_price": "1.00",
    "order_ids": "1",
    "keep_id": "1",
    "roast_date": "2030-01-01",
    "week": date.today().isoformat(),
    "customer_id": "1",
    "role": "staff",
}


@dataclass
class World:
    own: dict[str, object]  # Blue Door's ids, for its own contact
    rivals: dict[str, object]  # Rival Roasters' ids
    rival_numbers: list[str]  # what must never appear on Blue Door's pages
    owner_id: int
    staff_id: int  # a staff member who is not an owner


def build_world(app) -> World:
    with app.app_context():
        staff = StaffUser(email=STAFF_EMAIL, name="Sam", role="owner")
        staff.set_password(STAFF_PASSWORD)
        colleague = StaffUser(email="lee@hillside.example", name="Lee", role="staff")
        colleague.set_password("another kettle of crema")
        invited = StaffUser(email="kai@hillside.example", name="Kai", role="staff", password_hash=None)
        db.session.add_all([staff, colleague, invited])
        variants = make_catalog(coffees=2)
        option = make_shipping()
        blue = make_customer("Blue Door Café", reminders_enabled=True)
        make_order(blue, [(variants[0], 3)])
        blue_pending = make_order(blue, [(variants[1], 2)], status="pending")
        rival = make_customer("Rival Roasters", contacts=2)
        rival_pending = make_order(rival, [(variants[2], 5)], status="pending")
        rival_approved = make_order(
            rival, [(variants[3], 1)], status="approved", roast_date=date.today() + timedelta(days=3)
        )
        price = CustomerPrice(customer=rival, variant=variants[0], price=variants[0].price - 1)
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        send = ReminderSend(customer_id=blue.id, occurrence_at=an_hour_ago, outcome="sent", skip_reason="")
        db.session.add_all([price, send])
        email = queue_email(
            kind="staff-test",
            dedupe_key="matrix",
            to_address="c0@rivalroasters.example",
            subject="For Rival",
            template="staff_test",
            context={"name": "Rival"},
            customer_id=rival.id,
        )
        closed = ClosedDate(day=date.today() + timedelta(days=30), note="Holiday")
        first = date.today() + timedelta(days=14 - date.today().weekday())  # a Monday two weeks or less ahead
        standing = StandingOrder(customer=blue, shipping_option=option, every_weeks=1, first_delivery=first)
        standing.lines.append(StandingOrderLine(variant=variants[0], quantity=2))
        delivery = StandingDelivery(standing_order=standing, delivery_date=first, reason="")
        rival_standing = StandingOrder(
            customer=rival, shipping_option=option, every_weeks=2, first_delivery=first
        )
        rival_standing.lines.append(StandingOrderLine(variant=variants[2], quantity=1))
        db.session.add_all([closed, standing, delivery, rival_standing])
        blue_invoice = issue_invoice(make_order(blue, [(variants[2], 1)], status="approved"), None)
        rival_invoice = issue_invoice(rival_approved, None)
        db.session.commit()
        run = create_run(rival_approved.roast_date, [rival_approved.id], Actor(staff_id=staff.id))
        rival_payment = Payment(
            customer_id=rival.id,
            received_on=date.today(),
            amount=Decimal("25.00"),
            method="cash",
            reference="",
        )
        rival_payment.allocations.append(
            PaymentAllocation(invoice_id=rival_invoice.id, amount=Decimal("20.00"))
        )
        db.session.add(rival_payment)
        db.session.commit()
        contact = blue.contacts[0]
        week = datetime.now(UTC) + timedelta(days=7)
        common = {  # ids every visitor uses alike: the catalog, links, the staff-only records
            "token": urlsplit(customers.links.login_url(contact, "reminder")).path.rsplit("/", 1)[1],
            "no-order token": customers.links.make_token(
                contact, reminders.dispatch.no_order_purpose(send.id), week
            ),
            "reminder_id": send.id,
            "skip token": customers.links.make_token(contact, skip_purpose(delivery.id), week),
            "delivery_id": delivery.id,
            "filename": "app.css",
            "product_id": variants[0].product_id,
            "variant_id": variants[0].id,
            "option_id": option.id,
            "closed_id": closed.id,
            "price_id": price.id,
            "email_id": email.id,
            "run_id": run.id,
            "run order_id": rival_approved.id,
            "payment_id": rival_payment.id,
            "staff_id": colleague.id,  # the owner acts on Lee
            "password token": staff_links.make_token(invited, "invitation"),
        }
        own = {
            **common,
            "invoice_id": blue_invoice.id,
            "order_id": blue_pending.id,
            "line_id": blue_pending.lines[0].id,
            "customer_id": blue.id,
            "contact_id": contact.id,
            "standing_id": standing.id,
        }
        rivals = {
            **common,
            "invoice_id": rival_invoice.id,
            "order_id": rival_pending.id,
            "line_id": rival_pending.lines[0].id,
            "customer_id": rival.id,
            "contact_id": rival.contacts[1].id,
            "standing_id": rival_standing.id,
        }
        rival_numbers = [rival_pending.number, rival_approved.number, rival_invoice.number]
        assert blue_invoice.number not in rival_numbers
        return World(own, rivals, rival_numbers, staff.id, colleague.id)


@pytest.fixture
def world(app, module_database) -> World:
    """Blue Door Café and Rival Roasters with orders, a price, a run, a reminder, an email, an owner, a staff
    member who is not one, and a colleague invited.

    Built once for the module (module_data): every test reads it, and a test whose allowed requests changed
    it (a staff POST approving an order, the customer's order page making a draft…) has it put back as built
    before the next test. Refused requests change nothing (asserted by the test).
    """
    yield module_database.build_once(lambda: build_world(app))
    module_database.put_back()


def path_for(rule: str, arguments: tuple[str, ...], ids: dict) -> str:
    values = {name: ids[name] for name in arguments if name != "version"}
    if "/logo/" in rule:
        values["version"] = "0" * 16  # no such logo: a public 404
    if "/production/" in rule and "order_id" in arguments:
        values["order_id"] = ids["run order_id"]  # an order of that run
    if "/no-order/" in rule:
        values["token"] = ids["no-order token"]
    if "/skip/" in rule:
        values["token"] = ids["skip token"]
    if rule.startswith("/admin/password/"):
        values["token"] = ids["password token"]
    return fill(rule.replace("<path:", "<"), **values)


@dataclass
class Visitor:
    name: str
    client: object
    ids: dict

    def send(self, method: str, path: str, htmx: bool = False):
        headers = {"HX-Request": "true"} if htmx else {}
        data = None
        if method == "POST":
            token = csrf_token(self.client)
            data = {**PAYLOAD, "csrf_token": token}
            headers["X-CSRFToken"] = token
        response = self.client.open(path, method=method, data=data, headers=headers)
        response.get_data()  # read it all, and let go of a streamed static file
        response.close()
        assert_safe_headers(response, path)
        assert_no_inline_code(response, path)
        return response


def visitors(app, world: World) -> dict[str, Visitor]:
    customer = app.test_client()
    with app.app_context():
        from wholesale.models import Contact

        sign_in_contact(customer, db.session.get(Contact, world.own["contact_id"]))
    staff, owner = app.test_client(), app.test_client()
    sign_in_staff(staff, world.staff_id)
    sign_in_staff(owner, world.owner_id)
    return {
        "anonymous": Visitor("anonymous", app.test_client(), world.own),
        "customer": Visitor("customer", customer, world.own),
        "another's ids": Visitor("another's ids", customer, world.rivals),
        "staff": Visitor("staff", staff, world.rivals),
        "owner": Visitor("owner", owner, world.rivals),
    }


def outcome(response) -> str:
    """What the visitor got, in the table's words."""
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith("/admin/sign-in"):
        return "staff sign-in"
    if response.status_code in (301, 302, 303) and location == "/":
        return "start page"
    if response.status_code == 404:
        return "404"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code >= 500 or response.status_code in (401, 403, 405):
        return f"error {response.status_code}"
    return "allowed"


def test_every_route_has_a_row():
    kinds = {kind_of(rule, arguments) for _, rule, arguments in ROUTES}
    assert kinds == set(MATRIX) and len(ROUTES) >= 80


@pytest.mark.parametrize(("method", "rule", "arguments"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_the_matrix(app, world, module_database, method, rule, arguments):
    row = MATRIX[kind_of(rule, arguments)]
    people = visitors(app, world)
    before = every_row(app)

    refusals = [(who, expected) for who, expected in row.items() if expected in REFUSALS]
    for who, expected in refusals:
        visitor = people[who]
        path = path_for(rule, arguments, visitor.ids)
        for htmx in (False, True):
            response = visitor.send(method, path, htmx)
            assert outcome(response) == expected, (who, method, path, htmx, response.status_code)
    assert every_row(app) == before, "a refused request changed the database"

    for who, expected in row.items():
        if expected in REFUSALS or expected is None:
            continue
        visitor = people[who]
        path = path_for(rule, arguments, visitor.ids)
        module_database.put_back()  # each allowed visitor finds the world as built, whatever the last one did
        limiter.reset()  # three visitors asking for a link is not what this test is about
        response = visitor.send(method, path)
        if expected == "answers":
            assert response.status_code < 500 and response.status_code != 403, (who, method, path)
        else:
            assert outcome(response) == "allowed", (
                who,
                method,
                path,
                response.status_code,
                response.headers.get("Location"),
            )
        if expected == "own data only":
            page = response.get_data()  # bytes: a page or a PDF
            assert not [number for number in world.rival_numbers if number.encode() in page], (who, path)
