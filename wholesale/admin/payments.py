"""Staff pages for getting paid: record a payment and say what it pays, the payments list and one payment
(allocate its credit, remove it), a customer's statement (page and PDF), and the overdue list.

Routes stay thin: load through a 404 helper, validate the form, call one service, redirect (303) with a
message, or show the page again with the messages beside the fields (422).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ..converters import parse_id
from ..extensions import db
from ..models import Customer
from ..services import deliveries
from ..services.errors import ServiceError
from ..services.invoicing import balances, payments, statements
from ..services.invoicing.credit_limit import credit_flags
from . import bp
from .payment_forms import AS_ENTERED, PaymentForm, allocation_field, read_allocations

MAX_PAGE = 10_000


def page_number() -> int:
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def customer_or_404(customer_id: int) -> Customer:
    return db.get_or_404(Customer, customer_id)


def invoice_payment_facts(invoice) -> dict:
    """What the staff invoice page shows of getting paid (its block ``payments``): the balance and state,
    the payments against it, and the customer's credit-limit flag. Nothing for a credit note."""
    if invoice.is_credit_note:
        return {}
    today = deliveries.today()
    return {
        "balance": balances.balance_of(invoice, today),
        "allocations": payments.allocations_to(invoice.id),
        "credit_flag": credit_flags([invoice.customer_id], today).get(invoice.customer_id),
    }


@bp.get("/payments")
def payments_list():
    page = page_number()
    rows, has_next = payments.payments_page(page)
    return render_template("admin/payments.html", rows=rows, page=page, has_next=has_next)


@bp.get("/payments/new")
def payment_new():
    """Pick the customer (a plain GET form), then the payment form with their open invoices."""
    customer_id = parse_id(request.args.get("customer_id", ""))  # never a number past an id's range
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        customers = db.session.execute(
            select(Customer.id, Customer.business_name).order_by(func.lower(Customer.business_name))
        ).all()
        return render_template("admin/payment_pick.html", customers=customers)
    form = PaymentForm(formdata=None, customer_id=customer.id, received_on=deliveries.today())
    return render_payment_form(customer, form)


def render_payment_form(customer: Customer, form: PaymentForm, status: int = 200, errors=None, typed=None):
    today = deliveries.today()
    page = render_template(
        "admin/payment_new.html",
        customer=customer,
        form=form,
        open_invoices=balances.open_invoices(customer.id, today),
        account=balances.account(customer.id, today),
        allocation_field=allocation_field,
        allocation_errors=errors or {},
        typed=typed or {},
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/payments/new")
def payment_create():
    form = PaymentForm()
    customer = db.session.get(Customer, form.customer_id.data) if form.customer_id.data else None
    if customer is None:
        flash("Choose the customer who paid.")
        return redirect(url_for("admin.payment_new"), code=303)
    open_ids = [item.invoice.id for item in balances.open_invoices(customer.id, deliveries.today())]
    allocations, errors = read_allocations(request.form, open_ids)
    typed = {invoice_id: request.form.get(allocation_field(invoice_id), "")[:20] for invoice_id in open_ids}
    if not form.validate() or errors:
        return render_payment_form(customer, form, 422, errors, typed)
    try:
        payment = payments.record_payment(
            customer.id,
            form.received_on.data,
            form.amount.data,
            form.method.data,
            form.reference.data,
            allocations if form.allocate.data == AS_ENTERED else None,
            g.staff.id,
            form.notes.data,
        )
    except ServiceError as error:
        db.session.rollback()
        target = getattr(form, error.field, None) if error.field else None
        if target is not None:
            target.errors = [error.message]
        elif error.field and error.field.startswith("allocation-"):
            errors = {int(error.field.removeprefix("allocation-")): error.message}
        else:
            form.form_errors.append(error.message)
        return render_payment_form(customer, form, 422, errors, typed)
    flash(f"Recorded {form.amount.data:,.2f} from {customer.business_name}.")
    return redirect(url_for("admin.payment", payment_id=payment.id), code=303)


def payment_or_404(payment_id: int) -> payments.PaymentLine:
    line = payments.payment_line(payment_id)
    if line is None:
        abort(404)
    return line


@bp.get("/payments/<id:payment_id>")
def payment(payment_id: int):
    line = payment_or_404(payment_id)
    return render_template("admin/payment.html", line=line, payment=line.payment)


@bp.post("/payments/<id:payment_id>/allocate")
def payment_allocate(payment_id: int):
    """Apply what is left of a payment to the customer's open invoices, oldest first."""
    payment_or_404(payment_id)
    try:
        payments.allocate_payment(payment_id, None)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message)
    else:
        flash("The payment's credit now pays the oldest open invoices.")
    return redirect(url_for("admin.payment", payment_id=payment_id), code=303)


@bp.post("/payments/<id:payment_id>/remove")
def payment_remove(payment_id: int):
    line = payment_or_404(payment_id)
    customer_id = line.payment.customer_id
    try:
        removed = payments.remove_payment(payment_id, g.staff.id)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message)
        return redirect(url_for("admin.payments_list"), code=303)
    flash(f"Removed the payment of {removed.amount:,.2f} received {removed.received_on:%d %b %Y}.")
    return redirect(url_for("admin.customer_statement", customer_id=customer_id), code=303)


@bp.get("/customers/<id:customer_id>/statement")
def customer_statement(customer_id: int):
    customer = customer_or_404(customer_id)
    today = deliveries.today()
    return render_template(
        "admin/statement.html",
        statement=statements.statement(customer, today),
        flag=credit_flags([customer.id], today).get(customer.id),
        invoice_url=lambda invoice: url_for("admin.invoice", invoice_id=invoice.id),
        payment_url=lambda payment: url_for("admin.payment", payment_id=payment.id),
    )


@bp.get("/customers/<id:customer_id>/statement.pdf")
def customer_statement_pdf(customer_id: int):
    customer = customer_or_404(customer_id)
    return statements_pdf_response(statements.statement(customer, deliveries.today()))


def statements_pdf_response(statement: statements.Statement):
    from ..services.invoicing.statement_pdf import statement_pdf

    body = statement_pdf(statement)
    name = f"statement-{statement.customer.id}-{statement.today.isoformat()}.pdf"
    return (
        body,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/invoices/overdue")
def invoices_overdue():
    page = page_number()
    today = deliveries.today()
    rows, has_next = balances.overdue_invoices(today, page)
    flags = credit_flags({item.invoice.customer_id for item in rows}, today)
    return render_template(
        "admin/overdue.html", rows=rows, page=page, has_next=has_next, flags=flags, today=today
    )
