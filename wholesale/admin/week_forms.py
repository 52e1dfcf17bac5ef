"""Forms of the week board: which week and which rows to show (a GET form), and "remind again"."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import AnyOf, InputRequired, Optional, ValidationError

from ..converters import parse_id
from ..forms import IdField
from ..services.planning.board import STATES
from ..services.planning.week import Week, within_reach
from .production_forms import RoastDateField


class WeekField(RoastDateField):
    """A day as YYYY-MM-DD standing for its week (Monday to Sunday), within a year of today."""

    def pre_validate(self, form):
        if self.data is not None and not within_reach(Week.containing(self.data)):
            raise ValidationError("Choose a week within a year of today.")


class BoardFilterForm(FlaskForm):
    """A GET form (bookmarkable, works without JavaScript), so it carries no CSRF token."""

    class Meta:
        csrf = False

    week = WeekField("Week", validators=[Optional()])
    state = StringField(
        "State", validators=[Optional(), AnyOf(STATES, message="Choose a state from the list.")]
    )
    option = IdField("Shipping option", message="Choose a shipping option from the list.")


class TickedIdsField(Field):
    """The ids of the rows ticked in a table, one value per ticked box; a garbled or out-of-range one (a forged
    form) is dropped, as the customers list drops them."""

    def process_formdata(self, valuelist):
        self.data = [i for i in map(parse_id, valuelist) if i is not None]


class RemindForm(FlaskForm):
    """The week the ticked customers are reminded for, and who they are."""

    week = WeekField("Week", validators=[InputRequired("The week is missing; reload the page.")])
    customer_id = TickedIdsField("Customers", default=list)
