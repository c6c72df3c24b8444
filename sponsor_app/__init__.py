"""Application factory: a table of contents of the app."""

import logging
import os
from datetime import date
from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import get_config

from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .params import MAX_INT as MAX_ID  # INTEGER primary keys on PostgreSQL (query strings: the same bound)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app for SPONSOR_ENV (or `config_name`), with optional config overrides."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=os.environ.get("SPONSOR_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
    )
    app.config.from_object(get_config(config_name))
    if overrides:
        app.config.update(overrides)
    _check_config(app)
    register_logging(app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    register_extensions(app)
    app.url_map.converters["int"] = IdConverter  # before the blueprints add their rules
    register_blueprints(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_audit(app)
    register_errorhandlers(app)
    register_cli(app)
    return app


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs: an id beyond the database's integer range is simply not found."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _check_config(app: Flask) -> None:
    if app.config.get("REQUIRE_SECRET_KEY") and not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY is not set. Production refuses to start without it: "
            "export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'sponsor.db'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        # Be explicit about the driver: psycopg 3.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://"):]


def register_logging(app: Flask) -> None:
    """SQLAlchemy logs every result row at DEBUG: a root logger set to DEBUG would copy students'
    narratives into the logs. SQL is logged only when asked for (SQLALCHEMY_ECHO), and then without
    its parameters (hide_parameters in the engine options)."""
    if not app.config.get("SQLALCHEMY_ECHO"):
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from . import models, pagecache  # noqa: F401 — every table registered before migrate/create_all
    from .auth import lifetime as session_lifetime
    from .auth.services import load_user

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    session_lifetime.init_app(app)
    pagecache.init_app(app)


def _select_locale() -> str:
    if not has_request_context():  # CLI commands and exports run in Vietnamese
        return "vi"
    langs = app_languages()
    if current_user and current_user.is_authenticated and current_user.locale in langs:
        return current_user.locale
    if session.get("lang") in langs:
        return session["lang"]
    return "vi"


def app_languages() -> tuple[str, ...]:
    from flask import current_app

    return tuple(current_app.config["LANGUAGES"])


def register_blueprints(app: Flask) -> None:
    from .admin.routes import bp as admin_bp
    from .assignments.routes import bp as assignments_bp
    from .attention.routes import bp as attention_bp
    from .auth.routes import bp as auth_bp
    from .dashboard.routes import bp as dashboard_bp
    from .departments.routes import bp as departments_bp
    from .emulation.routes import bp as emulation_bp
    from .escalations.routes import bp as escalations_bp
    from .imports.routes import bp as imports_bp
    from .logins.routes import bp as logins_bp
    from .main.routes import bp as main_bp
    from .progress.routes import bp as progress_bp
    from .reports.routes import bp as reports_bp
    from .roster.routes import bp as roster_bp
    from .screening.routes import bp as screening_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(roster_bp, url_prefix="/roster")
    app.register_blueprint(imports_bp, url_prefix="/admin/import")
    app.register_blueprint(logins_bp, url_prefix="/admin/login-slips")
    app.register_blueprint(screening_bp, url_prefix="/screening")
    app.register_blueprint(assignments_bp, url_prefix="/assignments")
    app.register_blueprint(progress_bp, url_prefix="/progress")
    app.register_blueprint(attention_bp, url_prefix="/attention")
    app.register_blueprint(escalations_bp, url_prefix="/escalations")
    app.register_blueprint(departments_bp, url_prefix="/departments")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(emulation_bp, url_prefix="/emulation")


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from . import permissions
    from .context import selected_year
    from .emulation.export import evidence_text, sheet_label
    from .labels import TEMPLATE_LABELS
    from .timeutil import format_date, format_datetime

    app.jinja_env.filters["vndate"] = format_date
    app.jinja_env.filters["vndatetime"] = format_datetime
    app.jinja_env.filters["vnnumber"] = format_number
    app.jinja_env.filters["points"] = format_points_ui
    app.jinja_env.filters["isodate"] = lambda text: date.fromisoformat(text[:10]) if text else None
    app.jinja_env.globals["sheet_label"] = sheet_label
    app.jinja_env.globals["evidence_text"] = evidence_text
    app.jinja_env.globals.update(permissions.TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(TEMPLATE_LABELS)

    @app.context_processor
    def inject():
        ctx = {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
        if current_user.is_authenticated:
            ctx["selected_year"] = selected_year()
            ctx["school_years"] = g.get("school_years", [])
        return ctx


def format_points_ui(value) -> str:
    """Points as 7,5 (7.5 in the English UI), without trailing zeros."""
    from .context import ui_locale
    from .forms import format_points

    text = format_points(value)
    return text.replace(",", ".") if ui_locale() == "en" else text


def format_number(value, decimals: int = 0) -> str:
    """Vietnamese number format 1.234.567 and 6,5 (1,234,567 and 6.5 in the English UI)."""
    from .context import ui_locale

    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    if ui_locale() == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def register_security_headers(app: Flask) -> None:
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )

    @app.after_request
    def set_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if session.get("_user_id"):  # a login (read from the cookie: no query after the request's commit)
            # Pages show data about minors: never keep them in shared caches or the back cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_audit(app: Flask) -> None:
    """Every page that names students records its view (auditviews.py declares which)."""
    from . import audit

    audit.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from .main.errors import register

    register(app)


def register_cli(app: Flask) -> None:
    from .cli import register

    register(app)
