"""Staff pages for customers (being written)."""

from flask import abort

from . import bp


@bp.get("/customers")
def customers():
    abort(404)


@bp.get("/customers/<int:customer_id>")
def customer(customer_id: int):
    abort(404)
