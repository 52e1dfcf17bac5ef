"""Staff manage customers: their details and reminder schedule, their contacts and their negotiated prices.

Each use case is one function and one transaction: it checks its input, writes, and commits; when it refuses
it raises ``ServiceError`` naming the form field the message belongs beside, and nothing is saved. The
database constraints (unique business name, unique contact email, one price per variant) are the last word:
a request that loses a race to another one gets the same message as one that was checked up front.
Callers are staff pages (behind staff sign-in) and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from flask import current_app
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Contact, Customer, CustomerPrice, Product, ShippingOption, Variant
from ...models.customers import MINIMUM_KINDS
from ..errors import ServiceError, commit_or_refuse
from ..zones import canonical_timezone

NAME_MAX = 160
CONTACT_NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 40
PRICE_MAX = Decimal("100000")
# A customer's own minimum per order: at most a tonne of coffee, or this much of items.
MINIMUM_WEIGHT_MAX_G = 1_000_000
MINIMUM_SUBTOTAL_MAX = Decimal("100000")
# Payment terms a customer may have (the column allows 0 to 365 days), and a certificate number's length.
PAYMENT_TERMS_MAX = 365
CERTIFICATE_MAX = 80


# --- What staff enter -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerDetails:
    business_name: str
    delivery_address: str = ""
    default_shipping_option_id: int | None = None
    discount_percent: Decimal = Decimal("0")
    notes: str = ""
    active: bool = True
    reminders_enabled: bool = False
    reminder_weekday: int = 6
    reminder_time: time = time(2, 0)
    reminder_timezone: str = "America/Los_Angeles"
    # The minimum per order: "default" (the roastery's), "none", "weight" (grams) or "subtotal".
    minimum_kind: str = "default"
    minimum_weight_g: int | None = None
    minimum_subtotal: Decimal | None = None
    # Invoices: days after issue the customer pays in (0: on receipt; None: the roastery's PAYMENT_TERMS_DAYS),
    # and a tax exemption certificate's number ('' when not exempt).
    payment_terms_days: int | None = None
    tax_exempt_certificate: str = ""


@dataclass(frozen=True)
class ContactDetails:
    name: str
    email: str
    phone: str = ""
    receives_reminders: bool = True


def new_customer_defaults() -> dict:
    """The reminder schedule a new customer starts with, from the app's configuration."""
    config = current_app.config
    return {
        "active": True,
        "discount_percent": Decimal("0"),
        "reminder_weekday": int(config["REMINDER_DEFAULT_WEEKDAY"]),
        "reminder_time": datetime.strptime(config["REMINDER_DEFAULT_TIME"], "%H:%M").time(),
        "reminder_timezone": config["REMINDER_DEFAULT_TIMEZONE"],
    }


# --- What staff see -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRow:
    customer: Customer
    contacts: int


@dataclass(frozen=True)
class CustomerListing:
    rows: list[CustomerRow]
    search: str
    page: int
    has_next: bool


