"""How money, weights and times read on screen, as Jinja filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"${value:,.2f}"


def grams(value: int | None) -> str:
    if value is None:
        return ""
    if value >= 1000:
        return f"{value / 1000:,.2f} kg".replace(".00 kg", " kg")
    return f"{value} g"


def percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f} %"


def local_time(value: datetime | None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A UTC instant shown in the roastery's time zone."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["ROASTERY_TIMEZONE"])
    return value.astimezone(zone).strftime(fmt)


def short_day(value: date | None) -> str:
    """ "Tue 8 Dec": how the order pages and emails name a delivery or roast day."""
    if value is None:
        return ""
    return f"{value:%a} {value.day} {value:%b}"


def local_moment(value: datetime | None) -> str:
    """ "Sun 6 Dec, 17:00": an instant (a cut-off) on the roastery's clocks."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(current_app.config["ROASTERY_TIMEZONE"]))
    return f"{short_day(local.date())}, {local:%H:%M}"


def register(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(grams)
    app.add_template_filter(percent)
    app.add_template_filter(local_time)
    app.add_template_filter(short_day)
    app.add_template_filter(local_moment)

    @app.context_processor
    def roastery():
        return {"roastery_name": app.config["ROASTERY_NAME"]}
