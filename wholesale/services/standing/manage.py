"""Customers and staff make, change, pause, resume and stop standing orders.

One function per use case, each in one transaction that it commits (or rolls back whole on a refusal: a
``ServiceError`` naming the form field its message belongs beside). Every change is made against the version
the page showed: a customer and the roastery changing one standing order never overwrite each other, the
later one is told. A stopped standing order is kept for its history and can no longer be changed.

Callers load the standing order through their own door (``queries.customer_standing``: only the signed-in
customer's; ``queries.standing_for_staff``: any) and say who acts, as staff read it (``contact_label``,
``staff_label``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ...converters import is_id
from ...extensions import db
from ...models import (
    Contact,
    Customer,
    Order,
    ShippingOption,
    StaffUser,
    StandingOrder,
    StandingOrderLine,
    utcnow,
)
from ...models.standing import EVERY_WEEKS
from ...transactions import begin_writing, commit_keeping_loaded
from .. import deliveries
from ..errors import ServiceError
from ..orders.editing import (
    MAX_LINES,
    active_shipping_options,
    check_quantity,
    chosen_option,
    orderable_variant,
)
from .queries import WEEKDAY_NAMES

# How far ahead a pause may reach.
PAUSE_AHEAD_DAYS = 366
NOTES_MAX = 1000

OPTION_NOT_LISTED = "Please choose one of the delivery options listed."
STOPPED = "This standing order is stopped and can no longer be changed. Make a new one from an order."


# --- Who acts --------------------------------------------------------------------------------------------


def contact_label(contact: Contact) -> str:
    """ "Ana Lopez (Hillside Café)": a customer's contact as staff read who made or changed it."""
    return f"{contact.name} ({contact.customer.business_name})"


def staff_label(staff: StaffUser) -> str:
    """ "staff: Bo Smith"."""
    return f"staff: {staff.name or staff.email}"


# --- The rules -------------------------------------------------------------------------------------------


def check_every_weeks(every_weeks: int | None) -> int:
    if every_weeks not in EVERY_WEEKS:
        raise ServiceError("Choose every week, every 2 weeks or every 4 weeks.", "every_weeks")
    return every_weeks


def delivering_option(shipping_option_id: int | None, weekday: int | None) -> ShippingOption:
    """The active option chosen, which delivers on ``weekday``; refused otherwise."""
    option = None
    if shipping_option_id is not None and is_id(shipping_option_id):
        option = db.session.get(ShippingOption, shipping_option_id)
    if option is None or not option.active:
        raise ServiceError(OPTION_NOT_LISTED, "shipping_option_id")
    if weekday not in option.weekdays:
        raise ServiceError(
            f"{option.name} delivers on {option.delivers_on} only: choose one of those days.", "weekday"
        )
    return option


def first_delivery_on(option: ShippingOption, weekday: int, now: datetime) -> date:
    """The next ``weekday`` whose cut-off for ``option`` is still ahead: where a new rhythm starts."""
    zone = deliveries.roastery_zone()
    day = deliveries.today(now)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    while deliveries.delivery_day(option, day, zone).cutoff <= now:
        day += timedelta(days=7)
    return day


def _clean_notes(notes: str) -> str:
    notes = notes.replace("\x00", "").strip()
    if len(notes) > NOTES_MAX:
        raise ServiceError(f"Use at most {NOTES_MAX} characters.", "notes")
    return notes


def _refuse_twin(customer_id: int, weekday: int, option: ShippingOption, other_than: int | None = None):
    """A second standing order for the same weekday and option is the first one made twice (a double tap)
    or a change better made to it: refused, naming it."""
    query = select(StandingOrder).where(
        StandingOrder.customer_id == customer_id,
        StandingOrder.shipping_option_id == option.id,
        StandingOrder.stopped_at.is_(None),
    )
    for twin in db.session.scalars(query):
        if twin.id != other_than and twin.weekday == weekday:
            raise ServiceError(
                f"There is already a standing order on {WEEKDAY_NAMES[weekday]}s by {option.name}: "
                "change that one instead.",
                "weekday",
            )


