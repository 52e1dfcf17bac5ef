"""Journey 3: staff plan a roast day from the approved orders, adjust it, close it and finish it.

Every refusal shows a message, changes nothing, and is never a 500.
"""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Order, OrderEvent, ProductionRun
from wholesale.services import production
from wholesale.services.errors import ServiceError
from wholesale.services.orders.history import Actor

from .conftest import csrf_from
from .production_data import OTHER_DAY, ROAST_DAY, make_roastery_catalog, order_ids, runs, week


@pytest.fixture
def orders(app):
    """The week's orders, by key, as (id, number)."""
    with app.app_context():
        made = week(make_roastery_catalog())
        return {key: (order.id, order.number) for key, order in made.items()}


def open_run(forms, roast_date, ids, expect=303):
    data = {"roast_date": roast_date.isoformat(), "order_ids": [str(i) for i in ids]}
    response = forms.post(
        "/admin/production/new", data, page=f"/admin/production/new?roast_date={roast_date}"
    )
    assert response.status_code == expect, response.get_data(as_text=True)[:2000]
    if expect == 303:
        return int(re.fullmatch(r"/admin/production/(\d+)", response.headers["Location"]).group(1))
    return response.get_data(as_text=True)


def text(response) -> str:
    """The page as a user reads it: tags removed, whitespace collapsed."""
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return re.sub(r" ([.,:])", r"\1", words)


def test_a_new_run_proposes_the_days_approved_orders_and_those_without_a_date(staff_client, orders):
    page = text(staff_client.get(f"/admin/production/new?roast_date={ROAST_DAY}"))
    for key in ("blue_portal", "blue_staff", "corner"):
        assert orders[key][1] in page
    assert orders["owl_pending"][1] not in page  # not approved yet
    assert orders["later"][1] not in page  # approved for another day
    # Each with its channel; one customer's two orders are marked before the run even exists.
    assert (
        "Blue Door Café more than one order portal" in page
        and "Blue Door Café more than one order staff" in page
    )
    # Each number beside a link that opens the order, to check it before ticking it.
    assert f"{orders['corner'][1]} open Corner Grocer portal not set" in page
    html = staff_client.get(f"/admin/production/new?roast_date={ROAST_DAY}").get_data(as_text=True)
    assert (
        f'href="/admin/orders/{orders["corner"][0]}" aria-label="Open order {orders["corner"][1]}">open</a>'
        in html
    )


