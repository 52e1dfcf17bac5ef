"""Portal forms. CSRF is checked for every POST by CSRFProtect, so these forms do not check it twice."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import AddLineFields, LineEditFields

# Money is never taken from the browser; a request that tries to send it is refused outright.
FORGED_FIELDS = (
    "price",
    "unit_price",
    "amount",
    "subtotal",
    "total",
    "shipping_fee",
    "discount",
    "discount_percent",
)


class _PortalForm(FlaskForm):
    class Meta:
        csrf = False

    def validate(self, extra_validators=None):
        forged = sorted(name for name in FORGED_FIELDS if name in request.form)
        valid = super().validate(extra_validators)
        if forged:
            self.form_errors.append("Prices are set by the roastery and cannot be sent with an order.")
            return False
        return valid


class LineForm(LineEditFields, _PortalForm):
    pass


class AddLineForm(AddLineFields, _PortalForm):
    pass


class DetailsForm(_PortalForm):
    shipping_option_id = IntegerField("Delivery", validators=[Optional()])
    # One of the dates offered (the service checks it is still open); empty keeps the one chosen.
    delivery_date = DateField("Delivery date", validators=[Optional()])
    notes = TextAreaField("Notes for the roastery", validators=[Length(max=1000)])


class PlaceForm(DetailsForm):
    idempotency_key = HiddenField()  # checked by the service (services.idempotency)
    # Set only by the button that says so, when an order for the same delivery exists.
    second_order = BooleanField()


class ReminderChoiceForm(_PortalForm):
    """One of the roastery's reminder days and times (``reminders.schedule``); the service checks it again."""

    choice = RadioField(
        "When your weekly reminder comes",
        validate_choice=False,  # the service refuses a value not offered, with its message
    )
