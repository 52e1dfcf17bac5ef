"""Standing orders on the portal and in the back office: what the customer and staff see, and what each
action (all plain form posts: no JavaScript needed) leaves in the database; another customer's ids are a
404."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Customer, Order, StandingDelivery, StandingOrder
from wholesale.services.standing import manage

from .conftest import Forms, csrf_from, sign_in_staff
from .factories import sign_in_contact
from .routes import fill, routes
from .standing_roastery import FRI, TUE, clock, local, roastery  # noqa: F401  (fixtures)

TUESDAY, FRIDAY = 1, 4


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def plain(html: str) -> str:
    """What a reader sees of ``html``: its text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ",").replace(" .", ".")


@pytest.fixture
def ana(app, roastery):
    """Ana Lopez of Blue Door Café, signed in on the portal."""
    client = app.test_client()
    with app.app_context():
        sign_in_contact(client, db.session.get(Contact, roastery.contact_id))
    return Forms(client)


@pytest.fixture
def bo(app, roastery):
    """Bo Smith, staff, signed in to the back office."""
    client = app.test_client()
    sign_in_staff(client, roastery.staff_id)
    return Forms(client)


def make(app, roastery, **changes) -> int:
    """Blue Door's last order made standing (every 2 weeks on Tuesday by the van) through the service."""
    arguments = dict(every_weeks=2, weekday=TUESDAY, shipping_option_id=roastery.van_id)
    arguments.update(changes)
    with app.app_context():
        customer = db.session.get(Customer, roastery.customer_id)
        source = db.session.get(Order, roastery.order_id)
        made = manage.make_standing(customer, source, by="Ana Lopez (Blue Door Café)", **arguments)
        return made.standing.id


def standing(app, standing_id: int) -> dict:
    with app.app_context():
        row = db.session.get(StandingOrder, standing_id)
        return {
            "every_weeks": row.every_weeks,
            "first_delivery": row.first_delivery,
            "option": row.shipping_option.name,
            "paused_until": row.paused_until,
            "stopped": row.stopped,
            "lines": [(line.label, line.quantity) for line in row.lines],
            "notes": row.notes,
            "changed_by": row.changed_by,
            "version": row.version,
        }


def skipped_days(app, standing_id: int) -> list[date]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                select(StandingDelivery.delivery_date).where(
                    StandingDelivery.standing_order_id == standing_id, StandingDelivery.outcome == "skipped"
                )
            )
        )


def followed(forms: Forms, response) -> str:
    assert response.status_code == 303, (response.status_code, text(response)[:500])
    return text(forms.client.get(response.headers["Location"]))


# --- The customer makes one ----------------------------------------------------------------------------------


def test_a_placed_orders_page_offers_to_make_it_standing(ana, roastery):
    page = text(ana.client.get(f"/orders/{roastery.order_id}"))
    assert f'href="/standing/new?from={roastery.order_id}">Make this standing</a>' in page
    assert re.search(r'href="/standing" *>Standing</a>', page)  # and the portal's navigation lists them


def test_the_customer_makes_an_order_standing_without_javascript(app, ana, roastery):
    form = text(ana.client.get(f"/standing/new?from={roastery.order_id}"))
    assert "Make a standing order" in form and f"the items of order {roastery.order_number}" in form
    assert "1 × Coffee 02, 5 lb bag (no longer offered: left out)" in plain(form)
    assert re.search(r'<option selected value="1">Tuesday</option>|<option value="1" selected>Tuesday', form)
    assert f'<option value="{roastery.van_id}" selected>Roastery van (delivers Tue, Fri)</option>' in form
    assert ">Friday</option>" in form and ">Saturday</option>" not in form  # no option delivers at weekends

    response = ana.post(
        "/standing/new",
        {
            "source_order_id": roastery.order_id,
            "every_weeks": "2",
            "weekday": "1",
            "shipping_option_id": roastery.van_id,
        },
        page=f"/standing/new?from={roastery.order_id}",
    )

    with app.app_context():
        [made] = db.session.scalars(
            select(StandingOrder).where(StandingOrder.customer_id == roastery.customer_id)
        )
        made_id = made.id
    assert response.headers["Location"] == f"/standing#standing-{made_id}"
    page = followed(ana, response)
    assert "Every 2 weeks on Tuesday by Roastery van: your standing order is set." in page
    assert "Left out because no longer offered: Coffee 02, 5 lb bag." in page
    assert "Every 2 weeks on Tuesday by Roastery van</h2>" in page
    assert "Next order places itself at Sun 6 Dec, 17:00, for delivery Tue 8 Dec." in plain(page)
    assert "places itself at Sun 20 Dec, 17:00" in page  # the one after, two weeks on
    assert standing(app, made_id)["lines"] == [
        ("Coffee 00, 340 g bag · Espresso", 4),
        ("Coffee 01, 340 g bag", 2),
    ]
    assert standing(app, made_id)["changed_by"] == "Ana Lopez (Blue Door Café)"


