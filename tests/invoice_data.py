"""Issued invoices for tests: an approved order, then ``issue_invoice`` (what approving one does), with the
roastery's invoice settings for the occasion (``TAX_RATES``, ``PRICES_INCLUDE_TAX``, ``PAYMENT_TERMS_DAYS``…).

Call inside an app context (``app_ctx``); the invoice is committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from flask import current_app

from wholesale.extensions import db
from wholesale.models import Customer, Invoice, Variant
from wholesale.services.invoicing.issuing import issue_invoice

from .factories import make_order


@contextmanager
def invoice_settings(**settings) -> Iterator[None]:
    """The app's settings changed for the block (``TAX_RATES="VAT 20%"``…), as they were after it."""
    config = current_app.config
    before = {name: config[name] for name in settings if name in config}
    config.update(settings)
    try:
        yield
    finally:
        for name in settings:
            config.pop(name, None)
        config.update(before)


def issued_invoice(
    customer: Customer,
    lines: list[tuple[Variant, int]],
    discount_percent: str | Decimal = "0",
    shipping: str | Decimal = "0",
    staff_id: int | None = None,
    today: date | None = None,
    **settings,
) -> Invoice:
    """An approved order of ``lines`` (list prices, the customer's terms and exemption) for ``customer``,
    and its invoice issued and committed under ``settings``."""
    order = make_order(
        customer,
        lines,
        status="approved",
        discount_percent=Decimal(discount_percent),
        shipping_fee=Decimal(shipping),
    )
    with invoice_settings(**settings):
        invoice = issue_invoice(order, staff_id, today)
        db.session.commit()
    return invoice
