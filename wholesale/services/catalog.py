"""Managing the catalog: products, their sizes (variants) and shipping options.

Each function is one use case and commits once. Nothing is ever deleted: retiring keeps history intact,
and a retired product or size simply stops being offered to customers.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Product, ProductOption, ShippingOption, Variant, utcnow
from .errors import ServiceError, commit_or_refuse
from .invoicing import tax

PRODUCT_NAME_TAKEN = "A product with this name already exists."
SKU_TAKEN = "This SKU is already used by another size."
SHIPPING_NAME_TAKEN = "A shipping option with this name already exists."


def _taken(column, value: str, exclude_id: int | None = None) -> bool:
    query = select(column.class_.id).where(func.lower(column) == value.lower())
    if exclude_id is not None:
        query = query.where(column.class_.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def _product_fields(
    name: str, kind: str, roast_loss_percent: Decimal | None, description: str, tax_rate_name: str
) -> dict:
    if tax_rate_name and tax_rate_name not in {rate.name for rate in tax.rates()}:
        raise ServiceError("Choose a tax rate from the list.", "tax_rate_name")
    return {
        "name": name.strip(),
        "kind": kind,
        "roast_loss_percent": roast_loss_percent if kind == "coffee" else None,
        "description": description.strip(),
        "tax_rate_name": tax_rate_name,
    }


def create_product(*, name, kind, roast_loss_percent, description="", tax_rate_name="") -> Product:
    """Add a product; ``tax_rate_name`` is one of TAX_RATES' names ('' for the default rate)."""
    fields = _product_fields(name, kind, roast_loss_percent, description, tax_rate_name)
    if _taken(Product.name, fields["name"]):
        raise ServiceError(PRODUCT_NAME_TAKEN, "name")
    product = Product(**fields)
    db.session.add(product)
    commit_or_refuse(((), PRODUCT_NAME_TAKEN, "name"))
    return product


def update_product(
    product: Product, *, name, kind, roast_loss_percent, description="", tax_rate_name=""
) -> Product:
    fields = _product_fields(name, kind, roast_loss_percent, description, tax_rate_name)
    if _taken(Product.name, fields["name"], exclude_id=product.id):
        raise ServiceError(PRODUCT_NAME_TAKEN, "name")
    for key, value in fields.items():
        setattr(product, key, value)
    commit_or_refuse(((), PRODUCT_NAME_TAKEN, "name"))
    return product


def set_product_retired(product: Product, retired: bool) -> None:
    product.retired_at = (product.retired_at or utcnow()) if retired else None
    db.session.commit()


MAX_OPTIONS = 12
OPTION_NAME_MAX = 60  # ProductOption.name and OrderLine.option


def clean_option_names(text: str) -> list[str]:
    """A product's options as staff type them, one per line: trimmed, blank lines skipped, in order.

    Refused with one message each: a name over ``OPTION_NAME_MAX`` characters or holding control
    characters, the same name twice (ignoring case: customers could not tell them apart), more than
    ``MAX_OPTIONS`` options."""
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if any(not name.isprintable() for name in names):
        raise ServiceError("Option names can hold letters, digits, spaces and punctuation only.", "options")
    too_long = next((name for name in names if len(name) > OPTION_NAME_MAX), None)
    if too_long is not None:
        raise ServiceError(f"Keep each option under {OPTION_NAME_MAX + 1} characters.", "options")
    if len(names) > MAX_OPTIONS:
        raise ServiceError(f"A product can have at most {MAX_OPTIONS} options.", "options")
    seen: dict[str, str] = {}
    for name in names:
        if name.casefold() in seen:
            raise ServiceError(f"“{name}” is listed twice; list each option once.", "options")
        seen[name.casefold()] = name
    return names


