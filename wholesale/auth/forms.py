from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..forms import clean_text


class SignInForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[clean_text],
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    # Hidden, so HTML allows no maxlength on it: its length is checked here only.
    next = HiddenField(validators=[Length(max=300)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Your email address",
        validators=[
            DataRequired("Enter your email address."),
            Email("Enter an email address."),
            Length(max=254),
        ],
        filters=[clean_text],
    )


class SetPasswordForm(FlaskForm):
    # The password policy itself (length, guessability) is the service's: check_password_policy.
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a password."), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "The same password again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", "The two passwords differ."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
