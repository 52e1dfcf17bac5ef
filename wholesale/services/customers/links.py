"""Passwordless links: a signed token that names a contact, and the checks that decide whether it still works.

A token is signed with itsdangerous under a salt per purpose (``portal-link/<purpose>``), so a token made for
one purpose never passes as another. Its payload is ``[contact id, email hash, token version, expires at]``:

- the hash of the contact's email at signing time, so changing the email ends every link sent to the old one;
- the customer's ``token_version``, so staff end every link of a customer by bumping it (``revoke_links``);
- an explicit expiry (a Unix timestamp): the link works while ``now < expires at``.

Reading a token only reads the database. Links are built from ``PUBLIC_BASE_URL``, never from the request's
Host header, which a client can forge.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from ...extensions import db
from ...formatting import local_time
from ...models import Contact, Customer
from .. import settings
from ..errors import ServiceError
from ..mail.delivery import deliver
from ..mail.outbox import queue_email
from . import history

SALT_PREFIX = "portal-link/"
# The purposes that sign a contact in at /link/<token>. Other purposes (a "no order this week" button, …)
# make and read their own tokens with ``make_token``/``read_token`` and are never accepted there.
# "staff": a link staff make for a contact on the customer's page, to paste into a text message.
LOGIN_PURPOSES = ("reminder", "requested", "staff")
# The setting that holds how long a login link of each purpose lasts, in seconds.
TTL_SETTINGS = {
    "reminder": "LINK_TTL_REMINDER_SECONDS",
    "requested": "LINK_TTL_REQUESTED_SECONDS",
    "staff": "LINK_TTL_STAFF_SECONDS",
}
# Two requests for the same contact within this window (a double tap) send one email.
EMAIL_DEDUPE_WINDOW = timedelta(minutes=5)
# Far longer than any token we make; anything longer is refused before any work is done.
MAX_TOKEN_LENGTH = 400


class LinkError(Exception):
    """A link that does not sign anyone in. ``reason`` is "invalid", "expired" or "revoked"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def _serializer(purpose: str) -> URLSafeSerializer:
    config = current_app.config
    # itsdangerous signs with the last key and accepts all of them: SECRET_KEY_FALLBACKS lets keys rotate.
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]
    signer_kwargs = {"digest_method": hashlib.sha256}
    return URLSafeSerializer(keys, salt=SALT_PREFIX + purpose, signer_kwargs=signer_kwargs)


def _timestamp(now: datetime | None) -> int:
    return int((now or datetime.now(UTC)).timestamp())


def make_token(contact: Contact, purpose: str, expires_at: datetime) -> str:
    """A token for ``contact`` that ``read_token(token, (purpose,))`` accepts until ``expires_at``."""
    payload = [contact.id, email_hash(contact.email), contact.customer.token_version, _timestamp(expires_at)]
    return _serializer(purpose).dumps(payload)


def read_token(token: str, purposes: tuple[str, ...], now: datetime | None = None) -> Contact:
    """The contact a token of one of ``purposes`` names, if it still works; raises ``LinkError`` otherwise.

    Refused as "invalid" when the signature or shape is wrong (including a token of another purpose),
    "expired" from its expiry on, "revoked" when the contact is gone, its email changed, the customer was
    deactivated or its token version bumped. Only reads.
    """
    payload = None
    if len(token) <= MAX_TOKEN_LENGTH:
        for purpose in purposes:
            try:
                payload = _serializer(purpose).loads(token)
                break
            except BadSignature:
                continue
    if not _well_formed(payload):
        raise LinkError("invalid")
    contact_id, signed_email_hash, token_version, expires_at = payload
    if _timestamp(now) >= expires_at:
        raise LinkError("expired")
    contact = db.session.get(Contact, contact_id)
    if (
        contact is None
        or not hmac.compare_digest(email_hash(contact.email), signed_email_hash)
        or not contact.customer.active
        or contact.customer.token_version != token_version
    ):
        raise LinkError("revoked")
    return contact


def _well_formed(payload) -> bool:
    return (
        isinstance(payload, list)
        and len(payload) == 4
        and all(type(payload[i]) is int for i in (0, 2, 3))
        and isinstance(payload[1], str)
    )


def link_lifetime(purpose: str) -> timedelta:
    return timedelta(seconds=current_app.config[TTL_SETTINGS[purpose]])


# Where a sign-in link may land instead of the order page (``login_url``'s ``to``): a name, never an address,
# so a link cannot be made to send anyone elsewhere.
LANDINGS = {"standing": "portal.standing_orders", "invoices": "portal.invoices"}


