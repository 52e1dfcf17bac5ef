"""The roastery's settings: what owners change on the Settings page, read by every process from the database.

The environment gives each setting its first value. Once an owner saves a setting, its row in ``setting`` wins,
for every web process and worker from their next request or job (config.setting reads them).

Every change is logged: who, when, from what to what.

The settings below are the roastery's. The deployment's own (secrets, database, Redis, mail server, link
lifetimes) stay in the environment.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from .. import config
from ..extensions import db
from ..models import Logo, Product, Setting, SettingChange, StaffUser, utcnow
from .errors import ServiceError
from .zones import canonical_timezone

# --- What can be set ------------------------------------------------------------------------------------


def _text(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        text = text.strip()
        if not text:
            raise ValueError("this cannot be empty")
        if len(text) > limit:
            raise ValueError(f"use at most {limit} characters")
        return text

    return parse


def _zone(text: str) -> str:
    zone = canonical_timezone(text)
    if zone is None:
        raise ValueError("choose a time zone from the list, like America/Los_Angeles or Europe/London")
    return zone


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        text = str(text).strip()
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(f"write a whole number from {low} to {high}")
        return int(text)

    return parse


def _clock(text: str) -> str:
    try:
        return datetime.strptime(text.strip(), "%H:%M").strftime("%H:%M")
    except ValueError:
        raise ValueError('write a time like "18:00"') from None


def _switch(text: str) -> bool:
    return str(text).strip().lower() in {"1", "true", "yes", "on", "y"}


def _prefix(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9/_-]{0,12}", text.strip()):
        raise ValueError("use up to 12 letters, digits, - or /")
    return text.strip()


def _currency(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", text.strip()):
        raise ValueError("write a three-letter currency code, like USD or EUR")
    return text.strip().upper()


@dataclass(frozen=True)
class Spec:
    """One setting: its name (as in config.py and the environment), how the page asks for it, and its rule.

    ``parse`` reads the text as typed and raises ValueError saying what is wrong; what it returns is what
    ``get`` answers. ``kind`` chooses the form field (forms read it; nothing else does)."""

    name: str
    label: str
    section: str
    kind: str  # text, textarea, email, emails, zone, choice, switch, number, clock, weekday
    parse: Callable[[str], object]
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()


def _choice(*choices: tuple[str, str]) -> Callable[[str], str]:
    return config.parse_choice(*(value for value, _ in choices))


WEIGHT_UNITS = (("kg", "Kilograms (kg)"), ("lb", "Pounds (lb)"))
WEEKDAYS = tuple((str(number), name) for number, name in enumerate(calendar.day_name))
ISSUE_ON = (("approved", "When the order is approved"), ("fulfilled", "When the order is fulfilled"))
INVOICE_EMAIL = (("on-issue", "When the invoice is issued"), ("button", "When staff press its button"))
DATE_FORMATS = tuple((name, name) for name in config.EXPORT_DATE_FORMATS)

SECTIONS = (
    ("roastery", "The roastery", "Shown on every page, email and invoice."),
    ("orders", "Orders and notices", "Delivery days and cut-offs are set per delivery option."),
    ("reminders", "Reminders and standing orders", "New customers start with the default reminder."),
    ("invoices", "Invoices and tax", "Issued invoices keep what they were issued with."),
    ("exports", "The accountant's export", "How the Xero and QuickBooks files name accounts and taxes."),
)

SPECS = (
    Spec("ROASTERY_NAME", "Roastery name", "roastery", "text", _text(120)),
    Spec("ROASTERY_ADDRESS", "Address", "roastery", "textarea", _text(300)),
    Spec(
        "ROASTERY_EMAIL",
        "Email",
        "roastery",
        "email",
        config.parse_email,
        "Customers reply to it; invoices show it.",
    ),
    Spec(
        "ROASTERY_TIMEZONE",
        "Time zone",
        "roastery",
        "zone",
        _zone,
        "Cut-offs, roast days and every time staff see are on this clock.",
    ),
    Spec(
        "WEIGHT_UNIT",
        "Weight unit",
        "roastery",
        "choice",
        config.parse_weight_unit,
        "How weights are shown to staff and customers.",
        WEIGHT_UNITS,
    ),
    Spec("CURRENCY", "Currency", "roastery", "text", _currency, "A three-letter code, like USD or EUR."),
    Spec(
        "ORDER_NOTIFY_ROASTERY",
        "Email the roastery about new and cancelled orders",
        "orders",
        "switch",
        _switch,
    ),
    Spec(
        "ORDER_NOTIFY_EMAILS",
        "Addresses to notify",
        "orders",
        "emails",
        config.parse_emails,
        "One per line or separated by commas; empty: the roastery's email.",
    ),
    Spec(
        "ORDER_MINIMUM",
        "Minimum per order",
        "orders",
        "text",
        config.parse_order_minimum,
        'A coffee weight like "5 kg" or "11 lb", or an items subtotal like "120.00"; empty: none.',
    ),
    Spec(
        "REMINDER_DEFAULT_WEEKDAY",
        "Default reminder day",
        "reminders",
        "weekday",
        _whole_number(0, 6),
        "",
        WEEKDAYS,
    ),
    Spec("REMINDER_DEFAULT_TIME", "Default reminder time", "reminders", "clock", _clock),
    Spec("REMINDER_DEFAULT_TIMEZONE", "Default reminder time zone", "reminders", "zone", _zone),
    Spec(
        "REMINDER_CHOICES",
        "Reminder times customers may choose",
        "reminders",
        "text",
        config.parse_reminder_choices,
        'Like "Sun 18:00, Mon 07:00"; empty: only staff set a customer\'s reminder.',
    ),
    Spec(
        "STANDING_PREVIEW_HOURS",
        "Standing order preview, hours before the cut-off",
        "reminders",
        "number",
        _whole_number(1, 336),
    ),
    Spec(
        "STANDING_ORDERS_APPROVED",
        "Standing orders are placed approved (not for review)",
        "reminders",
        "switch",
        _switch,
    ),
    Spec("INVOICE_ISSUE_ON", "Issue the invoice", "invoices", "choice", _choice(*ISSUE_ON), "", ISSUE_ON),
    Spec(
        "INVOICE_EMAIL", "Email the invoice", "invoices", "choice", _choice(*INVOICE_EMAIL), "", INVOICE_EMAIL
    ),
    Spec(
        "INVOICE_PREFIX", "Invoice number prefix", "invoices", "text", _prefix, "Only new invoices take it."
    ),
    Spec("CREDIT_NOTE_PREFIX", "Credit note number prefix", "invoices", "text", _prefix),
    Spec(
        "PAYMENT_TERMS_DAYS",
        "Payment terms, days",
        "invoices",
        "number",
        _whole_number(0, 365),
        "0: due on receipt. A customer's own terms come first.",
    ),
    Spec(
        "TAX_RATES",
        "Tax rates",
        "invoices",
        "text",
        config.parse_tax_rates,
        'Like "VAT 20%, Reduced 5%, Zero 0%", the first the default; empty: no tax.',
    ),
    Spec("PRICES_INCLUDE_TAX", "Prices include tax", "invoices", "switch", _switch),
    Spec(
        "OVERDUE_REMINDER_DAYS",
        "Overdue reminders, days after the due date",
        "invoices",
        "text",
        config.parse_day_steps,
        'Like "7, 30"; empty: none.',
    ),
    Spec(
        "CREDIT_LIMIT_OVERDUE_AMOUNT",
        "Flag customers with more than this overdue",
        "invoices",
        "text",
        config.parse_optional_amount,
        'An amount like "500.00"; empty: no limit.',
    ),
    Spec(
        "CREDIT_LIMIT_OVERDUE_DAYS",
        "Flag customers overdue for more than, days",
        "invoices",
        "text",
        config.parse_optional_days,
        "Empty: no limit.",
    ),
    Spec("EXPORT_ACCOUNT_CODE", "Sales account code", "exports", "text", _text(20)),
    Spec(
        "EXPORT_XERO_TAX_TYPES",
        "Xero tax type per tax rate",
        "exports",
        "text",
        config.parse_code_map,
        'Like "VAT=OUTPUT2, Zero=ZERORATEDOUTPUT".',
    ),
    Spec(
        "EXPORT_QBO_TAX_CODES",
        "QuickBooks tax code per tax rate",
        "exports",
        "text",
        config.parse_code_map,
        'Like "VAT=20.0% S".',
    ),
    Spec(
        "EXPORT_DATE_FORMAT",
        "Date format",
        "exports",
        "choice",
        _choice(*DATE_FORMATS),
        "",
        DATE_FORMATS,
    ),
)
SPEC = {spec.name: spec for spec in SPECS}
# The logo's setting: "<version> <width>x<height>" of the image in ``logo``, or empty. Set by ``save_logo``.
LOGO = "LOGO"


# --- Reading --------------------------------------------------------------------------------------------

# What holds now: the saved row's value, else the environment's (config.py keeps the one way to read them).
get = config.setting
text = config.setting_text


def shown(name: str) -> str:
    """``text(name)`` for a page; when the database cannot be read (an error page during an outage), the
    environment's value instead of a second error."""
    try:
        return text(name)
    except SQLAlchemyError:
        return config.environment_text(name)