def suggested(customer: Customer, source: Order | None) -> dict:
    """What the form for a new standing order starts with: every week, on the source order's weekday, by
    its option (else the customer's default, else the first offered) when it delivers that day."""
    offered = active_shipping_options()
    candidates = [source.shipping_option if source else None, customer.default_shipping_option, *offered]
    option = next((option for option in candidates if option is not None and option.active), None)
    weekday = None
    if option is not None and option.weekdays:
        usual = source.delivery_date.weekday() if source and source.delivery_date else None
        weekday = usual if usual in option.weekdays else option.weekdays[0]
    return {"every_weeks": 1, "weekday": weekday, "shipping_option_id": option.id if option else None}


# --- The use cases ---------------------------------------------------------------------------------------


@dataclass
class Made:
    standing: StandingOrder
    # Labels of the source order's lines left out because their size is no longer sold.
    left_out: list[str] = field(default_factory=list)

    @property
    def notice(self) -> str:
        if not self.left_out:
            return ""
        return f"Left out because no longer offered: {', '.join(self.left_out)}."


def _copy_lines(source: Order, standing: StandingOrder) -> list[str]:
    """``source``'s sizes, options and quantities onto ``standing``; returns the labels left out (retired)."""
    left_out = []
    by_size: dict[tuple[int, str], StandingOrderLine] = {}
    for line in source.lines:
        if not line.variant.on_sale:
            left_out.append(line.label)
            continue
        same = by_size.get((line.variant_id, line.option))
        if same is not None:
            same.quantity += line.quantity
            continue
        by_size[(line.variant_id, line.option)] = StandingOrderLine(
            variant=line.variant, option=line.option, quantity=line.quantity
        )
        standing.lines.append(by_size[(line.variant_id, line.option)])
    return left_out


def make_standing(
    customer: Customer,
    source_order: Order | None,
    every_weeks: int | None,
    weekday: int | None,
    shipping_option_id: int | None,
    by: str,
    now: datetime | None = None,
) -> Made:
    """A new standing order for ``customer``: ``source_order``'s lines (one of the customer's orders; sizes no
    longer sold left out and named), or none (staff fill it in), delivered every ``every_weeks`` weeks on
    ``weekday`` by the option, from the first such date whose cut-off is ahead. One transaction."""
    begin_writing()
    now = now or utcnow()
    if not customer.active:
        raise ServiceError(f"{customer.business_name} is inactive. Make it active first.")
    if source_order is not None and source_order.customer_id != customer.id:
        raise ServiceError("That order was not found.")
    check_every_weeks(every_weeks)
    option = delivering_option(shipping_option_id, weekday)
    _refuse_twin(customer.id, weekday, option)
    standing = StandingOrder(
        customer=customer,
        shipping_option=option,
        every_weeks=every_weeks,
        first_delivery=first_delivery_on(option, weekday, now),
        created_by=by,
        changed_by=by,
    )
    left_out = []
    if source_order is not None:
        left_out = _copy_lines(source_order, standing)
        if not standing.lines:
            raise ServiceError(
                f"Nothing on order {source_order.number} is still sold, so there is nothing to repeat."
            )
    db.session.add(standing)
    db.session.commit()
    return Made(standing, left_out)


def _stale(standing: StandingOrder) -> ServiceError:
    db.session.rollback()
    who = standing.changed_by or "someone"
    return ServiceError(
        f"This standing order was changed by {who} since this page was shown, so your change was not saved. "
        "This is how it stands now: make your change again if it is still needed."
    )


@contextmanager
def _changing(standing: StandingOrder, by: str, seen_version: int | None) -> Iterator[StandingOrder]:
    """Around a change: refused when stopped or when the page showed another version; the change is then
    signed, committed once, and rolled back whole on any refusal or a lost race."""
    begin_writing()
    try:
        if standing.stopped:
            raise ServiceError(STOPPED)
        if seen_version is not None and seen_version != standing.version:
            raise _stale(standing)
        yield standing
        standing.changed_by = by
        standing.updated_at = utcnow()  # a new version even when only its lines changed
        try:
            commit_keeping_loaded()
        except (StaleDataError, IntegrityError):
            raise _stale(standing) from None
    except BaseException:
        db.session.rollback()
        raise


