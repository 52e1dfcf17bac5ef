"""Making, changing, pausing and stopping standing orders (services.standing.manage), and what their pages
read (queries): the rules, and what the database holds after each use case, or after a refusal (nothing)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import (
    ClosedDate,
    Customer,
    Order,
    ShippingOption,
    StaffUser,
    StandingOrder,
    Variant,
    utcnow,
)
from wholesale.services.errors import ServiceError
from wholesale.services.standing import manage, queries, skips

from .standing_roastery import FRI, MON, TUE, WED, clock, contact, local, roastery  # noqa: F401  (fixtures)
from .statements import recorded_statements

TUESDAY, FRIDAY = 1, 4


@pytest.fixture
def ctx(app, roastery):
    with app.app_context():
        yield roastery
        db.session.remove()


def made(ctx, **changes) -> StandingOrder:
    """Blue Door's last order made standing: every 2 weeks on Tuesday by the van, by Ana."""
    arguments = dict(every_weeks=2, weekday=TUESDAY, shipping_option_id=ctx.van_id)
    arguments.update(changes)
    customer = db.session.get(Customer, ctx.customer_id)
    source = db.session.get(Order, ctx.order_id)
    by = manage.contact_label(contact(ctx))
    return manage.make_standing(customer, source, by=by, **arguments).standing


def standing_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StandingOrder))


def refused(call, field: str | None = None) -> str:
    """Run ``call``; it must refuse (beside ``field``) and write nothing."""
    before = standing_count()
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.field == field, caught.value.message
    db.session.rollback()
    assert standing_count() == before
    return caught.value.message


# --- Making one --------------------------------------------------------------------------------------------


def test_an_order_made_standing_repeats_its_sizes_options_and_quantities_from_the_next_open_date(ctx):
    customer = db.session.get(Customer, ctx.customer_id)
    result = manage.make_standing(
        customer, db.session.get(Order, ctx.order_id), 2, TUESDAY, ctx.van_id, "Ana Lopez (Blue Door Café)"
    )
    db.session.expire_all()
    standing = db.session.get(StandingOrder, result.standing.id)
    assert [(line.variant_id, line.option, line.quantity) for line in standing.lines] == [
        (ctx.variant_ids[0], "Espresso", 4),
        (ctx.variant_ids[2], "", 2),
    ]
    assert result.left_out == ["Coffee 02, 5 lb bag"]
    assert "Left out because no longer offered: Coffee 02, 5 lb bag." == result.notice
    # Tue 8 Dec closes Sun 6 Dec 17:00, still ahead on Saturday noon.
    assert (standing.first_delivery, standing.every_weeks, standing.weekday) == (TUE, 2, TUESDAY)
    assert standing.created_by == standing.changed_by == "Ana Lopez (Blue Door Café)"
    assert queries.describe(standing) == "Every 2 weeks on Tuesday by Roastery van"


def test_the_first_delivery_is_a_week_later_once_that_dates_cutoff_has_passed(ctx, clock):
    clock.move_to(local(2026, 12, 6, 17, 0, 1))
    standing = made(ctx)  # Sunday 17:00 has passed: Tue 8 Dec is closed
    assert standing.first_delivery == TUE + timedelta(days=7)


def test_who_acts_reads_as_staff_read_it(ctx):
    assert manage.contact_label(contact(ctx)) == "Ana Lopez (Blue Door Café)"
    assert manage.staff_label(db.session.get(StaffUser, ctx.staff_id)) == "staff: Bo Smith"


@pytest.mark.parametrize("every_weeks", [0, 3, 5, None, -1])
def test_only_every_1_2_or_4_weeks(ctx, every_weeks):
    assert "every 2 weeks" in refused(lambda: made(ctx, every_weeks=every_weeks), "every_weeks")


