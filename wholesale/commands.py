"""``flask --app wsgi …`` commands."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .extensions import db
from .invoices_cli import invoices
from .links_cli import login_link
from .migrations_cli import migration_commands
from .models import Contact, StaffUser
from .reminders_cli import reminders
from .standing_cli import standing


def register(app: Flask) -> None:
    app.cli.add_command(create_staff)
    app.cli.add_command(seed_demo)
    app.cli.add_command(welcome)
    app.cli.add_command(login_link)
    app.cli.add_command(reminders)
    app.cli.add_command(standing)
    app.cli.add_command(invoices)
    app.cli.add_command(migration_commands)


@click.command("create-staff")
@click.argument("email")
@click.option("--name", default="", help="Shown in order history.")
@click.option(
    "--role",
    type=click.Choice(["owner", "staff"]),
    default=None,
    help="A new account is an owner unless given; an existing one keeps its role unless given.",
)
@click.password_option(help="Asked for when not given.")
@with_appcontext
def create_staff(email: str, name: str, role: str | None, password: str) -> None:
    """Create a staff account (an owner, by default) or reset its password, for EMAIL."""
    from .services.errors import ServiceError
    from .services.staff_accounts import save_staff_account

    try:
        staff, created = save_staff_account(email, password, name, role)
    except ServiceError as error:
        raise click.BadParameter(error.message, param_hint=error.field or "email") from None
    click.echo(f"{'Created' if created else 'Updated'} staff account {staff.email} ({staff.role}).")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when there are no customers yet.")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Fill the database with a believable roastery; running it again adds nothing."""
    from .demo import seed

    report = seed(only_if_empty=if_empty)
    click.echo(report)


@click.command("welcome")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@with_appcontext
def welcome(base_url: str) -> None:
    """Print how to sign in to the running app (used by `make run`)."""
    from .demo import DEMO_CONTACT_EMAIL, DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD

    base_url = base_url.rstrip("/")
    click.echo("")
    click.echo(f"  Wholesale portal: {base_url}/")
    demo_staff = db.session.scalar(select(StaffUser).where(StaffUser.email == DEMO_STAFF_EMAIL))
    if demo_staff is not None and demo_staff.check_password(DEMO_STAFF_PASSWORD):
        click.echo(f"  Staff sign-in:    {base_url}/admin/  as {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD}")
    else:
        click.echo(
            f"  Staff sign-in:    {base_url}/admin/  (add an account: flask --app wsgi create-staff EMAIL)"
        )
    contact = db.session.scalar(select(Contact).where(Contact.email == DEMO_CONTACT_EMAIL))
    if contact is not None:
        from .services.customers.links import login_url

        link = login_url(contact, "reminder").replace(current_app.config["PUBLIC_BASE_URL"], base_url, 1)
        click.echo(f"  Customer link:    {link}")
        click.echo(
            f"                    (signs in {contact.name} of {contact.customer.business_name}; valid 7 days)"
        )
    click.echo("")
