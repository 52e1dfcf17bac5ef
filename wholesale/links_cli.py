"""``flask --app wsgi login-link EMAIL``: print a portal sign-in link for a contact (support, demos)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import Contact
from .services import customers


@click.command("login-link")
@click.argument("email")
@click.option(
    "--purpose",
    type=click.Choice(customers.links.LOGIN_PURPOSES),
    default="reminder",
    show_default=True,
    help=(
        "reminder: lasts like a weekly reminder's link; requested: like one asked for by hand; staff: like one"
        " made on the customer's page."
    ),
)
@with_appcontext
def login_link(email: str, purpose: str) -> None:
    """Print a sign-in link for the contact with EMAIL, built from PUBLIC_BASE_URL."""
    contact = db.session.scalar(select(Contact).where(Contact.email == email.strip().lower()))
    if contact is None:
        raise click.ClickException(f"no contact has the email {email.strip()}")
    if not contact.customer.active:
        raise click.ClickException(f"{contact.customer.business_name} is inactive: its links are refused")
    click.echo(customers.links.login_url(contact, purpose))