def test_the_date_picker_suggests_the_next_day_orders_wait_for_and_htmx_gets_just_the_proposal(
    staff_client, orders
):
    html = staff_client.get("/admin/production").get_data(as_text=True)
    assert f'value="{ROAST_DAY.isoformat()}"' in html  # the earliest roast date of approved orders in no run
    response = staff_client.get(
        f"/admin/production/new?roast_date={OTHER_DAY}", headers={"HX-Request": "true"}
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="proposal">')
    assert (
        "<html" not in fragment
        and orders["later"][1] in fragment
        and orders["blue_portal"][1] not in fragment
    )
    response = staff_client.get("/admin/production/new?roast_date=2026-02-30", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "not a date on the calendar" in response.get_data(as_text=True)


def test_staff_open_a_run_with_the_ticked_orders(app, staff_client, forms, orders):
    ids = [orders["blue_portal"][0], orders["corner"][0]]  # Blue Door's staff order left unticked
    run_id = open_run(forms, ROAST_DAY, ids)

    assert runs(app) == [(run_id, ROAST_DAY, "open")]
    state = order_ids(app)
    assert [oid for oid, (_, run, _) in state.items() if run == run_id] == sorted(ids)
    with app.app_context():
        events = db.session.scalars(
            select(OrderEvent).where(OrderEvent.action == "added to production run")
        ).all()
        assert sorted(e.order_id for e in events) == sorted(ids)
        assert events[0].changes == {"production run": [None, f"#{run_id}"]} and events[0].staff_user_id

    page = staff_client.get(f"/admin/production/{run_id}")
    assert page.status_code == 200
    assert f"Opened production run #{run_id}" in text(page)


def test_the_run_page_shows_channels_customers_and_warns_of_duplicates(staff_client, forms, orders):
    run_id = open_run(forms, ROAST_DAY, [orders[k][0] for k in ("blue_portal", "blue_staff", "corner")])
    response = staff_client.get(f"/admin/production/{run_id}")
    html, page = response.get_data(as_text=True), text(response)

    assert "1 customer has more than one order in this run" in page
    assert f"Blue Door Café: 2 orders, {orders['blue_portal'][1]}, {orders['blue_staff'][1]}" in page
    assert page.index("more than one order in this run") < page.index("Orders in this run")  # at the top

    def row(key):
        return re.search(rf'<tr id="order-{orders[key][0]}"( class="duplicate")?>(.*?)</tr>', html, re.S)

    assert row("blue_portal").group(1) and row("blue_staff").group(1) and not row("corner").group(1)
    assert '<span class="pill portal">portal</span>' in row("blue_portal").group(2)
    assert '<span class="pill staff">staff</span>' in row("blue_staff").group(2)
    assert "more than one order" in row("blue_staff").group(2) and "Corner Grocer" in row("corner").group(2)
    # What to roast, with the exact grams of the known orders.
    assert "House Espresso 15 % 14 12,472 g 14,673 g" in page
    assert (
        "340 g bag (340 g net) 10 3,400 g 4,000 g" in page
        and "5 lb bag (2,268 g net) 4 9,072 g 10,673 g" in page
    )
    assert "rounded up to the whole gram" in page
    assert "Roastery mug" not in page.split("What to roast")[1].split("Add approved orders")[0]


def test_staff_add_and_remove_orders(app, staff_client, forms, orders):
    run_id = open_run(forms, ROAST_DAY, [orders["blue_portal"][0]])
    page = text(staff_client.get(f"/admin/production/{run_id}"))
    addable = page.split("Add approved orders")[1]
    assert orders["corner"][1] in addable and orders["later"][1] in addable  # another day's, under a fold
    assert orders["owl_pending"][1] not in addable

    url = f"/admin/production/{run_id}"
    response = forms.post(f"{url}/orders", {"order_ids": [orders["later"][0], orders["corner"][0]]}, page=url)
    assert response.status_code == 303
    assert {oid for oid, (_, run, _) in order_ids(app).items() if run == run_id} == {
        orders["blue_portal"][0],
        orders["later"][0],
        orders["corner"][0],
    }

    # The list is one form with one token; each row's Remove button posts it to its own order's address.
    html = staff_client.get(url).get_data(as_text=True)
    listed = html.split('id="orders-heading"')[1].split("</table>")[0]
    assert listed.count('name="csrf_token"') == 1 and listed.count("formaction=") == 3
    remove = f"{url}/orders/{orders['later'][0]}/remove"
    assert f'formaction="{remove}"' in listed
    response = staff_client.post(remove, data={"csrf_token": csrf_from(listed)})
    assert response.status_code == 303
    assert order_ids(app)[orders["later"][0]] == ("approved", None, "")
    assert "it is approved and free again" in text(staff_client.get(url))


def test_closing_puts_the_orders_in_production_on_the_runs_date_and_done_fulfils_them(
    app, staff_client, forms, orders
):
    ids = [orders[k][0] for k in ("blue_portal", "corner")]
    run_id = open_run(forms, ROAST_DAY, ids)
    url = f"/admin/production/{run_id}"

    assert forms.post(f"{url}/close", page=url).status_code == 303
    assert runs(app) == [(run_id, ROAST_DAY, "closed")]
    with app.app_context():
        closed = db.session.scalars(select(Order).where(Order.id.in_(ids))).all()
        assert {o.status for o in closed} == {"in_production"} and {o.roast_date for o in closed} == {
            ROAST_DAY
        }
        corner = db.session.get(Order, orders["corner"][0])
        assert corner.events[-1].changes == {
            "status": ["approved", "in_production"],
            "roast date": [None, ROAST_DAY.isoformat()],
        }
        assert db.session.get(ProductionRun, run_id).closed_at is not None
    assert "2 orders are in production" in text(staff_client.get(url))

    assert forms.post(f"{url}/done", page=url).status_code == 303
    assert runs(app) == [(run_id, ROAST_DAY, "done")]
    assert {order_ids(app)[i][0] for i in ids} == {"fulfilled"}
    assert order_ids(app)[orders["blue_staff"][0]] == ("approved", None, "")  # never in the run: untouched


# --- Bad input: a clear message, nothing changed, never a 500 ------------------------------------------


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01", "next monday", "0000-01-01", "2026-03-02T00:00"])
def test_an_impossible_date_is_refused_with_a_message(app, staff_client, forms, orders, bad):
    response = staff_client.get(f"/admin/production/new?roast_date={bad}")
    assert response.status_code == 400
    assert "That is not a date on the calendar" in text(response)
    response = forms.post(
        "/admin/production/new",
        {"roast_date": bad, "order_ids": [orders["corner"][0]]},
        page="/admin/production/new",
    )
    assert response.status_code == 400 and "not a date on the calendar" in text(response)
    assert runs(app) == []


def test_a_date_far_away_or_missing_is_refused(app, staff_client, forms):
    assert "within a year of today" in text(staff_client.get("/admin/production/new?roast_date=2099-01-01"))
    response = forms.post("/admin/production/new", {"roast_date": ""}, page="/admin/production/new")
    assert response.status_code == 400 and "Choose a roast date." in text(response)
    assert runs(app) == []


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["999999"], "Some of the chosen orders do not exist"),
        (["abc"], "That list of orders was not valid"),
        (["99999999999"], "That list of orders was not valid"),
        (["-1"], "That list of orders was not valid"),
    ],
)
def test_unknown_or_malformed_order_ids_are_refused(app, staff_client, forms, orders, ids, message):
    before = order_ids(app)
    body = open_run(forms, ROAST_DAY, [orders["corner"][0], *ids], expect=400)
    assert message in body
    assert runs(app) == [] and order_ids(app) == before


