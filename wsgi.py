"""The WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi …``."""

from wholesale import create_app

app = create_app()
