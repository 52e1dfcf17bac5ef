"""Portal forms. CSRF is checked for every POST by CSRFProtect, so these forms do not check it twice."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ..forms import CountField
from ..services.order_editing import MAX_QUANTITY


# Money is never taken from the browser; a request that tries to send it is refused outright.
FORGED_FIELDS = ("price", "unit_price", "amount", "subtotal", "total", "shipping_fee", "discount", "discount_percent")


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


class LineForm(_PortalForm):
    """One line: a typed quantity, a +1/−1 step, or remove."""

    quantity = CountField("Quantity", validators=[InputRequired("Enter a quantity.")], low=1, high=MAX_QUANTITY)
    step = IntegerField(validators=[Optional(), AnyOf([-1, 1], message="Use the + and − buttons.")])
    # Not "remove": a control of that name would hide the form element's own remove() from scripts.
    remove_line = StringField(validators=[Optional(), Length(max=5)])


class AddLineForm(_PortalForm):
    variant_id = IntegerField(validators=[InputRequired("Pick a product size.")])
    quantity = CountField("Quantity", default=1, low=1, high=MAX_QUANTITY)


class DetailsForm(_PortalForm):
    shipping_option_id = IntegerField("Delivery", validators=[Optional()])
    notes = TextAreaField("Notes for the roastery", validators=[Length(max=1000)])


class PlaceForm(DetailsForm):
    idempotency_key = HiddenField(
        validators=[
            InputRequired("This page is out of date. Please reload it and place the order again."),
            Length(min=16, max=64, message="This page is out of date. Please reload it and place the order again."),
        ]
    )
