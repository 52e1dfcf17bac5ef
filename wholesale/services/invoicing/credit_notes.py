"""Correcting an issued invoice: a numbered credit note for some of its lines or the whole of it, linked to
it. The invoice itself is never rewritten.

A credit note's line credits the invoice line at the same ``position`` (an invoice line is credited by at
most one line of each credit note), so what is left to credit of each line is its quantity less what the
invoice's credit notes credited at its position. Discount and tax are credited pro rata by the tax rule
(services.invoicing.tax, rule 6): the credits of a line add up to the line exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import Invoice, InvoiceLine
from ...models.invoicing import CREDIT_NOTE, INVOICE
from .. import deliveries, settings
from ..errors import ServiceError
from ..mail import delivery
from . import emails, numbering, tax

REASON_MAX = 500


def credit_notes_of(invoice_id: int) -> list[Invoice]:
    """The credit notes issued against an invoice, oldest first."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.credited_invoice_id == invoice_id, Invoice.kind == CREDIT_NOTE)
            .order_by(Invoice.sequence_value)
        )
    )


def credited_quantities(invoice_id: int) -> dict[int, int]:
    """By invoice line position: how much of it credit notes have credited."""
    rows = db.session.execute(
        select(InvoiceLine.position, func.sum(InvoiceLine.quantity))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.credited_invoice_id == invoice_id, Invoice.kind == CREDIT_NOTE)
        .group_by(InvoiceLine.position)
    ).tuples()
    return {position: int(quantity) for position, quantity in rows}


@dataclass(frozen=True)
class CreditableLine:
    line: InvoiceLine
    credited: int

    @property
    def left(self) -> int:
        return self.line.quantity - self.credited


def creditable_lines(invoice: Invoice) -> list[CreditableLine]:
    """Each line of the invoice with how much of it is credited already."""
    credited = credited_quantities(invoice.id)
    return [CreditableLine(line, credited.get(line.position, 0)) for line in invoice.lines]


def issue_credit_note(
    invoice_id: int, quantities: dict[int, int] | None, reason: str, staff_id: int | None
) -> Invoice:
    """Issue a credit note against an invoice, in one transaction (then its email, if INVOICE_EMAIL is
    on-issue, is delivered). ``quantities`` maps invoice line ids to the quantity credited; None credits
    everything not credited yet. Refused, nothing written, for more than is left of a line, for nothing at
    all, for a line not on the invoice, or without a reason."""
    reason = " ".join((reason or "").replace("\x00", "").split())
    if not reason:
        raise ServiceError("Give the reason for the credit note; the customer sees it.", "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Keep the reason under {REASON_MAX} characters.", "reason")
    # Locked, so two credit notes at once cannot both credit what is left.
    invoice = db.session.scalar(
        select(Invoice).where(Invoice.id == invoice_id, Invoice.kind == INVOICE).with_for_update()
    )
    if invoice is None:
        raise ServiceError("There is no such invoice.")
    try:
        wanted = _wanted(invoice, quantities)
    except ServiceError:
        db.session.rollback()  # lets go of the invoice's lock
        raise
    note = _credit_note(invoice, wanted, reason, staff_id)
    db.session.add(note)
    db.session.flush()
    email = emails.queue_invoice_email(note) if settings.get("INVOICE_EMAIL") == "on-issue" else None
    db.session.commit()
    if email is not None:
        delivery.deliver(email.id)
    return note


def _wanted(invoice: Invoice, quantities: dict[int, int] | None) -> list[tuple[CreditableLine, int]]:
    lines = creditable_lines(invoice)
    if quantities is None:
        wanted = [(entry, entry.left) for entry in lines if entry.left > 0]
        if not wanted:
            raise ServiceError(f"{invoice.number} is credited in full already.")
        return wanted
    by_id = {entry.line.id: entry for entry in lines}
    unknown = set(quantities) - set(by_id)
    if unknown:
        raise ServiceError(f"Only lines of {invoice.number} can be credited.")
    wanted = []
    for line_id, quantity in quantities.items():
        entry = by_id[line_id]
        if quantity < 0:
            raise ServiceError("A quantity to credit cannot be negative.", "quantities")
        if quantity > entry.left:
            raise ServiceError(
                f"Only {entry.left} of “{entry.line.description}” is left to credit, not {quantity}.",
                "quantities",
            )
        if quantity:
            wanted.append((entry, quantity))
    if not wanted:
        raise ServiceError("Choose at least one quantity to credit.", "quantities")
    return sorted(wanted, key=lambda pair: pair[0].line.position)


def _credit_note(
    invoice: Invoice, wanted: list[tuple[CreditableLine, int]], reason: str, staff_id: int | None
) -> Invoice:
    lines, taxed = [], []
    for entry, quantity in wanted:
        line = entry.line
        credit = tax.credit_of_line(
            tax.TaxedLine(line.amount, line.discount, line.tax_rate, line.tax, line.is_shipping),
            line.unit_price,
            line.quantity,
            entry.credited,
            quantity,
            invoice.prices_include_tax,
        )
        taxed.append(
            tax.TaxedLine(credit.amount, credit.discount, line.tax_rate, credit.tax, line.is_shipping)
        )
        lines.append(
            InvoiceLine(
                position=line.position,
                sku=line.sku,
                description=line.description,
                quantity=quantity,
                unit_price=line.unit_price,
                amount=credit.amount,
                discount=credit.discount,
                tax_name=line.tax_name,
                tax_rate=line.tax_rate,
                tax=credit.tax,
                is_shipping=line.is_shipping,
            )
        )
    totals = tax.document_totals(taxed, invoice.prices_include_tax)
    sequence_value, number = numbering.take_number(CREDIT_NOTE)
    today = deliveries.today()
    return Invoice(
        kind=CREDIT_NOTE,
        number=number,
        sequence_value=sequence_value,
        customer_id=invoice.customer_id,
        order_id=invoice.order_id,
        credited_invoice=invoice,
        issued_on=today,
        terms_days=0,
        due_on=today,
        bill_to_name=invoice.bill_to_name,
        bill_to_email=invoice.bill_to_email,
        bill_to_address=invoice.bill_to_address,
        prices_include_tax=invoice.prices_include_tax,
        tax_exempt_certificate=invoice.tax_exempt_certificate,
        currency=invoice.currency,
        reason=reason,
        issued_by_staff_id=staff_id,
        lines=lines,
        **asdict(totals),
    )