def set_options(product: Product, text: str) -> Product:
    """Replace the product's options by those listed in ``text``, one per line, the first being the default;
    an empty list means the product has none. Commits once.

    An option kept by name keeps its row (only its position may change). Lines already ordered keep the name
    they were ordered with: renaming or removing an option changes no order."""
    names = clean_option_names(text)
    current = {option.name: option for option in product.options}
    for name, option in current.items():
        if name not in names:
            product.options.remove(option)
    db.session.flush()  # a removed name is free again before it can be added back, say with another case
    for position, name in enumerate(names):
        option = current.get(name)
        if option is None:
            option = ProductOption(name=name)
            product.options.append(option)
        option.position, option.is_default = position, position == 0
    commit_or_refuse(((), "These options were changed meanwhile. Reload and try again.", "options"))
    db.session.refresh(product)  # options in their new order
    return product


def add_variant(product: Product, *, name, sku, price, net_weight_g) -> Variant:
    sku = sku.strip().upper()
    if _taken(Variant.sku, sku):
        raise ServiceError(SKU_TAKEN, "sku")
    variant = Variant(product=product, name=name.strip(), sku=sku, price=price, net_weight_g=net_weight_g)
    db.session.add(variant)
    commit_or_refuse(((), SKU_TAKEN, "sku"))
    return variant


def update_variant(variant: Variant, *, name, sku, price, net_weight_g) -> Variant:
    sku = sku.strip().upper()
    if _taken(Variant.sku, sku, exclude_id=variant.id):
        raise ServiceError(SKU_TAKEN, "sku")
    variant.name, variant.sku, variant.price, variant.net_weight_g = name.strip(), sku, price, net_weight_g
    commit_or_refuse(((), SKU_TAKEN, "sku"))
    return variant


def set_variant_retired(variant: Variant, retired: bool) -> None:
    variant.retired_at = (variant.retired_at or utcnow()) if retired else None
    db.session.commit()


def save_shipping_option(
    option: ShippingOption | None,
    *,
    name,
    fee,
    position,
    active,
    weekdays=(0, 1, 2, 3, 4),
    cutoff_days_before=1,
    cutoff_time=time(17, 0),
    roast_days_before=1,
) -> ShippingOption:
    """Create (``option`` is None) or update a shipping option and its delivery calendar."""
    name = name.strip()
    if _taken(ShippingOption.name, name, exclude_id=option.id if option else None):
        raise ServiceError(SHIPPING_NAME_TAKEN, "name")
    if not weekdays or not set(weekdays) <= set(range(7)):
        raise ServiceError("Choose at least one day it delivers.", "weekdays")
    if option is None:
        option = ShippingOption()
        db.session.add(option)
    option.name, option.fee, option.position, option.active = name, fee, position, active
    option.weekdays = weekdays
    option.cutoff_days_before, option.cutoff_time = cutoff_days_before, cutoff_time.replace(tzinfo=None)
    option.roast_days_before = roast_days_before
    commit_or_refuse(((), SHIPPING_NAME_TAKEN, "name"))
    return option


def catalog_listing() -> list[Product]:
    """Every product with its variants, retired ones included (staff's list), in two queries, coffees first.
    What customers may order is ``Variant.on_sale``."""
    query = select(Product).options(selectinload(Product.variants)).order_by(Product.kind, Product.name)
    return list(db.session.scalars(query))


def sizes_on_sale() -> list[Variant]:
    """Every size on sale (``Variant.on_sale``), by product then size: what staff can add to an order or
    give a customer a price for."""
    query = (
        select(Variant)
        .join(Variant.product)
        .where(Variant.on_sale)
        .options(joinedload(Variant.product))
        .order_by(Product.name, Variant.net_weight_g, Variant.id)
    )
    return list(db.session.scalars(query))


def options_on_sale() -> list[str]:
    """Every option name of a product on sale, once each, in the order products list them: what staff can
    choose from when adding a line (the service checks the name against the chosen size's product)."""
    query = (
        select(ProductOption.name)
        .join(ProductOption.product)
        .where(Product.retired_at.is_(None))
        .group_by(ProductOption.name)
        .order_by(func.min(ProductOption.position), ProductOption.name)
    )
    return list(db.session.scalars(query))