def test_the_option_must_be_offered_and_deliver_on_the_weekday(ctx):
    refused(lambda: made(ctx, shipping_option_id=999), "shipping_option_id")
    refused(lambda: made(ctx, shipping_option_id=None), "shipping_option_id")
    message = refused(lambda: made(ctx, weekday=MON), "weekday")
    assert message == "Roastery van delivers on Tue, Fri only: choose one of those days."
    refused(lambda: made(ctx, weekday=None), "weekday")
    db.session.get(ShippingOption, ctx.van_id).active = False
    db.session.commit()
    refused(lambda: made(ctx), "shipping_option_id")


def test_an_order_with_nothing_still_sold_makes_nothing(ctx):
    for variant in db.session.scalars(select(Variant)):
        variant.retired_at = utcnow()
    db.session.commit()
    assert "nothing to repeat" in refused(lambda: made(ctx))


def test_another_customers_order_is_not_a_source(ctx):
    customer = db.session.get(Customer, ctx.customer_id)
    rival_order = db.session.get(Order, ctx.rival_order_id)
    refused(lambda: manage.make_standing(customer, rival_order, 1, TUESDAY, ctx.van_id, "x"))


def test_the_same_day_and_option_twice_is_refused_but_another_day_is_a_second_standing_order(ctx):
    made(ctx)
    assert "already a standing order on Tuesdays" in refused(lambda: made(ctx), "weekday")
    friday = made(ctx, weekday=FRIDAY, every_weeks=1)
    assert friday.first_delivery == FRI
    assert len(queries.customer_standing_orders(ctx.customer_id)) == 2


def test_staff_make_an_empty_one_and_add_its_items(ctx):
    customer = db.session.get(Customer, ctx.customer_id)
    standing = manage.make_standing(customer, None, 4, WED, ctx.courier_id, "staff: Bo Smith").standing
    assert standing.lines == [] and standing.first_delivery == date(2026, 12, 9)
    line = manage.add_line(standing, ctx.variant_ids[1], 3, None, "staff: Bo Smith", standing.version)
    assert (line.quantity, standing.changed_by) == (3, "staff: Bo Smith")


def test_an_inactive_customer_gets_none(ctx):
    db.session.get(Customer, ctx.customer_id).active = False
    db.session.commit()
    assert "inactive" in refused(lambda: made(ctx))


# --- Changing it -------------------------------------------------------------------------------------------


def test_changing_the_option_keeps_the_rhythm_every_2_weeks(ctx):
    standing = made(ctx)
    standing.first_delivery = TUE - timedelta(days=7)  # it delivered on Tue 1 Dec: next is Tue 15 Dec
    db.session.commit()
    manage.change_standing(
        standing, 2, TUESDAY, ctx.courier_id, "Back door", "staff: Bo Smith", standing.version
    )
    db.session.expire_all()
    standing = db.session.get(StandingOrder, standing.id)
    assert standing.first_delivery == TUE - timedelta(days=7)
    assert (standing.shipping_option_id, standing.notes, standing.changed_by) == (
        ctx.courier_id,
        "Back door",
        "staff: Bo Smith",
    )
    [outlook] = queries.outlooks([standing])
    assert outlook.next_placement.day == TUE + timedelta(days=7)


def test_a_new_weekday_or_rhythm_starts_from_the_next_open_such_date(ctx):
    standing = made(ctx)
    manage.change_standing(standing, 2, FRIDAY, ctx.van_id, "", "x", standing.version)
    assert (standing.first_delivery, standing.weekday) == (FRI, FRIDAY)
    standing.first_delivery = FRI - timedelta(days=7)
    db.session.commit()
    manage.change_standing(standing, 4, FRIDAY, ctx.van_id, "", "x", standing.version)
    assert (standing.first_delivery, standing.every_weeks) == (FRI, 4)


