"""A customer's invoices and credit notes as PDF, for their own contacts only (another customer's ids are a
404, like unknown ones)."""

from __future__ import annotations

from flask import abort, g

from ..downloads import pdf_download
from ..services.invoicing import queries
from ..services.invoicing.pdf import invoice_pdf, pdf_filename
from . import bp
from .session import customer_required


def customer_invoice_or_404(invoice_id: int):
    """One of the signed-in customer's invoices or credit notes, or 404."""
    invoice = queries.document(invoice_id, customer_id=g.signed_in.customer_id)
    if invoice is None:
        abort(404)
    return invoice


@bp.get("/invoices/<id:invoice_id>/pdf")
@customer_required
def invoice_pdf_download(invoice_id: int):
    invoice = customer_invoice_or_404(invoice_id)
    return pdf_download(invoice_pdf(invoice), pdf_filename(invoice))
