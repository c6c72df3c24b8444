"""`flask check-deploy`: the settings that make a deployment unsafe, like Django's `check --deploy`.

Run it on the server, in the environment the app runs with (the same variables as gunicorn),
before starting and after every change of configuration. It exits non-zero when it finds any
problem, so it can gate a deployment script or CI.

It is also installed as a Flask plugin command (pyproject's `flask.commands` entry point), so it
runs, and reports a missing SECRET_KEY, even when the app itself refuses to start.
"""

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy.engine import make_url

MIN_SECRET_LENGTH = 32
# Keys seen in examples, tutorials and this project's own non-production configs.
KNOWN_KEYS = {"dev-only-insecure-key", "test-key", "secret", "secret-key", "secretkey", "changeme", "change-me",
              "change_me", "replace-me", "your-secret-key", "development", "dev", "default", "password", "flask"}
# File systems on which SQLite's locking is unreliable (SQLite FAQ 5, "How to Corrupt" §2.1).
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb", "smb3", "smbfs", "fuse.sshfs", "sshfs", "9p", "afs",
                       "ceph", "glusterfs", "fuse.glusterfs", "davfs", "fuse.davfs2", "fuse.rclone", "lustre",
                       "gpfs", "beegfs", "fuse.s3fs", "fuse.gcsfuse", "virtiofs", "fuse.smbnetfs"}
PROC_MOUNTS = "/proc/mounts"
# Settings unsafe by their value (not only by their presence):
MAX_PROXY_COUNT = 3  # nginx, a load balancer, a CDN; more trusts X-Forwarded-For entries a client wrote
MAX_LOGIN_TRIES = 50  # failed logins per window (per hour for longer windows) before a login limit is no limit
MIN_LIMIT_WINDOW = 60  # seconds: "50 per second" lets a guesser through 180,000 times an hour
MAX_SESSION_DAYS = 30  # a login (absolute, idle or remember-me) kept for longer is a stolen laptop's login
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # class lists are well under 1 MB; the app reads uploads into memory


@dataclass(frozen=True)
class Finding:
    code: str
    message: str


