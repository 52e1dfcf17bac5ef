"""Shared by the link tests: a contact called Ana, and helpers to open links and read what happened."""

from __future__ import annotations

import http.client
import logging
import os
import re
import runpy
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import event, select

from tests.conftest import csrf_from, every_row  # noqa: F401  (every_row: for the link tests)
from wholesale.extensions import db
from wholesale.links_cli import login_link
from wholesale.logging_redaction import RedactLinkTokens, redact
from wholesale.models import Contact, Customer, Email, Order
from wholesale.portal.session import load_signed_in
from wholesale.services.customers import links

ROOT = Path(__file__).resolve().parent.parent
ANA = "ana@bluedoor.example"
BO = "bo@closedshop.example"  # a contact of a customer that no longer orders
NOBODY = "nobody@unknown.example"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)
WEEK = timedelta(days=7)
# Shaped like a real token (payload.signature) but signed by nobody.
TOKEN = "WzEsIjEyIl0.c2lnbmF0dXJl"

# --- Helpers -------------------------------------------------------------------------------------------


@pytest.fixture
def ana(app) -> int:
    """Ana orders for Blue Door Café; the id of her contact."""
    with app.app_context():
        customer = Customer(business_name="Blue Door Café")
        contact = Contact(customer=customer, name="Ana Ruiz", email=ANA)
        db.session.add_all([customer, contact])
        db.session.commit()
        return contact.id


@pytest.fixture
def bo(app) -> int:
    """Bo ordered for a shop that closed: the customer is inactive; the id of his contact."""
    with app.app_context():
        customer = Customer(business_name="Closed Shop", active=False)
        contact = Contact(customer=customer, name="Bo Lind", email=BO)
        db.session.add_all([customer, contact])
        db.session.commit()
        return contact.id


def url_for_contact(app, contact_id: int, purpose: str = "reminder", now: datetime | None = None) -> str:
    with app.app_context():
        return links.login_url(db.session.get(Contact, contact_id), purpose, now=now)


def path_of(url: str) -> str:
    return urlsplit(url).path


def token_of(url: str) -> str:
    return path_of(url).rsplit("/", 1)[1]


def signed_in_contact_id(client) -> int | None:
    """Who the portal would say is signed in on the client's next request."""
    with client:
        client.get("/link/requested")
        signed_in = load_signed_in()
        return signed_in.contact_id if signed_in else None


def has_portal_session(client) -> bool:
    with client.session_transaction() as session:
        return "contact_id" in session


def emails(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.kind, e.to_address) for e in db.session.scalars(select(Email).order_by(Email.id))]


def without_csrf(html: str) -> str:
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1-", html)
    return re.sub(r'("X-CSRFToken": ")[^"]+', r"\1-", html)


def ask_for_link(forms, address: str, **kwargs):
    return forms.post("/link/request", {"email": address}, page="/", **kwargs)
