"""How money, weights and times read on screen, as Jinja filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask

from . import config


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"${value:,.2f}"


CURRENCY_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£"}


def in_currency(value: Decimal | None, currency: str = "USD") -> str:
    """An amount in an invoice's currency: "$1,234.50", "€12.00", "CHF 12.00"."""
    if value is None:
        return ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    sign = "−" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}" if symbol else f"{sign}{currency} {abs(value):,.2f}"


def payment_terms(days: int | None) -> str:
    """ "Due on receipt", "Net 30": an invoice's terms as invoices say them."""
    if days is None:
        return ""
    return "Due on receipt" if days == 0 else f"Net {days}"


def long_day(value: date | None) -> str:
    """ "4 December 2026": how an invoice dates itself."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def grams(value: int | None, exact: bool = False) -> str:
    """A weight in the roastery's unit (the WEIGHT_UNIT setting): "12.34 kg" or "340 g", or "27.21 lb".
    ``exact`` (the roast plan) keeps every gram in kg: "12,340 g"; pounds show two places either way."""
    if value is None:
        return ""
    if config.weight_unit() == "lb":
        return f"{value / config.GRAMS_PER['lb']:,.2f} lb"
    if exact:
        return f"{value:,} g"
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
    zone = ZoneInfo(config.setting("ROASTERY_TIMEZONE"))
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
    local = value.astimezone(ZoneInfo(config.setting("ROASTERY_TIMEZONE")))
    return f"{short_day(local.date())}, {local:%H:%M}"


def register(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(grams)
    app.add_template_filter(percent)
    app.add_template_filter(local_time)
    app.add_template_filter(short_day)
    app.add_template_filter(local_moment)
    app.add_template_filter(in_currency)
    app.add_template_filter(payment_terms)
    app.add_template_filter(long_day)
