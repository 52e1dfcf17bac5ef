"""Staff pages for the catalog: products, their sizes, and shipping options."""

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import ClosedDate, Product, ShippingOption, Variant
from ..services import catalog, deliveries
from ..services.errors import ServiceError
from . import bp
from .catalog_forms import ClosedDateForm, ProductForm, ProductOptionsForm, ShippingOptionForm, VariantForm

NOT_STORED = {"Cache-Control": "no-store"}


def _refused(form, error: ServiceError) -> None:
    getattr(form, error.field).errors.append(error.message)


def _status(form) -> int:
    return 400 if form.errors else 200


@bp.get("/products")
def products():
    return render_template("admin/products.html", products=catalog.catalog_listing())


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    form = ProductForm()
    if form.validate_on_submit():
        try:
            product = catalog.create_product(**_product_data(form))
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(f"Added {product.name}. Now add its sizes.")
            return redirect(url_for("admin.product", product_id=product.id), code=303)
    return render_template("admin/product_new.html", form=form), _status(form)


@bp.route("/products/<id:product_id>", methods=["GET", "POST"])
def product(product_id: int):
    product = db.get_or_404(Product, product_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        try:
            catalog.update_product(product, **_product_data(form))
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(f"Saved {product.name}.")
            return redirect(url_for("admin.product", product_id=product.id), code=303)
    return _product_page(product, form=form)


@bp.post("/products/<id:product_id>/variants")
def variant_new(product_id: int):
    product = db.get_or_404(Product, product_id)
    form = VariantForm(prefix="variant")
    if form.validate_on_submit():
        try:
            variant = catalog.add_variant(product, **_variant_data(form))
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(f"Added {variant.name} ({variant.sku}).")
            return redirect(url_for("admin.product", product_id=product.id), code=303)
    return _product_page(product, variant_form=form)


@bp.post("/products/<id:product_id>/options")
def product_options(product_id: int):
    """Replace the product's options (a grind list): add, rename, reorder, remove, or move the default first."""
    product = db.get_or_404(Product, product_id)
    form = ProductOptionsForm()
    if form.validate_on_submit():
        try:
            catalog.set_options(product, form.options.data or "")
        except ServiceError as error:
            _refused(form, error)
        else:
            listed = ", ".join(product.option_names)
            flash(
                f"{product.name}: options {listed} ({product.default_option} by default)."
                if listed
                else f"{product.name} has no options now."
            )
            return redirect(
                url_for("admin.product", product_id=product.id, _anchor="product-options"), code=303
            )
    return _product_page(product, options_form=form)


@bp.post("/products/<id:product_id>/retire")
def product_retire(product_id: int):
    product = db.get_or_404(Product, product_id)
    catalog.set_product_retired(product, True)
    flash(f"{product.name} is retired: customers no longer see it; past orders keep it.")
    return redirect(url_for("admin.product", product_id=product.id), code=303)


@bp.post("/products/<id:product_id>/restore")
def product_restore(product_id: int):
    product = db.get_or_404(Product, product_id)
    catalog.set_product_retired(product, False)
    flash(f"{product.name} is offered again.")
    return redirect(url_for("admin.product", product_id=product.id), code=303)


@bp.route("/variants/<id:variant_id>", methods=["GET", "POST"])
def variant_edit(variant_id: int):
    variant = db.get_or_404(Variant, variant_id)
    form = VariantForm(obj=variant)
    if form.validate_on_submit():
        try:
            catalog.update_variant(variant, **_variant_data(form))
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(f"Saved {variant.label}.")
            return redirect(url_for("admin.product", product_id=variant.product_id), code=303)
    return render_template("admin/variant_edit.html", variant=variant, form=form), _status(form)


@bp.post("/variants/<id:variant_id>/retire")
def variant_retire(variant_id: int):
    """Retiring a size asks first, on a page of its own (it works without JavaScript); its button posts again,
    confirmed."""
    variant = db.get_or_404(Variant, variant_id)
    if request.form.get("confirmed") != "1":
        return render_template("admin/variant_retire_confirm.html", variant=variant), 200, NOT_STORED
    catalog.set_variant_retired(variant, True)
    flash(f"{variant.label} is retired.")
    return redirect(url_for("admin.product", product_id=variant.product_id), code=303)


@bp.post("/variants/<id:variant_id>/restore")
def variant_restore(variant_id: int):
    variant = db.get_or_404(Variant, variant_id)
    catalog.set_variant_retired(variant, False)
    flash(f"{variant.label} is offered again.")
    return redirect(url_for("admin.product", product_id=variant.product_id), code=303)


@bp.route("/shipping-options", methods=["GET", "POST"])
def shipping_options():
    form = ShippingOptionForm()
    if form.validate_on_submit():
        try:
            option = catalog.save_shipping_option(None, **_shipping_data(form))
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(f"Added {option.name}.")
            return redirect(url_for("admin.shipping_options"), code=303)
    return _shipping_page(form=form)


def _shipping_page(form=None, closed_form=None):
    form = form or ShippingOptionForm(formdata=None)
    closed_form = closed_form or ClosedDateForm(prefix="closed", formdata=None)
    options = db.session.scalars(
        select(ShippingOption).order_by(ShippingOption.position, ShippingOption.name)
    )
    page = render_template(
        "admin/shipping_options.html",
        options=list(options),
        form=form,
        closed_form=closed_form,
        closed_dates=deliveries.upcoming_closed_dates(),
    )
    return page, 400 if form.errors or closed_form.errors else 200


@bp.post("/shipping-options/closed-dates")
def closed_date_add():
    """Close a date (a holiday): no option offers it to customers any more."""
    form = ClosedDateForm(prefix="closed")
    if form.validate_on_submit():
        try:
            closed = deliveries.close_date(form.day.data, form.note.data or "")
        except ServiceError as error:
            form.day.errors.append(error.message)
        else:
            flash(f"Closed {closed.day:%a %d %b %Y}: customers can no longer choose it.")
            return redirect(url_for("admin.shipping_options", _anchor="closed-dates"), code=303)
    return _shipping_page(closed_form=form)


@bp.post("/shipping-options/closed-dates/<id:closed_id>/remove")
def closed_date_remove(closed_id: int):
    closed = db.get_or_404(ClosedDate, closed_id)
    day = closed.day
    deliveries.reopen_date(closed.id)
    flash(f"{day:%a %d %b %Y} is open again.")
    return redirect(url_for("admin.shipping_options", _anchor="closed-dates"), code=303)


@bp.route("/shipping-options/<id:option_id>", methods=["GET", "POST"])
def shipping_option_edit(option_id: int):
    option = db.get_or_404(ShippingOption, option_id)
    form = ShippingOptionForm(obj=option)
    if form.validate_on_submit():
        try:
            catalog.save_shipping_option(option, **_shipping_data(form))
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(f"Saved {option.name}.")
            return redirect(url_for("admin.shipping_options"), code=303)
    return render_template("admin/shipping_option_edit.html", option=option, form=form), _status(form)


def _product_page(product: Product, form=None, variant_form=None, options_form=None):
    form = form or ProductForm(obj=product, formdata=None)
    variant_form = variant_form or VariantForm(prefix="variant", formdata=None)
    options_form = options_form or ProductOptionsForm(
        formdata=None, data={"options": "\n".join(product.option_names)}
    )
    status = 400 if form.errors or variant_form.errors or options_form.errors else 200
    return render_template(
        "admin/product.html", product=product, form=form, variant_form=variant_form, options_form=options_form
    ), status


def _product_data(form: ProductForm) -> dict:
    return {
        "name": form.name.data,
        "kind": form.kind.data,
        "roast_loss_percent": form.roast_loss_percent.data,
        "description": form.description.data or "",
        "tax_rate_name": form.tax_rate_name.data or "",
    }


def _variant_data(form: VariantForm) -> dict:
    return {
        "name": form.name.data,
        "sku": form.sku.data,
        "price": form.price.data,
        "net_weight_g": form.net_weight_g.data,
    }


def _shipping_data(form: ShippingOptionForm) -> dict:
    return {
        "name": form.name.data,
        "fee": form.fee.data,
        "position": form.position.data,
        "active": form.active.data,
        "weekdays": form.weekdays.data,
        "cutoff_days_before": form.cutoff_days_before.data,
        "cutoff_time": form.cutoff_time.data,
        "roast_days_before": form.roast_days_before.data,
    }