def shown_logo() -> LogoImage | None:
    try:
        return logo()
    except SQLAlchemyError:
        return None


def notify_addresses() -> tuple[str, ...]:
    """Where the roastery hears of orders: none when switched off, else the addresses (the roastery's
    email when none are given)."""
    if not get("ORDER_NOTIFY_ROASTERY"):
        return ()
    return config.parse_emails(text("ORDER_NOTIFY_EMAILS")) or (text("ROASTERY_EMAIL"),)


@dataclass(frozen=True)
class LogoImage:
    version: str
    width: int
    height: int


def logo() -> LogoImage | None:
    """The logo pages show, or None."""
    match = re.fullmatch(r"([0-9a-f]{16}) (\d+)x(\d+)", config.saved_settings().get(LOGO, ""))
    return LogoImage(match.group(1), int(match.group(2)), int(match.group(3))) if match else None


def logo_file(version: str) -> Logo | None:
    """The logo's image if ``version`` is the current one (an old address finds nothing)."""
    current = logo()
    if current is None or current.version != version:
        return None
    return db.session.get(Logo, 1)


# --- Changing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    name: str
    old: str
    new: str


def check(name: str, typed: str) -> str:
    """The text to store for ``typed``; ServiceError (on the setting's field) says what is wrong."""
    spec = SPEC[name]
    typed = (typed or "").replace("\r\n", "\n").strip()
    try:
        value = spec.parse(typed)
    except ValueError as error:
        raise ServiceError(f"{spec.label}: {str(error).rstrip('.')}.", name) from None
    if spec.kind == "switch":
        return "true" if value else "false"
    if spec.kind == "emails":
        return ", ".join(value)
    if spec.kind in ("zone", "clock", "email"):
        return value
    return typed


