"""Issuing an order's invoice: numbered, dated, with the customer's terms and the tax of each line, and
written once (a correction is a credit note, services.invoicing.credit_notes).

``issue_invoice`` works in the caller's transaction; ``issue_on`` is the hook the order's lifecycle calls
where an order is approved (one or in bulk, a standing order placed approved) or fulfilled (a production
run done): it issues when INVOICE_ISSUE_ON names that moment and queues the invoice email in the same
transaction when INVOICE_EMAIL is ``on-issue``.

An order staff enter starts approved but is then filled in, in the editor: it is invoiced when staff press
**Issue invoice** on it (``issue_by_hand``, which also invoices an order approved before invoices existed),
and at the latest when it is fulfilled, whatever INVOICE_ISSUE_ON says: no order is fulfilled uninvoiced.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Email, Invoice, InvoiceLine, Order
from ...models.invoicing import INVOICE
from .. import deliveries, settings
from ..errors import ServiceError
from ..mail.delivery import deliver
from . import emails, numbering, tax

INVOICED_STATUSES = ("approved", "in_production", "fulfilled")
APPROVED, FULFILLED = "approved", "fulfilled"


def invoice_of_order(order_id: int) -> Invoice | None:
    """The order's invoice (not its credit notes), or None before it is issued."""
    return db.session.scalar(select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == INVOICE))


def terms_days(customer) -> int:
    """The customer's payment terms in days, or the roastery's (PAYMENT_TERMS_DAYS)."""
    if customer.payment_terms_days is not None:
        return customer.payment_terms_days
    return settings.get("PAYMENT_TERMS_DAYS")


def issue_invoice(order: Order, staff_id: int | None, today: date | None = None) -> Invoice:
    """The order's invoice, issued now in the caller's transaction (which commits it) if it has none yet.

    Idempotent: an order has one invoice (a unique index says so too), and asking again returns it. What the
    invoice says is copied from the order, the customer and the settings now (rule: services.invoicing.tax),
    so nothing changed later rewrites it. Only an approved (or later) order is invoiced.
    """
    db.session.flush()  # a new order (a staff order entered approved) gets its id
    existing = invoice_of_order(order.id)
    if existing is not None:
        return existing
    if order.status not in INVOICED_STATUSES:
        raise ServiceError(f"Order {order.number} is {order.status}; only an approved order is invoiced.")
    customer = order.customer
    issued_on = today or deliveries.today()
    days = terms_days(customer)
    exempt = bool(customer.tax_exempt_certificate)
    prices_include_tax = settings.get("PRICES_INCLUDE_TAX")
    rows = [_item_row(line, tax.rate_for(line.variant.product.tax_rate_name, exempt)) for line in order.lines]
    if order.shipping_fee > 0:
        rows.append(_shipping_row(order, tax.rate_for("", exempt)))
    # The order's discount as its pricing rounded it (kept on the row): subtotal − total + shipping.
    discount = order.subtotal - order.total + order.shipping_fee
    document = tax.tax_document([charge for _, charge in rows], discount, prices_include_tax)
    sequence_value, number = numbering.take_number(INVOICE)
    contact = order.placed_by_contact or next(iter(customer.contacts), None)
    invoice = Invoice(
        kind=INVOICE,
        number=number,
        sequence_value=sequence_value,
        customer=customer,
        order=order,
        issued_on=issued_on,
        terms_days=days,
        due_on=issued_on + timedelta(days=days),
        bill_to_name=customer.business_name,
        bill_to_email=contact.email if contact else "",
        bill_to_address=customer.delivery_address,
        prices_include_tax=prices_include_tax,
        tax_exempt_certificate=customer.tax_exempt_certificate,
        currency=settings.get("CURRENCY"),
        issued_by_staff_id=staff_id,
        **asdict(document.totals),
    )
    for position, ((fields, _), taxed) in enumerate(zip(rows, document.lines, strict=True), start=1):
        invoice.lines.append(
            InvoiceLine(
                position=position, discount=taxed.discount, tax=taxed.tax, amount=taxed.amount, **fields
            )
        )
    db.session.add(invoice)
    db.session.flush()
    return invoice


def _item_row(line, rate) -> tuple[dict, tax.Charge]:
    fields = dict(
        sku=line.variant.sku,
        description=line.label,
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_name=rate.name,
        tax_rate=rate.rate,
        is_shipping=False,
    )
    return fields, tax.Charge(line.unit_price * line.quantity, rate.rate)


def _shipping_row(order: Order, rate) -> tuple[dict, tax.Charge]:
    name = order.shipping_option.name if order.shipping_option else ""
    fields = dict(
        sku="",
        description=f"Delivery: {name}" if name else "Delivery",
        quantity=1,
        unit_price=order.shipping_fee,
        tax_name=rate.name,
        tax_rate=rate.rate,
        is_shipping=True,
    )
    return fields, tax.Charge(order.shipping_fee, rate.rate, is_shipping=True)


def issue_on(order: Order, moment: str, staff_id: int | None) -> Email | None:
    """The hook: at ``moment`` ("approved" or "fulfilled") of ``order``'s life, in the caller's transaction,
    issue its invoice if INVOICE_ISSUE_ON names that moment (or, fulfilled, if it has none yet), and queue
    its email if INVOICE_EMAIL is ``on-issue``. Returns the email for the caller to deliver after its commit
    (None: nothing to send)."""
    if settings.get("INVOICE_ISSUE_ON") != moment and moment != FULFILLED:
        return None
    db.session.flush()
    if invoice_of_order(order.id) is not None:
        return None
    return _email_on_issue(issue_invoice(order, staff_id))


def _email_on_issue(invoice: Invoice) -> Email | None:
    if settings.get("INVOICE_EMAIL") != "on-issue":
        return None
    return emails.queue_invoice_email(invoice)


def issue_by_hand(order_id: int, staff_id: int) -> Invoice:
    """Staff's **Issue invoice** on an approved order without one (a staff order once filled in, or one
    approved before invoices existed). One transaction; the email goes as on approval. Asking twice
    answers with the invoice issued the first time."""
    order = db.session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise ServiceError("No such order.")
    invoice = invoice_of_order(order.id)
    if invoice is not None:
        db.session.rollback()
        return invoice
    invoice = issue_invoice(order, staff_id)
    email = _email_on_issue(invoice)
    db.session.commit()
    if email is not None:
        deliver(email.id)
    return invoice
