"""Who the signed-in customer contact is. Every portal lookup goes through ``g.signed_in``.

A portal session holds the contact id and the customer's token version at sign-in; revoking links (bumping
the version) or changing the contact's email therefore ends sessions too, not only unused links.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort, g, redirect, session, url_for
from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import joinedload

from ..auth.staff import SESSION_KEY as STAFF_KEY
from ..auth.staff import VERSION_KEY as STAFF_VERSION_KEY
from ..extensions import db
from ..models import Contact, Customer

CONTACT_KEY = "contact_id"
VERSION_KEY = "token_version"
EMAIL_KEY = "contact_email"
STAFF_SESSION_KEYS = (STAFF_KEY, STAFF_VERSION_KEY)


def start_customer_session(contact: Contact) -> None:
    """A fresh customer session: whatever portal session the browser had is dropped first."""
    # A staff member testing a link stays signed in as staff.
    staff_session = {key: session[key] for key in STAFF_SESSION_KEYS if key in session}
    session.clear()
    session.update(staff_session)
    session[CONTACT_KEY] = contact.id
    session[VERSION_KEY] = contact.customer.token_version
    session[EMAIL_KEY] = contact.email
    session.permanent = True


def end_customer_session() -> None:
    for key in (CONTACT_KEY, VERSION_KEY, EMAIL_KEY):
        session.pop(key, None)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is signed in, as the pages show it. The contact and customer as ORM objects are loaded only for the
    use cases that need them (``signed_in_contact``, ``signed_in_customer``)."""

    contact_id: int
    contact_name: str
    contact_email: str
    customer_id: int
    business_name: str


# Every customer request runs this, so it is built once (SQLAlchemy reuses its compiled form), reads five
# columns as a row rather than two objects through the ORM, and checks the session in the same statement: the
# contact still exists with the email signed in with, and its customer is active with the same token version.
SIGNED_IN = (
    select(Contact.id, Contact.name, Contact.email, Customer.id, Customer.business_name)
    .join(Customer, Customer.id == Contact.customer_id)
    .where(
        Contact.id == bindparam("contact_id"),
        Contact.email == bindparam("email"),
        Customer.active == true(),
        Customer.token_version == bindparam("token_version"),
    )
)
CONTACT_WITH_CUSTOMER = (
    select(Contact).options(joinedload(Contact.customer)).where(Contact.id == bindparam("contact_id"))
)


def load_signed_in() -> SignedIn | None:
    """Who the session says is signed in, if that still holds; else the portal session ends."""
    contact_id = session.get(CONTACT_KEY)
    if contact_id is None:
        return None
    params = {
        "contact_id": contact_id,
        "email": session.get(EMAIL_KEY),
        "token_version": session.get(VERSION_KEY),
    }
    row = db.session.execute(SIGNED_IN, params).first()
    if row is None:
        end_customer_session()
        return None
    return SignedIn(*row)


def signed_in_contact() -> Contact:
    """The signed-in contact, with its customer, as ORM objects: for the use cases that change orders."""
    if "contact" not in g:
        g.contact = db.session.scalar(CONTACT_WITH_CUSTOMER, {"contact_id": g.signed_in.contact_id})
        if g.contact is None:  # removed since this request began
            abort(redirect(url_for("portal.index")))
    return g.contact


def signed_in_customer() -> Customer:
    return signed_in_contact().customer


def customer_required(view):
    """For customer pages: sets ``g.signed_in``, or sends the visitor to the start page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.pop("contact", None)  # another request's, where requests share an app context (tests, scripts)
        g.signed_in = load_signed_in()
        if g.signed_in is None:
            return redirect(url_for("portal.index"))
        return view(*args, **kwargs)

    return wrapped