def login_url(
    contact: Contact,
    purpose: str,
    now: datetime | None = None,
    expires_at: datetime | None = None,
    to: str | None = None,
) -> str:
    """The absolute sign-in link for ``contact`` (from PUBLIC_BASE_URL), lasting as ``purpose`` says.

    ``expires_at`` overrides the purpose's lifetime: a weekly reminder's link lasts until the next reminder.
    ``to`` names a page of ``LANDINGS`` to open after signing in (the order page otherwise).
    """
    if purpose not in LOGIN_PURPOSES:
        raise ValueError(f"not a login purpose: {purpose!r}")
    if to is not None and to not in LANDINGS:
        raise ValueError(f"not a landing page: {to!r}")
    issued = now or datetime.now(UTC)
    token = make_token(contact, purpose, expires_at or issued + link_lifetime(purpose))
    return public_url("portal.open_link", token=token, **({"to": to} if to else {}))


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for an email, from PUBLIC_BASE_URL and the URL map alone.

    No request takes part, so a forged Host header never ends up in a link.
    """
    path = current_app.url_map.bind("public.invalid").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def verify(token: str, now: datetime | None = None) -> Contact:
    """The contact a login link signs in; raises ``LinkError`` (invalid / expired / revoked). Only reads."""
    return read_token(token, LOGIN_PURPOSES, now)


def revoke_links(customer: Customer, staff_user_id: int | None = None) -> None:
    """Staff end every link and portal session of ``customer``'s contacts, and the customer's history says
    who did: one transaction, committed here."""
    db.session.execute(
        update(Customer)
        .where(Customer.id == customer.id)
        .values(token_version=Customer.token_version + 1)
        .execution_options(synchronize_session=False)
    )
    history.record(
        customer.id,
        "links_revoked",
        "Every sign-in link revoked: links sent so far stopped working and open sessions ended.",
        staff_user_id=staff_user_id,
    )
    db.session.commit()


@dataclass(frozen=True)
class StaffLink:
    """A sign-in link staff made for a contact, to hand over (a text message); it exists only in this answer."""

    contact: Contact
    url: str
    expires_at: datetime


def make_staff_link(contact: Contact, staff_user_id: int | None, now: datetime | None = None) -> StaffLink:
    """A "staff" sign-in link for ``contact``, lasting ``LINK_TTL_STAFF_SECONDS``, recorded in the customer's
    history (for whom, by whom, until when): one transaction, committed here.

    The token is returned, never stored: the history says a link was made, not what it was. Revoking the
    customer's links ends it like any other. Refused (ServiceError) for an inactive customer, whose links are
    refused anyway.
    """
    customer = contact.customer
    if not customer.active:
        raise ServiceError(f"{customer.business_name} is inactive, so a sign-in link would not work.")
    issued = now or datetime.now(UTC)
    # Whole seconds, as the token carries it: the time shown is the moment the link stops working.
    expires_at = datetime.fromtimestamp(_timestamp(issued + link_lifetime("staff")), UTC)
    url = login_url(contact, "staff", expires_at=expires_at)
    history.record(
        customer.id,
        "sign_in_link_made",
        f"Sign-in link made for {contact.name} ({contact.email}), valid until {local_time(expires_at)}",
        staff_user_id=staff_user_id,
        contact_id=contact.id,
        at=issued,
    )
    db.session.commit()
    return StaffLink(contact, url, expires_at)


def email_login_link(address: str, now: datetime | None = None) -> None:
    """Email ``address`` a "requested" link when it is a contact of an active customer, otherwise an email
    saying that it has no account here (and how to find the one it should be).

    The page answers the same either way; so does the work behind it, so its timing tells nobody who is a
    customer: one look-up, one email row written and committed (the same statements), one hand-over to the
    outbox. The email goes out from the worker, never inside the request (production requires Redis).
    """
    address = address.strip().lower()
    contact = db.session.scalar(
        select(Contact)
        .join(Contact.customer)
        .options(contains_eager(Contact.customer))  # the link and the email read it: no second statement
        .where(Contact.email == address, Customer.active.is_(True))
    )
    issued = now or datetime.now(UTC)
    window = _timestamp(issued) // int(EMAIL_DEDUPE_WINDOW.total_seconds())
    roastery = settings.get("ROASTERY_NAME")
    if contact is not None:
        kind, subject, customer_id = "login_link", f"Your sign-in link for {roastery}", contact.customer_id
        context = {
            "contact": contact,
            "url": login_url(contact, "requested", now=issued),
            "lifetime": describe_lifetime("requested"),
        }
    else:
        kind, subject, customer_id = "login_link_unknown", f"Signing in to {roastery}", None
        context = {"address": address, "request_url": public_url("portal.request_link")}
    email = queue_email(
        kind=kind,
        dedupe_key=f"login-link:{email_hash(address)}:{window}",
        to_address=address,
        subject=subject,
        template=kind,
        context=context,
        customer_id=customer_id,
    )
    db.session.commit()
    deliver(email.id)


def describe_lifetime(purpose: str) -> str:
    """How long a link of ``purpose`` works, in words: "30 minutes", "7 days"."""
    return describe_seconds(int(link_lifetime(purpose).total_seconds()))


def describe_seconds(seconds: int) -> str:
    """A lifetime in words: 1800 is "30 minutes", 604800 "7 days"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"
