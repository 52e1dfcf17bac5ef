"""Settings, read from the environment in one place.

Every variable is listed in the README's configuration table. Production is the default: a deployment that
says nothing about its environment gets Secure cookies, HSTS and the start-up check that refuses to serve
without the settings production needs. Development is asked for by name (``WHOLESALE_ENV=development``, as
``make run`` and the tests do); its defaults need no services: SQLite under ``instance/``, no Redis (jobs
run in-process after the commit), mail kept in the database and shown to staff instead of being sent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from flask import current_app, g, request
from sqlalchemy import select

from .extensions import db
from .models import Setting

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (development only; refused in production)
ENVIRONMENTS = ("production", "development")


class ConfigurationError(RuntimeError):
    """The app refuses to start: the message says which settings to fix."""


def environment_name() -> str:
    """ "production" unless development is asked for by name, with ``WHOLESALE_ENV=development``.

    Anything but its two names is refused, so a typo never serves development defaults. The names read
    before (``FLASK_ENV``, ``APP_ENV``) no longer choose anything: left behind in an old deployment's
    settings, they would have turned off every check production makes at start-up.
    """
    chosen = os.environ.get("WHOLESALE_ENV", "").strip().lower() or "production"
    if chosen not in ENVIRONMENTS:
        raise ConfigurationError(f"WHOLESALE_ENV must be production or development, not {chosen!r}.")
    return chosen


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def database_url(raw: str | None, instance_path: str) -> str:
    """Normalise a DATABASE_URL as PaaS add-ons hand it out into one SQLAlchemy accepts.

    Without one, a file under ``instance_path`` (development's default; production refuses to start).
    """
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "wholesale.sqlite3")
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
    return raw


def from_environment(instance_path: str, environment: str | None = None) -> dict:
    """The settings; ``environment`` ("production" or "development") overrides ``environment_name()``."""
    env = os.environ.get
    environment = environment or environment_name()
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(f"ENV_NAME must be production or development, not {environment!r}.")
    production = environment == "production"
    return {
        "ENV_NAME": environment,
        # Production has no default: refuse_unsafe_production names it when it is missing.
        "SECRET_KEY": env("SECRET_KEY") or (None if production else DEV_SECRET_KEY),
        # Earlier keys, comma-separated, still accepted while rotating (sessions and sign-in links).
        "SECRET_KEY_FALLBACKS": [key for key in env("SECRET_KEY_FALLBACKS", "").split(",") if key],
        # Production has no default: a SQLite file on a PaaS's disk would vanish with the next deploy.
        "SQLALCHEMY_DATABASE_URI": (
            database_url(env("DATABASE_URL"), instance_path)
            if env("DATABASE_URL") or not production
            else None
        ),
        # Connections idle for a second or more are checked before use (extensions.PING_AFTER_IDLE_SECONDS).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": env("REDIS_URL") or None,
        "RQ_QUEUE": env("RQ_QUEUE", "wholesale"),
        # Public base URL that links in emails are built from (never the request's Host header).
        "PUBLIC_BASE_URL": (env("PUBLIC_BASE_URL") or ("" if production else "http://127.0.0.1:5000")).rstrip(
            "/"
        ),
        # Sign-in links: a reminder's lasts until the next reminder, one asked for by hand 30 minutes, one staff
        # make for a contact (to paste into a text message) a day.
        "LINK_TTL_REMINDER_SECONDS": _int("LINK_TTL_REMINDER_SECONDS", 7 * 24 * 3600),
        "LINK_TTL_REQUESTED_SECONDS": _int("LINK_TTL_REQUESTED_SECONDS", 30 * 60),
        "LINK_TTL_STAFF_SECONDS": _int("LINK_TTL_STAFF_SECONDS", 24 * 3600),
        # Staff password links: an invitation to the team lasts 7 days, a "forgot your password" link an hour.
        "STAFF_INVITATION_TTL_SECONDS": _int("STAFF_INVITATION_TTL_SECONDS", 7 * 24 * 3600),
        "STAFF_PASSWORD_RESET_TTL_SECONDS": _int("STAFF_PASSWORD_RESET_TTL_SECONDS", 3600),
        "ROASTERY_NAME": env("ROASTERY_NAME", "Hillside Coffee Roasters"),
        "ROASTERY_ADDRESS": env("ROASTERY_ADDRESS", "12 Mill Lane, Portland, OR 97201"),
        "ROASTERY_EMAIL": env("ROASTERY_EMAIL", "orders@hillside.example"),
        # Email the roastery when a portal order is placed and waits for review, or is cancelled: at
        # ORDER_NOTIFY_EMAILS (several, separated by commas), or ROASTERY_EMAIL when that is empty.
        "ORDER_NOTIFY_ROASTERY": _bool("ORDER_NOTIFY_ROASTERY", True),
        "ORDER_NOTIFY_EMAILS": env("ORDER_NOTIFY_EMAILS", ""),
        "ROASTERY_TIMEZONE": env("ROASTERY_TIMEZONE", "America/Los_Angeles"),
        "REMINDER_DEFAULT_WEEKDAY": _int("REMINDER_DEFAULT_WEEKDAY", 6),  # Monday=0 … Sunday=6
        "REMINDER_DEFAULT_TIME": env("REMINDER_DEFAULT_TIME", "02:00"),
        "REMINDER_DEFAULT_TIMEZONE": env("REMINDER_DEFAULT_TIMEZONE", "America/Los_Angeles"),
        # A weekly reminder found less than this late (the scheduler was down) is still sent; later, skipped.
        "REMINDER_CATCH_UP_HOURS": _int("REMINDER_CATCH_UP_HOURS", 12),
        # The weekdays and times a customer may choose for their reminder ("Sun 18:00, Mon 07:00"); empty:
        # only staff set it. Read by ``reminder_choices``.
        "REMINDER_CHOICES": env("REMINDER_CHOICES", ""),
        # A standing order's preview email goes out this long before its delivery's cut-off (services.standing).
        "STANDING_PREVIEW_HOURS": _int("STANDING_PREVIEW_HOURS", 48),
        # Standing orders are placed pending (for review, as portal orders are), or approved at once.
        "STANDING_ORDERS_APPROVED": _bool("STANDING_ORDERS_APPROVED", False),
        # The roastery's minimum per order: coffee weight ("5 kg", "11 lb") or items subtotal ("120.00");
        # empty: none. Customers may override it. Read by ``order_minimum``.
        "ORDER_MINIMUM": env("ORDER_MINIMUM", ""),
        # The unit staff enter and customers read a per-customer weight minimum in: kg or lb.
        "WEIGHT_UNIT": env("WEIGHT_UNIT", "kg"),
        # Invoices (services.invoicing). Issued when an order is approved, or when it is fulfilled.
        "INVOICE_ISSUE_ON": env("INVOICE_ISSUE_ON", "approved"),
        # The invoice email (with its PDF) goes when the invoice is issued, or when staff press its button.
        "INVOICE_EMAIL": env("INVOICE_EMAIL", "on-issue"),
        "INVOICE_PREFIX": env("INVOICE_PREFIX", "INV-"),
        "CREDIT_NOTE_PREFIX": env("CREDIT_NOTE_PREFIX", "CN-"),
        # Days after issue an invoice is due (0: due on receipt), unless the customer has terms of their own.
        "PAYMENT_TERMS_DAYS": _int("PAYMENT_TERMS_DAYS", 14),
        "CURRENCY": env("CURRENCY", "USD"),
        # The roastery's tax rates, the first the default: "Sales tax 8.875%", "VAT 20%, Reduced 5%, Zero 0%";
        # empty: no tax. Read by ``tax_rates``. Prices are entered without tax unless PRICES_INCLUDE_TAX.
        "TAX_RATES": env("TAX_RATES", ""),
        "PRICES_INCLUDE_TAX": _bool("PRICES_INCLUDE_TAX", False),
        # Overdue reminders, days after the due date ("7, 30"); empty: none. Read by ``overdue_steps``.
        "OVERDUE_REMINDER_DAYS": env("OVERDUE_REMINDER_DAYS", ""),
        # A customer past either limit is flagged (their orders are still taken): an overdue amount ("500.00")
        # or days overdue ("30"); empty: no limit.
        "CREDIT_LIMIT_OVERDUE_AMOUNT": env("CREDIT_LIMIT_OVERDUE_AMOUNT", ""),
        "CREDIT_LIMIT_OVERDUE_DAYS": env("CREDIT_LIMIT_OVERDUE_DAYS", ""),
        # The accountant's export: the sales account code, each tax rate's tax type in Xero and tax code in
        # QuickBooks ("VAT=OUTPUT2, Zero=ZERORATEDOUTPUT"), and the date format (read by ``export_dates``).
        "EXPORT_ACCOUNT_CODE": env("EXPORT_ACCOUNT_CODE", "200"),
        "EXPORT_XERO_TAX_TYPES": env("EXPORT_XERO_TAX_TYPES", ""),
        "EXPORT_QBO_TAX_CODES": env("EXPORT_QBO_TAX_CODES", ""),
        "EXPORT_DATE_FORMAT": env("EXPORT_DATE_FORMAT", "YYYY-MM-DD"),
        "MAIL_SERVER": env("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": env("MAIL_USERNAME"),
        "MAIL_PASSWORD": env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER", "Hillside Coffee <orders@hillside.example>"),
        # Seconds an SMTP connect, read or write may take before the attempt fails and is retried later.
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 30),
        # Without MAIL_SERVER set explicitly, development keeps mail in the outbox and shows it to staff;
        # production always sends (a missing server shows as failed emails, never as "sent").
        "MAIL_SUPPRESS_SEND": _bool("MAIL_SUPPRESS_SEND", not production and "MAIL_SERVER" not in os.environ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # A phone tab left open for hours must still be able to post: the token lives with the session.
        "WTF_CSRF_TIME_LIMIT": None,
        # How many proxies (a PaaS router) stand in front of the app; their X-Forwarded-* are trusted.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # Rate limits are counted in Redis when it is configured: a Redis that does not answer within a second
        # is given up on for the request (the limits are then counted in memory), never waited for.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # Requests above this are refused with a friendly 413 page before any form code runs.
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
    }


# What production cannot run without, and why: all of them are named at once when missing.
REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "a long random value; sessions and sign-in links are signed with it",
    "PUBLIC_BASE_URL": "the site's https:// address; links in emails are built from it",
    "DATABASE_URL": "the PostgreSQL add-on's URL; without it data would go to a file that the next deploy loses",
    # Production sends mail and runs jobs only through the worker: a web request never talks SMTP, so
    # without Redis nothing would ever be sent (and the Procfile's worker and scheduler need it anyway).
    "REDIS_URL": "the Redis add-on's URL; the worker sends the emails and runs the reminders from it",
}
# Where each required variable ends up in the app's config.
_CONFIG_KEY = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


def missing_in_production(settings) -> list[str]:
    """The required variables that production is missing (the development secret key counts as missing)."""
    missing = []
    for name in REQUIRED_IN_PRODUCTION:
        value = settings.get(_CONFIG_KEY.get(name, name))
        if not value or (name == "SECRET_KEY" and value == DEV_SECRET_KEY):
            missing.append(name)
    return missing


def refuse_unsafe_production(settings) -> None:
    """In production, refuse to start without every required setting, naming all that are missing."""
    if settings.get("ENV_NAME") != "production":
        return
    missing = missing_in_production(settings)
    if missing:
        lines = "\n".join(f"  {name}: {REQUIRED_IN_PRODUCTION[name]}" for name in missing)
        raise ConfigurationError(
            f"Refusing to start in production: {', '.join(missing)} must be set.\n{lines}\n"
            "(For a development server on this machine, set WHOLESALE_ENV=development.)"
        )


# --- Settings that are small languages of their own -------------------------------------------------------
# Each is parsed by one function, cached by its text, and checked at start-up (``refuse_malformed``), so a
# typo stops the app with a message naming the variable instead of failing on the first order. A later issue
# The Settings page (services.settings) checks what owners type with the same functions.

GRAMS_PER = {"kg": Decimal("1000"), "lb": Decimal("453.59237")}
WEEKDAY_ABBREVIATIONS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OrderMinimum:
    """A minimum per order: coffee weight in grams (shown in ``unit``), or an items subtotal in ``amount``."""

    kind: str  # "weight" or "subtotal"
    grams: int = 0
    amount: Decimal = Decimal("0.00")
    unit: str = "kg"


_WEIGHT = re.compile(r"^(\d{1,6}(?:\.\d{1,3})?)\s*(kg|lb)$", re.IGNORECASE)
_AMOUNT = re.compile(r"^\$?(\d{1,7}(?:\.\d{1,2})?)$")


def grams_of(quantity: Decimal, unit: str) -> int:
    """A weight typed in kg or lb, as whole grams (rounded to the nearest)."""
    return int((quantity * GRAMS_PER[unit]).to_integral_value())


@lru_cache(maxsize=8)
def parse_order_minimum(text: str) -> OrderMinimum | None:
    """ "5 kg", "11 lb", "120.00" (or "$120"); empty or "none" is no minimum. ValueError names what is wrong."""
    text = (text or "").strip()
    if not text or text.lower() == "none":
        return None
    if match := _WEIGHT.match(text):
        quantity, unit = Decimal(match.group(1)), match.group(2).lower()
        grams = grams_of(quantity, unit)
        if grams <= 0:
            raise ValueError("a weight minimum must be more than 0")
        return OrderMinimum("weight", grams=grams, unit=unit)
    if match := _AMOUNT.match(text):
        try:
            amount = Decimal(match.group(1)).quantize(Decimal("0.01"))
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            raise ValueError("not an amount") from None
        if amount <= 0:
            raise ValueError("a subtotal minimum must be more than 0")
        return OrderMinimum("subtotal", amount=amount)
    raise ValueError('write a coffee weight like "5 kg" or "11 lb", or an items subtotal like "120.00"')


def parse_weight_unit(text: str) -> str:
    unit = (text or "kg").strip().lower()
    if unit not in GRAMS_PER:
        raise ValueError("write kg or lb")
    return unit


@lru_cache(maxsize=8)
def parse_reminder_choices(text: str) -> tuple[tuple[int, time], ...]:
    """ "Sun 18:00, Mon 07:00" as ((6, 18:00), (0, 07:00)): weekday Monday=0 … Sunday=6, a wall-clock time."""
    choices = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        match = re.match(r"^([A-Za-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})$", item)
        day = match.group(1).lower() if match else ""
        if day not in WEEKDAY_ABBREVIATIONS or not (int(match.group(2)) < 24 and int(match.group(3)) < 60):
            raise ValueError(f'{item!r} is not a weekday and time like "Sun 18:00"')
        choice = (WEEKDAY_ABBREVIATIONS.index(day), time(int(match.group(2)), int(match.group(3))))
        if choice not in choices:
            choices.append(choice)
    if len(choices) > 14:
        raise ValueError("offer at most 14 choices")
    return tuple(choices)


@dataclass(frozen=True)
class TaxRateSetting:
    """One of the roastery's tax rates: its name as invoices show it, and the rate in percent."""

    name: str
    rate: Decimal


_TAX_RATE = re.compile(r"^(.{1,40}?)\s+(\d{1,2}(?:\.\d{1,4})?)\s*%$")


@lru_cache(maxsize=8)
def parse_tax_rates(text: str) -> tuple[TaxRateSetting, ...]:
    """ "VAT 20%, Reduced 5%, Zero 0%" as named rates, the first the default; empty: no tax."""
    rates = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        match = _TAX_RATE.match(item)
        if not match:
            raise ValueError(f'{item!r} is not a name and a rate like "VAT 20%"')
        name = match.group(1).strip()
        if any(rate.name.casefold() == name.casefold() for rate in rates):
            raise ValueError(f"{name!r} is named twice")
        rates.append(TaxRateSetting(name, Decimal(match.group(2))))
    return tuple(rates)


@lru_cache(maxsize=8)
def parse_day_steps(text: str) -> tuple[int, ...]:
    """ "7, 30" as (7, 30): whole days, each once, in order; empty: none."""
    steps = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        if not item.isdigit() or not 0 < int(item) <= 365:
            raise ValueError(f"{item!r} is not a number of days from 1 to 365")
        steps.append(int(item))
    if len(set(steps)) != len(steps):
        raise ValueError("a day is given twice")
    return tuple(sorted(steps))


@lru_cache(maxsize=8)
def parse_optional_amount(text: str) -> Decimal | None:
    """ "500.00" (or "$500"); empty: none."""
    text = (text or "").strip()
    if not text:
        return None
    match = _AMOUNT.match(text)
    if not match or Decimal(match.group(1)) <= 0:
        raise ValueError('write an amount like "500.00", or leave it empty')
    return Decimal(match.group(1)).quantize(Decimal("0.01"))


@lru_cache(maxsize=8)
def parse_optional_days(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) <= 365:
        raise ValueError("write a number of days from 1 to 365, or leave it empty")
    return int(text)


@lru_cache(maxsize=8)
def parse_code_map(text: str) -> tuple[tuple[str, str], ...]:
    """ "VAT=OUTPUT2, Zero=ZERORATEDOUTPUT" as ((tax rate name, code), …); empty: none."""
    pairs = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        name, sep, code = item.partition("=")
        if not sep or not name.strip() or not code.strip():
            raise ValueError(f'{item!r} is not a tax rate name and a code like "VAT=OUTPUT2"')
        pairs.append((name.strip(), code.strip()))
    return tuple(pairs)


# The date formats the accountant's export may use, by the name the setting gives.
EXPORT_DATE_FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "DD/MM/YYYY": "%d/%m/%Y", "MM/DD/YYYY": "%m/%d/%Y"}


