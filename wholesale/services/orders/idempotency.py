"""A form that makes an order carries a key made when the form was shown (unique per customer in the
database): a double tap or a retried request with the same key finds the order the first one made instead of
making a second one."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from ...extensions import db
from ...models import Order
from ..errors import ServiceError

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
OUT_OF_DATE = "This page is out of date. Please reload it and try again."


def new_key() -> str:
    """A key for a form that makes an order."""
    return uuid.uuid4().hex


def check_key(key: str | None) -> None:
    if not KEY_PATTERN.match(key or ""):
        raise ServiceError(OUT_OF_DATE)


def order_with_key(customer_id: int, key: str | None) -> Order | None:
    """The order an earlier request with this key made, if any."""
    if not KEY_PATTERN.match(key or ""):
        return None
    return db.session.scalar(
        select(Order).where(Order.customer_id == customer_id, Order.idempotency_key == key)
    )