def _refuse_dropping_rates_in_use(new_text: str) -> None:
    names = {rate.name for rate in config.parse_tax_rates(new_text)}
    used = db.session.scalars(
        select(Product.tax_rate_name).where(Product.tax_rate_name != "").distinct()
    ).all()
    missing = sorted(name for name in used if name not in names)
    if missing:
        raise ServiceError(
            f"Tax rates: {', '.join(missing)} is still the rate of some products; give them another rate first.",
            "TAX_RATES",
        )


def change_settings(typed: dict[str, str], staff: StaffUser) -> list[Change]:
    """Save the settings in ``typed`` (name → text as typed) that differ from what holds now, logging each;
    one commit. Nothing is saved if any is refused (ServiceError names the first)."""
    wanted = {name: check(name, value) for name, value in typed.items() if name in SPEC}
    changes = [Change(name, text(name), value) for name, value in wanted.items() if value != text(name)]
    if any(change.name == "TAX_RATES" for change in changes):
        _refuse_dropping_rates_in_use(wanted["TAX_RATES"])
    _save(changes, staff)
    return changes


def _save(changes: list[Change], staff: StaffUser) -> None:
    """Write each change and its log row, commit with whatever the caller added, and read afresh after."""
    for change in changes:
        row = db.session.get(Setting, change.name)
        if row is None:
            db.session.add(Setting(name=change.name, value=change.new))
        else:
            row.value, row.updated_at = change.new, utcnow()
        db.session.add(
            SettingChange(
                name=change.name,
                old_value=change.old,
                new_value=change.new,
                changed_by_id=staff.id,
                changed_by_name=staff.name or staff.email,
            )
        )
    db.session.commit()
    config.forget_saved_settings()


