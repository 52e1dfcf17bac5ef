from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from ..forms import clean_text

ROLE_LABELS = {"staff": "Staff", "owner": "Owner"}
ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


class InviteForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Enter their name."), Length(max=120)],
        filters=[clean_text],
    )
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter their email address."),
            Email("Enter an email address."),
            Length(max=254),
        ],
        filters=[clean_text],
    )
    role = SelectField(
        "Role", choices=ROLE_CHOICES, default="staff", invalid_choice_message="Choose owner or staff."
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, invalid_choice_message="Choose owner or staff.")
