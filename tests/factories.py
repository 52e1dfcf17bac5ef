"""Small builders for test data: a catalog, customers with contacts, and orders in any state."""

from __future__ import annotations

from decimal import Decimal

from wholesale.extensions import db
from wholesale.models import (
    Contact,
    Customer,
    CustomerPrice,
    Order,
    OrderLine,
    Product,
    ShippingOption,
    Variant,
    utcnow,
)
from wholesale.services import orders


def make_catalog(coffees: int = 3, sizes=(("340 g bag", 340, "14.50"), ("5 lb bag", 2268, "82.00"))):
    """``coffees`` coffees, each in ``sizes``; returns the variants in order."""
    variants = []
    for n in range(coffees):
        product = Product(name=f"Coffee {n:02d}", kind="coffee", roast_loss_percent=Decimal("15"))
        for name, grams, price in sizes:
            variants.append(
                Variant(
                    product=product,
                    name=name,
                    sku=f"C{n:02d}-{grams}",
                    price=Decimal(price),
                    net_weight_g=grams,
                )
            )
        db.session.add(product)
    db.session.flush()
    return variants


def make_shipping(name: str = "Courier", fee: str = "12.00", position: int = 0) -> ShippingOption:
    option = ShippingOption(name=name, fee=Decimal(fee), position=position, active=True)
    db.session.add(option)
    db.session.flush()
    return option


def make_customer(name: str = "Blue Door Café", contacts: int = 1, discount: str = "0", **fields) -> Customer:
    customer = Customer(business_name=name, discount_percent=Decimal(discount), **fields)
    slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:20]
    for n in range(contacts):
        customer.contacts.append(Contact(name=f"Contact {n} of {name}", email=f"c{n}@{slug}.example"))
    db.session.add(customer)
    db.session.flush()
    return customer


def make_price(customer: Customer, variant: Variant, price: str) -> CustomerPrice:
    row = CustomerPrice(customer=customer, variant=variant, price=Decimal(price))
    db.session.add(row)
    db.session.flush()
    return row


def make_order(
    customer: Customer, lines, status: str = "fulfilled", channel: str = "portal", **fields
) -> Order:
    """``lines`` is [(variant, quantity), …]; prices are the variant's list price."""
    now = utcnow()
    order = Order(
        customer=customer,
        channel=channel,
        status=status,
        placed_at=fields.pop("placed_at", now) if status != "draft" else None,
        placed_by_contact_id=customer.contacts[0].id if channel == "portal" and customer.contacts else None,
        **fields,
    )
    for variant, quantity in lines:
        order.lines.append(OrderLine(variant=variant, quantity=quantity, unit_price=variant.price))
    orders.pricing.apply_totals(order)
    db.session.add(order)
    db.session.flush()
    return order


def sign_in_contact(client, contact: Contact) -> None:
    """Put a portal session in the client's cookie, as opening the emailed link does."""
    with client.session_transaction() as session:
        session["contact_id"] = contact.id
        session["token_version"] = contact.customer.token_version
        session["contact_email"] = contact.email
        session.permanent = True
