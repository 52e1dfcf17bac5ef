"""Journey 9: on Friday the roaster opens the week board for the coming delivery week and sees, per
customer, who ordered, whose standing order will place itself, who said no, who is silent; filters it,
downloads it, and reminds the silent ones again."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import (
    Email,
    ReminderSend,
    ShippingOption,
    StandingDelivery,
    StandingOrder,
    StandingOrderLine,
    Variant,
)
from wholesale.services.deliveries import calendar
from wholesale.services.planning import board
from wholesale.services.planning.week import Week, next_delivery_week

from .factories import make_catalog, make_customer, make_order, make_shipping
from .statements import recorded_statements
from .test_production_runs import text

FRIDAY_NOON = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # Fri 4 Dec, 12:00 in Portland
WEEK = Week(date(2026, 12, 7))  # the next delivery week on that Friday
TUESDAY, FRIDAY = date(2026, 12, 8), date(2026, 12, 11)
BEFORE_THE_WEEK = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # Sunday's reminder, 02:00 in Portland
URL = "/admin/week?week=2026-12-07"


@pytest.fixture(autouse=True)
def friday():
    """The whole test on Friday noon, staff's sign-in included (a session signed later than the requests that
    carry it is refused)."""
    with time_machine.travel(FRIDAY_NOON, tick=False):
        yield


def reminded(customer, at=BEFORE_THE_WEEK, outcome="sent", no_order_at=None) -> None:
    db.session.add(
        ReminderSend(
            customer_id=customer.id,
            occurrence_at=at,
            outcome=outcome,
            skip_reason="",
            no_order_at=no_order_at,
        )
    )


def standing(
    customer, option, variant, first_delivery=TUESDAY - timedelta(weeks=2), **fields
) -> StandingOrder:
    order = StandingOrder(
        customer=customer, shipping_option=option, every_weeks=1, first_delivery=first_delivery, **fields
    )
    order.lines.append(StandingOrderLine(variant=variant, quantity=3))
    db.session.add(order)
    db.session.flush()
    return order


def build_week(app) -> dict[str, int]:
    """One customer per state, and the cases that must not count."""
    with app.app_context():
        variants = make_catalog(coffees=1)
        courier = make_shipping("Courier")
        van = make_shipping("Roastery van", fee="0", position=1)
        ids = {"courier": courier.id, "van": van.id}

        acorn = make_customer("Acorn Café", default_shipping_option=courier)
        first = make_order(acorn, [(variants[0], 2)], status="pending", delivery_date=TUESDAY)
        second = make_order(
            acorn, [(variants[1], 1)], status="approved", channel="standing", delivery_date=FRIDAY
        )
        make_order(acorn, [(variants[0], 9)], delivery_date=TUESDAY - timedelta(weeks=1))  # last week's
        reminded(acorn, no_order_at=BEFORE_THE_WEEK + timedelta(hours=1))  # ordered after all: ordered wins
        ids.update(acorn=acorn.id, first=first.id, second=second.id)

        birch = make_customer("Birch Bakery", default_shipping_option=courier)
        make_order(birch, [(variants[0], 1)], status="cancelled", delivery_date=TUESDAY)
        make_order(birch, [(variants[0], 1)], status="draft", delivery_date=TUESDAY)
        reminded(birch)
        ids["birch"] = birch.id

        cedar = make_customer("Cedar Hotel", default_shipping_option=courier)
        standing(cedar, van, variants[0])
        ids["cedar"] = cedar.id

        dune = make_customer("Dune Deli", default_shipping_option=van)
        skipped = standing(dune, van, variants[0])
        db.session.add(
            StandingDelivery(standing_order_id=skipped.id, delivery_date=TUESDAY, outcome="skipped")
        )
        reminded(dune, at=BEFORE_THE_WEEK - timedelta(days=5))
        reminded(dune, no_order_at=BEFORE_THE_WEEK + timedelta(hours=3))  # the latest answers
        ids["dune"] = dune.id

        elm = make_customer("Elm Office", default_shipping_option=courier)
        reminded(elm, at=BEFORE_THE_WEEK - timedelta(days=2), outcome="sent-now")
        ids["elm"] = elm.id

        fig = make_customer("Fig Grocer")
        reminded(fig, at=BEFORE_THE_WEEK - timedelta(weeks=1), no_order_at=BEFORE_THE_WEEK)  # last week's
        reminded(fig, outcome="skipped")
        ids["fig"] = fig.id

        gone = make_customer("Gone Café", active=False)
        make_order(gone, [(variants[0], 1)], status="pending", delivery_date=TUESDAY)
        ids["gone"] = gone.id

        hazel = make_customer("Hazel Kiosk", default_shipping_option=van)
        standing(hazel, van, variants[0], paused_until=TUESDAY + timedelta(weeks=1))
        standing(hazel, van, variants[0], stopped_at=BEFORE_THE_WEEK)
        ids["hazel"] = hazel.id

        ivy = make_customer("Ivy Inn", default_shipping_option=van)  # skipped its standing delivery ahead
        skipped_ahead = standing(ivy, van, variants[0])
        db.session.add(
            StandingDelivery(
                standing_order_id=skipped_ahead.id,
                delivery_date=TUESDAY,
                outcome="skipped",
                reason="Skipped by Contact 0 of Ivy Inn (Ivy Inn).",
            )
        )
        ids["ivy"] = ivy.id

        jade = make_customer(
            "=Jade Juice", contacts=0
        )  # no contact to remind, and a name a spreadsheet would run
        ids["jade"] = jade.id
        db.session.commit()
        return ids


@pytest.fixture
def week_ids(app, friday):
    return build_week(app)


STATES = {
    "Acorn Café": "ordered",
    "Birch Bakery": "reminded",
    "Cedar Hotel": "standing",
    "Dune Deli": "no-order",
    "Elm Office": "reminded",
    "Fig Grocer": "silent",
    "Hazel Kiosk": "silent",
    "Ivy Inn": "no-order",
    "=Jade Juice": "silent",
}


def test_each_customer_is_in_one_state_first_match_wins(app, week_ids):
    with app.app_context():
        shown = board.week_board(WEEK)
        assert {row.business_name: row.state for row in shown.rows} == STATES
        rows = {row.business_name: row for row in shown.rows}
        assert [order.id for order in rows["Acorn Café"].orders] == [week_ids["first"], week_ids["second"]]
        [due] = rows["Cedar Hotel"].standing
        assert (due.day, due.places_at) == (TUESDAY, datetime(2026, 12, 8, 1, 0, tzinfo=UTC))  # Mon 17:00 PST
        assert rows["Cedar Hotel"].option_id == week_ids["van"]
        assert rows["Elm Office"].reminded_at == BEFORE_THE_WEEK - timedelta(days=2)
        assert shown.counts() == {"ordered": 1, "standing": 1, "no-order": 2, "reminded": 2, "silent": 3}
        assert rows["Ivy Inn"].skipped == [(TUESDAY, "Skipped by Contact 0 of Ivy Inn (Ivy Inn).")]
        assert rows["Dune Deli"].skipped == []  # a delivery the tick skipped is not the customer's answer


def test_the_page_says_it_for_each_row(staff_client, week_ids):
    response = staff_client.get(URL)
    assert response.status_code == 200
    page, html = text(response), response.get_data(as_text=True)
    assert "Week of Mon 7 Dec – Sun 13 Dec 2026" in page
    assert f"Acorn Café Ordered W{week_ids['first']:06d} Pending $29.00 for Tue 8 Dec" in page
    assert f'href="/admin/orders/{week_ids["second"]}"' in html
    assert "Approved $82.00 for Fri 11 Dec, placed by its standing order" in page
    assert (
        "Cedar Hotel Standing order Delivers Tue 8 Dec: places itself at Mon 7 Dec, 17:00 Roastery van"
        in page
    )
    assert "Dune Deli No order this week Answered Sun 6 Dec, 05:00" in page
    assert "Elm Office Reminded, silent Reminded Fri 4 Dec, 02:00 Courier" in page
    assert "Fig Grocer Not reminded No reminder for this week" in page
    assert "Gone Café" not in page
    assert "went out from the Monday before the week to its end" in page  # what "reminded" means
    # Only the silent ones can be ticked.
    ticks = {name for name, state in STATES.items() if state in board.SILENT}
    assert html.count('name="customer_id"') == len(ticks)
    assert f'value="{week_ids["acorn"]}" aria-label' not in html
    assert '<a href="/admin/week" aria-current="page">Week</a>' in html


def test_the_board_opens_on_the_next_delivery_week(staff_client, week_ids):
    page = text(staff_client.get("/admin/week"))
    assert "Week of Mon 7 Dec – Sun 13 Dec 2026" in page
    after = text(staff_client.get("/admin/week?week=2026-12-14"))
    assert "Week of Mon 14 Dec – Sun 20 Dec 2026" in after and "Acorn Café Not reminded" in after


@pytest.mark.parametrize(
    ("now", "monday"),
    [
        (FRIDAY_NOON, date(2026, 12, 7)),  # Friday's deliveries closed on Thursday: next week
        (datetime(2026, 12, 7, 16, 0, tzinfo=UTC), date(2026, 12, 7)),  # Monday 08:00: Tuesday is still open
        (datetime(2026, 12, 11, 2, 0, tzinfo=UTC), date(2026, 12, 14)),  # Thursday 18:00: Friday has closed
    ],
)
def test_the_next_delivery_week_holds_the_earliest_date_still_open(app_ctx, now, monday):
    make_shipping("Courier")  # Monday to Friday, orders close the day before at 17:00
    db.session.commit()
    assert next_delivery_week(calendar(now), now) == Week(monday)


def test_with_no_option_offering_a_date_it_is_this_week(app_ctx, friday):
    assert next_delivery_week(calendar()) == Week(date(2026, 11, 30))


def test_filters_by_state_and_by_shipping_option(staff_client, week_ids):
    silent = text(staff_client.get(URL + "&state=silent"))
    assert "Fig Grocer" in silent and "Hazel Kiosk" in silent and "Elm Office" not in silent
    van = text(staff_client.get(URL + f"&option={week_ids['van']}"))
    assert "Cedar Hotel" in van and "Dune Deli" in van and "Hazel Kiosk" in van
    assert "Acorn Café" not in van and "Elm Office" not in van
    assert (
        "Everyone (4) Ordered (0) Standing order (1) No order this week (2) Reminded, silent (0) Not reminded (1)"
        in van
    )
    both = text(staff_client.get(URL + f"&option={week_ids['van']}&state=standing"))
    assert "Cedar Hotel" in both and "Dune Deli" not in both


def test_filters_that_do_not_parse_are_explained_not_a_500(staff_client, week_ids):
    response = staff_client.get("/admin/week?week=2026-02-30&state=everyone&option=abc")
    assert response.status_code == 400
    page = text(response)
    assert "That is not a date on the calendar" in page and "Choose a shipping option from the list" in page
    assert "Week of Mon 7 Dec – Sun 13 Dec 2026" in page  # the default week, all rows
    far = staff_client.get("/admin/week?week=2031-01-01")
    assert far.status_code == 400 and "within a year of today" in text(far)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    args=st.dictionaries(
        st.sampled_from(["week", "state", "option"]),
        st.one_of(
            st.text(max_size=20), st.sampled_from(["2026-12-07", "silent", "1", "99999999999", "\x00"])
        ),
        max_size=3,
    )
)
def test_no_query_string_makes_a_500(staff_client, week_ids, args):
    for path in ("/admin/week", "/admin/week.csv"):
        response = staff_client.get(path, query_string=args)
        assert response.status_code in (200, 400), (path, args, response.status_code)


def reminder_addresses(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Email.to_address).where(Email.kind == "reminder")))


def test_remind_again_sends_to_the_ticked_silent_ones_only(app, staff_client, forms, week_ids):
    ticked = [week_ids[k] for k in ("elm", "fig", "acorn", "dune", "cedar", "jade", "gone")] + [2_000_000]
    response = forms.post(
        "/admin/week/remind",
        {"week": "2026-12-07", "state": "silent", "customer_id": [*map(str, ticked), "abc", "-1"]},
        page=URL,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/week?week=2026-12-07&state=silent"
    assert reminder_addresses(app) == ["c0@elmoffice.example", "c0@figgrocer.example"]
    page = text(staff_client.get(response.headers["Location"]))
    assert "Reminded 2 customers again: Elm Office, Fig Grocer." in page
    assert "Not sent to Acorn Café: has an order for the week already" in page
    assert "Not sent to Dune Deli: said “no order this week”" in page
    assert "Not sent to Cedar Hotel: a standing order will place one for the week" in page
    assert "Not sent to =Jade Juice: No contact of =Jade Juice gets the weekly reminder" in page
    assert f"Not sent to Customer #{week_ids['gone']}: is not an active customer" in page
    assert "Not sent to Customer #2000000: is not an active customer" in page
    with app.app_context():  # Fig is reminded for the week now, by staff's "send now"
        rows = {row.business_name: row for row in board.week_board(WEEK).rows}
        assert rows["Fig Grocer"].state == "reminded" and rows["Fig Grocer"].reminded_at == FRIDAY_NOON


def test_remind_again_with_nothing_ticked_or_no_week_sends_nothing(app, forms, staff_client, week_ids):
    response = forms.post("/admin/week/remind", {"week": "2026-12-07"})
    assert response.status_code == 303 and "Tick the silent customers" in text(staff_client.get(URL))
    response = forms.post("/admin/week/remind", {"customer_id": str(week_ids["elm"])})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/week"
    assert "The week is missing; reload the page. Nothing was sent." in text(staff_client.get(URL))
    assert reminder_addresses(app) == []


def test_remind_again_needs_the_csrf_token(app, staff_client, week_ids):
    response = staff_client.post(
        "/admin/week/remind", data={"week": "2026-12-07", "customer_id": week_ids["elm"]}
    )
    assert response.status_code == 400
    assert reminder_addresses(app) == []


def test_the_csv_is_the_board_with_safe_cells(app, staff_client, week_ids):
    response = staff_client.get("/admin/week.csv?week=2026-12-07")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="week-2026-12-07.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    first, second = (f"W{week_ids[k]:06d}" for k in ("first", "second"))
    assert rows == [
        ["customer", "state", "shipping option", "orders", "order statuses", "orders total", "details"],
        ["'=Jade Juice", "Not reminded", "", "", "", "", ""],
        ["Acorn Café", "Ordered", "Courier", f"{first} {second}", "Pending Approved", "111.00", ""],
        ["Birch Bakery", "Reminded, silent", "Courier", "", "", "", "reminded Sun 6 Dec, 02:00"],
        [
            "Cedar Hotel",
            "Standing order",
            "Roastery van",
            "",
            "",
            "",
            "delivers Tue 8 Dec, places itself at Mon 7 Dec, 17:00",
        ],
        ["Dune Deli", "No order this week", "Roastery van", "", "", "", "answered Sun 6 Dec, 05:00"],
        ["Elm Office", "Reminded, silent", "Courier", "", "", "", "reminded Fri 4 Dec, 02:00"],
        ["Fig Grocer", "Not reminded", "", "", "", "", ""],
        ["Hazel Kiosk", "Not reminded", "Roastery van", "", "", "", ""],
        [
            "Ivy Inn",
            "No order this week",
            "Roastery van",
            "",
            "",
            "",
            "skipped Tue 8 Dec: Skipped by Contact 0 of Ivy Inn (Ivy Inn).",
        ],
    ]
    filtered = staff_client.get(f"/admin/week.csv?week=2026-12-07&state=standing&option={week_ids['van']}")
    assert [row[0] for row in csv.reader(io.StringIO(filtered.get_data(as_text=True)))][1:] == ["Cedar Hotel"]


def add_customers(app, count: int) -> None:
    with app.app_context():
        option = db.session.scalar(select(ShippingOption).where(ShippingOption.name == "Roastery van"))
        variant = db.session.scalar(select(Variant).order_by(Variant.id).limit(1))
        for n in range(count):
            customer = make_customer(f"More {count}-{n:04d}")
            if n % 3 == 0:
                make_order(customer, [(variant, 1)], status="pending", delivery_date=TUESDAY)
            elif n % 3 == 1:
                standing(customer, option, variant)
            else:
                reminded(customer)
        db.session.commit()


def statements_of(app, client, path: str) -> int:
    with recorded_statements(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


@pytest.mark.parametrize("path", ["/admin/week", "/admin/week/forecast"])
def test_the_pages_cost_the_same_statements_for_10_or_100_more_customers(app, staff_client, week_ids, path):
    counted = [statements_of(app, staff_client, f"{path}?week=2026-06-01")]  # a week with nothing in it
    for more in (10, 90):
        add_customers(app, more)
        counted.append(statements_of(app, staff_client, f"{path}?week=2026-12-07"))
    assert counted[0] == counted[1] == counted[2] and counted[0] <= 15, counted
    print("statements for", path, counted)


def test_reminders_are_sent_only_while_they_answer_the_week(app, staff_client, forms, week_ids):
    after = staff_client.get("/admin/week?week=2026-12-14").get_data(as_text=True)
    assert "Reminders for this week can be sent from Mon 7 Dec, 00:00." in after
    assert 'name="customer_id"' not in after and "Remind again</button>" not in after
    response = forms.post("/admin/week/remind", {"week": "2026-12-14", "customer_id": str(week_ids["elm"])})
    page = text(staff_client.get(response.headers["Location"]))
    assert "Reminders for this week can be sent from Mon 7 Dec, 00:00. Nothing was sent." in page
    response = forms.post("/admin/week/remind", {"week": "2026-11-23", "customer_id": str(week_ids["elm"])})
    assert "This week is over" in text(staff_client.get(response.headers["Location"]))
    assert reminder_addresses(app) == []


def test_htmx_filters_swap_the_board_from_the_same_page(staff_client, week_ids):
    page = staff_client.get(URL).get_data(as_text=True)
    assert 'hx-get="/admin/week" hx-target="#board" hx-select="#board"' in page
    response = staff_client.get(URL + "&state=standing", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<div id="board">' in html and "Cedar Hotel" in html
    assert "Acorn Café" not in html
