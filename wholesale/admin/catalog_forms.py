from datetime import time
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..formatting import percent
from ..forms import CountField, MoneyField, PercentField
from ..models.catalog import WEEKDAYS
from ..services.invoicing import tax


def tax_rate_choices() -> list[SelectChoice]:
    """The roastery's tax rates (TAX_RATES), the default first as ''; one choice of no tax without any."""
    rates = tax.rates()
    if not rates:
        return [SelectChoice("", "No tax (TAX_RATES is empty)")]
    default = rates[0]
    return [SelectChoice("", f"The default: {default.name} {percent(default.rate)}")] + [
        SelectChoice(rate.name, f"{rate.name} {percent(rate.rate)}") for rate in rates[1:]
    ]


class ProductForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the product's name."), Length(max=120)])
    kind = SelectField(
        "Kind",
        choices=[SelectChoice("coffee", "Coffee"), SelectChoice("other", "Other item")],
        default="coffee",
    )
    roast_loss_percent = PercentField("Roast loss (%)")
    description = TextAreaField("Description", validators=[Length(max=2000)])
    tax_rate_name = SelectField(
        "Tax rate",
        default="",
        invalid_choice_message="Choose a tax rate from the list.",
        invalid_value_message="Choose a tax rate from the list.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tax_rate_name.choices = tax_rate_choices()

    def validate_roast_loss_percent(self, field):
        if self.kind.data != "coffee":
            return
        if field.data is None:
            raise ValidationError("Coffees need a roast loss, e.g. 15.")
        if field.data >= Decimal("100"):
            raise ValidationError("Roast loss must be under 100 %.")


class ProductOptionsForm(FlaskForm):
    """A product's options, one per line, the first being the default (``services.catalog.set_options``)."""

    options = TextAreaField(
        "Options, one per line; the first is the default",
        validators=[Length(max=2000, message="Keep the list under 2,000 characters.")],
        render_kw={"rows": 8},
    )


class VariantForm(FlaskForm):
    name = StringField("Size", validators=[DataRequired("Enter the size, e.g. 340 g bag."), Length(max=60)])
    sku = StringField(
        "SKU",
        validators=[
            DataRequired("Enter a SKU."),
            Length(max=40),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$", message="Use letters, digits, dots, dashes or underscores."
            ),
        ],
    )
    price = MoneyField("Wholesale price ($)", validators=[InputRequired("Enter the wholesale price.")])
    net_weight_g = CountField(
        "Net weight (g)", validators=[InputRequired("Enter the net weight in grams.")], low=1, high=100_000
    )


class ShippingOptionForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), Length(max=80)])
    fee = MoneyField("Fee ($)", validators=[InputRequired("Enter the fee (0 for free).")])
    position = CountField(
        "Position in lists",
        validators=[InputRequired("Enter a position, e.g. 0.")],
        default=0,
        low=0,
        high=1000,
    )
    active = BooleanField("Offered to customers", default=True)
    weekdays = SelectMultipleField(
        "Delivers on",
        coerce=int,
        choices=[SelectChoice(number, day) for number, day in enumerate(WEEKDAYS)],
        default=[0, 1, 2, 3, 4],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired("Choose at least one day it delivers.")],
    )
    cutoff_days_before = CountField(
        "Orders close (days before delivery)",
        validators=[InputRequired("Enter how many days before delivery orders close, e.g. 1.")],
        default=1,
        low=0,
        high=14,
    )
    cutoff_time = TimeField(
        "at (roastery time)",
        format=["%H:%M", "%H:%M:%S"],
        default=time(17, 0),
        validators=[InputRequired("Enter a time like 17:00.")],
    )
    roast_days_before = CountField(
        "Roasted (days before delivery)",
        validators=[InputRequired("Enter how many days before delivery it is roasted, e.g. 1.")],
        default=1,
        low=0,
        high=14,
    )


class ClosedDateForm(FlaskForm):
    day = DateField("Date", validators=[InputRequired("Enter the date to close.")])
    note = StringField("Note (optional)", validators=[Length(max=120)])
