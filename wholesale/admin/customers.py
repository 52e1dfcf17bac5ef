"""Staff pages for customers: the list, one customer's details, and on its page its contacts and prices.

Routes stay thin: load through a 404 helper, validate the form, call one service, redirect (303) or show the
page again with the messages beside the fields (400).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block

from ..extensions import db
from ..formatting import money
from ..forms import show_refusal
from ..htmx import go_to, is_htmx
from ..models import Contact, Customer, CustomerPrice
from ..services import catalog, orders
from ..services.customers.accounts import (
    add_contact,
    create_customer,
    find_customers,
    negotiated_prices,
    new_customer_defaults,
    remove_contact,
    remove_customer_price,
    set_customer_price,
    shipping_options_for,
    update_contact,
    update_customer,
)
from ..services.customers.history import latest_events
from ..services.customers.links import make_staff_link, revoke_links
from ..services.errors import ServiceError
from ..services.orders.minimums import describe_for
from ..services.reminders.history import reminder_overview
from ..services.standing import queries
from . import bp
from .customer_forms import (
    TIMEZONE_HINT,
    WEEKDAYS,
    ContactForm,
    CustomerForm,
    NewPriceForm,
    PriceForm,
)
from .order_forms import new_staff_order_form

NEW_CONTACT = "new-contact"
NEW_PRICE = "new-price"


# --- Loaders: anything not found, or not this customer's, is a 404 ---------------------------------------


def customer_or_404(customer_id: int) -> Customer:
    return db.get_or_404(Customer, customer_id)


def contact_or_404(customer: Customer, contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer.id:
        abort(404)
    return contact


def price_or_404(customer: Customer, price_id: int) -> CustomerPrice:
    row = db.session.get(CustomerPrice, price_id)
    if row is None or row.customer_id != customer.id:
        abort(404)
    return row


def back_to(customer: Customer, section: str | None = None):
    return redirect(url_for("admin.customer", customer_id=customer.id, _anchor=section), code=303)


# --- The list, and a customer's details ------------------------------------------------------------------


@bp.get("/customers")
def customers():
    search = request.args.get("q", "").replace("\x00", "").strip()[:200]
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 100_000:
        abort(404)
    return render_template("admin/customers.html", listing=find_customers(search, page), weekdays=WEEKDAYS)


@bp.route("/customers/new", methods=["GET", "POST"])
def customer_new():
    form = CustomerForm(data=new_customer_defaults(), shipping_options=shipping_options_for())
    if form.validate_on_submit():
        try:
            customer = create_customer(form.details())
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"Added {customer.business_name}. Now add the people who order for it.")
            return back_to(customer, "contacts")
    return render_customer_form(form, None)


@bp.route("/customers/<id:customer_id>/edit", methods=["GET", "POST"])
def customer_edit(customer_id: int):
    customer = customer_or_404(customer_id)
    form = CustomerForm(obj=customer, shipping_options=shipping_options_for(customer))
    if form.validate_on_submit():
        try:
            update_customer(customer, form.details())
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"Saved {customer.business_name}.")
            return back_to(customer)
    return render_customer_form(form, customer)


def render_customer_form(form: CustomerForm, customer: Customer | None):
    page = render_template(
        "admin/customer_form.html", form=form, customer=customer, timezone_hint=TIMEZONE_HINT
    )
    return page, 400 if form.errors else 200


@bp.get("/customers/<id:customer_id>")
def customer(customer_id: int):
    return render_customer_page(customer_or_404(customer_id))


def render_customer_page(
    customer: Customer,
    status: int = 200,
    new_contact_form: ContactForm | None = None,
    contact_forms: dict[int, ContactForm] | None = None,
    new_price_form: NewPriceForm | None = None,
    price_forms: dict[int, PriceForm] | None = None,
):
    """The customer page with a fresh form everywhere except the one just refused, which keeps its input."""
    prices = negotiated_prices(customer)
    contact_forms = {
        contact.id: ContactForm(formdata=None, obj=contact, prefix=f"contact-{contact.id}")
        for contact in customer.contacts
    } | (contact_forms or {})
    price_forms = {row.id: PriceForm(formdata=None, obj=row, prefix=f"price-{row.id}") for row in prices} | (
        price_forms or {}
    )
    if new_contact_form is None:
        new_contact_form = ContactForm(formdata=None, prefix=NEW_CONTACT)
    if new_price_form is None:
        new_price_form = NewPriceForm(formdata=None, prefix=NEW_PRICE, variants=catalog.sizes_on_sale())
    page = render_template(
        "admin/customer.html",
        customer=customer,
        prices=prices,
        weekdays=WEEKDAYS,
        new_contact_form=new_contact_form,
        contact_forms=contact_forms,
        new_price_form=new_price_form,
        price_forms=price_forms,
        reminder=reminder_overview(customer),
        minimum=describe_for(customer),
        standing=queries.outlooks(queries.customer_standing_orders(customer.id), shown=0),
        last_order=orders.drafts.last_order(customer),
        recent_orders=orders.queries.customer_recent_orders(customer.id),
        new_order_form=new_staff_order_form(customer.id),
        history=latest_events(customer.id),
    )
    return page, status


@bp.post("/customers/<id:customer_id>/revoke-links")
def customer_revoke_links(customer_id: int):
    customer = customer_or_404(customer_id)
    revoke_links(customer, g.staff.id)
    flash(f"Every sign-in link of {customer.business_name} is revoked; their next email carries a new one.")
    return redirect(url_for("admin.customer", customer_id=customer.id), code=303)


# --- Contacts --------------------------------------------------------------------------------------------


@bp.post("/customers/<id:customer_id>/contacts")
def customer_contact_add(customer_id: int):
    customer = customer_or_404(customer_id)
    form = ContactForm(prefix=NEW_CONTACT)
    if form.validate():
        try:
            contact = add_contact(customer, form.details())
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"Added {contact.name}.")
            return back_to(customer, "contacts")
    return render_customer_page(customer, 400, new_contact_form=form)


@bp.post("/customers/<id:customer_id>/contacts/<id:contact_id>")
def customer_contact_update(customer_id: int, contact_id: int):
    customer = customer_or_404(customer_id)
    contact = contact_or_404(customer, contact_id)
    form = ContactForm(prefix=f"contact-{contact.id}")
    if form.validate():
        try:
            update_contact(contact, form.details())
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"Saved {contact.name}.")
            return back_to(customer, "contacts")
    return render_customer_page(customer, 400, contact_forms={contact.id: form})


@bp.post("/customers/<id:customer_id>/contacts/<id:contact_id>/remove")
def customer_contact_remove(customer_id: int, contact_id: int):
    customer = customer_or_404(customer_id)
    contact = contact_or_404(customer, contact_id)
    name = contact.name
    remove_contact(contact)
    flash(f"Removed {name}.")
    return back_to(customer, "contacts")


@bp.post("/customers/<id:customer_id>/contacts/<id:contact_id>/sign-in-link")
def customer_contact_sign_in_link(customer_id: int, contact_id: int):
    """A one-off sign-in link for the contact, shown once to copy (it is stored nowhere): a page for a plain
    post, the link under the contact's button and the refreshed history for htmx."""
    customer = customer_or_404(customer_id)
    contact = contact_or_404(customer, contact_id)
    try:
        made = make_staff_link(contact, g.staff.id)
    except ServiceError as error:
        flash(error.message)
        return go_to(url_for("admin.customer", customer_id=customer.id, _anchor="contacts"))
    if is_htmx():
        page = render_block("admin/sign_in_link.html", "link", made=made, customer=customer)
        page += render_template(
            "admin/_customer_history.html", customer=customer, history=latest_events(customer.id), oob=True
        )
    else:
        page = render_template("admin/sign_in_link.html", made=made, customer=customer)
    return page, 200, {"Cache-Control": "no-store"}


