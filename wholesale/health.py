"""``GET /healthz``: what a load balancer or a PaaS health check asks."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import csrf, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    checks = {"database": _database_state()}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _redis_state()
    healthy = checks["database"] == "ok"  # without the database nothing works; without Redis jobs wait
    body = {"status": "ok" if healthy else "unavailable", **checks}
    return jsonify(body), 200 if healthy else 503


@bp.get("/ping")
def ping():
    """Liveness only: answers without touching the database (the bench's baseline, too)."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


def _database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # any failure means "unreachable" to the caller
        db.session.rollback()
        current_app.logger.warning("healthz: database check failed: %s", error)
        return "unreachable"
    finally:
        db.session.remove()


def _redis_state() -> str:
    from redis import Redis

    try:
        Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except Exception as error:
        current_app.logger.warning("healthz: redis check failed: %s", error)
        return "unreachable"
