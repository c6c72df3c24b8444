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

    # Failed-login throttling (sponsor_app/auth/throttle.py); Redis storage when several workers serve.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # A Redis that does not answer makes a login wait at most this long before the counting moves to
    # the worker's memory (without a timeout, an unreachable host hung every login).
    RATELIMIT_STORAGE_OPTIONS = ({"socket_connect_timeout": 2, "socket_timeout": 2}
                                 if RATELIMIT_STORAGE_URI.startswith(("redis", "valkey")) else {})
    # Several deployments (or test runs) may share one Redis: each keeps its counters apart.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "sponsor")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    # Only failed logins count; each limit is "N per period" (several: "30 per hour; 100 per day").
    # Per address + account: a person mistyping (10 is generous), or one machine guessing one account.
    # A browser that logged in to the account before is counted on its own instead of by address.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per 15 minutes")
    # Per account, from every address: guessing spread over many addresses (at most 720 a day).
    # Higher than the per-address limit so that one address (a school's shared one) cannot lock
    # the account for everyone; when it is reached, an admin can unlock the account.
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "30 per hour")
    # Per address, over all accounts: password spraying (one password tried on many accounts).
    # A whole school may share one address; browsers known to an account do not count here.
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "30 per 15 minutes")
    # How long a browser stays known to the accounts that logged in from it.
    LOGIN_DEVICE_DAYS = 180
    # One-time login codes of the printed slips and invitation e-mails (sponsor_app/logins/): how many
    # days they stay valid, and their hash (werkzeug's, as the passwords'; PBKDF2 at this cost hashes a
    # 150-staff school's codes in a few seconds, and a code lives two weeks at most and once).
    LOGIN_CODE_DAYS = int(os.environ.get("LOGIN_CODE_DAYS", "14"))
    LOGIN_CODE_HASH_METHOD = os.environ.get("LOGIN_CODE_HASH_METHOD", "pbkdf2:sha256:100000")

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
