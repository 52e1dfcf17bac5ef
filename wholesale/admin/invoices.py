"""Staff's invoices: the list (invoices, credit notes, or both), one invoice as it prints, its PDF, its
email (INVOICE_EMAIL=button) and its credit notes."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from ..downloads import pdf_download
from ..services import settings
from ..services.errors import ServiceError
from ..services.invoicing import credit_notes, emails, queries
from ..services.invoicing.pdf import invoice_pdf, pdf_filename
from . import bp
from .invoice_forms import CreditNoteForm
from .payments import invoice_payment_facts


def invoice_view_or_404(invoice_id: int) -> queries.InvoiceView:
    view = queries.invoice_view(invoice_id)
    if view is None:
        abort(404)
    return view


@bp.get("/invoices")
def invoices():
    kind = request.args.get("kind") or None
    if kind is not None and kind not in queries.KINDS:
        abort(404)
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= 100_000:
        abort(404)
    return render_template("admin/invoices.html", listing=queries.invoice_list(kind, page))


@bp.get("/invoices/<id:invoice_id>")
def invoice(invoice_id: int):
    return render_invoice(invoice_view_or_404(invoice_id))


def render_invoice(view: queries.InvoiceView, credit_form: CreditNoteForm | None = None, status: int = 200):
    page = render_template(
        "admin/invoice.html",
        view=view,
        invoice=view.invoice,
        credit_form=credit_form or CreditNoteForm(formdata=None),
        email_button=settings.get("INVOICE_EMAIL") == "button",
        **invoice_payment_facts(view.invoice),
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/invoices/<id:invoice_id>/pdf")
def invoice_pdf_download(invoice_id: int):
    invoice = queries.document(invoice_id)
    if invoice is None:
        abort(404)
    return pdf_download(invoice_pdf(invoice), pdf_filename(invoice))


@bp.post("/invoices/<id:invoice_id>/email")
def invoice_email(invoice_id: int):
    invoice = queries.document(invoice_id)
    if invoice is None:
        abort(404)
    try:
        email = emails.email_invoice(invoice.id)
    except ServiceError as error:
        flash(error.message)
    else:
        flash(f"{invoice.number} emailed to {email.to_address}, with its PDF.")
    return redirect(url_for("admin.invoice", invoice_id=invoice.id), code=303)


@bp.post("/invoices/<id:invoice_id>/credit-notes")
def invoice_credit(invoice_id: int):
    view = invoice_view_or_404(invoice_id)
    form = CreditNoteForm()
    if view.invoice.is_credit_note:
        abort(404)
    if form.validate_on_submit():
        lines = [entry.line for entry in view.lines]
        try:
            note = credit_notes.issue_credit_note(
                view.invoice.id, form.quantities_by_line(lines), form.reason.data, g.staff.id
            )
        except ServiceError as error:
            form.form_errors.append(error.message)
        else:
            flash(f"Issued credit note {note.number} for {view.invoice.number}.")
            return redirect(url_for("admin.invoice", invoice_id=note.id), code=303)
    return render_invoice(view, form, 400)
