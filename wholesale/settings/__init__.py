"""The Settings page at /admin/settings (owners only: others get a 403), and the roastery's logo at /logo/<version> (public)."""

from flask import Blueprint

from ..auth.staff import require_owner, require_staff
from ..services import settings

bp = Blueprint("settings", __name__)
bp.before_request(require_staff)
bp.before_request(require_owner)  # staff who are not owners get a 403

logo_bp = Blueprint("logo", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to bp and logo_bp)
from .roastery import Roastery  # noqa: E402


@bp.app_context_processor
def roastery() -> dict:
    """Every template of the app reads the roastery (name, address, logo…) and any setting from here."""
    return {"roastery": Roastery(), "setting": settings.shown}
