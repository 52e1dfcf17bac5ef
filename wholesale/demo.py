"""``flask --app wsgi seed-demo``: a believable roastery with eight weeks of weekly orders.

Everything is looked up by its natural key first (product name, SKU, shipping option name, business name,
contact email, staff email), so running it again adds nothing; order history is only made for customers that
have no orders yet. Random choices come from generators seeded per customer, so the data is the same on every
run (dates are relative to today). One transaction, committed once at the end.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from .demo_data import (
    COFFEES,
    CUSTOMERS,
    EXTRAS,
    GRINDS,
    GROUND_FOR,
    LA,
    NOTES,
    ORDERING_NOW,
    OTHERS,
    PHONE_ORDERS,
    RETIRED_PRODUCTS,
    RETIRED_SKUS,
    SHIPPING,
    SIZES,
)
from .extensions import db
from .models import (
    Contact,
    Customer,
    CustomerPrice,
    Invoice,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentAllocation,
    Product,
    ProductionRun,
    ProductOption,
    ShippingOption,
    StaffUser,
    Variant,
    utcnow,
)
from .models.invoicing import INVOICE
from .services import deliveries
from .services.invoicing import issuing
from .services.orders import pricing

SEED = "hillside-demo-1"
WEEKS = 8  # this week and the seven before it
ROAST_WEEKDAYS = (0, 3)  # Monday and Thursday; the van delivers Tuesday and Friday
NOTHING = "Demo data already present; nothing added."
DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD = "owner@hillside.example", "roastery-demo"
DEMO_STAFF_NAME = "Olivia (owner)"
# A contact to show the weekly reorder with: ordered last week, nothing placed yet this week.
DEMO_CONTACT_EMAIL = "rosa@juniperandrye.example"


def seed(only_if_empty: bool = False) -> str:
    """Add whatever of the demo roastery is missing; return what was added."""
    session = db.session
    if only_if_empty and session.scalar(select(Customer.id).limit(1)) is not None:
        return NOTHING
    now = utcnow().replace(microsecond=0)
    created: Counter[str] = Counter()
    staff = _staff(created)
    options = _shipping(created)
    variants = _catalog(now, created)
    customers = _customers(now, options, variants, created)
    session.flush()  # ids for the prices, contacts and staff the orders refer to

    have_orders = set(session.scalars(select(Order.customer_id).distinct()))
    calendar = _Calendar(now)
    orders: list[tuple[Order, tuple[date, str] | None]] = []
    for customer, spec in customers:
        if customer.id not in have_orders:
            orders += _history(customer, spec, variants, staff, calendar)
    if orders:
        runs = calendar.runs(sorted({run for _, run in orders if run}), staff)
        session.add_all(runs.values())
        session.flush()
        for order, run in orders:
            order.production_run_id = runs[run].id if run else None
        session.add_all(order for order, _ in orders)
        created["orders"], created["production runs"] = len(orders), len(runs)
        created["invoices"] = _invoices([order for order, _ in orders], staff)
        created["payments"] = _payments(staff)

    if not created:
        session.rollback()
        return NOTHING
    session.commit()
    labels = [
        "products",
        "variants",
        "product options",
        "shipping options",
        "customers",
        "contacts",
        "negotiated prices",
        "orders",
        "production runs",
        "invoices",
        "payments",
    ]
    parts = [f"{created[k]} {k}" for k in labels if created[k]]
    if created["staff"]:
        parts.append(f"staff sign-in {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD}")
    return "Seeded " + ", ".join(parts) + "."


def _staff(created: Counter) -> StaffUser:
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == DEMO_STAFF_EMAIL))
    if staff is None:  # an existing account keeps its password
        staff = StaffUser(email=DEMO_STAFF_EMAIL, name=DEMO_STAFF_NAME, role="owner")
        staff.set_password(DEMO_STAFF_PASSWORD)
        db.session.add(staff)
        created["staff"] += 1
    return staff


def _shipping(created: Counter) -> dict[str, ShippingOption]:
    names = [spec[0] for spec in SHIPPING]
    query = select(ShippingOption).where(ShippingOption.name.in_(names))
    options = {o.name: o for o in db.session.scalars(query)}
    for position, (name, fee, weekdays, cutoff_days, cutoff_at, roast_days) in enumerate(SHIPPING, start=1):
        if name not in options:
            option = ShippingOption(
                name=name,
                fee=Decimal(fee),
                position=position,
                active=True,
                cutoff_days_before=cutoff_days,
                cutoff_time=cutoff_at,
                roast_days_before=roast_days,
            )
            option.weekdays = weekdays
            options[name] = option
            db.session.add(option)
            created["shipping options"] += 1
    return options


def _catalog(now: datetime, created: Counter) -> dict[str, Variant]:
    """Products and variants by name and SKU; returns every demo variant by SKU."""
    specs = []  # (name, kind, roast loss, description, [(sku, variant name, grams, price)])
    for name, prefix, loss, prices, description in COFFEES:
        bags = [
            (f"{prefix}-{key}", label, grams, price)
            for (key, label, grams), price in zip(SIZES, prices, strict=True)
            if price is not None
        ]
        specs.append((name, "coffee", Decimal(loss), description, bags))
    specs += [(name, "other", None, description, bags) for name, bags, description in OTHERS]

    names = [spec[0] for spec in specs]
    skus = [bag[0] for spec in specs for bag in spec[4]]
    products = {p.name: p for p in db.session.scalars(select(Product).where(Product.name.in_(names)))}
    variants = {v.sku: v for v in db.session.scalars(select(Variant).where(Variant.sku.in_(skus)))}
    since = now - timedelta(weeks=WEEKS + 6)
    for name, kind, loss, description, bags in specs:
        product = products.get(name)
        if product is None:
            retired = RETIRED_PRODUCTS.get(name)
            product = Product(
                name=name,
                kind=kind,
                roast_loss_percent=loss,
                description=description,
                created_at=since,
                retired_at=now - timedelta(days=retired) if retired else None,
            )
            db.session.add(product)
            created["products"] += 1
        if kind == "coffee" and not product.options:
            product.options = [
                ProductOption(name=grind, position=position, is_default=position == 0)
                for position, grind in enumerate(GRINDS)
            ]
            created["product options"] += len(GRINDS)
        for sku, label, grams, price in bags:
            if sku not in variants:
                retired = RETIRED_SKUS.get(sku)
                variants[sku] = Variant(
                    product=product,
                    name=label,
                    sku=sku,
                    price=Decimal(price),
                    net_weight_g=grams,
                    created_at=since,
                    retired_at=now - timedelta(days=retired) if retired else None,
                )
                db.session.add(variants[sku])
                created["variants"] += 1
    return variants


def _customers(now, options, variants, created) -> list[tuple[Customer, tuple]]:
    names = [spec[0] for spec in CUSTOMERS]
    emails = [email for spec in CUSTOMERS for _, email, _ in spec[5]]
    query = select(Customer).where(Customer.business_name.in_(names))
    existing = {c.business_name: c for c in db.session.scalars(query)}
    taken = set(db.session.scalars(select(Contact.email).where(Contact.email.in_(emails))))
    priced = set(
        db.session.execute(
            select(CustomerPrice.customer_id, CustomerPrice.variant_id).where(
                CustomerPrice.customer_id.in_([c.id for c in existing.values()])
            )
        ).tuples()
    )
    since = now - timedelta(weeks=WEEKS + 4)
    result = []
    for spec in CUSTOMERS:
        name, address, shipping, discount, reminder, contacts, _, prices, _, notes = spec
        customer = existing.get(name)
        if customer is None:
            weekday, at, zone = reminder or LA
            customer = Customer(
                business_name=name,
                delivery_address=address,
                default_shipping_option=options[shipping],
                discount_percent=Decimal(discount),
                notes=notes,
                active=True,
                token_version=1,
                reminders_enabled=reminder is not None,
                reminder_weekday=weekday,
                reminder_time=at,
                reminder_timezone=zone,
                created_at=since,
            )
            db.session.add(customer)
            created["customers"] += 1
        for person, email, receives in contacts:
            if email not in taken:
                taken.add(email)
                db.session.add(
                    Contact(
                        customer=customer,
                        name=person,
                        email=email,
                        receives_reminders=receives,
                        created_at=since,
                    )
                )
                created["contacts"] += 1
        for sku, price in prices.items():
            variant = variants[sku]
            if (customer.id, variant.id) not in priced:
                db.session.add(CustomerPrice(customer=customer, variant=variant, price=Decimal(price)))
                created["negotiated prices"] += 1
        result.append((customer, spec))
    return result


def _deliver(order: Order, option: ShippingOption | None) -> None:
    """The delivery a demo order is for: the first day its option delivers once roasted, or, for one still
    pending, the first date its option offers now (and the roast day that sets)."""
    if option is None:
        return
    if order.status == "pending":
        offered = deliveries.choices(option)
        if offered:
            order.delivery_date, order.roast_date = offered[0].day, offered[0].roast_day
    elif order.roast_date is not None:
        day = order.roast_date + timedelta(days=option.roast_days_before)
        while day.weekday() not in option.weekdays:
            day += timedelta(days=1)
        order.delivery_date = day


class _Calendar:
    """The weekly rhythm: reminders on Sunday, orders Sunday to Wednesday, roasting on Monday and Thursday."""

    def __init__(self, now: datetime):
        self.now = now
        self.today = now.date()
        sunday = self.today - timedelta(days=(self.today.weekday() + 1) % 7)
        self.anchor = datetime.combine(sunday, time(15, 0), UTC)  # Sunday morning in Portland
        self.next_roast = next(
            self.today + timedelta(days=d)
            for d in range(1, 8)
            if (self.today + timedelta(days=d)).weekday() in ROAST_WEEKDAYS
        )

    def window(self, weeks_ago: int) -> tuple[datetime, timedelta]:
        """When week ``weeks_ago``'s orders come in: its start and length."""
        start = self.anchor - timedelta(weeks=weeks_ago)
        end = start + timedelta(days=3)
        if weeks_ago == 0:  # this week: only up to a few minutes ago
            end = min(end, self.now - timedelta(minutes=10))
            start = min(start, end - timedelta(hours=12))
        return start, end - start

    def roast_day(self, weeks_ago: int) -> date:
        """The Thursday after week ``weeks_ago``'s orders came in."""
        return (self.anchor - timedelta(weeks=weeks_ago) + timedelta(days=4)).date()

    def runs(self, keys: list[tuple[date, str]], staff: StaffUser) -> dict[tuple[date, str], ProductionRun]:
        runs = {}
        for roast_date, status in keys:
            if status == "closed":  # being roasted today
                stamps = dict(
                    created_at=self.now - timedelta(days=1), closed_at=self.now - timedelta(hours=2)
                )
            else:
                roasted = datetime.combine(roast_date, time(14, 0), UTC)
                stamps = dict(
                    created_at=roasted - timedelta(hours=20),
                    closed_at=roasted,
                    done_at=roasted + timedelta(days=1),
                )
            runs[roast_date, status] = ProductionRun(
                roast_date=roast_date, status=status, created_by_staff_id=staff.id, **stamps
            )
        return runs


