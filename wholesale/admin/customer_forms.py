"""Forms of the staff customer pages. Each turns what was typed into the details a service takes."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, Length, StopValidation, ValidationError

from ..config import GRAMS_PER, grams_of
from ..formatting import money, payment_terms
from ..forms import CountField, MoneyField, PercentField, clean_text
from ..services import settings
from ..services.customers.accounts import (
    CERTIFICATE_MAX,
    CONTACT_NAME_MAX,
    EMAIL_MAX,
    NAME_MAX,
    PAYMENT_TERMS_MAX,
    PHONE_MAX,
    ContactDetails,
    CustomerDetails,
)
from ..services.orders import minimums
from ..services.zones import canonical_timezone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIMEZONE_HINT = (
    "Type part of a city or region and pick it from the list, like America/Los_Angeles or Europe/London."
)


def _optional_id(value) -> int | None:
    """'' is "none chosen"; anything else must be a whole number (ValueError gives the field's message)."""
    if value is None or value == "":
        return None
    return int(value)


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


def _required(message: str):
    """Like InputRequired, for fields whose value may be a falsy 0 (prices, percentages)."""

    def check(form, field):
        if field.data is None and not field.process_errors:
            raise StopValidation(message)

    return check


def _zero_if_empty(value):
    return Decimal("0") if value is None else value


class MinimumAmountField(MoneyField):
    noun = "an amount"
    example = "5"


class CustomerForm(FlaskForm):
    business_name = StringField(
        "Business name",
        filters=[clean_text],
        validators=[DataRequired("Enter the business name."), _at_most(NAME_MAX)],
    )
    delivery_address = TextAreaField("Delivery address", filters=[clean_text], validators=[_at_most(1000)])
    default_shipping_option_id = SelectField(
        "Default shipping",
        coerce=_optional_id,
        invalid_value_message="Choose a shipping option from the list.",
        invalid_choice_message="Choose a shipping option from the list.",
    )
    discount_percent = PercentField("Discount (%)", filters=[_zero_if_empty])
    notes = TextAreaField("Notes for staff", filters=[clean_text], validators=[_at_most(5000)])
    active = BooleanField("Active (may order)", default=True)
    reminders_enabled = BooleanField("Send the weekly reminder email")
    reminder_weekday = SelectField(
        "Day",
        coerce=int,
        choices=[SelectChoice(number, day) for number, day in enumerate(WEEKDAYS)],
        invalid_value_message="Choose a day of the week.",
        invalid_choice_message="Choose a day of the week.",
    )
    reminder_time = TimeField(
        "Time", format=["%H:%M", "%H:%M:%S"], invalid_value_message="Enter a time like 02:00."
    )
    reminder_timezone = StringField(
        "Time zone",
        filters=[clean_text],
        validators=[DataRequired("Enter a time zone, like America/Los_Angeles."), _at_most(64)],
    )

    minimum_kind = SelectField(
        "Minimum per order",
        invalid_value_message="Choose a minimum from the list.",
        invalid_choice_message="Choose a minimum from the list.",
    )
    minimum_amount = MinimumAmountField("Their minimum")

    payment_terms = SelectField(
        "Payment terms",
        invalid_value_message="Choose payment terms from the list.",
        invalid_choice_message="Choose payment terms from the list.",
    )
    payment_terms_days = CountField(
        "Days to pay", low=0, high=PAYMENT_TERMS_MAX, render_kw={"inputmode": "numeric"}
    )
    tax_exempt_certificate = StringField(
        "Tax exemption certificate", filters=[clean_text], validators=[_at_most(CERTIFICATE_MAX)]
    )

    def __init__(self, *args, shipping_options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.default_shipping_option_id.choices = [SelectChoice("", "None")] + [
            SelectChoice(
                option.id, f"{option.name} ({money(option.fee)}{'' if option.active else ', retired'})"
            )
            for option in shipping_options
        ]
        self.weight_unit = minimums.weight_unit()
        self.minimum_kind.choices = [
            SelectChoice("default", f"The roastery's ({minimums.describe(minimums.roastery_minimum())})"),
            SelectChoice("none", "None"),
            SelectChoice("weight", f"Coffee weight ({self.weight_unit})"),
            SelectChoice("subtotal", "Items subtotal ($, before discount and delivery)"),
        ]
        customer = kwargs.get("obj")
        if customer is not None and not self.is_submitted():  # as stored; once posted, as typed
            self.minimum_amount.data = _minimum_amount_of(customer, self.weight_unit)
        if self.minimum_kind.data is None:
            self.minimum_kind.data = "default"
        default_terms = payment_terms(settings.get("PAYMENT_TERMS_DAYS"))
        self.payment_terms.choices = [
            SelectChoice("default", f"The roastery's ({default_terms})"),
            *(SelectChoice(str(days), payment_terms(days)) for days in TERMS_OFFERED),
            SelectChoice("days", "A number of days"),
        ]
        if customer is not None and not self.is_submitted():
            self.payment_terms.data = _terms_choice(customer.payment_terms_days)
        if self.payment_terms.data is None:
            self.payment_terms.data = "default"

    def validate_payment_terms_days(self, field):
        if self.payment_terms.data == "days" and field.data is None:
            raise ValidationError(f"Enter the days to pay, from 0 to {PAYMENT_TERMS_MAX}.")

    def validate_reminder_timezone(self, field):
        if canonical_timezone(field.data) is None:
            raise ValidationError(
                "That is not a time zone we know. Choose one from the list, like America/Los_Angeles or Europe/London."
            )

    def details(self) -> CustomerDetails:
        typed = {f.name: getattr(self, f.name).data for f in fields(CustomerDetails) if f.name in self}
        amount, kind = self.minimum_amount.data, self.minimum_kind.data
        terms = self.payment_terms.data
        typed["payment_terms_days"] = (
            None if terms == "default" else self.payment_terms_days.data if terms == "days" else int(terms)
        )
        return CustomerDetails(
            **typed,
            minimum_weight_g=grams_of(amount, self.weight_unit) if kind == "weight" and amount else None,
            minimum_subtotal=amount if kind == "subtotal" else None,
        )


TERMS_OFFERED = (0, 7, 14, 30)


def _terms_choice(days: int | None) -> str:
    """The payment terms choice a customer's stored terms show as."""
    if days is None:
        return "default"
    return str(days) if days in TERMS_OFFERED else "days"


def _minimum_amount_of(customer, unit: str) -> Decimal | None:
    """The customer's own minimum as staff typed it: a weight in ``unit`` (to 0.01), or a subtotal."""
    if customer.minimum_kind == "weight" and customer.minimum_weight_g:
        weight = (Decimal(customer.minimum_weight_g) / GRAMS_PER[unit]).quantize(Decimal("0.01"))
        return weight.quantize(Decimal("1")) if weight == weight.to_integral_value() else weight
    if customer.minimum_kind == "subtotal":
        return customer.minimum_subtotal
    return None


class ContactForm(FlaskForm):
    name = StringField(
        "Name",
        filters=[clean_text],
        validators=[DataRequired("Enter the contact's name."), _at_most(CONTACT_NAME_MAX)],
    )
    email = EmailField(
        "Email",
        filters=[clean_text],
        validators=[
            DataRequired("Enter an email address."),
            _at_most(EMAIL_MAX),
            Email("Enter an email address like ana@example.com."),
        ],
    )
    phone = TelField("Phone", filters=[clean_text], validators=[_at_most(PHONE_MAX)])
    receives_reminders = BooleanField("Gets the weekly reminder", default=True)

    def details(self) -> ContactDetails:
        return ContactDetails(**{f.name: getattr(self, f.name).data for f in fields(ContactDetails)})


class NewPriceForm(FlaskForm):
    variant_id = SelectField(
        "Product size",
        coerce=_optional_id,
        validators=[_required("Choose a product size.")],
        invalid_value_message="Choose a product size from the list.",
        invalid_choice_message="Choose a product size from the list.",
    )
    price = MoneyField("Their price ($)", validators=[_required("Enter their price.")])

    def __init__(self, *args, variants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.variant_id.choices = [SelectChoice("", "Choose a size…")] + [
            SelectChoice(variant.id, f"{variant.label} (list {money(variant.price)})") for variant in variants
        ]


class PriceForm(FlaskForm):
    price = MoneyField("Their price ($)", validators=[_required("Enter their price.")])
