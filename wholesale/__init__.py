"""The wholesale ordering portal: ``create_app`` reads like a table of contents."""

from __future__ import annotations

import os

from flask import Flask

from . import config, converters, session_cookie, static_files, transactions
from .extensions import csrf, db, limiter, mail, ping_connections_after_idle
from .logging_redaction import redact_werkzeug_log


def create_app(test_config: dict | None = None) -> Flask:
    """The app, configured from the environment; ``test_config`` overrides settings, and its ``ENV_NAME``
    (when given) chooses the environment whose defaults the others start from."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path, (test_config or {}).get("ENV_NAME")))
    if test_config:
        app.config.from_mapping(test_config)
    config.refuse_unsafe_production(app.config)
    config.refuse_malformed(app.config)
    if app.config["TRUSTED_PROXIES"]:
        # Client address and scheme as the PaaS router saw them (rate limits key on the address).
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    register_extensions(app)
    register_email_attachments(app)
    converters.register(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_security_headers(app)
    session_cookie.register(app)
    static_files.register(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        ping_connections_after_idle(db.engine)
    mail.init_app(app)
    csrf.init_app(app)
    # After CSRF, so a forged POST never counts against anyone's limit.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    limiter.init_app(app)
    redact_werkzeug_log()  # sign-in tokens never reach the dev server's request log


def register_email_attachments(app: Flask) -> None:
    from .services.invoicing.pdf import email_attachments
    from .services.mail.outbox import ATTACHMENTS

    app.extensions[ATTACHMENTS] = [email_attachments]


def register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .health import bp as health_bp
    from .portal import bp as portal_bp
    from .settings import bp as settings_bp
    from .settings import logo_bp
    from .team import bp as team_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(team_bp, url_prefix="/admin/team")
    app.register_blueprint(portal_bp)
    app.register_blueprint(settings_bp, url_prefix="/admin/settings")
    app.register_blueprint(logo_bp)
    pages = ("portal", "admin", "settings", "team")
    transactions.register(app, *pages, "logo")
    for name in pages:
        app.before_request_funcs.setdefault(name, []).append(config.read_settings_first)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from .commands import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .formatting import register
    from .services.orders.editing import MAX_QUANTITY, MIN_QUANTITY
    from .services.zones import zone_names

    register(app)
    # The quantity inputs' min and max (and so the +/- buttons' limits in app.js), from the one rule.
    app.jinja_env.globals.update(min_quantity=MIN_QUANTITY, max_quantity=MAX_QUANTITY)
    # The time zones _timezone_field.html offers, the list that services.zones.canonical_timezone accepts.
    app.jinja_env.globals.update(timezone_names=zone_names)


def register_security_headers(app: Flask) -> None:
    from .security import register

    register(app)