def _truthy(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def workers_from_env(environ: Mapping[str, str]) -> int | None:
    """The gunicorn worker count the environment asks for (WEB_CONCURRENCY, GUNICORN_CMD_ARGS)."""
    args = environ.get("GUNICORN_CMD_ARGS", "")
    try:
        tokens = shlex.split(args)
    except ValueError:
        tokens = []
    for i, token in enumerate(tokens):
        if token in ("-w", "--workers") and i + 1 < len(tokens) and re.fullmatch(r"[0-9]+", tokens[i + 1]):
            return int(tokens[i + 1])
        match = re.fullmatch(r"(?:--workers=|-w)([0-9]+)", token)
        if match:
            return int(match.group(1))
    value = environ.get("WEB_CONCURRENCY", "").strip()
    return int(value) if re.fullmatch(r"[0-9]+", value) else None  # "²" passes str.isdigit()


def filesystem_of(path: Path, mounts_file: str = PROC_MOUNTS) -> str | None:
    """The file-system type of the mount holding `path` (the longest mount point above it)."""
    try:
        lines = Path(mounts_file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, fstype = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, parts[2]
    return fstype


def _seconds(value) -> float | None:
    """A duration setting (timedelta, or a number of seconds) in seconds; None when not one."""
    if hasattr(value, "total_seconds"):
        return value.total_seconds()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def login_limit_problem(name: str, text) -> str | None:
    """What is wrong with a login rate limit ("10 per 15 minutes; 100 per day"), or None."""
    from limits import parse_many

    try:
        items = parse_many(str(text))
    except ValueError:
        return f"{name}={text!r} cannot be read as a rate limit (write e.g. \"10 per 15 minutes\")."
    for item in items:
        window = item.get_expiry()
        allowed = MAX_LOGIN_TRIES * max(1.0, window / 3600)
        if window < MIN_LIMIT_WINDOW or item.amount > allowed:
            return (f"{name}={text!r} allows {item.amount} failed logins per {window} s: no protection against "
                    f"password guessing (keep it at most {MAX_LOGIN_TRIES} per window of at least a minute, "
                    "e.g. \"10 per 15 minutes\").")
    return None


def _sqlite_file(config: Mapping, environ: Mapping[str, str]) -> Path | None | str:
    """The SQLite database file (":memory:" for an in-memory one), or None for another database."""
    uri = config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        instance = environ.get("SPONSOR_INSTANCE_PATH") or str(Path(__file__).resolve().parent.parent / "instance")
        return Path(instance) / "sponsor.db"
    url = make_url(uri)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        return ":memory:"
    return Path(url.database)


def check(config: Mapping, environ: Mapping[str, str] | None = None, *, workers: int | None = None,
          behind_proxy: bool | None = None, mounts_file: str = PROC_MOUNTS) -> list[Finding]:
    """Every problem of this configuration for a production deployment (empty: none found).

    :param config: the app's config (or a mapping of the same keys)
    :param environ: the process environment (FLASK_DEBUG, WEB_CONCURRENCY, GUNICORN_CMD_ARGS, ...)
    :param workers: the gunicorn worker count, when known (else read from `environ`)
    :param behind_proxy: whether a reverse proxy is in front (None: assumed when PUBLIC_URL is https,
        since gunicorn here serves plain HTTP behind nginx, or when PROXY_COUNT is set)
    """
    environ = os.environ if environ is None else environ
    found: list[Finding] = []

    def problem(code: str, message: str) -> None:
        found.append(Finding(code, message))

    key = config.get("SECRET_KEY")
    if not key:
        problem("secret-key-missing", "SECRET_KEY is not set: sessions and CSRF tokens cannot be trusted "
                "(production refuses to start without it).")
    elif (key.lower() in KNOWN_KEYS or len(key) < MIN_SECRET_LENGTH or len(set(key)) < 10):
        problem("secret-key-weak", f"SECRET_KEY is weak (a known example value, shorter than {MIN_SECRET_LENGTH} "
                "characters or too few different characters): anyone who guesses it can forge a login. "
                "Use python3 -c 'import secrets; print(secrets.token_hex(32))'.")

    if config.get("DEBUG") or _truthy(environ.get("FLASK_DEBUG", "")):
        problem("debug", "Debug mode is on (DEBUG / FLASK_DEBUG): tracebacks and the interactive debugger "
                "would be shown to users.")
    if config.get("TESTING"):
        problem("testing", "TESTING is on (SPONSOR_ENV=testing): CSRF protection and login throttling are off.")
    if config.get("WTF_CSRF_ENABLED") is False:
        problem("csrf-off", "CSRF protection is off (WTF_CSRF_ENABLED=False).")

    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if not config.get(name):
            problem("cookie-insecure", f"{name} is off: the login cookie would also travel over plain HTTP "
                    "(set SESSION_COOKIE_SECURE=1 and serve over HTTPS).")
    for name in ("SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_HTTPONLY"):
        if not config.get(name, False):
            problem("cookie-insecure", f"{name} is off: scripts in the page could read the login cookie.")
    for name in ("SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE"):
        if str(config.get(name) or "").lower() not in {"lax", "strict"}:
            problem("cookie-insecure", f"{name} is {config.get(name)!r}: use 'Lax' so other sites cannot "
                    "send requests with the login cookie.")

    proxies = int(config.get("PROXY_COUNT") or 0)
    if behind_proxy is None:
        behind_proxy = str(config.get("PUBLIC_URL") or "").lower().startswith("https://") or proxies > 0
    if proxies > MAX_PROXY_COUNT or proxies < 0:
        problem("proxy-count", f"PROXY_COUNT={proxies}: the app would trust that many X-Forwarded-For entries, "
                "more than the proxies really in front, so a client can write its own address (and escape "
                f"login throttling, or forge the audit log's). Set it to the number of proxies (nginx: 1; at "
                f"most {MAX_PROXY_COUNT}).")
    elif behind_proxy is False and proxies > 0:
        problem("proxy-count", f"PROXY_COUNT={proxies} but no proxy is in front (--no-proxy): a client can "
                "write its own address in X-Forwarded-For. Set PROXY_COUNT=0.")
    if behind_proxy and proxies < 1:
        problem("proxy", "The app is behind a reverse proxy (PUBLIC_URL is https) but PROXY_COUNT=0: every "
                "user appears with the proxy's address (one user's failed logins lock out the whole school, "
                "the audit log records the proxy) and the app does not know it is served over HTTPS. "
                "Set PROXY_COUNT=1 for nginx in front (or pass --no-proxy if gunicorn faces users itself).")

    workers = workers if workers is not None else workers_from_env(environ)
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not config.get("RATELIMIT_ENABLED", True):
        problem("ratelimit-off", "Login throttling is off (RATELIMIT_ENABLED=False).")
    elif storage.startswith("memory://") and (workers or 1) > 1:
        problem("ratelimit-memory", f"RATELIMIT_STORAGE_URI is memory:// with {workers} workers: each worker "
                f"counts failed logins on its own, so the limit is {workers} times looser. Use "
                "RATELIMIT_STORAGE_URI=redis://host:6379/0.")

    for name in sorted(k for k in config if re.fullmatch(r"LOGIN_\w*RATE_LIMIT", k)):
        message = login_limit_problem(name, config[name])
        if message:
            problem("login-limit", message)

    for name in ("PERMANENT_SESSION_LIFETIME", "SESSION_IDLE_TIMEOUT", "REMEMBER_COOKIE_DURATION"):
        seconds = _seconds(config.get(name))
        if seconds is not None and not 0 < seconds <= MAX_SESSION_DAYS * 86400:
            problem("session-lifetime", f"{name} is {seconds / 86400:g} days: a login on a shared or stolen "
                    f"computer would stay open that long (keep it above 0 and at most {MAX_SESSION_DAYS} days; "
                    "SESSION_LIFETIME_HOURS, SESSION_IDLE_MINUTES).")

    upload = config.get("MAX_CONTENT_LENGTH")
    if upload is None or not 0 < upload <= MAX_UPLOAD_BYTES:
        problem("upload-size", f"MAX_CONTENT_LENGTH is {upload!r} bytes: requests that large are read into "
                f"memory (one upload could exhaust the server). Keep MAX_UPLOAD_BYTES at most "
                f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB (8 MB by default).")

    database = _sqlite_file(config, environ)
    if database == ":memory:":
        problem("sqlite-memory", "The database is SQLite in memory: everything is lost when the app stops.")
    elif isinstance(database, Path):
        fstype = filesystem_of(database.parent if not database.exists() else database, mounts_file)
        if fstype and (fstype in NETWORK_FILESYSTEMS or fstype.startswith(("nfs", "fuse.sshfs"))):
            problem("sqlite-network-share", f"The SQLite database {database} is on a network share ({fstype}): "
                    "SQLite's locking does not work there and the file can be corrupted. Keep it on a local "
                    "disk (or use PostgreSQL).")

    if config.get("MAIL_PASSWORD") and not (config.get("MAIL_USE_TLS") or config.get("MAIL_USE_SSL")):
        problem("mail-plaintext", "MAIL_PASSWORD is set without MAIL_USE_TLS or MAIL_USE_SSL: the SMTP "
                "password would cross the network in clear.")

    pdf = pdf_engine_problem()
    if pdf:
        problem("pdf-engine", pdf)
    return found


def pdf_engine_problem() -> str | None:
    """Why the official documents' PDFs cannot be made here (WeasyPrint's system libraries), or None."""
    try:
        import weasyprint  # noqa: F401 — loads Pango and HarfBuzz through cffi
    except (OSError, ImportError) as err:
        return (f"WeasyPrint cannot load its system libraries ({err}): every 'Tải PDF' would fail. On Debian or "
                "Ubuntu: apt install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0")
    return None


def _load_config():
    """The app's config as it would run here, and why the app refused to start (or None)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config, None
    from config import get_config

    from . import create_app

    try:
        return create_app().config, None
    except RuntimeError as err:  # e.g. production without SECRET_KEY
        cls = get_config()
        return {k: getattr(cls, k) for k in dir(cls) if k.isupper()}, str(err)


@click.command("check-deploy")
@click.option("--workers", type=int, default=None,
              help="gunicorn workers the app will run with (default: WEB_CONCURRENCY or GUNICORN_CMD_ARGS)")
@click.option("--behind-proxy/--no-proxy", "behind_proxy", default=None,
              help="Whether a reverse proxy (nginx) is in front (default: when PUBLIC_URL is https)")
@click.option("--mounts", "mounts_file", default=PROC_MOUNTS, show_default=True, hidden=True,
              help="The mount table to read (tests)")
def check_deploy_command(workers: int | None, behind_proxy: bool | None, mounts_file: str):
    """Check this environment's configuration for a production deployment; non-zero exit on any problem."""
    config, refusal = _load_config()
    findings = check(config, os.environ, workers=workers, behind_proxy=behind_proxy, mounts_file=mounts_file)
    if refusal:
        click.echo(f"The app refuses to start: {refusal}")
    for finding in findings:
        click.echo(f"✗ [{finding.code}] {finding.message}")
    if findings or refusal:
        click.echo(f"{len(findings)} problem(s) found.")
        raise SystemExit(1)
    click.echo("No problem found: secret key, debug, cookies, proxy and its count, login limits, rate-limit "
               "storage, session lifetimes, upload size, database location, mail.")