def test_a_change_refused_changes_nothing(ctx):
    standing = made(ctx)
    version = standing.version
    with pytest.raises(ServiceError) as caught:
        manage.change_standing(standing, 2, MON, ctx.van_id, "new notes", "x", version)
    assert caught.value.field == "weekday"
    db.session.expire_all()
    standing = db.session.get(StandingOrder, standing.id)
    assert (standing.version, standing.notes, standing.weekday) == (version, "", TUESDAY)


def test_a_change_made_against_an_older_version_is_refused(ctx):
    standing = made(ctx)
    old = standing.version
    manage.set_quantities(standing, {standing.lines[0].id: 6}, "staff: Bo Smith", old)
    assert standing.version == old + 1
    with pytest.raises(ServiceError) as caught:
        manage.set_quantities(standing, {standing.lines[0].id: 9}, "Ana Lopez (Blue Door Café)", old)
    assert "changed by staff: Bo Smith since this page was shown" in caught.value.message
    db.session.expire_all()
    assert db.session.get(StandingOrder, standing.id).lines[0].quantity == 6


def test_quantities_0_removes_a_line_out_of_range_is_refused_and_one_line_must_stay(ctx):
    standing = made(ctx)
    first, second = (line.id for line in standing.lines)
    manage.set_quantities(standing, {first: 0, second: 5}, "x", standing.version)
    assert [(line.id, line.quantity) for line in standing.lines] == [(second, 5)]
    with pytest.raises(ServiceError) as caught:
        manage.set_quantities(standing, {second: 1000}, "x", standing.version)
    assert caught.value.message == "Enter a quantity from 1 to 999."
    with pytest.raises(ServiceError) as caught:
        manage.set_quantities(standing, {second: 0}, "x", standing.version)
    assert "at least one item" in caught.value.message
    db.session.expire_all()
    assert [(line.id, line.quantity) for line in db.session.get(StandingOrder, standing.id).lines] == [
        (second, 5)
    ]


def test_adding_a_size_checks_it_is_sold_and_its_option_and_adds_up_the_same_size(ctx):
    standing = made(ctx)
    line = manage.add_line(standing, ctx.variant_ids[0], 2, "espresso", "x", standing.version)
    assert (line.option, line.quantity, len(standing.lines)) == ("Espresso", 6, 2)
    line = manage.add_line(standing, ctx.variant_ids[0], 1, "Filter", "x", standing.version)
    assert (line.option, line.quantity, len(standing.lines)) == ("Filter", 1, 3)
    with pytest.raises(ServiceError) as caught:
        manage.add_line(standing, ctx.variant_ids[0], 1, "Turkish", "x", standing.version)
    assert caught.value.field == "option"
    with pytest.raises(ServiceError) as caught:
        manage.add_line(standing, ctx.variant_ids[5], 1, None, "x", standing.version)  # retired
    assert caught.value.field == "variant_id"
    with pytest.raises(ServiceError) as caught:
        manage.add_line(standing, ctx.variant_ids[0], 995, "Espresso", "x", standing.version)
    assert caught.value.field == "quantity"
    db.session.expire_all()
    assert len(db.session.get(StandingOrder, standing.id).lines) == 3


# --- Pausing, resuming, stopping ---------------------------------------------------------------------------


def test_pause_until_a_date_then_resume(ctx):
    standing = made(ctx, every_weeks=1)
    until = date(2027, 1, 10)
    manage.pause_standing(standing, until, "x", standing.version)
    [outlook] = queries.outlooks([standing])
    assert outlook.state == "paused"
    assert outlook.next_placement.day == date(2027, 1, 12)  # the first Tuesday from the 10th on
    manage.resume_standing(standing, "x", standing.version)
    [outlook] = queries.outlooks([standing])
    assert (outlook.state, outlook.next_placement.day) == ("active", TUE)


@pytest.mark.parametrize("until", [None, date(2026, 12, 5), date(2026, 12, 1), date(2028, 1, 1)])
def test_a_pause_must_end_after_today_and_within_a_year(ctx, until):
    standing = made(ctx)
    with pytest.raises(ServiceError) as caught:
        manage.pause_standing(standing, until, "x", standing.version)
    assert caught.value.field == "until"
    db.session.expire_all()
    assert db.session.get(StandingOrder, standing.id).paused_until is None


