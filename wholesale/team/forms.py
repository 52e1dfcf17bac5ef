from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

ROLE_CHOICES = [("staff", "Staff"), ("owner", "Owner")]


class InviteForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Enter their name."), Length(max=120)],
        filters=[lambda value: value and value.strip()],
    )
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter their email address."),
            Email("Enter an email address."),
            Length(max=254),
        ],
        filters=[lambda value: value and value.strip()],
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="staff")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
