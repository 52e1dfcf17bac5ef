"""What the bench data looks like: a year of a roastery with 2,000 customers (``FULL``), or 1 % of it for the
SQL counts (``SMALL``), made in Python as plain database values (money in cents, percents in hundredths, UTC
times) with explicit ids, deterministic for a scale and a week (``make_rows``). ``bench.data`` writes and
caches them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

STAFF_EMAIL = "bench@hillside.example"
STAFF_PASSWORD = "bench-staff-password"
SEED = "wholesale-bench-1"


@dataclass(frozen=True)
class Scale:
    name: str
    customers: int
    weeks: int
    products: int = 60
    sizes: int = 3

    def describe(self) -> str:
        return (
            f"{self.customers:,} customers, {self.products} products × {self.sizes} sizes, {self.weeks} weeks"
        )


FULL = Scale("full", customers=2000, weeks=52)
SMALL = Scale("small", customers=20, weeks=8)  # 1 % of the customers, 8 weeks: the size of seed-demo


# --- What the data looks like ----------------------------------------------------------------------------

# fmt: off
SIZES = (("340 g (12 oz)", 340, 100), ("907 g (2 lb)", 907, 235), ("2268 g (5 lb)", 2268, 540))
OTHER_SIZES = (("Case of 6", 720, 100), ("Case of 12", 1440, 190), ("Case of 24", 2880, 360))
ORIGINS = ["Ethiopia", "Colombia", "Guatemala", "Kenya", "Brazil", "Sumatra", "Peru", "Honduras", "Rwanda",
    "Costa Rica", "Burundi", "Mexico", "Nicaragua", "El Salvador", "Panama", "Yemen", "Tanzania"]
STYLES = ["Washed", "Natural", "Honey", "Espresso", "Blend", "Decaf", "Reserve", "Single Estate"]
GRINDS = ("Whole bean", "Espresso", "Filter", "Cafetière")  # every coffee's options, the first by default
OTHERS = ["Cold Brew Packs", "Cone Filters", "Chai Concentrate", "Oat Milk", "Cocoa Powder", "Paper Cups",
    "Lids", "Syrup Vanilla", "Syrup Caramel", "Cleaning Tablets"]
KINDS = (  # kind, share of customers, lines in the usual basket (min, max), weekly odds of ordering
    ("Café", 0.60, (3, 7), 0.97),
    ("Grocery", 0.20, (8, 16), 0.95),
    ("Office", 0.15, (2, 4), 0.90),
    ("Hotel", 0.05, (20, 40), 0.98),
)
ZONES = ["America/Los_Angeles"] * 8 + ["America/New_York", "America/Denver"]
# name, fee (cents), position, delivery weekdays (a bit each from Monday), orders close (days before, at), roasted
SHIPPING = (
    ("Roastery van", 0, 1, 0b0010010, 2, "17:00", 1),
    ("Courier", 1200, 2, 0b0001111, 1, "12:00", 1),
    ("Pickup at roastery", 0, 3, 0b0011111, 1, "17:00", 1),
)
# fmt: on
BODY = "Thank you for your order. The roastery will review it shortly.\n"
# A past week's orders deliver on its Friday (every option delivers then but the courier, which goes Tuesday).
DELIVERY_DAY = {1: 5, 2: 2, 3: 5}  # days after the week's Sunday
# The week board's share of customers with a standing order, and of silent weeks answered "no order".
STANDING_SHARE, NO_ORDER_SHARE = 0.05, 0.4


def _anchor(now: datetime) -> datetime:
    """This week's Sunday, 15:00 UTC (Sunday morning in Portland): when a week's orders start coming in."""
    today = now.date()
    sunday = today - timedelta(days=(today.weekday() + 1) % 7)
    return datetime.combine(sunday, time(15, 0), UTC)


class _Rows:
    """Rows per table, with the next id of each."""

    def __init__(self):
        self.tables: dict[str, list[tuple]] = {}
        self.columns: dict[str, tuple[str, ...]] = {}

    def table(self, name: str, columns: str) -> list[tuple]:
        self.columns[name] = tuple(columns.split())
        return self.tables.setdefault(name, [])


def make_rows(scale: Scale, now: datetime) -> _Rows:
    """Every row of the bench data, deterministic for a scale and a week."""
    rng = random.Random(f"{SEED}:{scale.customers}:{scale.weeks}")
    anchor = _anchor(now)
    since = anchor - timedelta(weeks=scale.weeks + 2)
    rows = _Rows()

    from werkzeug.security import generate_password_hash

    # An owner: the bench measures the Settings page too.
    columns = "id email name password_hash active created_at last_sign_in_at role credentials_version"
    rows.table("staff_user", columns).append(
        (
            1,
            STAFF_EMAIL,
            "Bench (staff)",
            generate_password_hash(STAFF_PASSWORD),
            True,
            since,
            None,
            "owner",
            1,
        )
    )
    shipping = rows.table(
        "shipping_option",
        "id name fee position active delivery_days cutoff_days_before cutoff_time roast_days_before",
    )
    for option_id, (name, fee, position, *calendar) in enumerate(SHIPPING, start=1):
        shipping.append((option_id, name, fee, position, True, *calendar))
    fees = {option_id: spec[1] for option_id, spec in enumerate(SHIPPING, start=1)}

    # The catalog: coffees first, then other items; the last product and a few sizes are retired.
    products = rows.table("product", "id name description kind roast_loss_percent retired_at created_at")
    variants = rows.table("variant", "id product_id name sku price net_weight_g retired_at created_at")
    grinds = rows.table("product_option", "id product_id name position is_default")
    price_of: dict[int, int] = {}
    retired_since: dict[int, datetime] = {}
    coffees = scale.products - min(len(OTHERS), scale.products // 6)
    for product_id in range(1, scale.products + 1):
        coffee = product_id <= coffees
        if coffee:
            name = f"{ORIGINS[product_id % len(ORIGINS)]} {STYLES[product_id % len(STYLES)]} No. {product_id}"
        else:
            name = f"{OTHERS[(product_id - coffees - 1) % len(OTHERS)]} No. {product_id}"
        retired = anchor - timedelta(days=100) if product_id == scale.products else None
        products.append(
            (
                product_id,
                name,
                f"Bench product {product_id}.",
                "coffee" if coffee else "other",
                rng.randint(1300, 1800) if coffee else None,
                retired,
                since,
            )
        )
        if coffee:
            for position, grind in enumerate(GRINDS):
                grinds.append((len(grinds) + 1, product_id, grind, position, position == 0))
        base = rng.randint(1000, 1600) if coffee else rng.randint(1200, 3000)
        for size, (label, grams, factor) in enumerate((SIZES if coffee else OTHER_SIZES)[: scale.sizes]):
            variant_id = (product_id - 1) * scale.sizes + size + 1
            price = base * factor // 100
            size_retired = anchor - timedelta(days=30) if variant_id % 61 == 0 else None
            variants.append(
                (
                    variant_id,
                    product_id,
                    label,
                    f"B{product_id:03d}-{grams}",
                    price,
                    grams,
                    size_retired,
                    since,
                )
            )
            price_of[variant_id] = price
            if retired or size_retired:
                retired_since[variant_id] = retired or size_retired
    variant_ids = list(price_of)

    customers = rows.table(
        "customer",
        "id business_name delivery_address default_shipping_option_id discount_percent notes active "
        "token_version reminders_enabled reminder_weekday reminder_time reminder_timezone created_at",
    )
    contacts = rows.table("contact", "id customer_id name email phone receives_reminders created_at")
    prices = rows.table("customer_price", "id customer_id variant_id price")
    runs = rows.table(
        "production_run", "id roast_date status notes created_by_staff_id created_at closed_at done_at"
    )
    orders = rows.table(
        "order",
        "id customer_id channel status shipping_option_id shipping_fee discount_percent discount_amount "
        "subtotal total roast_date delivery_date notes idempotency_key placed_by_contact_id "
        "entered_by_staff_id "
        "approved_by_staff_id production_run_id placed_at approved_at cancelled_at cancel_reason created_at "
        "updated_at version",
    )
    lines = rows.table(
        "order_line", "id order_id variant_id option quantity unit_price price_override_reason"
    )
    events = rows.table("order_event", "id order_id at staff_user_id contact_id action changes")
    emails = rows.table(
        "email",
        "id kind dedupe_key to_address subject text_body html_body status attempts last_error customer_id "
        "order_id created_at claimed_at sent_at",
    )
    sends = rows.table(
        "reminder_send",
        "id customer_id occurrence_at created_at outcome skip_reason no_order_at no_order_contact_id",
    )
    standing = _Standing(rows)
    # Drawn apart from ``rng``, so the rows above are what they were before the week board's were added.
    planning = random.Random(f"{SEED}:planning:{scale.customers}:{scale.weeks}")

    # Two production runs a week (Monday and Thursday roasts); a week's orders go to its Thursday run.
    run_of_week: dict[int, int] = {}
    for weeks_ago in range(scale.weeks - 1, 0, -1):
        week = anchor - timedelta(weeks=weeks_ago)
        for offset in (1, 4):
            roast = (week + timedelta(days=offset)).date()
            roasted = datetime.combine(roast, time(14, 0), UTC)
            status = "done" if weeks_ago >= 2 else "closed"
            runs.append(
                (
                    len(runs) + 1,
                    roast,
                    status,
                    "",
                    1,
                    roasted - timedelta(hours=20),
                    roasted,
                    roasted + timedelta(days=1) if status == "done" else None,
                )
            )
        run_of_week[weeks_ago] = len(runs)

    kinds, shares = zip(*[(kind, share) for kind, share, _, _ in KINDS], strict=True)
    spec_of = {kind: (basket, odds) for kind, _, basket, odds in KINDS}
    contact_id = 0
    for customer_id in range(1, scale.customers + 1):
        kind = rng.choices(kinds, shares)[0]
        (low, high), odds = spec_of[kind]
        option = rng.choice((1, 1, 1, 2, 3))
        discount = rng.choice((0,) * 8 + (250, 500, 1000)) if kind != "Hotel" else 500
        zone = rng.choice(ZONES)
        enabled = rng.random() < 0.9
        customers.append(
            (
                customer_id,
                f"{kind} {customer_id:05d}",
                f"{customer_id} Bench Street\nPortland, OR",
                option,
                discount,
                "",
                True,
                1,
                enabled,
                6,
                time(2, 0),
                zone,
                since,
            )
        )
        people = []
        for n in range(rng.choice((1, 2, 2, 3))):
            contact_id += 1
            people.append(contact_id)
            contacts.append(
                (
                    contact_id,
                    customer_id,
                    f"Contact {customer_id}-{n + 1}",
                    f"c{customer_id}-{n + 1}@bench.example",
                    "",
                    True,
                    since,
                )
            )
        negotiated = {}
        if rng.random() < 0.25:
            for variant_id in rng.sample(variant_ids, rng.randint(2, 5)):
                negotiated[variant_id] = price_of[variant_id] * rng.randint(85, 97) // 100
                prices.append((len(prices) + 1, customer_id, variant_id, negotiated[variant_id]))
        usual = {
            variant_id: rng.randint(1, 6)
            for variant_id in rng.sample(variant_ids, min(len(variant_ids), rng.randint(low, high)))
        }

        ordered_weeks = set()
        for weeks_ago in range(scale.weeks - 1, -1, -1):
            if rng.random() > (odds if weeks_ago else 0.5):
                continue
            start = anchor - timedelta(weeks=weeks_ago)
            end = min(start + timedelta(days=3), now - timedelta(minutes=10))
            start = min(start, end - timedelta(hours=12))
            placed = (start + (end - start) * rng.random()).replace(microsecond=0)
            basket = {
                v: max(1, q + rng.choice((0, 0, 0, 1, -1)))
                for v, q in usual.items()
                if rng.random() > 0.08 and not (v in retired_since and retired_since[v] <= placed)
            }
            if not basket:
                continue
            order_id = len(orders) + 1
            ordered_weeks.add(weeks_ago)
            by_staff = rng.random() < 0.1
            contact = None if by_staff else (people[0] if rng.random() < 0.7 else rng.choice(people))
            subtotal = 0
            for variant_id, quantity in basket.items():
                unit = negotiated.get(variant_id, price_of[variant_id])
                subtotal += unit * quantity
                # A coffee in the customer's usual grind (taken from the ids, so the random draws stay as
                # they were); other items have no options.
                coffee = (variant_id - 1) // scale.sizes + 1 <= coffees
                grind = GRINDS[customer_id % len(GRINDS)] if coffee else ""
                lines.append((len(lines) + 1, order_id, variant_id, grind, quantity, unit, None))
            discount_cents = min(subtotal, (subtotal * discount + 5000) // 10000)
            total = subtotal - discount_cents + fees[option]
            approved = placed if by_staff else placed + timedelta(minutes=rng.randint(45, 18 * 60))
            run_id = roast = None
            cancelled = None
            if weeks_ago == 0:
                status = "approved" if by_staff else "pending"
                approved = approved if by_staff else None
            elif rng.random() < 0.01:
                status, cancelled = "cancelled", approved
            elif weeks_ago >= 2:
                status, run_id = "fulfilled", run_of_week[weeks_ago]
                roast = runs[run_id - 1][1]
            elif rng.random() < 0.6:
                status, run_id = "in_production", run_of_week[weeks_ago]
                roast = runs[run_id - 1][1]
            else:
                status, roast = "approved", (anchor + timedelta(days=4)).date()
            approved_at = approved if status not in ("pending", "cancelled") else None
            updated = cancelled or approved_at or placed
            orders.append(
                (
                    order_id,
                    customer_id,
                    "staff" if by_staff else "portal",
                    status,
                    option,
                    fees[option],
                    discount,
                    0,
                    subtotal,
                    total,
                    roast,
                    # This week's orders keep no date, as the order pages' measurements have always had them.
                    _delivery(anchor, weeks_ago, option) if weeks_ago else None,
                    "",
                    None if by_staff else f"bench-{order_id:012d}",
                    contact,
                    1 if by_staff else None,
                    1 if approved_at else None,
                    run_id,
                    placed,
                    approved_at,
                    cancelled,
                    "",
                    placed,
                    updated,
                    2 if approved_at else 1,
                )
            )
            events.append(
                (
                    len(events) + 1,
                    order_id,
                    placed,
                    1 if by_staff else None,
                    contact,
                    "entered" if by_staff else "placed",
                    "{}",
                )
            )
            if approved_at and not by_staff:
                events.append((len(events) + 1, order_id, approved_at, 1, None, "approved", "{}"))
            if contact is not None:
                number = f"W{order_id:06d}"
                emails.append(
                    (
                        len(emails) + 1,
                        "order_confirmation",
                        f"order-confirmation:{order_id}",
                        f"c{customer_id}-{people.index(contact) + 1}@bench.example",
                        f"Order {number} received",
                        BODY,
                        f"<p>{BODY}</p>",
                        "sent",
                        1,
                        "",
                        customer_id,
                        order_id,
                        placed,
                        placed,
                        placed + timedelta(seconds=2),
                    )
                )

        if enabled:  # last year's weekly reminders, every one sent
            local = ZoneInfo(zone)
            for weeks_ago in range(scale.weeks - 1, 0, -1):
                sunday = (anchor - timedelta(weeks=weeks_ago)).date()
                occurrence = datetime.combine(sunday, time(2, 0), local).astimezone(UTC)
                no_order = weeks_ago not in ordered_weeks and planning.random() < NO_ORDER_SHARE
                answered = (occurrence + timedelta(hours=3), people[0]) if no_order else (None, None)
                sends.append((len(sends) + 1, customer_id, occurrence, occurrence, "sent", "", *answered))
                emails.append(
                    (
                        len(emails) + 1,
                        "reminder",
                        f"bench-reminder:{customer_id}:{occurrence:%Y%m%d}",
                        f"c{customer_id}-1@bench.example",
                        "Your weekly order",
                        BODY,
                        f"<p>{BODY}</p>",
                        "sent",
                        1,
                        "",
                        customer_id,
                        None,
                        occurrence,
                        occurrence,
                        occurrence + timedelta(seconds=5),
                    )
                )
        if planning.random() < STANDING_SHARE:
            grind = GRINDS[customer_id % len(GRINDS)]
            basket = sorted(usual.items())[: planning.randint(2, 4)]
            standing.add(
                customer_id, option, planning.choice((1, 1, 2, 4)), anchor, scale, coffees, grind, basket
            )
    return rows


def _delivery(anchor: datetime, weeks_ago: int, option: int):
    return (anchor - timedelta(weeks=weeks_ago)).date() + timedelta(days=DELIVERY_DAY[option])


class _Standing:
    """Standing orders begun 12 weeks ago, each delivery before last week's placed; last week's is left to be
    placed, so the week board measured on last week has standing rows."""

    STARTED_WEEKS_AGO = 12

    def __init__(self, rows: _Rows):
        self.orders = rows.table(
            "standing_order",
            "id customer_id shipping_option_id every_weeks first_delivery paused_until stopped_at notes "
            "created_by changed_by created_at updated_at version",
        )
        self.lines = rows.table("standing_order_line", "id standing_order_id variant_id option quantity")
        self.deliveries = rows.table(
            "standing_delivery",
            "id standing_order_id delivery_date previewed_at outcome reason decided_at order_id created_at",
        )

    def add(self, customer_id, option, every_weeks, anchor, scale, coffees, grind, basket) -> None:
        standing_id = len(self.orders) + 1
        first = _delivery(anchor, self.STARTED_WEEKS_AGO, option)
        created = anchor - timedelta(weeks=self.STARTED_WEEKS_AGO + 1)
        self.orders.append(
            (
                standing_id,
                customer_id,
                option,
                every_weeks,
                first,
                None,
                None,
                "",
                "bench",
                "",
                created,
                created,
                1,
            )
        )
        for variant_id, quantity in basket:
            coffee = (variant_id - 1) // scale.sizes + 1 <= coffees
            self.lines.append(
                (len(self.lines) + 1, standing_id, variant_id, grind if coffee else "", quantity)
            )
        for weeks_ago in range(self.STARTED_WEEKS_AGO, 1, -every_weeks):
            day = _delivery(anchor, weeks_ago, option)
            decided = datetime.combine(day - timedelta(days=2), time(1, 0), UTC)
            self.deliveries.append(
                (len(self.deliveries) + 1, standing_id, day, decided, "placed", "", decided, None, decided)
            )