def _history(
    customer: Customer, spec: tuple, variants: dict[str, Variant], staff: StaffUser, calendar: _Calendar
) -> list[tuple[Order, tuple[date, str] | None]]:
    """A customer's weekly orders: its usual basket, give or take, on most weeks."""
    name, usual, odds = spec[0], spec[6], spec[8]
    rng = random.Random(f"{SEED}:{name}")  # noqa: S311  (demo data, the same on every run)
    negotiated = pricing.customer_prices(customer.id)
    contacts = list(customer.contacts)
    option = customer.default_shipping_option
    result = []
    for weeks_ago in range(WEEKS - 1, -1, -1):
        if weeks_ago == 0 and name not in ORDERING_NOW:
            continue
        if weeks_ago > 0 and rng.random() > odds:
            continue
        start, length = calendar.window(weeks_ago)
        placed = (start + length * rng.random()).replace(microsecond=0)
        quantities = _basket(rng, usual)
        lines = []
        for sku, quantity in quantities.items():
            variant = variants.get(sku)
            if variant is None or _retired_by(variant, placed):
                continue
            lines.append(
                OrderLine(
                    variant=variant,
                    option=GROUND_FOR.get(name, GRINDS[0]) if variant.product.is_coffee else "",
                    quantity=quantity,
                    unit_price=pricing.unit_price(variant, negotiated),
                )
            )
        if not lines:
            continue
        by_staff = name in PHONE_ORDERS or not contacts or (weeks_ago > 0 and rng.random() < 0.12)
        contact = None if by_staff else (contacts[0] if rng.random() < 0.7 else rng.choice(contacts))
        order = Order(
            customer=customer,
            channel="staff" if by_staff else "portal",
            lines=lines,
            shipping_option=option,
            shipping_fee=option.fee if option else Decimal("0"),
            discount_percent=customer.discount_percent,
            discount_amount=Decimal("0"),
            notes=rng.choice(NOTES) if rng.random() < 0.1 else "",
            placed_by_contact=contact,
            entered_by_staff_id=staff.id if by_staff else None,
            placed_at=placed,
            created_at=placed,
        )
        run = None
        if weeks_ago == 0 and not by_staff:
            order.status = "pending"
        else:
            order.approved_at = placed if by_staff else placed + timedelta(minutes=rng.randint(45, 18 * 60))
            order.approved_by_staff_id = staff.id
            if weeks_ago >= 2:
                order.status, order.roast_date = "fulfilled", calendar.roast_day(weeks_ago)
                run = (order.roast_date, "done")
            elif weeks_ago == 1 and rng.random() < 0.6:
                order.status, order.roast_date = "in_production", calendar.today
                run = (order.roast_date, "closed")
            else:
                order.status, order.roast_date = "approved", calendar.next_roast
        _deliver(order, option)
        order.updated_at = order.approved_at or placed
        order.events.append(
            OrderEvent(
                at=placed,
                action="entered" if by_staff else "placed",
                changes={},
                staff_user_id=staff.id if by_staff else None,
                contact_id=contact.id if contact else None,
            )
        )
        pricing.apply_totals(order)
        result.append((order, run))
    return result