# --- Negotiated prices -----------------------------------------------------------------------------------


@bp.post("/customers/<id:customer_id>/prices")
def customer_price_set(customer_id: int):
    customer = customer_or_404(customer_id)
    form = NewPriceForm(prefix=NEW_PRICE, variants=catalog.sizes_on_sale())
    if form.validate():
        try:
            row = set_customer_price(customer, form.variant_id.data, form.price.data)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"{row.variant.label} now costs {customer.business_name} {money(row.price)}.")
            return back_to(customer, "prices")
    return render_customer_page(customer, 400, new_price_form=form)


@bp.post("/customers/<id:customer_id>/prices/<id:price_id>")
def customer_price_update(customer_id: int, price_id: int):
    customer = customer_or_404(customer_id)
    row = price_or_404(customer, price_id)
    form = PriceForm(prefix=f"price-{row.id}")
    if form.validate():
        try:
            row = set_customer_price(customer, row.variant_id, form.price.data)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            flash(f"{row.variant.label} now costs {customer.business_name} {money(row.price)}.")
            return back_to(customer, "prices")
    return render_customer_page(customer, 400, price_forms={row.id: form})


@bp.post("/customers/<id:customer_id>/prices/<id:price_id>/remove")
def customer_price_remove(customer_id: int, price_id: int):
    customer = customer_or_404(customer_id)
    row = price_or_404(customer, price_id)
    label = row.variant.label
    remove_customer_price(row)
    flash(f"{customer.business_name} pays the list price for {label} again.")
    return back_to(customer, "prices")
