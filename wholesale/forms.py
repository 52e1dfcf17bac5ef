"""Form fields shared by every area: numbers that refuse NaN, infinities and float noise, row ids, and calendar
dates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from wtforms import DateField, DecimalField, IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError

from .converters import parse_id
from .services.orders.editing import VARIANT_NOT_ORDERABLE


def clean_text(value):
    """A text field's filter: trimmed, without NUL characters (PostgreSQL refuses them in text); a field the
    form did not send is empty text, like one sent empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    return value


class _BoundedDecimalField(DecimalField):
    """A decimal with at most two places between ``low`` and ``high``; anything else is a clear error."""

    low = Decimal("0")
    high = Decimal("100000")
    noun = "an amount"

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, places=2, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        raw = valuelist[0].strip().replace(",", "").lstrip("$").rstrip("%").strip()
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.data = None
            raise ValueError(f"Enter {self.noun} as a number, like {self.example}.") from None
        if not value.is_finite():
            self.data = None
            raise ValueError(f"Enter {self.noun} as a number, like {self.example}.")
        self.data = value

    def pre_validate(self, form):
        value = self.data
        if value is None:
            return
        if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
            raise ValidationError("Use at most two decimal places.")
        if not (self.low <= value <= self.high):
            raise ValidationError(f"Enter a value from {self.low} to {self.high}.")


class CalendarDateField(DateField):
    """A calendar date as YYYY-MM-DD (what a date picker sends); 2026-02-30 is refused with a message."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = datetime.strptime(valuelist[0].strip(), "%Y-%m-%d").date()
        except ValueError:
            self.data = None
            raise ValueError(
                "That is not a date on the calendar. Enter it as YYYY-MM-DD, e.g. 2026-03-02."
            ) from None


class MoneyField(_BoundedDecimalField):
    noun = "a price"
    example = "12.50"


class PercentField(_BoundedDecimalField):
    high = Decimal("100")
    noun = "a percentage"
    example = "12.5"


class CountField(IntegerField):
    """A whole number, between ``low`` and ``high`` when given (a quantity's range is its service's rule);
    '1.5', '1e3', 'NaN' and '' are refused with a message."""

    def __init__(self, label=None, validators=None, low=None, high=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.low, self.high = low, high

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        if len(valuelist) > 1:
            self.data = None
            raise ValueError("Enter one number only.")
        raw = valuelist[0].strip()
        if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 12:
            self.data = None
            raise ValueError("Enter a whole number.")
        self.data = int(raw)

    def pre_validate(self, form):
        if self.data is None or self.low is None:
            return
        if not (self.low <= self.data <= self.high):
            raise ValidationError(f"Enter a whole number from {self.low} to {self.high:,}.")


class IdField(IntegerField):
    """The id of a row picked from a list (a variant, a shipping option, a customer), as ``parse_id`` reads
    ids: anything else, a number past the database's range included, is refused with ``message`` (the
    field's own "choose one from the list" wording), never sent to the database. Empty is None."""

    def __init__(self, label=None, validators=None, message="Choose one from the list.", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        self.data = parse_id(valuelist[0]) if len(valuelist) == 1 else None
        if self.data is None:
            raise ValueError(self.message)


def version_seen(raw: str) -> int:
    """The order version a page sent back with an edit. A garbled value reads as 0, which no order has, so
    the edit is refused as made against another version."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0


def show_refusal(form, error) -> None:
    """Put a service's refusal (a ``ServiceError``) beside the field it names, or above the form when it
    names none."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        form.form_errors.append(error.message)


def form_message(form) -> str:
    """Every error of a small form as one sentence, for the message beside the control that sent it."""
    errors = list(form.form_errors) + [
        error for name, field_errors in form.errors.items() if name for error in field_errors
    ]
    return " ".join(dict.fromkeys(errors))


class LineEditFields:
    """A line's edit as the portal's and the editor's line forms send it: a typed quantity, a +1/−1 step, or
    Remove. The quantity's range is the service's rule (``orders.editing.check_quantity``), not the form's, so
    a typed 1000 and a tap from 999 get the same message."""

    quantity = CountField("Quantity", validators=[InputRequired("Enter a quantity.")])
    step = IntegerField(validators=[Optional(), AnyOf([-1, 1], message="Use the + and − buttons.")])
    # Not "remove": a control of that name would hide the form element's own remove() from scripts.
    remove_line = StringField(validators=[Optional(), Length(max=5)])

    def requested_quantity(self) -> int:
        return self.quantity.data + (self.step.data or 0)


class AddLineFields:
    """A size to add, as the portal's and the editor's "add a product" send it, with its option; no quantity
    means one."""

    variant_id = IdField(
        "Product", validators=[InputRequired("Pick a product size.")], message=VARIANT_NOT_ORDERABLE
    )
    quantity = CountField("Quantity", default=1)
    # One of the product's options (a grind); none means the product's default. The service checks it.
    option = StringField(
        "Option", validators=[Optional(), Length(max=60, message="Choose one of the options listed.")]
    )

    def added_quantity(self) -> int:
        return 1 if self.quantity.data is None else self.quantity.data
