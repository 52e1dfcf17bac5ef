"""Duplicates in a run: one customer's two orders become one, in one transaction, with both histories kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Order, OrderLine, ProductionRun
from wholesale.services import production
from wholesale.services.orders.history import Actor

from .factories import make_customer
from .production_data import ROAST_DAY, approved, make_roastery_catalog, order_ids, week
from .test_production_runs import open_run, text


@pytest.fixture
def run_with_duplicates(app, staff_client, forms):
    """A run holding Blue Door Café's portal and staff orders, and Corner Grocer's; returns ids by key."""
    with app.app_context():
        orders = week(make_roastery_catalog())
        ids = {key: order.id for key, order in orders.items()} | {
            "numbers": {k: o.number for k, o in orders.items()}
        }
    ids["run"] = open_run(forms, ROAST_DAY, [ids[k] for k in ("blue_portal", "blue_staff", "corner")])
    return ids


def lines_of(order: Order) -> list[tuple[str, int, Decimal]]:
    return [(line.variant.sku, line.quantity, line.unit_price) for line in order.lines]


def test_merging_sums_the_lines_cancels_the_other_order_and_keeps_both_histories(
    app, staff_client, forms, run_with_duplicates
):
    ids, numbers = run_with_duplicates, run_with_duplicates["numbers"]
    url = f"/admin/production/{ids['run']}"
    response = forms.post(
        f"{url}/merge",
        {"keep_id": ids["blue_portal"], "order_ids": [ids["blue_portal"], ids["blue_staff"]]},
        page=url,
    )
    assert response.status_code == 303

    with app.app_context():
        kept, merged = db.session.get(Order, ids["blue_portal"]), db.session.get(Order, ids["blue_staff"])
        # 6 + 2 small bags of espresso, the 5 lb bag, and the 2 mugs the staff order had.
        assert lines_of(kept) == [
            ("HSE-340", 8, Decimal("12.00")),
            ("HSE-2268", 1, Decimal("60.00")),
            ("MUG-1", 2, Decimal("9.00")),
        ]
        assert (kept.subtotal, kept.total) == (Decimal("174.00"), Decimal("174.00"))  # 96 + 60 + 18
        assert (kept.status, kept.production_run_id) == ("approved", ids["run"])
        assert kept.events[-1].action == "merged" and kept.events[-1].changes == {
            "merged from": [None, numbers["blue_staff"]],
            "House Espresso, 340 g bag": ["6", "8"],
            "Roastery mug, Mug": ["0", "2"],
            "total": ["132.00", "174.00"],
        }
        assert merged.status == "cancelled" and merged.production_run_id is None and merged.cancelled_at
        assert merged.cancel_reason.startswith(
            f"Merged into {numbers['blue_portal']} (same customer) in production run"
        )
        assert lines_of(merged) == [
            ("HSE-340", 2, Decimal("12.00")),
            ("MUG-1", 2, Decimal("9.00")),
        ]  # untouched
        assert merged.events[-1].action == "merged away" and merged.events[-1].changes["merged into"] == [
            None,
            numbers["blue_portal"],
        ]
        assert kept.events[-1].staff_user_id == merged.events[-1].staff_user_id is not None

    page = text(staff_client.get(url))
    assert f"Merged 1 order of Blue Door Café into {numbers['blue_portal']}." in page
    assert "more than one order in this run" not in page
    assert numbers["blue_staff"] not in page.split("Orders in this run")[1]
    assert "House Espresso 15 % 14 12,472 g 14,673 g" in page  # the same coffee to roast as before


def test_the_kept_order_can_be_the_later_one_and_keeps_its_own_prices_discount_and_shipping(app, staff):
    with app.app_context():
        catalog = make_roastery_catalog()
        customer = make_customer("Blue Door Café")
        first = approved(customer, [(catalog.espresso_340, 3)], notes="Back door please.")
        second = approved(
            customer,
            [(catalog.espresso_340, 1), (catalog.guji_340, 2)],
            discount_percent=Decimal("10"),
            shipping_fee=Decimal("8.00"),
        )
        second.lines[0].unit_price = Decimal("11.00")  # a price agreed on the phone for this order
        db.session.flush()
        run = ProductionRun(roast_date=ROAST_DAY, status="open", notes="")
        db.session.add(run)
        db.session.flush()
        first.production_run_id = second.production_run_id = run.id
        db.session.commit()

        kept = production.runs.merge_orders(run, second.id, [first.id, second.id], Actor(staff_id=staff))
        assert lines_of(kept) == [("HSE-340", 4, Decimal("11.00")), ("ETH-340", 2, Decimal("15.00"))]
        # subtotal 44 + 30 = 74.00; 10 % off = 7.40; + 8.00 shipping
        assert (kept.subtotal, kept.total) == (Decimal("74.00"), Decimal("74.60"))
        assert kept.notes == f"{first.number}: Back door please."
        assert db.session.get(Order, first.id).status == "cancelled"


@pytest.mark.parametrize(
    ("keys", "keep", "message", "status"),
    [
        (("blue_portal",), "blue_portal", "Choose at least two orders of one customer to merge.", 400),
        (("blue_portal", "corner"), "blue_portal", "Only orders of the same customer can be merged.", 400),
        (("blue_portal", "later"), "blue_portal", "Only orders in this run can be merged", 400),
        (("blue_portal", "blue_staff"), "corner", "Only orders of the same customer can be merged.", 400),
    ],
)
def test_refused_merges_change_nothing(
    app, staff_client, forms, run_with_duplicates, keys, keep, message, status
):
    ids = run_with_duplicates
    url = f"/admin/production/{ids['run']}"
    before = order_ids(app)
    with app.app_context():
        lines_before = db.session.execute(
            select(OrderLine.order_id, OrderLine.variant_id, OrderLine.quantity)
        ).all()
    response = forms.post(
        f"{url}/merge", {"keep_id": ids[keep], "order_ids": [ids[k] for k in keys]}, page=url
    )
    assert response.status_code == status and message in text(response)
    assert order_ids(app) == before
    with app.app_context():
        assert (
            db.session.execute(select(OrderLine.order_id, OrderLine.variant_id, OrderLine.quantity)).all()
            == lines_before
        )


def test_malformed_merge_forms_are_refused(app, staff_client, forms, run_with_duplicates):
    ids = run_with_duplicates
    url = f"/admin/production/{ids['run']}"
    before = order_ids(app)
    for data, message in [
        ({"order_ids": [ids["blue_portal"], ids["blue_staff"]]}, "Choose the one order to keep."),
        ({"keep_id": "x", "order_ids": [ids["blue_staff"]]}, "That list of orders was not valid"),
        (
            {"keep_id": [ids["blue_portal"], ids["blue_staff"]], "order_ids": []},
            "Choose the one order to keep.",
        ),
    ]:
        response = forms.post(f"{url}/merge", data, page=url)
        assert response.status_code == 400 and message in text(response), data
    assert order_ids(app) == before


def test_a_merge_is_all_or_nothing_when_an_order_moved_on_meanwhile(
    app, staff_client, forms, run_with_duplicates
):
    ids = run_with_duplicates
    with app.app_context():  # the staff order is no longer approved by the time the merge arrives
        order = db.session.get(Order, ids["blue_staff"])
        order.status, order.cancel_reason = "cancelled", "Customer called it off."
        db.session.commit()
    before = order_ids(app)
    url = f"/admin/production/{ids['run']}"
    response = forms.post(
        f"{url}/merge",
        {"keep_id": ids["blue_portal"], "order_ids": [ids["blue_portal"], ids["blue_staff"]]},
        page=url,
    )
    assert response.status_code == 400
    assert f"{ids['numbers']['blue_staff']} is cancelled" in text(response)
    assert order_ids(app) == before
    with app.app_context():
        assert [line.quantity for line in db.session.get(Order, ids["blue_portal"]).lines] == [6, 1]


def test_a_closed_runs_duplicates_are_shown_but_not_merged(app, staff_client, forms, run_with_duplicates):
    ids = run_with_duplicates
    url = f"/admin/production/{ids['run']}"
    forms.post(f"{url}/close", page=url)
    page = text(staff_client.get(url))
    assert "more than one order in this run" in page and "can be merged only while the run is open" in page
    response = forms.post(
        f"{url}/merge",
        {"keep_id": ids["blue_portal"], "order_ids": [ids["blue_portal"], ids["blue_staff"]]},
        page=url,
    )
    assert response.status_code == 409 and "is closed" in text(response)
    assert order_ids(app)[ids["blue_staff"]][0] == "in_production"


def test_the_service_refuses_a_merge_outside_an_open_run(app, staff, run_with_duplicates):
    with app.app_context():
        run = db.session.get(ProductionRun, run_with_duplicates["run"])
        run.status = "done"
        db.session.commit()
        with pytest.raises(production.runs.RunLocked):
            production.runs.merge_orders(
                run,
                run_with_duplicates["blue_portal"],
                [run_with_duplicates["blue_staff"]],
                Actor(staff_id=staff),
            )