def change_standing(
    standing: StandingOrder,
    every_weeks: int | None,
    weekday: int | None,
    shipping_option_id: int | None,
    notes: str,
    by: str,
    seen_version: int | None,
    now: datetime | None = None,
) -> StandingOrder:
    """Change its cadence, weekday, option and notes. A new cadence or weekday starts a new rhythm from the
    next such date whose cut-off is ahead; otherwise the first delivery stays, so a rhythm every 2 weeks is
    not shifted by changing the option or the notes."""
    with _changing(standing, by, seen_version):
        check_every_weeks(every_weeks)
        option = delivering_option(shipping_option_id, weekday)
        if (every_weeks, weekday) != (standing.every_weeks, standing.weekday):
            _refuse_twin(standing.customer_id, weekday, option, other_than=standing.id)
            standing.first_delivery = first_delivery_on(option, weekday, now or utcnow())
            standing.every_weeks = every_weeks
        elif option.id != standing.shipping_option_id:
            _refuse_twin(standing.customer_id, weekday, option, other_than=standing.id)
        standing.shipping_option = option
        standing.notes = _clean_notes(notes)
    return standing


def set_quantities(
    standing: StandingOrder, quantities: dict[int, int], by: str, seen_version: int | None
) -> StandingOrder:
    """Set its lines' quantities (``{line id: quantity}``); 0 takes a line off. At least one line stays."""
    with _changing(standing, by, seen_version):
        lines = {line.id: line for line in standing.lines}
        for line_id, quantity in quantities.items():
            line = lines.get(line_id)
            if line is None:
                raise ServiceError("That item is no longer on this standing order. Reload and try again.")
            if quantity == 0:
                standing.lines.remove(line)
                continue
            check_quantity(quantity)
            line.quantity = quantity
        if not standing.lines:
            raise ServiceError(
                "A standing order needs at least one item: stop it instead of removing them all.", "quantity"
            )
    return standing


def add_line(
    standing: StandingOrder,
    variant_id: int | None,
    quantity: int,
    option: str | None,
    by: str,
    seen_version: int | None,
) -> StandingOrderLine:
    """Add a size on sale with one of its product's options (none: the default); a size and option already
    on it gets the quantity added instead. Returns the line."""
    with _changing(standing, by, seen_version):
        check_quantity(quantity)
        variant = orderable_variant(variant_id or 0)
        option = chosen_option(variant.product, option)
        line = next(
            (line for line in standing.lines if (line.variant_id, line.option) == (variant.id, option)), None
        )
        if line is not None:
            check_quantity(line.quantity + quantity)
            line.quantity += quantity
        else:
            if len(standing.lines) >= MAX_LINES:
                raise ServiceError(f"A standing order can have at most {MAX_LINES} items.", "variant_id")
            line = StandingOrderLine(variant=variant, option=option, quantity=quantity)
            standing.lines.append(line)
    return line


def pause_standing(
    standing: StandingOrder, until: date | None, by: str, seen_version: int | None = None
) -> StandingOrder:
    """No delivery before ``until``; the rhythm carries on from there (the first delivery is not moved)."""
    with _changing(standing, by, seen_version):
        today = deliveries.today()
        if until is None or until <= today:
            raise ServiceError("Choose a date after today to pause until.", "until")
        if until > today + timedelta(days=PAUSE_AHEAD_DAYS):
            raise ServiceError("Choose a date within a year, or stop the standing order.", "until")
        standing.paused_until = until
    return standing


def resume_standing(standing: StandingOrder, by: str, seen_version: int | None = None) -> StandingOrder:
    """Deliveries go on from the next date on the schedule."""
    with _changing(standing, by, seen_version):
        standing.paused_until = None
    return standing


def stop_standing(standing: StandingOrder, by: str, seen_version: int | None = None) -> StandingOrder:
    """It places nothing more; kept, with its deliveries, for its history."""
    with _changing(standing, by, seen_version):
        standing.stopped_at = utcnow()
    return standing
