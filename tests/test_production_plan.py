"""What to roast: exact roasted and green grams, per coffee and per bag size, with one rounding rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wholesale.extensions import db
from wholesale.models import ProductionRun
from wholesale.services.production.queries import roast_plan
from wholesale.services.production.roast_plan import PlanRow, green_weight_g, plan_from_rows

from .production_data import ROAST_DAY, make_roastery_catalog, week


def rows(loss, *sizes, product_id=1, name="House Espresso"):
    return [
        PlanRow(product_id, name, None if loss is None else Decimal(loss), variant_id, size, grams, bags)
        for variant_id, (size, grams, bags) in enumerate(sizes, start=product_id * 10)
    ]


def test_ten_small_and_four_large_bags_at_15_percent_loss():
    plan = plan_from_rows(rows("15.00", ("340 g bag", 340, 10), ("5 lb bag", 2268, 4)))
    (coffee,) = plan.coffees
    # 10 × 340 + 4 × 2,268 = 3,400 + 9,072 = 12,472 g roasted; 12,472 / 0.85 = 14,672.94… → 14,673 g green.
    assert (coffee.roasted_g, coffee.green_g, coffee.bags) == (12_472, 14_673, 14)
    assert [(s.name, s.bags, s.roasted_g, s.green_g) for s in coffee.sizes] == [
        ("340 g bag", 10, 3_400, 4_000),  # 3,400 / 0.85 is exactly 4,000: no gram added
        ("5 lb bag", 4, 9_072, 10_673),  # 10,672.94… rounded up
    ]
    assert (plan.roasted_g, plan.green_g) == (12_472, 14_673)


def test_green_is_rounded_up_once_per_figure_so_sizes_may_add_up_to_more_than_the_coffee():
    (coffee,) = plan_from_rows(rows("16.50", ("340 g bag", 340, 1), ("5 lb bag", 2268, 1))).coffees
    # 340 / 0.835 = 407.19… → 408; 2,268 / 0.835 = 2,716.17… → 2,717; 2,608 / 0.835 = 3,123.35… → 3,124.
    assert [s.green_g for s in coffee.sizes] == [408, 2_717]
    assert coffee.green_g == 3_124 < 408 + 2_717


@pytest.mark.parametrize(
    ("roasted", "loss", "green"),
    [
        (0, "15", 0),
        (1, "15", 2),  # 1.176… → 2: never short, even by a fraction of a gram
        (850, "15", 1_000),  # exact division stays exact
        (12_472, "0", 12_472),
        (12_472, None, 12_472),  # no roast loss set: planned at 0 %
        (1_000, "99.99", 10_000_000),
        (340, "14.25", 397),  # 396.50… → 397
    ],
)
def test_green_weight_rule(roasted, loss, green):
    assert green_weight_g(roasted, None if loss is None else Decimal(loss)) == green


def test_a_roast_loss_of_100_percent_or_more_is_refused():
    with pytest.raises(ValueError):
        green_weight_g(100, Decimal("100"))


def test_coffees_are_listed_by_name_and_sizes_smallest_first_and_empty_rows_left_out():
    plan = plan_from_rows(
        rows(
            "15",
            ("5 lb bag", 2268, 1),
            ("340 g bag", 340, 2),
            ("2 lb bag", 907, 0),
            product_id=2,
            name="Morning",
        )
        + rows("16.5", ("340 g bag", 340, 1), product_id=3, name="guji")
    )
    assert [c.name for c in plan.coffees] == ["guji", "Morning"]
    assert [s.name for s in plan.coffees[1].sizes] == ["340 g bag", "5 lb bag"]
    assert plan.heaviest_green_g == plan.coffees[1].green_g


def test_a_coffee_without_roast_loss_is_flagged():
    (coffee,) = plan_from_rows(rows(None, ("340 g bag", 340, 3))).coffees
    assert coffee.roast_loss_missing and coffee.green_g == coffee.roasted_g == 1_020


def test_the_runs_plan_sums_its_orders_and_leaves_out_other_items_and_orders_not_in_it(app_ctx):
    catalog = make_roastery_catalog()
    orders = week(catalog)
    run = ProductionRun(roast_date=ROAST_DAY, status="open", notes="")
    db.session.add(run)
    db.session.flush()
    for key in ("blue_portal", "blue_staff", "corner"):
        orders[key].production_run_id = run.id
    orders["later"].production_run_id = None  # approved for another day: not in this run
    db.session.commit()

    plan = roast_plan(run)
    assert [(c.name, c.roasted_g, c.green_g) for c in plan.coffees] == [
        ("Ethiopia Guji", 680, 815),  # 2 × 340; 680 / 0.835 = 814.37… → 815
        ("House Espresso", 12_472, 14_673),
    ]
    espresso = plan.coffees[1]
    assert [(s.name, s.bags, s.roasted_g, s.green_g) for s in espresso.sizes] == [
        ("340 g bag", 10, 3_400, 4_000),
        ("5 lb bag", 4, 9_072, 10_673),
    ]
    assert "Roastery mug" not in [c.name for c in plan.coffees]
    assert (plan.roasted_g, plan.green_g) == (13_152, 15_488)
