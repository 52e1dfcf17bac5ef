"""Forms of the production pages: a roast date, and lists of order ids ticked in a table."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import InputRequired, ValidationError

from ..converters import parse_id
from ..forms import CalendarDateField
from ..services import settings

PLANNING_HORIZON = timedelta(days=366)


def roastery_today() -> date:
    return datetime.now(ZoneInfo(settings.get("ROASTERY_TIMEZONE"))).date()


class RoastDateField(CalendarDateField):
    """A roast date: a calendar date within a year of today."""

    def pre_validate(self, form):
        if self.data is not None and abs(self.data - roastery_today()) > PLANNING_HORIZON:
            raise ValidationError("Choose a roast date within a year of today.")


class OrderIdsField(Field):
    """The ids of the orders ticked in a table (one ``order_ids`` value per ticked box)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.data = []

    def process_formdata(self, valuelist):
        ids = [parse_id(raw) for raw in valuelist]
        if None in ids:
            self.data = []
            raise ValueError("That list of orders was not valid. Please reload the page and choose again.")
        self.data = list(dict.fromkeys(ids))


class RoastDateForm(FlaskForm):
    """The date picker of a new run: a GET form, so it carries no CSRF token."""

    class Meta:
        csrf = False

    roast_date = RoastDateField("Roast date", validators=[InputRequired("Choose a roast date.")])


class NewRunForm(FlaskForm):
    roast_date = RoastDateField("Roast date", validators=[InputRequired("Choose a roast date.")])
    order_ids = OrderIdsField("Orders")


class AddOrdersForm(FlaskForm):
    order_ids = OrderIdsField("Orders")

    def validate_order_ids(self, field):
        if not field.data:
            raise ValidationError("Tick at least one order to add.")


class MergeForm(FlaskForm):
    keep_id = OrderIdsField("Keep")
    order_ids = OrderIdsField("Orders")

    def validate_keep_id(self, field):
        if len(field.data) != 1:
            raise ValidationError("Choose the one order to keep.")

    def validate_order_ids(self, field):
        if len(set(field.data) | set(self.keep_id.data)) < 2:
            raise ValidationError("Choose at least two orders of one customer to merge.")
