"""The accountant's exports: choose a date range, then download each file (plain GET links: no JavaScript
needed, and a download can be bookmarked). The files are streamed as they are written."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, render_template, request, stream_with_context, url_for

from ..services import settings
from ..services.deliveries import today
from ..services.invoicing.exports import EXPORTS, ExportSettings, counts
from . import bp
from .export_forms import ExportRangeForm


def presets(day: date) -> dict[str, tuple[date, date]]:
    """The ranges offered as one click: last month (the default), this year, last year."""
    first_of_month = day.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    return {
        "Last month": (last_month_end.replace(day=1), last_month_end),
        "This year": (date(day.year, 1, 1), date(day.year, 12, 31)),
        "Last year": (date(day.year - 1, 1, 1), date(day.year - 1, 12, 31)),
    }


def range_form() -> ExportRangeForm:
    """The range asked for in the query; without one, last month in the settings' date format."""
    if request.args:
        form = ExportRangeForm(request.args)
        if "date_format" not in request.args:
            form.date_format.data = settings.get("EXPORT_DATE_FORMAT")
        return form
    start, end = presets(today())["Last month"]
    return ExportRangeForm(
        formdata=None, start=start, end=end, date_format=settings.get("EXPORT_DATE_FORMAT")
    )


def range_is_valid(form: ExportRangeForm) -> bool:
    """The default range needs no checking; one asked for in the query does."""
    return not request.args or form.validate()


def endpoint_of(export) -> str:
    return f"exports_{export.key.replace('-', '_')}"


def downloads(form: ExportRangeForm) -> list[tuple[object, str]]:
    """Each export and its link for the form's range and date format."""
    query = {
        "start": form.start.data.isoformat(),
        "end": form.end.data.isoformat(),
        "date_format": form.date_format.data,
    }
    return [(export, url_for(f"admin.{endpoint_of(export)}", **query)) for export in EXPORTS]


def exports_page(form: ExportRangeForm):
    valid = range_is_valid(form)
    return (
        render_template(
            "admin/exports.html",
            form=form,
            downloads=downloads(form) if valid else [],
            counts=counts(form.start.data, form.end.data) if valid else None,
            presets=presets(today()),
            prices_include_tax=settings.get("PRICES_INCLUDE_TAX"),
        ),
        200 if valid else 400,
    )


@bp.get("/exports")
def exports():
    return exports_page(range_form())


def download(export):
    form = range_form()
    if not range_is_valid(form):
        return exports_page(form)
    start, end = form.start.data, form.end.data
    export_settings = ExportSettings.from_config(form.date_format.data)
    filename = export.filename(start, end)  # letters, digits and dashes only
    return Response(
        stream_with_context(export.write(start, end, export_settings)),
        mimetype=export.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


for _export in EXPORTS:
    bp.add_url_rule(
        f"/exports/{_export.key}.{_export.extension}",
        endpoint=endpoint_of(_export),
        view_func=lambda export=_export: download(export),
        methods=["GET"],
    )