def parse_export_date_format(text: str) -> str:
    if text not in EXPORT_DATE_FORMATS:
        raise ValueError(f"write one of {', '.join(EXPORT_DATE_FORMATS)}")
    return EXPORT_DATE_FORMATS[text]


def parse_choice(*choices: str):
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"write one of {', '.join(choices)}")
        return text

    return parse


def parse_email(text: str) -> str:
    """One address, as email-validator normalises it (imported here: only settings with addresses need it)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None


def parse_emails(text: str) -> tuple[str, ...]:
    """Addresses separated by commas, spaces or lines, each once; empty: none."""
    addresses = []
    for item in re.split(r"[\s,;]+", text or ""):
        if item:
            try:
                address = parse_email(item)
            except ValueError as error:
                raise ValueError(f"{item!r}: {error}") from None
            if address.lower() not in (known.lower() for known in addresses):
                addresses.append(address)
    if len(addresses) > 10:
        raise ValueError("notify at most 10 addresses")
    return tuple(addresses)


# What each such setting must look like, by name, and its parser.
_PARSED = {
    "INVOICE_ISSUE_ON": parse_choice("approved", "fulfilled"),
    "INVOICE_EMAIL": parse_choice("on-issue", "button"),
    "TAX_RATES": parse_tax_rates,
    "OVERDUE_REMINDER_DAYS": parse_day_steps,
    "CREDIT_LIMIT_OVERDUE_AMOUNT": parse_optional_amount,
    "CREDIT_LIMIT_OVERDUE_DAYS": parse_optional_days,
    "EXPORT_XERO_TAX_TYPES": parse_code_map,
    "EXPORT_QBO_TAX_CODES": parse_code_map,
    "EXPORT_DATE_FORMAT": parse_export_date_format,
    "ORDER_MINIMUM": parse_order_minimum,
    "WEIGHT_UNIT": parse_weight_unit,
    "REMINDER_CHOICES": parse_reminder_choices,
    "ORDER_NOTIFY_EMAILS": parse_emails,
}


def refuse_malformed(settings) -> None:
    """Refuse to start (in any environment) when a setting above cannot be read, naming each one."""
    problems = []
    for name, parse in _PARSED.items():
        try:
            parse(settings.get(name) or "")
        except ValueError as error:
            problems.append(f"  {name}={settings.get(name)!r}: {error}")
    if problems:
        raise ConfigurationError("Refusing to start: a setting cannot be read.\n" + "\n".join(problems))


# --- The roastery's settings as owners saved them -----------------------------------------------------------
# The Settings page (services.settings) saves a setting as a row of ``setting``; the row wins over the
# environment, for every web process and worker from their next request or job: an app context reads all the
# rows in one statement the first time it asks, and keeps them until it ends.

_SAVED = "_saved_settings"  # the app context's copy of the rows, on ``g``


def saved_settings() -> dict[str, str]:
    """The rows owners saved, name → text (read once per app context)."""
    rows = g.get(_SAVED)
    if rows is None:
        rows = dict(db.session.execute(select(Setting.name, Setting.value)).tuples().all())
        setattr(g, _SAVED, rows)
    return rows


def read_settings_first() -> None:
    """``before_request`` of the pages: a form's POST reads the saved settings in its first transaction,
    beside its other reads. Read lazily while rendering after its commit, they would cost a transaction of
    their own (a connection checked out again and its rollback): a third more time for a quantity change.
    A GET reads without a transaction (transactions.py), so it reads them when it needs them, if at all: a
    page that needs no database (asking for a sign-in link) still answers while the database is away."""
    if request.method not in ("GET", "HEAD"):
        saved_settings()


def settings_from_environment_only() -> None:
    """For the rest of this app context, settings not read yet come from the environment: the database is
    unreachable (its error page must not wait for it a second time)."""
    if g.get(_SAVED) is None:
        setattr(g, _SAVED, {})


def forget_saved_settings() -> None:
    """The next read in this app context goes to the database again."""
    g.pop(_SAVED, None)


def setting(name: str):
    """A roastery setting: the saved text, read as the environment's value is typed (a number, a switch),
    else the environment's value. Settings that are small languages ("5 kg") are text; their readers parse
    them with the functions above."""
    default = current_app.config.get(name)
    saved = saved_settings().get(name)
    if saved is None:
        return default
    if isinstance(default, bool):
        return saved == "true"
    if isinstance(default, int):
        return int(saved)
    return saved


def setting_text(name: str) -> str:
    """A roastery setting as text, as the Settings page shows and stores it."""
    return _as_text(setting(name))


def environment_text(name: str) -> str:
    """The environment's value of a roastery setting as text, whatever was saved."""
    return _as_text(current_app.config.get(name))


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def weight_unit() -> str:
    """The unit weights are shown in, to staff and customers: "kg" or "lb" (the WEIGHT_UNIT setting)."""
    return parse_weight_unit(setting("WEIGHT_UNIT") or "kg")
