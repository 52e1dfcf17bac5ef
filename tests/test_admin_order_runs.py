"""Issue 19: from a production run staff open its orders, and the Approved tab says which run each order is
roasted in (or that it is not scheduled yet), read with the list in one statement."""

from __future__ import annotations

import re
from datetime import date

from wholesale.extensions import db
from wholesale.models import ProductionRun

from .factories import make_catalog, make_customer, make_order
from .statements import recorded_statements

TUESDAY = date(2026, 12, 8)


def approved_orders(app, scheduled: int, unscheduled: int = 1) -> tuple[int, list[str], list[str]]:
    with app.app_context():
        bag, _ = make_catalog(coffees=1)
        run = ProductionRun(roast_date=TUESDAY, status="open", notes="")
        db.session.add(run)
        db.session.flush()
        planned = [
            make_order(make_customer(f"Planned {n}"), [(bag, 1)], status="approved", production_run_id=run.id)
            for n in range(scheduled)
        ]
        waiting = [
            make_order(make_customer(f"Waiting {n}"), [(bag, 1)], status="approved")
            for n in range(unscheduled)
        ]
        db.session.commit()
        return run.id, [o.number for o in planned], [o.number for o in waiting]


def row_of(html: str, number: str) -> str:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return next(row for row in body.split("</tr>") if f"<td>{number}</td>" in row)


def test_the_approved_tab_names_each_orders_run_or_says_it_is_not_scheduled(app, staff_client):
    run_id, (planned,), (waiting,) = approved_orders(app, scheduled=1)
    html = staff_client.get("/admin/?status=approved").get_data(as_text=True)
    assert '<th scope="col">Production run</th>' in html
    assert f'<a href="/admin/production/{run_id}">Run #{run_id}, roast Tue 8 Dec</a>' in row_of(html, planned)
    assert "not scheduled" in row_of(html, waiting) and "/admin/production/" not in row_of(html, waiting)
    # Pending orders are not planned yet: no column for it there.
    assert "Production run</th>" not in staff_client.get("/admin/").get_data(as_text=True)


def test_the_run_column_costs_no_statement_per_order(app, staff_client):
    approved_orders(app, scheduled=6, unscheduled=3)
    staff_client.get("/admin/?status=approved")
    with recorded_statements(app) as statements:
        html = staff_client.get("/admin/?status=approved").get_data(as_text=True)
    assert html.count("roast Tue 8 Dec") == 6 and html.count("not scheduled") == 3
    assert not [s for s in statements if re.search(r"FROM production_run WHERE", s)]
    assert len([s for s in statements if 'FROM "order" JOIN customer' in s]) == 1


def test_a_runs_orders_link_to_the_order(app, staff_client):
    run_id, (first, second), _ = approved_orders(app, scheduled=2, unscheduled=0)
    html = staff_client.get(f"/admin/production/{run_id}").get_data(as_text=True)
    for number in (first, second):
        assert f'<a href="/admin/orders/{int(number[1:])}">{number}</a>' in html
