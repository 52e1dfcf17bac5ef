"""The team page, /admin/team: owners invite colleagues and manage their accounts. Staff who are not owners
get a 403; signed-out visitors go to the staff sign-in."""

from flask import Blueprint

from ..auth.staff import require_owner, require_staff

bp = Blueprint("team", __name__)
bp.before_request(require_staff)
bp.before_request(require_owner)

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