# --- The logo -------------------------------------------------------------------------------------------

LOGO_MAX_BYTES = 200 * 1024
LOGO_MAX_SIDE = 1200
LOGO_MIN_SIDE = 16
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


def _measure(content: bytes) -> tuple[str, int, int]:
    """The image's content type and size; ServiceError unless it is a small PNG or JPEG that decodes."""
    from PIL import Image, UnidentifiedImageError  # imported only when a logo is uploaded

    if not content:
        raise ServiceError("Choose a PNG or JPEG file.", "logo")
    if len(content) > LOGO_MAX_BYTES:
        raise ServiceError(f"The logo must be at most {LOGO_MAX_BYTES // 1024} KB.", "logo")
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind, (width, height) = image.format, image.size
            if kind not in LOGO_TYPES:
                raise ServiceError("The logo must be a PNG or JPEG image.", "logo")
            if max(width, height) > LOGO_MAX_SIDE or min(width, height) < LOGO_MIN_SIDE:
                raise ServiceError(
                    f"The logo must be {LOGO_MIN_SIDE} to {LOGO_MAX_SIDE} pixels on each side "
                    f"(this one is {width}×{height}).",
                    "logo",
                )
            image.load()  # decodes every pixel: a truncated or corrupt file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ServiceError("That file is not an image we can read. Upload a PNG or JPEG.", "logo") from None
    return LOGO_TYPES[kind], width, height


def save_logo(content: bytes, staff: StaffUser) -> Change:
    """Replace the logo with ``content`` (validated), logged as a change of its setting; one commit."""
    content_type, width, height = _measure(content)
    version = hashlib.sha256(content).hexdigest()[:16]
    row = db.session.get(Logo, 1)
    if row is None:
        db.session.add(Logo(id=1, content=content, content_type=content_type))
    else:
        row.content, row.content_type = content, content_type
    change = Change(LOGO, config.saved_settings().get(LOGO, ""), f"{version} {width}x{height}")
    _save([change], staff)
    return change


def remove_logo(staff: StaffUser) -> Change | None:
    old = config.saved_settings().get(LOGO, "")
    if not old:
        return None
    db.session.execute(delete(Logo))
    change = Change(LOGO, old, "")
    _save([change], staff)
    return change


# --- What owners see ------------------------------------------------------------------------------------


def label_of(name: str) -> str:
    return "Logo" if name == LOGO else SPEC[name].label if name in SPEC else name


def shown_value(name: str, value: str) -> str:
    """A logged value as owners read it: "on", "Sunday", "an image, 240×80", "(empty)"."""
    spec = SPEC.get(name)
    if not value:
        return "(none)" if name == LOGO else "(empty)"
    if name == LOGO:
        return "an image, " + value.partition(" ")[2].replace("x", "×")
    if spec is not None and spec.kind == "switch":
        return "on" if value == "true" else "off"
    if spec is not None and spec.choices:
        return dict(spec.choices).get(value, value)
    return value


def recent_changes(limit: int = 50) -> list[SettingChange]:
    return list(
        db.session.scalars(select(SettingChange).order_by(SettingChange.id.desc()).limit(limit)).all()
    )
