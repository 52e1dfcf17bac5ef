"""The pages the bench measures, and the one request that stands for each.

Each page says who visits it (a customer contact, staff, or nobody), which request a visit makes, and what a
good answer is. The web load (``bench.web``) and the query count (``bench.queries``) both take their
requests from here, so adding a page is adding one class to ``PAGES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from .visits import Visit

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)  # without the cookie, which the visit adds
    body: str = ""
    expect: int = 200


class Page:
    key = ""
    title = ""
    visitor = "customer"  # "customer", "staff" or "anyone"
    # The share of the trivial route's throughput this page must reach, and the p99 it must stay under at 20
    # connections (the floors), if any.
    target_share: float | None = None
    target_p99_ms: float | None = None
    # Requests a visit makes in turn (e.g. two quantities, so that every request really changes a line).
    rounds = 1
    # Placing needs a fresh draft per order: the load opens the order page (?second=1) before each place
    # (see bench.web).
    places_orders = False

    def discover(self, app) -> dict | None:
        """What the request needs from the database (ids); None when this checkout has no such page."""
        return {}

    def request(self, visit: Visit, round_: int = 0, context: dict | None = None) -> Request:
        raise NotImplementedError


class Ping(Page):
    key, title, visitor = "ping", "/ping (trivial route)", "anyone"

    def request(self, visit, round_=0, context=None):
        return Request("GET", "/ping")


class OrderPage(Page):
    key, title, target_share, target_p99_ms = "order_page", "order page", 0.15, 100

    def request(self, visit, round_=0, context=None):
        return Request("GET", "/order")


class QuantityChange(Page):
    """The htmx POST a +/− tap or a typed number makes: the line and the totals come back as fragments."""

    key, title, rounds = "quantity_change", "quantity change (htmx)", 2
    target_share, target_p99_ms = 0.10, 150

    def request(self, visit, round_=0, context=None):
        path, quantity = visit.lines[0]
        quantity = (
            quantity + 1 if round_ % 2 == 0 else quantity
        )  # alternate, so each request changes the line
        headers = {"HX-Request": "true", "X-CSRFToken": visit.csrf, "Content-Type": FORM}
        return Request("POST", path, headers, urlencode({"csrf_token": visit.csrf, "quantity": quantity}))


class PlaceOrder(Page):
    key, title, places_orders = "place_order", "placing an order", True

    def request(self, visit, round_=0, context=None):
        body = urlencode(
            {
                "csrf_token": visit.csrf,
                "idempotency_key": visit.idempotency_key,
                "shipping_option_id": visit.shipping_option_id,
                "notes": "",
                # The load places order after order for each customer: the later ones for a delivery already
                # ordered, as the button that says so does.
                "second_order": "y",
            }
        )
        return Request("POST", visit.place_path, {"Content-Type": FORM}, body, expect=303)


class PendingTab(Page):
    key, title, visitor = "pending_tab", "Pending tab (staff)", "staff"

    def request(self, visit, round_=0, context=None):
        return Request("GET", "/admin/?status=pending")


class ProductionRunPage(Page):
    """A production run as staff plan it: orders with channel badges, duplicates, roast totals per coffee."""

    key, title, visitor = "production_run", "production run (staff)", "staff"

    def discover(self, app):
        if "admin.production_run" not in app.view_functions:
            return None
        from sqlalchemy import func, select

        from wholesale.extensions import db
        from wholesale.models import Order

        with app.app_context():
            # The run with the most recent roast date that has orders: last week's, being roasted.
            run_id = db.session.scalar(
                select(Order.production_run_id)
                .where(Order.production_run_id.is_not(None))
                .group_by(Order.production_run_id)
                .order_by(func.max(Order.roast_date).desc(), Order.production_run_id.desc())
                .limit(1)
            )
            orders = db.session.scalar(select(func.count()).where(Order.production_run_id == run_id))
            db.session.remove()
        return {"run_id": run_id, "orders": orders}

    def request(self, visit, round_=0, context=None):
        return Request("GET", f"/admin/production/{context['run_id']}")


class WeekBoardPage(Page):
    """The week board: every active customer's state for a delivery week, on the last week the data has
    deliveries in (most customers ordered, some standing, some said no, some silent)."""

    key, title, visitor = "week_board", "week board (staff)", "staff"
    path = "/admin/week"
    endpoint = "admin.week_board"

    def discover(self, app):
        if self.endpoint not in app.view_functions:
            return None
        from datetime import timedelta

        from sqlalchemy import func, select

        from wholesale.extensions import db
        from wholesale.models import Order

        with app.app_context():
            latest = db.session.scalar(select(func.max(Order.delivery_date)))
            db.session.remove()
        if latest is None:
            return {"week": ""}  # the next delivery week
        return {"week": (latest - timedelta(days=latest.weekday())).isoformat()}

    def request(self, visit, round_=0, context=None):
        return Request("GET", f"{self.path}?week={context['week']}")


class WeekForecastPage(WeekBoardPage):
    """The same week's roast forecast: ordered, standing and forecast per coffee and size."""

    key, title = "week_forecast", "week roast forecast (staff)"
    path = "/admin/week/forecast"
    endpoint = "admin.week_forecast"


class SettingsPage(Page):
    """The Settings page: every setting with its list of time zones, the logo, and the latest changes."""

    key, title, visitor = "settings", "settings (owner)", "staff"

    def discover(self, app):
        return {} if "settings.page" in app.view_functions else None

    def request(self, visit, round_=0, context=None):
        return Request("GET", "/admin/settings")


PAGES: list[Page] = [
    Ping(),
    OrderPage(),
    QuantityChange(),
    PlaceOrder(),
    PendingTab(),
    ProductionRunPage(),
    WeekBoardPage(),
    WeekForecastPage(),
    SettingsPage(),
]
