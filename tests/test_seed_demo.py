"""``flask --app wsgi seed-demo``: a believable roastery, the same on every run, and never twice."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import (
    Contact,
    Customer,
    CustomerPrice,
    Order,
    Product,
    ProductionRun,
    ShippingOption,
    StaffUser,
    Variant,
    utcnow,
)
from wholesale.services.orders import pricing

NOTHING = "Demo data already present; nothing added."


def seed(runner, *args: str) -> str:
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


@pytest.fixture
def seeded(runner, app):
    output = seed(runner)
    assert output.startswith("Seeded ") and "12 customers" in output, output
    with app.app_context():
        yield output
        db.session.remove()


def test_catalog_has_coffees_in_bag_sizes_and_a_retired_item(seeded):
    products = db.session.scalars(select(Product)).all()
    coffees = [p for p in products if p.kind == "coffee"]
    others = [p for p in products if p.kind == "other"]
    assert len([c for c in coffees if not c.retired]) >= 8
    assert 1 <= len(others) <= 2
    for coffee in coffees:
        assert 2 <= len(coffee.variants) <= 3, coffee.name
        assert 12 <= coffee.roast_loss_percent <= 18, coffee.name
    assert all(p.roast_loss_percent is None and p.variants for p in others)
    assert any("Decaf" in c.name for c in coffees)
    variants = db.session.scalars(select(Variant)).all()
    assert len({v.sku for v in variants}) == len(variants)
    assert all(v.price > 0 and v.net_weight_g > 0 for v in variants)
    assert {v.net_weight_g for v in variants} >= {340, 907, 2268}
    assert any(p.retired for p in products), "a retired product"
    assert any(v.retired_at is not None and not v.product.retired for v in variants), "a retired variant"
    options = db.session.scalars(select(ShippingOption).order_by(ShippingOption.position)).all()
    assert len(options) == 3 and sorted(o.fee for o in options)[0] == 0 and max(o.fee for o in options) > 0


def test_customers_contacts_and_staff(seeded):
    customers = db.session.scalars(select(Customer)).all()
    assert len(customers) == 12
    for customer in customers:
        assert 1 <= len(customer.contacts) <= 3, customer.business_name
        assert customer.delivery_address and customer.default_shipping_option is not None
        ZoneInfo(customer.reminder_timezone)
    enabled = [c for c in customers if c.reminders_enabled]
    assert len(enabled) >= 9
    assert {c.reminder_timezone for c in enabled} - {"America/Los_Angeles"}, "another time zone"
    assert sum(c.reminder_timezone == "America/Los_Angeles" and c.reminder_weekday == 6 for c in enabled) >= 8
    assert any(c.discount_percent > 0 for c in customers)
    assert db.session.scalar(select(func.count()).select_from(CustomerPrice)) >= 3

    emails = db.session.scalars(select(Contact.email)).all()
    assert len(emails) == len(set(emails))
    assert all(e == e.lower() and e.endswith(".example") for e in emails)
    receiving = db.session.scalars(select(Contact.receives_reminders)).all()
    assert sum(receiving) > len(receiving) / 2

    owner = db.session.scalar(select(StaffUser).where(StaffUser.email == "owner@hillside.example"))
    assert owner.name == "Olivia (owner)" and owner.check_password("roastery-demo")
    assert "owner@hillside.example" in seeded


def test_order_history_is_eight_weeks_of_varied_weekly_orders(seeded):
    now = utcnow()
    owner_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == "owner@hillside.example"))
    orders = db.session.scalars(select(Order).order_by(Order.placed_at)).all()
    assert len(orders) >= 60
    statuses = Counter(o.status for o in orders)
    assert "draft" not in statuses and "cancelled" not in statuses
    assert 3 <= statuses["pending"] <= 8
    assert statuses["fulfilled"] > statuses["approved"] + statuses["in_production"] > 0
    assert Counter(o.channel for o in orders)["staff"] >= 3

    placed = [o.placed_at for o in orders]
    assert all(p.tzinfo == UTC and now - timedelta(weeks=8) < p <= now for p in placed)
    assert placed[0] < now - timedelta(weeks=6)
    gaps = [b - a for a, b in zip(placed, placed[1:] + [now], strict=True)]
    assert max(gaps) < timedelta(days=7), "an order every week"

    prices = {(p.customer_id, p.variant_id): p.price for p in db.session.scalars(select(CustomerPrice))}
    runs = {r.id: r for r in db.session.scalars(select(ProductionRun))}
    baskets = defaultdict(set)
    for order in orders:
        customer = order.customer
        assert order.lines
        assert order.total == pricing.order_totals(order).total and order.subtotal > 0
        assert order.discount_percent == customer.discount_percent
        assert order.shipping_option_id == customer.default_shipping_option_id
        assert order.shipping_fee == customer.default_shipping_option.fee
        for line in order.lines:
            assert line.unit_price == prices.get((customer.id, line.variant_id), line.variant.price)
            retired = line.variant.retired_at or line.variant.product.retired_at
            assert retired is None or retired > order.placed_at, "retired items only in older orders"
        baskets[customer.id].add(frozenset((line.variant.sku, line.quantity) for line in order.lines))

        [event] = order.events
        if order.channel == "portal":
            assert order.placed_by_contact in customer.contacts and order.entered_by_staff_id is None
            assert (event.action, event.contact_id) == ("placed", order.placed_by_contact_id)
        else:
            assert order.entered_by_staff_id == owner_id and order.placed_by_contact_id is None
            assert (event.action, event.staff_user_id) == ("entered", owner_id)
        assert event.at == order.placed_at == order.created_at

        if order.status == "pending":
            assert order.channel == "portal" and order.approved_at is None
            assert order.placed_at > now - timedelta(days=7)
        else:
            assert order.placed_at <= order.approved_at <= now and order.roast_date is not None
            assert order.approved_by_staff_id == owner_id
        # For a day its option delivers on, roasted at least the day before (as the demo's options roast).
        assert order.delivery_date.weekday() in order.shipping_option.weekdays
        assert order.roast_date <= order.delivery_date - timedelta(days=1)
        run = runs.get(order.production_run_id)
        expected_run = {"fulfilled": "done", "in_production": "closed"}.get(order.status)
        assert (run.status if run else None) == expected_run, order.status
        assert run is None or run.roast_date == order.roast_date

    assert len({o.roast_date for o in orders if o.status == "fulfilled"}) == 6
    for seen in baskets.values():
        assert len(seen) > 1, "the usual basket varies from week to week"
    skus = [{sku for sku, _ in basket} for seen in baskets.values() for basket in seen]
    assert len({frozenset(s) for s in skus}) > len(baskets), "now and then an item is added or left out"


def test_running_twice_adds_nothing(runner, app):
    seed(runner)
    with app.app_context():
        before = row_counts()
    assert seed(runner) == NOTHING
    assert seed(runner, "--if-empty") == NOTHING
    with app.app_context():
        assert row_counts() == before


def test_if_empty_leaves_a_database_with_customers_alone(runner, app):
    with app.app_context():
        db.session.add(Customer(business_name="Somebody Else's Café"))
        db.session.commit()
        before = row_counts()
    assert seed(runner, "--if-empty") == NOTHING
    with app.app_context():
        assert row_counts() == before


def test_if_empty_seeds_an_empty_database(runner, app):
    assert seed(runner, "--if-empty").startswith("Seeded ")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 12


def test_existing_rows_are_kept_and_completed(runner, app):
    """Natural keys: an existing product, customer, contact or staff account is reused, never duplicated."""
    with app.app_context():
        owner = StaffUser(email="owner@hillside.example", name="Olivia")
        owner.set_password("her own password")
        product = Product(name="Hillside House Espresso", kind="coffee")
        product.variants.append(Variant(name="Old bag", sku="HSE-340", price=1, net_weight_g=340))
        cafe = Customer(business_name="Blue Door Café", notes="kept")
        cafe.contacts.append(Contact(name="Maya", email="Maya@BlueDoorCafe.example"))
        db.session.add_all([owner, product, cafe])
        db.session.commit()

    output = seed(runner)
    assert "staff sign-in" not in output
    with app.app_context():
        owner = db.session.scalar(select(StaffUser).where(StaffUser.email == "owner@hillside.example"))
        assert owner.check_password("her own password") and not owner.check_password("roastery-demo")
        assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 1
        product = db.session.scalar(select(Product).where(Product.name == "Hillside House Espresso"))
        assert [v.sku for v in product.variants] == ["HSE-340", "HSE-907", "HSE-2268"]
        assert product.variants[0].name == "Old bag"
        cafe = db.session.scalar(select(Customer).where(Customer.business_name == "Blue Door Café"))
        assert cafe.notes == "kept" and len(cafe.contacts) == 2
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.customer_id == cafe.id))
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 12


def _snapshot():
    orders = db.session.scalars(select(Order).order_by(Order.placed_at)).all()
    return [
        (
            o.customer.business_name,
            o.status,
            o.channel,
            o.total,
            o.roast_date,
            sorted((line.variant.sku, line.quantity) for line in o.lines),
        )
        for o in orders
    ]


def test_same_data_on_every_run(runner, app):
    seed(runner)
    with app.app_context():
        first = _snapshot()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    seed(runner)
    with app.app_context():
        assert _snapshot() == first


def test_demo_contact_has_last_weeks_order_to_repeat(seeded):
    from wholesale.demo import DEMO_CONTACT_EMAIL

    contact = db.session.scalar(select(Contact).where(Contact.email == DEMO_CONTACT_EMAIL))
    assert contact is not None and contact.receives_reminders
    statuses = db.session.scalars(select(Order.status).where(Order.customer_id == contact.customer_id)).all()
    assert "pending" not in statuses and {"approved", "in_production"} & set(statuses)


def test_the_demo_has_payments_a_part_payment_and_overdue_invoices(app, runner):
    from wholesale.services import deliveries
    from wholesale.services.invoicing import balances

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        today = deliveries.today()
        accounts = balances.accounts(db.session.scalars(select(Customer.id)).all(), today)
        overdue, _ = balances.overdue_invoices(today)
        rows, _ = balances.customer_invoices(1, today, per_page=100)
    assert any(account.overdue > 0 for account in accounts.values()) and overdue
    assert any(account.balance_due == 0 or account.overdue == 0 for account in accounts.values())
    assert {"paid", "partly paid"} <= {item.state for item in rows}
