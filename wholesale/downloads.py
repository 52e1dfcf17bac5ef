"""A file the app makes for download (an invoice's PDF): private, never cached by a shared cache."""

from __future__ import annotations

from flask import Response


def pdf_download(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
