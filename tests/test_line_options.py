"""Options on a line (issue 16): a product offers choices per line, such as grind; staff list them, the first
being the default. A line keeps the option it was ordered with; the same size in two grinds is two lines.

These are the rules, called as the portal and the back office call them; test_line_options_pages.py drives the
same journeys through the pages, and what the roastery prints and sends.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Order, OrderEvent, OrderLine, Product, ProductOption, utcnow
from wholesale.services import catalog, orders
from wholesale.services.errors import ServiceError
from wholesale.services.orders.history import Actor

from .factories import make_catalog, make_customer, make_order

GRINDS = "Whole bean\nEspresso\nFilter\nCafetière"


@pytest.fixture
def grinds(app_ctx):
    """Coffee 00 comes in four grinds (whole bean by default); Coffee 01 has no options. Blue Door Café has a
    draft, and a customer's actor to change it."""
    variants = make_catalog(coffees=2)
    coffee = variants[0].product
    catalog.set_options(coffee, GRINDS)
    blue = make_customer("Blue Door Café")
    draft = make_order(blue, [], status="draft")
    db.session.commit()
    actor = Actor(contact_id=blue.contacts[0].id, customer_id=blue.id)
    return variants, coffee, blue, draft, actor


def lines(order_id: int) -> list[tuple[str, str, int]]:
    """(SKU, option, quantity) of each line of the order, as the database holds them."""
    order = db.session.get(Order, order_id)
    db.session.refresh(order)
    return [(line.variant.sku, line.option, line.quantity) for line in order.lines]


def options_of(product_id: int) -> list[tuple[str, int, bool]]:
    rows = db.session.execute(
        select(ProductOption.name, ProductOption.position, ProductOption.is_default)
        .where(ProductOption.product_id == product_id)
        .order_by(ProductOption.position)
    )
    return [tuple(row) for row in rows]


# --- Staff list the options --------------------------------------------------------------------------------


def test_staff_list_options_one_per_line_and_the_first_is_the_default(grinds):
    _, coffee, *_ = grinds
    assert options_of(coffee.id) == [
        ("Whole bean", 0, True),
        ("Espresso", 1, False),
        ("Filter", 2, False),
        ("Cafetière", 3, False),
    ]
    assert coffee.default_option == "Whole bean"


def test_reordering_renaming_and_removing_keep_the_rows_of_options_kept(grinds):
    _, coffee, *_ = grinds
    espresso_id = db.session.scalar(select(ProductOption.id).where(ProductOption.name == "Espresso"))
    catalog.set_options(coffee, "  Espresso  \n\nWhole bean\nFilter (paper)\n")
    assert options_of(coffee.id) == [
        ("Espresso", 0, True),
        ("Whole bean", 1, False),
        ("Filter (paper)", 2, False),
    ]
    assert db.session.scalar(select(ProductOption.id).where(ProductOption.name == "Espresso")) == espresso_id
    assert catalog.set_options(coffee, "").options == []
    assert options_of(coffee.id) == [] and coffee.default_option == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Espresso\nespresso", "listed twice"),
        ("Espresso\n ESPRESSO ", "listed twice"),
        ("x" * 61, "under 61 characters"),
        ("\n".join(f"Grind {n}" for n in range(13)), "at most 12 options"),
        ("Espresso\x00", "letters, digits, spaces and punctuation only"),
        ("Tab\there", "letters, digits, spaces and punctuation only"),
    ],
)
def test_a_bad_option_list_is_refused_with_a_message_and_changes_nothing(grinds, text, message):
    _, coffee, *_ = grinds
    before = options_of(coffee.id)
    with pytest.raises(ServiceError) as refused:
        catalog.set_options(coffee, text)
    assert message in refused.value.message and refused.value.field == "options"
    db.session.rollback()
    assert options_of(coffee.id) == before


def test_renaming_an_option_never_rewrites_an_order_already_placed(grinds):
    variants, coffee, blue, _, _ = grinds
    placed = make_order(blue, [(variants[0], 2)], status="pending")
    placed.lines[0].option = "Espresso"
    db.session.commit()
    catalog.set_options(coffee, "Whole bean\nFine espresso")
    assert lines(placed.id) == [("C00-340", "Espresso", 2)]
    assert placed.lines[0].label == "Coffee 00, 340 g bag · Espresso"


# --- Adding a line with an option --------------------------------------------------------------------------


