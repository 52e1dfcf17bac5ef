"""Shared by the staff customer-page tests: input builders, fixtures and small readers."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Contact, Customer, CustomerPrice, Order, Product, ShippingOption, Variant, utcnow
from wholesale.services.customers import accounts as customer_services  # noqa: F401  (the tests importing * patch it)

# --- Helpers -------------------------------------------------------------------------------------------


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return count(Customer), count(Contact), count(CustomerPrice)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def error_beside(html: str, field_id: str) -> str:
    """The message the `field` macro shows beside one field ('' when there is none)."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def customer_data(**overrides) -> dict:
    data = {
        "business_name": "Blue Door Café",
        "delivery_address": "4 Harbour St\nPortland, OR 97209",
        "default_shipping_option_id": "",
        "discount_percent": "0",
        "notes": "",
        "active": "y",
        "reminder_weekday": "6",
        "reminder_time": "02:00",
        "reminder_timezone": "America/Los_Angeles",
    } | overrides
    return {k: v for k, v in data.items() if v is not None}


def contact_data(prefix: str = "new-contact", **overrides) -> dict:
    data = {"name": "Ana Ruiz", "email": "ana@bluedoor.example", "phone": "5551", "receives_reminders": "y"}
    return {f"{prefix}-{k}": v for k, v in (data | overrides).items() if v is not None}


def set_price(forms, customer_id: int, variant_id, price: str):
    page = f"/admin/customers/{customer_id}"
    data = {"new-price-variant_id": variant_id, "new-price-price": price}
    return forms.post(f"{page}/prices", data, page=page)


@pytest.fixture
def catalog(app):
    """Shipping options (one no longer offered), sizes on sale, a retired size and a retired coffee."""
    with app.app_context():
        options = [
            ShippingOption(name="Our van", fee=Decimal("0"), position=0),
            ShippingOption(name="Courier", fee=Decimal("12.50"), position=1),
            ShippingOption(name="Bike courier", fee=Decimal("5"), position=2, active=False),
        ]
        guji = Product(name="Ethiopia Guji", kind="coffee", roast_loss_percent=Decimal("15"))
        old = Product(name="Old Blend", kind="coffee", roast_loss_percent=Decimal("14"), retired_at=utcnow())
        sizes = [
            Variant(product=guji, name="340 g bag", sku="G-340", price=Decimal("14.50"), net_weight_g=340),
            Variant(product=guji, name="5 lb bag", sku="G-2268", price=Decimal("98"), net_weight_g=2268),
            Variant(product=guji, name="1 kg bag", sku="G-1000", price=Decimal("40"), net_weight_g=1000),
            Variant(product=old, name="340 g bag", sku="OLD-340", price=Decimal("12"), net_weight_g=340),
        ]
        sizes[2].retired_at = utcnow()
        db.session.add_all([*options, guji, old])
        db.session.commit()
        names = ("van", "courier", "old_shipping", "small", "large", "retired_size", "retired_product_size")
        return dict(zip(names, [str(row.id) for row in options + sizes], strict=True))


@pytest.fixture
def blue_door(app, staff_client, forms):
    assert forms.post("/admin/customers/new", customer_data()).status_code == 303
    with app.app_context():
        return db.session.scalar(select(Customer.id).where(Customer.business_name == "Blue Door Café"))


@pytest.fixture
def ana(app, forms, blue_door):
    page = f"/admin/customers/{blue_door}"
    assert forms.post(f"{page}/contacts", contact_data(), page=page).status_code == 303
    with app.app_context():
        return db.session.scalar(select(Contact.id).where(Contact.email == "ana@bluedoor.example"))


@pytest.fixture
def corner_shop(app):
    """Another customer, with a contact and a negotiated price of its own."""
    with app.app_context():
        shop = Customer(business_name="Corner Shop", contacts=[Contact(name="Bo", email="bo@corner.example")])
        blend = Product(name="House Blend", kind="coffee", roast_loss_percent=Decimal("15"))
        bag = Variant(product=blend, name="340 g bag", sku="H-340", price=Decimal("11"), net_weight_g=340)
        shop.prices.append(CustomerPrice(variant=bag, price=Decimal("10")))
        db.session.add(shop)
        db.session.commit()
        return {"customer": shop.id, "contact": shop.contacts[0].id, "price": shop.prices[0].id}
