from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, Length


class SignInForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[lambda value: value and value.strip()],
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    # Hidden, so HTML allows no maxlength on it: its length is checked here only.
    next = HiddenField(validators=[Length(max=300)])