def test_a_day_the_option_does_not_deliver_is_refused_beside_the_field(app, ana, roastery):
    response = ana.post(
        "/standing/new",
        {
            "source_order_id": roastery.order_id,
            "every_weeks": "1",
            "weekday": "0",
            "shipping_option_id": roastery.van_id,
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert re.search(
        r'class="error"[^>]*>Roastery van delivers on Tue, Fri only: choose one of those days.<', page
    )
    with app.app_context():
        assert (
            db.session.scalars(
                select(StandingOrder).where(StandingOrder.customer_id == roastery.customer_id)
            ).all()
            == []
        )


def test_only_the_customers_own_orders_can_be_made_standing(app, ana, roastery):
    assert ana.client.get(f"/standing/new?from={roastery.rival_order_id}").status_code == 404
    response = ana.post(
        "/standing/new",
        {
            "source_order_id": roastery.rival_order_id,
            "every_weeks": "1",
            "weekday": "1",
            "shipping_option_id": roastery.van_id,
        },
    )
    assert response.status_code == 404
    no_source = ana.client.get("/standing/new")
    assert (no_source.status_code, no_source.headers["Location"]) == (303, "/orders")


def test_the_order_page_links_to_making_it_standing_without_a_query_more(app, ana, roastery):
    page = text(ana.client.get("/order"))
    assert "Make this order standing" in page


# --- The customer's list and its actions ---------------------------------------------------------------------


def test_the_list_shows_only_the_customers_own_standing_orders(app, ana, roastery):
    make(app, roastery)
    page = text(ana.client.get("/standing"))
    assert "Every 2 weeks on Tuesday by Roastery van" in page
    assert ">Monday</option>" in page and ">Sunday</option>" not in page
    assert (
        "Courier" not in page.split("<h1>")[1].split("Change this standing order")[0]
    )  # Rival's is not shown
    assert page.count('class="card standing-order"') == 1


def test_skip_a_delivery_then_undo_it(app, ana, roastery):
    made = make(app, roastery, every_weeks=1)
    page = followed(ana, ana.post(f"/standing/{made}/skip", {"day": TUE.isoformat()}, page="/standing"))
    assert "The delivery of Tue 8 Dec is skipped." in page
    assert skipped_days(app, made) == [TUE]
    assert 'aria-label="Undo skipping Tue 8 Dec">Undo</button>' in page
    assert "Next order places itself at Sun 13 Dec, 17:00, for delivery Tue 15 Dec." in plain(page)

    page = followed(ana, ana.post(f"/standing/{made}/unskip", {"day": TUE.isoformat()}))
    assert "The delivery of Tue 8 Dec is back on." in page
    assert skipped_days(app, made) == []


def test_a_closed_day_shows_why_there_is_no_delivery(app, ana, roastery):
    from wholesale.models import ClosedDate

    made = make(app, roastery, every_weeks=1)
    with app.app_context():
        db.session.add(ClosedDate(day=TUE, note="Holiday"))
        db.session.commit()
    page = text(ana.client.get("/standing"))
    assert 'No delivery</span> <span class="muted">The roastery is closed on Tue 8 Dec.' in page
    assert "Next order places itself at Sun 13 Dec, 17:00" in plain(page)
    assert made


def test_pause_until_a_date_then_resume(app, ana, roastery):
    made = make(app, roastery, every_weeks=1)
    version = standing(app, made)["version"]
    page = followed(ana, ana.post(f"/standing/{made}/pause", {"until": "2027-01-10", "version": version}))
    assert "Paused: no delivery before Sun 10 Jan." in page
    assert "Paused until Sun 10 Jan: no delivery before then." in page
    assert "for delivery Tue 12 Jan" in page
    assert standing(app, made)["paused_until"] == date(2027, 1, 10)

    page = followed(ana, ana.post(f"/standing/{made}/resume", {"version": standing(app, made)["version"]}))
    assert "Resumed" in page and standing(app, made)["paused_until"] is None


def test_a_pause_in_the_past_is_refused_and_changes_nothing(app, ana, roastery):
    made = make(app, roastery)
    before = standing(app, made)
    for until in ("2026-12-01", "", "not a date"):
        page = followed(
            ana, ana.post(f"/standing/{made}/pause", {"until": until, "version": before["version"]})
        )
        assert re.search("Choose a date after today|Enter a date like|Not a valid date value", page), until
    assert standing(app, made) == before


def test_stopping_asks_first_on_a_page_of_its_own(app, ana, roastery):
    made = make(app, roastery)
    version = standing(app, made)["version"]
    ask = ana.post(f"/standing/{made}/stop", {"version": version})
    assert ask.status_code == 200
    page = text(ask)
    assert "Stop this standing order?" in page and "Yes, stop it" in page
    assert 'name="confirmed" value="1"' in page
    assert standing(app, made)["stopped"] is False

    page = followed(
        ana, ana.post(f"/standing/{made}/stop", {"version": version, "confirmed": "1"}, page="/standing")
    )
    assert "Stopped: Every 2 weeks on Tuesday by Roastery van places no more orders." in page
    assert "it places no more orders" in page and "Change this standing order" not in page
    assert standing(app, made)["stopped"] is True


def test_change_the_schedule_quantities_and_add_a_size(app, ana, roastery):
    made = make(app, roastery)
    version = standing(app, made)["version"]
    page = followed(
        ana,
        ana.post(
            f"/standing/{made}/change",
            {
                "every_weeks": "1",
                "weekday": "4",
                "shipping_option_id": roastery.van_id,
                "notes": "Side door",
                "version": version,
            },
        ),
    )
    assert "Saved: Every week on Friday by Roastery van." in page
    after = standing(app, made)
    assert (after["every_weeks"], after["first_delivery"], after["notes"]) == (1, FRI, "Side door")

    with app.app_context():
        first, second = (line.id for line in db.session.get(StandingOrder, made).lines)
    page = followed(
        ana,
        ana.post(
            f"/standing/{made}/quantities",
            {f"quantity-{first}": "0", f"quantity-{second}": "7", "version": after["version"]},
        ),
    )
    assert "Saved the quantities." in page
    assert standing(app, made)["lines"] == [("Coffee 01, 340 g bag", 7)]

    page = followed(
        ana,
        ana.post(
            f"/standing/{made}/lines",
            {
                "variant_id": roastery.variant_ids[0],
                "option": "Filter",
                "quantity": "2",
                "version": standing(app, made)["version"],
            },
        ),
    )
    assert "Added Coffee 00, 340 g bag · Filter (2 each delivery)." in page
    assert standing(app, made)["lines"] == [("Coffee 01, 340 g bag", 7), ("Coffee 00, 340 g bag · Filter", 2)]


def test_bad_input_is_told_and_changes_nothing(app, ana, roastery):
    made = make(app, roastery)
    before = standing(app, made)
    with app.app_context():
        line = db.session.get(StandingOrder, made).lines[0].id
    for url, data, message in [
        *(
            (
                f"/standing/{made}/quantities",
                {f"quantity-{line}": nasty},
                "Enter each quantity as a whole number",
            )
            for nasty in ("1.5", "-1", "٣", "1e3", "", "\x00", "9" * 30)
        ),
        (f"/standing/{made}/quantities", {f"quantity-{line}": "1000"}, "Enter a quantity from 1 to 999."),
        (f"/standing/{made}/lines", {"variant_id": roastery.variant_ids[5]}, "not available any more"),
        (
            f"/standing/{made}/change",
            {"every_weeks": "3", "weekday": "1", "shipping_option_id": roastery.van_id},
            "every 2 weeks",
        ),
        (f"/standing/{made}/skip", {"day": "2026-12-09"}, ""),
    ]:
        page = followed(ana, ana.post(url, {**data, "version": before["version"]}))
        assert message in page, (url, data)
    assert standing(app, made) == before
    assert skipped_days(app, made) == []


def test_a_change_from_a_page_shown_before_another_change_is_refused(app, ana, bo, roastery):
    made = make(app, roastery)
    old = standing(app, made)["version"]
    followed(
        bo,
        bo.post(
            f"/admin/standing-orders/{made}/change",
            {
                "every_weeks": "2",
                "weekday": "1",
                "shipping_option_id": roastery.courier_id,
                "notes": "",
                "version": old,
            },
        ),
    )
    page = followed(
        ana,
        ana.post(
            f"/standing/{made}/change",
            {"every_weeks": "1", "weekday": "1", "shipping_option_id": roastery.van_id, "version": old},
        ),
    )
    assert "was changed by staff: Bo Smith since this page was shown, so your change was not saved" in page
    after = standing(app, made)
    assert (after["option"], after["every_weeks"], after["changed_by"]) == ("Courier", 2, "staff: Bo Smith")


PORTAL_STANDING = [
    (method, rule) for method, rule, arguments in routes("portal.") if "standing_id" in arguments
]


@pytest.mark.parametrize(("method", "rule"), PORTAL_STANDING)
def test_another_customers_standing_order_is_not_found(app, ana, roastery, method, rule):
    before = standing(app, roastery.rival_standing_id)
    path = fill(rule, standing_id=roastery.rival_standing_id)
    data = {
        "day": "2026-12-09",
        "until": "2027-01-01",
        "confirmed": "1",
        "every_weeks": "1",
        "weekday": "2",
        "shipping_option_id": roastery.courier_id,
        "version": before["version"],
    }
    assert ana.post(path, data).status_code == 404
    assert ana.post(path, data, headers={"HX-Request": "true"}).status_code == 404
    assert standing(app, roastery.rival_standing_id) == before
    assert skipped_days(app, roastery.rival_standing_id) == []


def test_the_customer_page_works_with_htmx_headers_too(app, ana, roastery):
    made = make(app, roastery)
    token = csrf_from(text(ana.client.get("/standing")))
    response = ana.client.post(
        f"/standing/{made}/skip",
        data={"day": TUE.isoformat()},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 303 and skipped_days(app, made) == [TUE]


# --- Staff ---------------------------------------------------------------------------------------------------


def test_staff_list_every_standing_order_with_its_next_placement(app, bo, roastery):
    made = make(app, roastery)
    page = text(bo.client.get("/admin/standing-orders"))
    assert 'aria-current="page">Standing orders</a>' in page
    rows = page.split("<tbody>")[1]
    assert rows.index("Blue Door Café") < rows.index("Rival Roasters")
    assert 'Sun 6 Dec, 17:00 <span class="muted">for Tue 8 Dec' in rows  # Blue Door, by the van
    assert 'Tue 8 Dec, 17:00 <span class="muted">for Wed 9 Dec' in rows  # Rival, by courier
    assert f'href="/admin/standing-orders/{made}"' in rows

    with app.app_context():
        manage.pause_standing(db.session.get(StandingOrder, made), date(2027, 1, 10), "x")
    assert "Blue Door Café" not in text(bo.client.get("/admin/standing-orders")).split("<tbody>")[1]
    paused = text(bo.client.get("/admin/standing-orders?state=paused"))
    assert "Blue Door Café" in paused and "Paused until Sun 10 Jan" in paused
    assert "No stopped standing orders." in text(bo.client.get("/admin/standing-orders?state=stopped"))
    assert bo.client.get("/admin/standing-orders?state=gone").status_code == 404


def test_staff_change_a_standing_order_like_the_customer_and_are_named(app, bo, roastery):
    made = make(app, roastery, every_weeks=1)
    page = text(bo.client.get(f"/admin/standing-orders/{made}"))
    assert "Standing order of Blue Door Café" in page and "Made by Ana Lopez (Blue Door Café)" in page
    page = followed(
        bo,
        bo.post(
            f"/admin/standing-orders/{made}/skip",
            {"day": TUE.isoformat()},
            page=f"/admin/standing-orders/{made}",
        ),
    )
    assert "The delivery of Tue 8 Dec is skipped." in page and skipped_days(app, made) == [TUE]
    version = standing(app, made)["version"]
    page = followed(
        bo, bo.post(f"/admin/standing-orders/{made}/pause", {"until": "2027-01-05", "version": version})
    )
    assert standing(app, made)["changed_by"] == "staff: Bo Smith"
    ask = bo.post(f"/admin/standing-orders/{made}/stop", {"version": standing(app, made)["version"]})
    assert ask.status_code == 200 and "Stop this standing order?" in text(ask)
    followed(
        bo,
        bo.post(
            f"/admin/standing-orders/{made}/stop",
            {"version": standing(app, made)["version"], "confirmed": "1"},
        ),
    )
    assert standing(app, made)["stopped"] is True
    assert bo.client.get("/admin/standing-orders/99999").status_code == 404


def test_the_customer_page_lists_its_standing_orders_and_makes_new_ones(app, bo, roastery):
    page = text(bo.client.get(f"/admin/customers/{roastery.customer_id}"))
    assert "None: Blue Door Café orders each delivery itself." in page
    assert (
        f'href="/admin/customers/{roastery.customer_id}/standing-orders/new?from={roastery.order_id}">New standing order from order {roastery.order_number}</a>'
        in page
    )

    form_url = f"/admin/customers/{roastery.customer_id}/standing-orders/new?from={roastery.order_id}"
    response = bo.post(
        f"/admin/customers/{roastery.customer_id}/standing-orders/new",
        {
            "source_order_id": roastery.order_id,
            "every_weeks": "4",
            "weekday": "4",
            "shipping_option_id": roastery.van_id,
        },
        page=form_url,
    )
    page = followed(bo, response)
    assert "Every 4 weeks on Friday by Roastery van for Blue Door Café is set." in page
    customer_page = text(bo.client.get(f"/admin/customers/{roastery.customer_id}"))
    assert "Every 4 weeks on Friday by Roastery van</a>" in customer_page
    assert "next places itself at Wed 9 Dec, 17:00 for Fri 11 Dec" in customer_page

    empty = bo.post(
        f"/admin/customers/{roastery.customer_id}/standing-orders/new",
        {"every_weeks": "1", "weekday": "0", "shipping_option_id": roastery.courier_id},
        page=f"/admin/customers/{roastery.customer_id}/standing-orders/new",
    )
    page = followed(bo, empty)
    assert "Every week on Monday by Courier" in page and "No items yet" in page
    with app.app_context():
        made = db.session.scalars(
            select(StandingOrder).where(
                StandingOrder.shipping_option_id == roastery.courier_id,
                StandingOrder.customer_id == roastery.customer_id,
            )
        ).one()
        assert (made.created_by, made.first_delivery, made.lines) == (
            "staff: Bo Smith",
            date(2026, 12, 7),
            [],
        )


def test_staff_cannot_make_one_from_another_customers_order(app, bo, roastery):
    url = f"/admin/customers/{roastery.customer_id}/standing-orders/new?from={roastery.rival_order_id}"
    assert bo.client.get(url).status_code == 404


def test_an_order_page_in_the_back_office_offers_make_standing(app, bo, roastery):
    page = text(bo.client.get(f"/admin/orders/{roastery.order_id}"))
    assert (
        f'href="/admin/customers/{roastery.customer_id}/standing-orders/new?from={roastery.order_id}">Make standing</a>'
        in page
    )


def test_a_customer_cannot_reach_the_staff_pages(app, ana, roastery):
    made = make(app, roastery)
    response = ana.client.get(f"/admin/standing-orders/{made}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/sign-in")