def test_an_order_not_approved_is_refused_and_nothing_is_created(app, staff_client, forms, orders):
    before = order_ids(app)
    body = open_run(forms, ROAST_DAY, [orders["corner"][0], orders["owl_pending"][0]], expect=400)
    assert (
        f"Only approved orders can go into a run or be merged: {orders['owl_pending'][1]} is pending." in body
    )
    assert runs(app) == [] and order_ids(app) == before


def test_an_order_is_in_one_run_only(app, staff_client, forms, orders):
    first = open_run(forms, ROAST_DAY, [orders["corner"][0]])
    second = open_run(forms, OTHER_DAY, [orders["later"][0]])
    before = order_ids(app)

    body = open_run(forms, ROAST_DAY, [orders["blue_portal"][0], orders["corner"][0]], expect=400)
    assert f"Already in another production run: {orders['corner'][1]} (Corner Grocer)" in body
    url = f"/admin/production/{second}"
    response = forms.post(f"{url}/orders", {"order_ids": [orders["corner"][0]]}, page=url)
    assert response.status_code == 400 and "Already in another production run" in text(response)
    assert order_ids(app) == before and len(runs(app)) == 2
    assert order_ids(app)[orders["corner"][0]][1] == first
    # A double submit of an order already in this run changes nothing and is no error.
    response = forms.post(f"{url}/orders", {"order_ids": [orders["later"][0]]}, page=url)
    assert response.status_code == 303 and order_ids(app) == before


def test_a_closed_run_takes_no_more_orders_and_cannot_lose_any(app, staff_client, forms, orders):
    run_id = open_run(forms, ROAST_DAY, [orders["corner"][0]])
    url = f"/admin/production/{run_id}"
    forms.post(f"{url}/close", page=url)
    before = order_ids(app)

    response = forms.post(f"{url}/orders", {"order_ids": [orders["blue_portal"][0]]}, page=url)
    assert response.status_code == 409
    assert f"Run #{run_id} ({ROAST_DAY:%a %d %b %Y}) is closed. Orders can only be added" in text(response)
    assert forms.post(f"{url}/orders/{orders['corner'][0]}/remove", page=url).status_code == 409
    assert forms.post(f"{url}/close", page=url).status_code == 409
    assert order_ids(app) == before and runs(app) == [(run_id, ROAST_DAY, "closed")]
    assert "Add approved orders" not in text(staff_client.get(url))  # the page offers nothing it would refuse


