"""``flask --app wsgi db …``: Flask-Migrate's commands (Alembic), set up only when one of them runs.

Flask-Migrate and Alembic take 11 MB, which every web worker would hold for nothing: the app registers this
``db`` group instead, which loads them when ``flask db …`` is invoked (the Procfile's release phase,
``make run``) and hands over to Flask-Migrate's own group.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo

from .extensions import db

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def init_migrations(app: Flask) -> None:
    """Set Flask-Migrate up on ``app``: what ``flask db …`` and code running the migrations need."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=MIGRATIONS)


@click.command(
    "db",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    short_help="Perform database migrations (Flask-Migrate, Alembic).",
)
@click.pass_context
def migration_commands(ctx: click.Context) -> None:
    """Flask-Migrate's ``db`` group, loaded now: everything after ``db`` is handed to it as typed."""
    info = ctx.ensure_object(ScriptInfo)
    app = info.load_app()
    if "migrate" not in app.extensions:
        init_migrations(app)
    from flask_migrate.cli import db as commands

    commands.main(args=ctx.args, prog_name=ctx.command_path, obj=info, standalone_mode=False)