def test_a_stopped_standing_order_is_kept_and_cannot_be_changed(ctx):
    standing = made(ctx)
    manage.stop_standing(standing, "Ana Lopez (Blue Door Café)", standing.version)
    [outlook] = queries.outlooks([standing])
    assert (outlook.state, outlook.upcoming, outlook.next_placement) == ("stopped", [], None)
    for change in (
        lambda: manage.resume_standing(standing, "x"),
        lambda: manage.pause_standing(standing, date(2027, 1, 1), "x"),
        lambda: manage.change_standing(standing, 1, TUESDAY, ctx.van_id, "", "x", None),
        lambda: manage.add_line(standing, ctx.variant_ids[1], 1, None, "x", None),
    ):
        with pytest.raises(ServiceError, match="stopped"):
            change()
    db.session.expire_all()
    assert db.session.get(StandingOrder, standing.id).stopped_at is not None


# --- What comes next, and the lists ------------------------------------------------------------------------


def test_the_next_deliveries_mark_closed_and_skipped_dates_and_the_next_placement_passes_them(ctx):
    standing = made(ctx, every_weeks=1)
    db.session.add(ClosedDate(day=TUE, note="Holiday"))
    db.session.commit()
    skips.skip(standing, TUE + timedelta(days=7), "Ana Lopez (Blue Door Café)")
    [outlook] = queries.outlooks([standing])
    assert [upcoming.delivery.day for upcoming in outlook.upcoming] == [
        TUE + timedelta(days=7 * n) for n in range(4)
    ]
    closed, skipped, placed = outlook.upcoming[:3]
    assert "closed on Tue 8 Dec" in closed.delivery.not_delivered and not closed.placed
    assert skipped.skipped is not None and not skipped.placed
    assert placed.placed and outlook.next_placement.day == TUE + timedelta(days=14)


def test_staff_lists_by_state_with_next_placement_in_a_fixed_number_of_statements(app, ctx):
    made(ctx)
    paused = made(ctx, weekday=FRIDAY)
    manage.pause_standing(paused, date(2027, 2, 1), "x", paused.version)
    db.session.remove()
    with recorded_statements(app) as few:
        active = queries.outlooks(queries.standing_orders_in_state("active"))
    customer = db.session.get(Customer, ctx.customer_id)
    for weekday in (MON, WED):
        manage.make_standing(customer, db.session.get(Order, ctx.order_id), 1, weekday, ctx.courier_id, "x")
    db.session.remove()
    with recorded_statements(app) as more:
        more_active = queries.outlooks(queries.standing_orders_in_state("active"))
    assert len(more_active) == len(active) + 2 == 4  # Blue Door's Tuesday and Rival's Wednesday, then two
    assert len(more) == len(few) <= 4
    assert [o.standing.customer.business_name for o in more_active][0] == "Blue Door Café"
    assert [o.standing.id for o in queries.outlooks(queries.standing_orders_in_state("paused"))] == [
        paused.id
    ]
    assert queries.standing_orders_in_state("stopped") == []


def test_a_customer_finds_only_its_own(ctx):
    standing = made(ctx)
    assert queries.customer_standing(standing.id, ctx.customer_id).id == standing.id
    assert queries.customer_standing(ctx.rival_standing_id, ctx.customer_id) is None
    assert [s.id for s in queries.customer_standing_orders(ctx.customer_id)] == [standing.id]


def test_the_form_starts_from_the_orders_day_and_option(ctx):
    customer = db.session.get(Customer, ctx.customer_id)
    assert manage.suggested(customer, db.session.get(Order, ctx.order_id)) == {
        "every_weeks": 1,
        "weekday": TUESDAY,
        "shipping_option_id": ctx.van_id,
    }
