"""The Settings form, one field per setting of ``services.settings.SPECS`` (each checked by its own rule),
and the logo upload."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, Field, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from ..services import settings
from ..services.errors import ServiceError

_LIMITS = {"textarea": 300, "emails": 2000}


def _checked_by(spec: settings.Spec):
    def validate(_form, field: Field) -> None:
        try:
            settings.check(spec.name, _typed(spec, field.data))
        except ServiceError as error:
            message = str(error).removeprefix(f"{spec.label}: ")
            raise ValidationError(message[:1].upper() + message[1:]) from None

    return validate


def _typed(spec: settings.Spec, data) -> str:
    if spec.kind == "switch":
        return "true" if data else "false"
    return data or ""


def _field(spec: settings.Spec) -> Field:
    checks = [_checked_by(spec)]
    if spec.kind == "switch":
        return BooleanField(spec.label, validators=checks)
    if spec.kind in ("choice", "weekday"):
        choices = [SelectChoice(value, label) for value, label in spec.choices]
        return SelectField(spec.label, choices=choices, validate_choice=True, validators=checks)
    length = Length(max=_LIMITS.get(spec.kind, 200), message="That is too long.")
    if spec.kind in ("textarea", "emails"):
        return TextAreaField(spec.label, validators=[length, *checks])
    return StringField(spec.label, validators=[length, *checks])


class SettingsForm(FlaskForm):
    """Every setting, named as its spec in lower case (``roastery_name``)."""

    def typed(self) -> dict[str, str]:
        return {spec.name: _typed(spec, self[spec.name.lower()].data) for spec in settings.SPECS}

    def sections(self):
        """(key, title, blurb, [(spec, field), …]) per section, in the page's order."""
        for key, title, blurb in settings.SECTIONS:
            rows = [(spec, self[spec.name.lower()]) for spec in settings.SPECS if spec.section == key]
            yield key, title, blurb, rows

    @classmethod
    def filled(cls) -> SettingsForm:
        """The form showing what holds now."""
        data = {}
        for spec in settings.SPECS:
            value = settings.text(spec.name)
            data[spec.name.lower()] = (value == "true") if spec.kind == "switch" else value
        return cls(formdata=None, data=data)


for _spec in settings.SPECS:
    setattr(SettingsForm, _spec.name.lower(), _field(_spec))


class LogoForm(FlaskForm):
    logo = FileField("Logo image", validators=[FileRequired("Choose a PNG or JPEG file.")])
