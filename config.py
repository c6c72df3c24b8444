"""Configuration classes, read from environment variables only.

Pick one with SPONSOR_ENV=development|testing|production (production is the default,
so a forgotten setting fails safe: production refuses to start without SECRET_KEY).
"""

import os
from datetime import timedelta


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means "SQLite file in the instance folder" (resolved in create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # hide_parameters: SQL logging and database errors (tracebacks in the error log) never show the
    # values, which are students' narratives and password hashes (ASVS 16.2.5).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    SQLALCHEMY_RECORD_QUERIES = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    # A login ends after this long, however active (absolute lifetime), or after this long idle.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_LIFETIME_HOURS", "12")))
    SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "120")))

    WTF_CSRF_TIME_LIMIT = None  # a form left open in the staff room still submits

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    # Failed logins per username+IP; Redis storage when several workers serve.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Several deployments (or test runs) may share one Redis: each keeps its counters apart.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "sponsor")
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per 15 minutes")
    RATELIMIT_HEADERS_ENABLED = False

    # Uploads: the request body cap and the checks applied to the xlsx zip.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_BYTES", 8 * 1024 * 1024))
    IMPORT_MAX_ZIP_ENTRIES = 200
    IMPORT_MAX_UNCOMPRESSED = 60 * 1024 * 1024
    IMPORT_MAX_RATIO = 120
    IMPORT_MAX_ROWS = 5000

    # Number of reverse proxies in front (nginx = 1): client IPs for throttling and the audit log.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    # Optional e-mail (reminders, escalation alerts); without MAIL_SERVER only in-app banners.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@localhost")
    MAIL_FROM_NAME = os.environ.get("MAIL_FROM_NAME", "Đỡ đầu học sinh")
    # The app's public address, for links in e-mails (e.g. https://dodau.truong.edu.vn).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    DEMO_PASSWORD = "demo"  # noqa: S105 — only used by `flask seed-demo`; documented in README
    PER_PAGE = 50
    # Heavy pages kept in memory per worker, per user, until their school's data changes
    # (sponsor_app/pagecache.py); the size of the stored text in characters. 0 turns it off.
    PAGE_CACHE_MAX_CHARS = int(os.environ.get("PAGE_CACHE_MAX_CHARS", 16_000_000))
    # The longest a stored page is served (what changes with the clock: an escalation's hours left).
    PAGE_CACHE_SECONDS = float(os.environ.get("PAGE_CACHE_SECONDS", 60))
    # Draft reports kept in the database while their school's data is unchanged (sponsor_app/kept.py);
    # off: computed at every view and export.
    KEPT_RESULTS = _bool("KEPT_RESULTS", True)


class DevelopmentConfig(Config):
    # A fixed development key keeps logins across restarts of `make run`; never used in production.
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key"  # noqa: S105


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-key"  # noqa: S105
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SQLALCHEMY_RECORD_QUERIES = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REQUIRE_SECRET_KEY = True  # create_app refuses to start without SECRET_KEY


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    """Return the config class for `name` or SPONSOR_ENV (default: production)."""
    name = (name or os.environ.get("SPONSOR_ENV") or "production").lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown SPONSOR_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None