def test_a_line_without_a_chosen_option_gets_the_products_default(grinds):
    variants, _, _, draft, actor = grinds
    line = orders.editing.add_line(draft.id, variants[0].id, 2, actor, None)
    assert (line.option, line.label) == ("Whole bean", "Coffee 00, 340 g bag · Whole bean")
    orders.editing.add_line(draft.id, variants[1].id, 1, actor, None, "  ")
    assert lines(draft.id) == [("C00-340", "Whole bean", 2), ("C00-2268", "Whole bean", 1)]


def test_a_product_without_options_takes_none(grinds):
    variants, _, _, draft, actor = grinds
    line = orders.editing.add_line(draft.id, variants[2].id, 1, actor, None, "")
    assert (line.option, line.label) == ("", "Coffee 01, 340 g bag")
    with pytest.raises(ServiceError, match="Coffee 01 has no options to choose from."):
        orders.editing.add_line(draft.id, variants[2].id, 1, actor, None, "Espresso")
    assert lines(draft.id) == [("C01-340", "", 1)]


def test_the_same_size_in_two_grinds_is_two_lines_and_the_same_grind_again_adds_to_its_line(grinds):
    variants, _, _, draft, actor = grinds
    orders.editing.add_line(draft.id, variants[0].id, 2, actor, None, "Espresso")
    orders.editing.add_line(draft.id, variants[0].id, 3, actor, None, "Filter")
    again = orders.editing.add_line(draft.id, variants[0].id, 1, actor, None, "espresso ")  # as listed
    assert again.quantity == 3 and again.option == "Espresso"
    assert lines(draft.id) == [("C00-340", "Espresso", 3), ("C00-340", "Filter", 3)]
    assert db.session.get(Order, draft.id).subtotal == 6 * variants[0].price


@pytest.mark.parametrize("option", ["Turkish", "x" * 200, "Espresso\x00", "\x00"])
def test_an_option_the_product_does_not_offer_is_refused_and_nothing_is_saved(grinds, option):
    variants, _, _, draft, actor = grinds
    with pytest.raises(ServiceError) as refused:
        orders.editing.add_line(draft.id, variants[0].id, 1, actor, None, option)
    assert (
        refused.value.message
        == "Choose one of the options of Coffee 00: Whole bean, Espresso, Filter, Cafetière."
    )
    assert lines(draft.id) == []


def test_the_history_of_a_placed_order_names_the_option(grinds):
    variants, _, blue, _, _ = grinds
    pending = make_order(blue, [], status="pending")
    db.session.commit()
    actor = Actor(contact_id=blue.contacts[0].id, customer_id=blue.id)
    orders.editing.add_line(pending.id, variants[0].id, 2, actor, pending.version, "Filter")
    event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == pending.id))
    assert event.changes == {"Coffee 00, 340 g bag · Filter": ["0", "2"]}


# --- Copying last week's order -----------------------------------------------------------------------------


def last_week(blue, variants, lines_ordered) -> Order:
    """Blue Door's order of a week ago: [(variant index, quantity, option), …]."""
    order = make_order(blue, [], placed_at=utcnow() - timedelta(days=7))
    for index, quantity, option in lines_ordered:
        variant = variants[index]
        order.lines.append(
            OrderLine(variant=variant, option=option, quantity=quantity, unit_price=variant.price)
        )
    orders.pricing.apply_totals(order)
    db.session.commit()
    return order


def test_a_new_draft_keeps_each_lines_option(grinds):
    variants, _, blue, draft, _ = grinds
    db.session.delete(draft)
    last_week(blue, variants, [(0, 2, "Espresso"), (0, 1, "Filter"), (2, 4, "")])
    made = orders.drafts.make_draft(blue, blue.contacts[0])
    assert lines(made.order.id) == [("C00-340", "Espresso", 2), ("C00-340", "Filter", 1), ("C01-340", "", 4)]
    assert made.copied.notice == ""


def test_an_option_no_longer_offered_becomes_the_default_and_the_copy_says_so(grinds):
    variants, coffee, blue, draft, _ = grinds
    db.session.delete(draft)
    last_week(blue, variants, [(0, 2, "Turkish"), (0, 1, "Whole bean"), (1, 1, "Espresso"), (3, 1, "")])
    catalog.set_options(coffee, "Whole bean\nEspresso")
    made = orders.drafts.make_draft(blue, blue.contacts[0])
    # Turkish fell back to whole bean, so the two whole-bean lines of that size are one.
    assert lines(made.order.id) == [
        ("C00-340", "Whole bean", 3),
        ("C00-2268", "Espresso", 1),
        ("C01-2268", "", 1),
    ]
    assert made.copied.notice == (
        "Options no longer offered, so the default is used: Coffee 00, 340 g bag: Whole bean instead of Turkish."
    )


