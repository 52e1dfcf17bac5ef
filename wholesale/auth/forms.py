from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length


class SignInForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[lambda value: value and value.strip()],
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    next = StringField(validators=[Length(max=300)])
