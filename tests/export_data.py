"""Invoices, credit notes and payments written straight to the tables, as issued, for the export tests:
every amount follows the invoice model's rules (amount = quantity × unit price, the line's tax on its
discounted amount, the invoice's parts the sums of its lines')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from wholesale.extensions import db
from wholesale.models import Customer, Invoice, InvoiceLine, Payment, PaymentAllocation
from wholesale.models.types import to_money


@dataclass
class Line:
    description: str
    quantity: int
    unit_price: str
    discount: str = "0"
    tax_name: str = ""
    tax_rate: str = "0"
    sku: str = ""
    is_shipping: bool = False


def _next(kind: str) -> int:
    highest = db.session.query(db.func.max(Invoice.sequence_value)).filter(Invoice.kind == kind).scalar()
    return (highest or 0) + 1


def make_document(
    customer: Customer,
    lines: list[Line],
    issued_on: date,
    *,
    kind: str = "invoice",
    terms_days: int = 14,
    prices_include_tax: bool = False,
    credited: Invoice | None = None,
    order_id: int | None = None,
    bill_to_address: str = "12 Mill Lane\nPortland, OR 97201",
    reason: str = "",
    sequence_value: int | None = None,
) -> Invoice:
    value = sequence_value or _next(kind)
    prefix = "INV-" if kind == "invoice" else "CN-"
    document = Invoice(
        kind=kind,
        number=f"{prefix}{value:06d}",
        sequence_value=value,
        customer_id=customer.id,
        order_id=order_id,
        credited_invoice_id=credited.id if credited else None,
        issued_on=issued_on,
        terms_days=terms_days,
        due_on=issued_on + timedelta(days=terms_days),
        bill_to_name=customer.business_name,
        bill_to_email=customer.contacts[0].email if customer.contacts else "",
        bill_to_address=bill_to_address,
        prices_include_tax=prices_include_tax,
        currency="USD",
        reason=reason,
    )
    for position, spec in enumerate(lines, start=1):
        amount = to_money(spec.quantity * Decimal(spec.unit_price))
        discount = to_money(spec.discount)
        rate = Decimal(spec.tax_rate)
        net = amount - discount
        tax = to_money(net * rate / (100 + rate)) if prices_include_tax else to_money(net * rate / 100)
        document.lines.append(
            InvoiceLine(
                position=position,
                sku=spec.sku,
                description=spec.description,
                quantity=spec.quantity,
                unit_price=Decimal(spec.unit_price),
                amount=amount,
                discount=discount,
                tax_name=spec.tax_name,
                tax_rate=rate,
                tax=tax,
                is_shipping=spec.is_shipping,
            )
        )
    items = [line for line in document.lines if not line.is_shipping]
    document.subtotal = sum((line.amount for line in items), Decimal("0.00"))
    document.shipping = sum((line.amount for line in document.lines if line.is_shipping), Decimal("0.00"))
    document.discount = sum((line.discount for line in document.lines), Decimal("0.00"))
    document.tax = sum((line.tax for line in document.lines), Decimal("0.00"))
    document.total = document.subtotal - document.discount + document.shipping
    if not prices_include_tax:
        document.total += document.tax
    db.session.add(document)
    db.session.flush()
    return document


def make_payment(
    customer: Customer,
    amount: str,
    received_on: date,
    allocations=(),
    method: str = "bank transfer",
    **fields,
) -> Payment:
    """``allocations`` is [(invoice, amount), …]; any rest of ``amount`` stays unallocated."""
    payment = Payment(
        customer_id=customer.id, amount=Decimal(amount), received_on=received_on, method=method, **fields
    )
    for invoice, part in allocations:
        payment.allocations.append(PaymentAllocation(invoice_id=invoice.id, amount=Decimal(part)))
    db.session.add(payment)
    db.session.flush()
    return payment