def test_other_refusals(app, staff_client, forms, orders):
    run_id = open_run(forms, ROAST_DAY, [])
    url = f"/admin/production/{run_id}"
    before = order_ids(app)

    response = forms.post(f"{url}/close", page=url)
    assert response.status_code == 400 and "This run has no orders yet" in text(response)
    response = forms.post(f"{url}/done", page=url)
    assert response.status_code == 409 and "Only a closed run (in production) can be marked done" in text(
        response
    )
    response = forms.post(f"{url}/orders", {}, page=url)
    assert response.status_code == 400 and "Tick at least one order to add." in text(response)
    response = forms.post(f"{url}/orders/{orders['corner'][0]}/remove", page=url)
    assert response.status_code == 400 and "That order is not in this run" in text(response)
    assert order_ids(app) == before and runs(app) == [(run_id, ROAST_DAY, "open")]

    for path in ("/admin/production/999", f"{url}/orders/{2**40}/remove", f"/admin/production/{2**40}"):
        method = staff_client.post if path.endswith("remove") else staff_client.get
        assert method(path, data={"csrf_token": forms.token(url)}).status_code == 404
    assert staff_client.post(f"{url}/close").status_code == 400  # no CSRF token
    assert runs(app) == [(run_id, ROAST_DAY, "open")]


# --- Concurrency: two staff, one order, two runs, the same moment ----------------------------------------


def test_two_concurrent_requests_cannot_put_one_order_in_two_runs(app, staff_client, forms, orders):
    first = open_run(forms, ROAST_DAY, [])
    second = open_run(forms, OTHER_DAY, [])
    token = forms.token(f"/admin/production/{first}")
    cookie = staff_client.get_cookie("session").value
    barrier = threading.Barrier(2)
    responses = {}

    def add(run_id):
        other = app.test_client()
        other.set_cookie("session", cookie)
        barrier.wait()
        responses[run_id] = other.post(
            f"/admin/production/{run_id}/orders", data={"csrf_token": token, "order_ids": orders["corner"][0]}
        )

    threads = [threading.Thread(target=add, args=(run_id,)) for run_id in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    statuses = sorted(r.status_code for r in responses.values())
    assert statuses == [303, 400], {k: r.get_data(as_text=True)[:500] for k, r in responses.items()}
    loser = next(r for r in responses.values() if r.status_code == 400)
    assert re.search(r"Already in another production run|Someone changed these orders", text(loser))
    winner = next(k for k, r in responses.items() if r.status_code == 303)
    assert order_ids(app)[orders["corner"][0]] == ("approved", winner, "")
    with app.app_context():
        added = select(func.count()).where(OrderEvent.action == "added to production run")
        assert db.session.scalar(added) == 1


def test_a_second_claim_waits_for_the_first_to_commit_and_is_then_refused(app, staff, orders, monkeypatch):
    """Forced interleaving: run A has claimed the order and not yet committed when run B asks for it."""
    with app.app_context():
        first, second = (
            ProductionRun(roast_date=day, status="open", notes="") for day in (ROAST_DAY, OTHER_DAY)
        )
        db.session.add_all([first, second])
        db.session.commit()
        first_id, second_id = first.id, second.id
    order_id = orders["corner"][0]
    claimable, a_holds, release = production.runs._claimable, threading.Event(), threading.Event()

    def claim_then_pause(run, ids):
        claimed = claimable(run, ids)
        if threading.current_thread().name == "A":
            a_holds.set()
            release.wait(10)
        return claimed

    monkeypatch.setattr(production.runs, "_claimable", claim_then_pause)
    results = {}

    def add(run_id):
        with app.app_context():
            run = db.session.get(ProductionRun, run_id)
            try:
                production.runs.add_orders(run, [order_id], Actor(staff_id=staff))
                results[threading.current_thread().name] = "added"
            except ServiceError as error:
                results[threading.current_thread().name] = error.message

    a = threading.Thread(target=add, args=(first_id,), name="A")
    b = threading.Thread(target=add, args=(second_id,), name="B")
    a.start()
    assert a_holds.wait(10)
    b.start()
    b.join(0.5)
    assert b.is_alive(), "B did not wait for A's locks"
    release.set()
    a.join(10)
    b.join(10)
    assert results["A"] == "added"
    assert results["B"].startswith(f"Already in another production run: {orders['corner'][1]}"), results
    assert order_ids(app)[order_id] == ("approved", first_id, "")