def find_customers(search: str = "", page: int = 1, per_page: int = 50) -> CustomerListing:
    """Active customers first, then by name; ``search`` matches a business name or any contact's email."""
    contacts = (
        select(func.count(Contact.id))
        .where(Contact.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )
    query = select(Customer, contacts)
    if search:
        email_matches = exists().where(
            Contact.customer_id == Customer.id, Contact.email.icontains(search, autoescape=True)
        )
        query = query.where(or_(Customer.business_name.icontains(search, autoescape=True), email_matches))
    query = (
        query.order_by(Customer.active.desc(), func.lower(Customer.business_name), Customer.id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    rows = [CustomerRow(customer, count) for customer, count in db.session.execute(query).tuples()]
    return CustomerListing(rows[:per_page], search, page, len(rows) > per_page)


def shipping_options_for(customer: Customer | None = None) -> list[ShippingOption]:
    """Options a customer may default to: the active ones, plus the one it already has if since retired."""
    current = customer.default_shipping_option_id if customer else None
    condition = ShippingOption.active
    if current is not None:
        condition = or_(ShippingOption.active, ShippingOption.id == current)
    query = select(ShippingOption).where(condition).order_by(ShippingOption.position, ShippingOption.name)
    return list(db.session.scalars(query))


def negotiated_prices(customer: Customer) -> list[CustomerPrice]:
    query = (
        select(CustomerPrice)
        .join(CustomerPrice.variant)
        .join(Variant.product)
        .where(CustomerPrice.customer_id == customer.id)
        .options(selectinload(CustomerPrice.variant).joinedload(Variant.product))
        .order_by(Product.name, Variant.net_weight_g, Variant.id)
    )
    return list(db.session.scalars(query))


# --- Customers ------------------------------------------------------------------------------------------


def create_customer(details: CustomerDetails) -> Customer:
    """Add a customer. One transaction; refuses a business name already in use (in any letter case)."""
    details = _checked_customer(details, None)
    customer = Customer(**vars(details))
    db.session.add(customer)
    commit_or_refuse(*_CUSTOMER_CONFLICTS)
    return customer


def update_customer(customer: Customer, details: CustomerDetails) -> Customer:
    """Change a customer's details and reminder schedule. One transaction; all of it or nothing."""
    details = _checked_customer(details, customer)
    if (details.reminder_weekday, details.reminder_time) != (
        customer.reminder_weekday,
        customer.reminder_time,
    ):
        customer.reminder_chosen_by, customer.reminder_chosen_at = "", None  # staff chose it now
    for name, value in vars(details).items():
        setattr(customer, name, value)
    commit_or_refuse(*_CUSTOMER_CONFLICTS)
    return customer


def _checked_customer(details: CustomerDetails, customer: Customer | None) -> CustomerDetails:
    name = details.business_name.strip()
    if not name:
        raise ServiceError("Enter the business name.", field="business_name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"Use at most {NAME_MAX} characters.", field="business_name")
    if not Decimal("0") <= details.discount_percent <= Decimal("100"):
        raise ServiceError("Enter a discount from 0 to 100.", field="discount_percent")
    if details.reminder_weekday not in range(7):
        raise ServiceError("Choose a day of the week.", field="reminder_weekday")
    zone = canonical_timezone(details.reminder_timezone)
    if zone is None:
        raise ServiceError("Enter a time zone like America/Los_Angeles.", field="reminder_timezone")
    if details.default_shipping_option_id is not None:
        allowed = {option.id for option in shipping_options_for(customer)}
        if details.default_shipping_option_id not in allowed:
            raise ServiceError("Choose a shipping option from the list.", field="default_shipping_option_id")
    minimum = _checked_minimum(details)
    if details.payment_terms_days is not None and not 0 <= details.payment_terms_days <= PAYMENT_TERMS_MAX:
        raise ServiceError(
            f"Enter payment terms from 0 to {PAYMENT_TERMS_MAX} days.", field="payment_terms_days"
        )
    certificate = " ".join(details.tax_exempt_certificate.replace("\x00", "").split())
    if len(certificate) > CERTIFICATE_MAX:
        raise ServiceError(f"Use at most {CERTIFICATE_MAX} characters.", field="tax_exempt_certificate")
    taken = select(Customer.id).where(func.lower(Customer.business_name) == name.lower())
    if customer is not None:
        taken = taken.where(Customer.id != customer.id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise ServiceError(_NAME_TAKEN.format(name=name), field="business_name")
    return CustomerDetails(
        **{
            **vars(details),
            "business_name": name,
            "reminder_timezone": zone,
            "tax_exempt_certificate": certificate,
            **minimum,
        },
    )


def _checked_minimum(details: CustomerDetails) -> dict:
    """The minimum's columns as stored: only the amount its kind uses is kept."""
    kind = details.minimum_kind
    if kind not in MINIMUM_KINDS:
        raise ServiceError("Choose a minimum from the list.", field="minimum_kind")
    weight, subtotal = None, None
    if kind == "weight":
        weight = details.minimum_weight_g
        if weight is None or not 0 < weight <= MINIMUM_WEIGHT_MAX_G:
            raise ServiceError("Enter the minimum coffee weight, more than 0.", field="minimum_amount")
    if kind == "subtotal":
        subtotal = details.minimum_subtotal
        if subtotal is None or not Decimal("0") < subtotal <= MINIMUM_SUBTOTAL_MAX:
            raise ServiceError(
                f"Enter the minimum subtotal, more than 0 and at most {MINIMUM_SUBTOTAL_MAX:,}.",
                field="minimum_amount",
            )
    return {"minimum_kind": kind, "minimum_weight_g": weight, "minimum_subtotal": subtotal}


_NAME_TAKEN = "There is already a customer called {name}."
_CUSTOMER_CONFLICTS = (
    (("business_name",), "There is already a customer with that business name.", "business_name"),
)


# --- Contacts -------------------------------------------------------------------------------------------


def add_contact(customer: Customer, details: ContactDetails) -> Contact:
    """Add a person who orders for the customer. One transaction; an email belongs to one contact only."""
    details = _checked_contact(details, None)
    contact = Contact(customer=customer, **vars(details))
    db.session.add(contact)
    commit_or_refuse(*_CONTACT_CONFLICTS)
    return contact


def update_contact(contact: Contact, details: ContactDetails) -> Contact:
    """Change a contact. One transaction. A new email makes links already sent to the old one stop working."""
    details = _checked_contact(details, contact)
    for name, value in vars(details).items():
        setattr(contact, name, value)
    commit_or_refuse(*_CONTACT_CONFLICTS)
    return contact


def remove_contact(contact: Contact) -> None:
    """Delete a contact. One transaction; orders it placed stay, with no contact (the FK sets NULL)."""
    db.session.delete(contact)
    db.session.commit()


def _checked_contact(details: ContactDetails, contact: Contact | None) -> ContactDetails:
    name = details.name.strip()
    email = details.email.strip().lower()
    if not name:
        raise ServiceError("Enter the contact's name.", field="name")
    if len(name) > CONTACT_NAME_MAX:
        raise ServiceError(f"Use at most {CONTACT_NAME_MAX} characters.", field="name")
    if "@" not in email or len(email) > EMAIL_MAX:
        raise ServiceError("Enter an email address like ana@example.com.", field="email")
    if len(details.phone.strip()) > PHONE_MAX:
        raise ServiceError(f"Use at most {PHONE_MAX} characters.", field="phone")
    taken = select(Contact).where(Contact.email == email).options(joinedload(Contact.customer))
    if contact is not None:
        taken = taken.where(Contact.id != contact.id)
    other = db.session.scalar(taken.limit(1))
    if other is not None:
        raise ServiceError(f"{email} is already a contact of {other.customer.business_name}.", field="email")
    return ContactDetails(name, email, details.phone.strip(), details.receives_reminders)


_CONTACT_CONFLICTS = (
    (("contact.email", "uq_contact_email"), "Another contact already uses that email.", "email"),
)


# --- Negotiated prices ----------------------------------------------------------------------------------


def set_customer_price(customer: Customer, variant_id: int, price: Decimal) -> CustomerPrice:
    """The customer pays ``price`` for this variant from now on; a price already set for it is replaced.

    One transaction. A new price needs a variant on sale; an existing one may be changed even after its
    variant was retired (history is never rewritten: orders keep the price they were placed at).
    """
    if price is None or not Decimal("0") <= price <= PRICE_MAX:
        raise ServiceError(f"Enter a price from 0 to {PRICE_MAX}.", field="price")
    row = db.session.scalar(
        select(CustomerPrice).where(
            CustomerPrice.customer_id == customer.id, CustomerPrice.variant_id == variant_id
        )
    )
    if row is None:
        on_sale = select(Variant.id).join(Variant.product).where(Variant.id == variant_id, Variant.on_sale)
        if db.session.scalar(on_sale) is None:
            raise ServiceError("Choose a product size from the list.", field="variant_id")
        row = CustomerPrice(customer=customer, variant_id=variant_id, price=price)
        db.session.add(row)
    else:
        row.price = price
    commit_or_refuse(*_PRICE_CONFLICTS)
    return row


def remove_customer_price(row: CustomerPrice) -> None:
    """The customer pays the list price for this variant again. One transaction."""
    db.session.delete(row)
    db.session.commit()


_PRICE_CONFLICTS = (
    (
        ("customer_price.customer_id", "uq_customer_price_customer_id"),
        "A price for that size was just set by someone else. Reload the page to see it.",
        "variant_id",
    ),
)
