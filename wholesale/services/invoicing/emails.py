"""The invoice email: the invoice (or credit note) in a few lines, its PDF attached when the email is sent
(``Email.invoice_id``; the outbox asks ``pdf.attachments_of`` for it). Queued in the transaction that issues
the document (INVOICE_EMAIL=on-issue) or by staff's "Email invoice" button (``email_invoice``)."""

from __future__ import annotations

from sqlalchemy import func, select

from ...extensions import db
from ...models import Email, Invoice, utcnow
from .. import settings
from ..errors import ServiceError
from ..mail import delivery, outbox

KIND = "invoice"


def queue_invoice_email(invoice: Invoice, key: str = "") -> Email | None:
    """The document's email to its bill-to address, into the caller's transaction (None: no address).
    Its dedupe key is the document (and ``key`` for a repeat), so a retried issue never sends two."""
    if not invoice.bill_to_email:
        return None
    document = "Credit note" if invoice.is_credit_note else "Invoice"
    roastery = settings.get("ROASTERY_NAME")
    email = outbox.queue_email(
        kind=KIND,
        dedupe_key=f"invoice:{invoice.id}{key}",
        to_address=invoice.bill_to_email,
        subject=f"{document} {invoice.number} — {roastery}",
        template="invoice",
        context={"invoice": invoice, "document": document},
        customer_id=invoice.customer_id,
        order_id=invoice.order_id,
        invoice_id=invoice.id,
    )
    invoice.emailed_at = invoice.emailed_at or utcnow()
    return email


def email_invoice(invoice_id: int) -> Email:
    """Staff's "Email invoice": one more copy of the document's email, with its PDF; one transaction, then
    delivered. Refused (nothing written) when it has no address to go to."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        raise ServiceError("There is no such invoice.")
    sent_before = db.session.scalar(select(func.count()).where(Email.invoice_id == invoice.id))
    email = queue_invoice_email(invoice, f":{sent_before + 1}" if sent_before else "")
    if email is None:
        raise ServiceError(f"{invoice.bill_to_name} had no contact email when {invoice.number} was issued.")
    invoice.emailed_at = utcnow()
    db.session.commit()
    delivery.deliver(email.id)
    return email
