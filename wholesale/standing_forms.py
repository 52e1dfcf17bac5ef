"""The forms of the standing order pages, the same for customers (portal) and staff (admin).

CSRF is checked for every POST by CSRFProtect, so these forms do not check it twice. The rules (which
cadences, which weekday an option delivers on, the quantity range) are the service's
(``services.standing.manage``): a form only reads what was sent, and the service refuses with the message.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from .forms import AddLineFields, IdField, form_message, version_seen
from .models.standing import EVERY_WEEKS
from .services.errors import ServiceError
from .services.standing.manage import NOTES_MAX, OPTION_NOT_LISTED
from .services.standing.queries import CADENCES, WEEKDAY_NAMES

DATE_MESSAGE = "Enter a date like 2026-03-14."


def _whole_number(value):
    """A choice sent as a number; anything else reads as None, which the service refuses with its message."""
    if isinstance(value, int):
        return value
    raw = (value or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 2 else None


class _StandingForm(FlaskForm):
    class Meta:
        csrf = False

    # The version the page showed; every change is made against it (missing or garbled: out of date).
    version = HiddenField()

    @property
    def seen_version(self) -> int:
        return version_seen(self.version.data or "")

    def refusal(self, field: str | None = None) -> ServiceError:
        return ServiceError(form_message(self), field)


class CadenceFields:
    every_weeks = RadioField(
        "How often",
        choices=[SelectChoice(weeks, CADENCES[weeks]) for weeks in EVERY_WEEKS],
        coerce=_whole_number,
        validate_choice=False,
    )
    weekday = SelectField(
        "Delivery day",
        choices=[SelectChoice(number, name) for number, name in enumerate(WEEKDAY_NAMES)],
        coerce=_whole_number,
        validate_choice=False,
    )
    shipping_option_id = IdField("Delivery option", message=OPTION_NOT_LISTED)


class NewStandingForm(CadenceFields, _StandingForm):
    """Make a standing order, from one of the customer's orders (``source_order_id``) or, for staff, empty."""

    source_order_id = IdField(validators=[Optional()], message="That order was not found.")


class StandingForm(CadenceFields, _StandingForm):
    notes = TextAreaField(
        "Notes for the roastery",
        validators=[Length(max=NOTES_MAX, message=f"Use at most {NOTES_MAX} characters.")],
    )


class AddSizeForm(AddLineFields, _StandingForm):
    pass


class PauseForm(_StandingForm):
    until = DateField("Pause until", validators=[InputRequired(DATE_MESSAGE)])


class DayForm(_StandingForm):
    """One delivery (skip it, or take the skip back)."""

    day = DateField("Delivery", validators=[InputRequired(DATE_MESSAGE)])


class StopForm(_StandingForm):
    # Set only by the button of the second step, which says what stopping means.
    confirmed = HiddenField()


def quantities_sent(form: dict, line_ids: list[int]) -> dict[int, int]:
    """The quantities the lines form sent (``quantity-<line id>``), for the lines it names; a value that is
    no whole number is refused with the line's message."""
    found = {}
    for line_id in line_ids:
        raw = form.get(f"quantity-{line_id}")
        if raw is None:
            continue
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
            raise ServiceError("Enter each quantity as a whole number (0 takes the item off).", "quantity")
        found[line_id] = int(raw)
    return found
