"""Owners change the roastery's settings and logo; everyone gets the logo's image."""

from __future__ import annotations

from flask import abort, flash, g, make_response, redirect, render_template, url_for

from ..services import settings
from ..services.errors import ServiceError
from . import bp, logo_bp
from .forms import LogoForm, SettingsForm

LOGO_PREFIX = "upload"  # the logo form's fields, apart from the settings form's on the same page
LOGO_CACHE = "public, max-age=31536000, immutable"  # its address changes with the image


def render_page(form: SettingsForm | None = None, logo_form: LogoForm | None = None, status: int = 200):
    page = render_template(
        "settings/page.html",
        form=form or SettingsForm.filled(),
        logo_form=logo_form or LogoForm(formdata=None, prefix=LOGO_PREFIX),
        changes=settings.recent_changes(),
        label_of=settings.label_of,
        shown_value=settings.shown_value,
    )
    return page, status


@bp.get("")
def page():
    return render_page()


@bp.post("")
def save():
    form = SettingsForm()
    if not form.validate():
        return render_page(form=form, status=422)
    try:
        changes = settings.change_settings(form.typed(), g.staff)
    except ServiceError as error:
        form[(error.field or "roastery_name").lower()].errors.append(error.message)
        return render_page(form=form, status=422)
    if changes:
        flash("Saved: " + ", ".join(settings.label_of(change.name) for change in changes) + ".")
    else:
        flash("Nothing changed.")
    return redirect(url_for("settings.page"), code=303)


@bp.post("/logo")
def logo_upload():
    form = LogoForm(prefix=LOGO_PREFIX)
    if not form.validate():
        return render_page(logo_form=form, status=422)
    try:
        settings.save_logo(form.logo.data.read(settings.LOGO_MAX_BYTES + 1), g.staff)
    except ServiceError as error:
        form.logo.errors.append(error.message)
        return render_page(logo_form=form, status=422)
    flash("The new logo is on every page.")
    return redirect(url_for("settings.page"), code=303)


@bp.post("/logo/remove")
def logo_remove():
    if settings.remove_logo(g.staff):
        flash("The logo is removed.")
    return redirect(url_for("settings.page"), code=303)


@logo_bp.get("/logo/<version>")
def logo(version: str):
    image = settings.logo_file(version)
    if image is None:
        abort(404)
    response = make_response(image.content)
    response.headers["Content-Type"] = image.content_type
    response.headers["Cache-Control"] = LOGO_CACHE
    return response