def test_a_product_whose_options_were_all_removed_is_copied_without_one_and_says_so(grinds):
    variants, coffee, blue, draft, _ = grinds
    db.session.delete(draft)
    source = last_week(blue, variants, [(0, 2, "Espresso")])
    catalog.set_options(coffee, "")
    refilled = orders.drafts.refill_draft(blue, blue.contacts[0], source)
    assert lines(refilled.order.id) == [("C00-340", "", 2)]
    assert "Coffee 00, 340 g bag: without Espresso" in refilled.copied.notice


def test_a_line_from_before_the_product_had_options_gets_the_default_without_a_word(grinds):
    variants, _, blue, draft, _ = grinds
    db.session.delete(draft)
    last_week(blue, variants, [(0, 2, "")])
    made = orders.drafts.make_draft(blue, blue.contacts[0])
    assert lines(made.order.id) == [("C00-340", "Whole bean", 2)] and made.copied.notice == ""


def test_a_staff_order_keeps_the_options_of_the_last_order_and_says_what_changed(grinds, app):
    from wholesale.models import StaffUser

    variants, coffee, blue, _, _ = grinds
    staff = StaffUser(email="sam@hillside.example", name="Sam")
    staff.set_password("a long enough password 1")
    db.session.add(staff)
    last_week(blue, variants, [(0, 2, "Espresso"), (1, 1, "Filter")])
    catalog.set_options(coffee, "Whole bean\nEspresso")
    entered = orders.staff_orders.enter_order(blue.id, Actor(staff_id=staff.id), "k" * 32)
    assert lines(entered.order.id) == [("C00-340", "Espresso", 2), ("C00-2268", "Whole bean", 1)]
    assert "Coffee 00, 5 lb bag: Whole bean instead of Filter" in entered.copied.notice


def test_the_database_refuses_the_same_size_and_option_twice_on_one_order(grinds):
    variants, _, _, draft, _ = grinds
    for option in ("Espresso", "Filter"):
        draft.lines.append(
            OrderLine(variant=variants[0], option=option, quantity=1, unit_price=variants[0].price)
        )
    db.session.commit()  # two grinds: two lines
    draft.lines.append(
        OrderLine(variant=variants[0], option="Filter", quantity=1, unit_price=variants[0].price)
    )
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(Product.name).where(Product.id == variants[0].product_id)) == "Coffee 00"


def test_placing_a_draft_whose_chosen_option_was_withdrawn_is_refused_with_a_message(grinds):
    variants, coffee, blue, draft, actor = grinds
    orders.editing.add_line(draft.id, variants[0].id, 2, actor, None, "Filter")
    orders.editing.add_line(draft.id, variants[1].id, 1, actor, None, "Espresso")
    catalog.set_options(coffee, "Whole bean\nEspresso")  # Filter is no longer offered
    with pytest.raises(ServiceError) as refused:
        orders.placing.place_order(blue, blue.contacts[0], draft.id, "k" * 32)
    assert refused.value.message == (
        "Coffee 00, 340 g bag · Filter: that option is no longer offered. "
        "Please remove it and add the size again in another."
    )
    db.session.rollback()
    assert db.session.get(Order, draft.id).status == "draft"


def test_merging_two_orders_in_a_run_keeps_two_grinds_of_a_size_apart(grinds):
    from datetime import date

    from wholesale.models import StaffUser
    from wholesale.services.production.runs import create_run, merge_orders

    variants, _, blue, _, _ = grinds
    staff = StaffUser(email="sam@hillside.example", name="Sam")
    staff.set_password("a long enough password 1")
    db.session.add(staff)
    roast = date.today() + timedelta(days=3)
    first, second = (make_order(blue, [], status="approved", roast_date=roast) for _ in range(2))
    for order, option in ((first, "Espresso"), (second, "Espresso"), (second, "Filter")):
        order.lines.append(
            OrderLine(variant=variants[0], option=option, quantity=2, unit_price=variants[0].price)
        )
    db.session.commit()
    run = create_run(roast, [first.id, second.id], Actor(staff_id=staff.id))
    merge_orders(run, first.id, [first.id, second.id], Actor(staff_id=staff.id))
    assert lines(first.id) == [("C00-340", "Espresso", 4), ("C00-340", "Filter", 2)]