def _invoices(orders: list[Order], staff: StaffUser) -> int:
    """Each approved order's invoice, issued on the day it was approved (as INVOICE_ISSUE_ON=approved
    would have), numbered in that order; none emailed."""
    db.session.flush()
    approved = sorted(
        (order for order in orders if order.status in issuing.INVOICED_STATUSES),
        key=lambda order: (order.approved_at, order.id),
    )
    for order in approved:
        issuing.issue_invoice(order, staff.id, deliveries.today(order.approved_at))
    return len(approved)


def _payments(staff: StaffUser) -> int:
    """Payments for the demo's invoices, as customers pay: most pay each invoice in full a few days after
    it is due; one in five pays nothing of what fell due in the last seven weeks (overdue: the list, the
    flags and the reminders have something to show); one in five has paid half of their latest invoice."""
    today = deliveries.today()
    invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.kind == INVOICE)
        .order_by(Invoice.customer_id, Invoice.due_on, Invoice.id)
    ).all()
    latest = {invoice.customer_id: invoice for invoice in invoices}  # each customer's last, by due date
    methods = ("bank transfer", "card", "cheque")
    payments = []
    for invoice in invoices:
        kind = invoice.customer_id % 5
        received_on = invoice.due_on + timedelta(days=3)
        amount = invoice.total
        if kind == 0 and invoice.due_on > today - timedelta(weeks=7):
            continue
        if kind == 1 and invoice is latest[invoice.customer_id]:
            amount = (invoice.total / 2).quantize(Decimal("0.01"))
            received_on = min(received_on, invoice.issued_on + timedelta(days=1))
        if received_on > today or amount <= 0:
            continue
        payment = Payment(
            customer_id=invoice.customer_id,
            received_on=received_on,
            amount=amount,
            method=methods[invoice.id % len(methods)],
            reference=f"Demo {invoice.number}",
            recorded_by_staff_id=staff.id,
        )
        payment.allocations.append(PaymentAllocation(invoice_id=invoice.id, amount=amount))
        payments.append(payment)
    db.session.add_all(payments)
    return len(payments)


def _basket(rng: random.Random, usual: dict[str, int]) -> dict[str, int]:
    """The usual quantities ± 1 or 2, now and then a line left out or an extra item."""
    basket = {}
    for sku, quantity in usual.items():
        if len(usual) > 1 and rng.random() < 0.08:
            continue
        spread = 2 if quantity >= 4 else 1
        basket[sku] = max(1, quantity + rng.choice((0, 0, 0, 1, -1, spread, -spread)))
    if rng.random() < 0.2:
        extra = rng.choice(EXTRAS)
        basket.setdefault(extra, rng.randint(1, 2))
    return basket


def _retired_by(variant: Variant, when: datetime) -> bool:
    stamps = [t for t in (variant.retired_at, variant.product.retired_at) if t is not None]
    return any(t <= when for t in stamps)
