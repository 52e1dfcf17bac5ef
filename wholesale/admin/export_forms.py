"""The export page's form: a date range and the date format (a GET form: it changes nothing)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired, ValidationError

from ..config import EXPORT_DATE_FORMATS
from ..forms import CalendarDateField
from ..services.invoicing.exports import check_range


class ExportRangeForm(FlaskForm):
    class Meta:
        csrf = False

    start = CalendarDateField("From", validators=[InputRequired("Choose the first day.")])
    end = CalendarDateField("To", validators=[InputRequired("Choose the last day.")])
    date_format = SelectField(
        "Dates in the files",
        choices=[SelectChoice(name, name) for name in EXPORT_DATE_FORMATS],
        validate_choice=True,
    )

    def validate_end(self, field):
        if self.start.data and field.data:
            try:
                check_range(self.start.data, field.data)
            except ValueError as error:
                raise ValidationError(str(error)) from None
