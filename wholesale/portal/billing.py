"""The customer's invoices: each with its state, due date, balance and PDF; and their statement (page and PDF).

Everything is read through the signed-in customer (``g.signed_in.customer_id``), never from the URL.
"""

from __future__ import annotations

from flask import abort, g, render_template, request, url_for

from ..services import deliveries
from ..services.invoicing import balances, statements
from . import bp
from .session import customer_required, signed_in_customer

PER_PAGE = 25


def invoice_pdf_url(invoice) -> str:
    return url_for("portal.invoice_pdf_download", invoice_id=invoice.id)


@bp.get("/invoices")
@customer_required
def invoices():
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= 10_000:
        abort(404)
    today = deliveries.today()
    rows, has_next = balances.customer_invoices(g.signed_in.customer_id, today, page, PER_PAGE)
    page_html = render_template(
        "portal/invoices.html",
        rows=rows,
        page=page,
        has_next=has_next,
        account=balances.account(g.signed_in.customer_id, today),
        invoice_pdf_url=invoice_pdf_url,
    )
    return page_html, 200, {"Cache-Control": "no-store"}


@bp.get("/invoices/statement")
@customer_required
def statement():
    page = render_template(
        "portal/statement.html",
        statement=statements.statement(signed_in_customer(), deliveries.today()),
        invoice_url=invoice_pdf_url,
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.get("/invoices/statement.pdf")
@customer_required
def statement_pdf():
    from ..services.invoicing.statement_pdf import statement_pdf as render

    built = statements.statement(signed_in_customer(), deliveries.today())
    name = f"statement-{built.today.isoformat()}.pdf"
    return (
        render(built),
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
