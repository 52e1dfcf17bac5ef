from flask import abort

from . import bp


@bp.get("/products")
def products():
    abort(404)
