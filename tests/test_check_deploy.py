"""`flask check-deploy`: each unsafe setting is reported and makes it exit non-zero; a clean
production configuration passes. The command itself runs in a real process with the environment
the app would run with (as on a server), the rules also one by one on a config mapping."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from sponsor_app.deploycheck import check, filesystem_of, workers_from_env
from tests.figures import record

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "3f9c2a7e51d84b06a1e9c4d7b2f08e6a5c3d1b9e7f2a4c6d8e0b1a3c5d7e9f10"


def good_config(**overrides) -> dict:
    config = {
        "SECRET_KEY": GOOD_KEY, "DEBUG": False, "TESTING": False, "WTF_CSRF_ENABLED": True,
        "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax", "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PROXY_COUNT": 1, "PUBLIC_URL": "https://dodau.truong.edu.vn", "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "redis://redis.internal:6379/0",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://sponsor@db.internal/sponsor",
        "LOGIN_RATE_LIMIT": "10 per 15 minutes", "LOGIN_ACCOUNT_RATE_LIMIT": "30 per hour; 100 per day",
        "LOGIN_ADDRESS_RATE_LIMIT": "30 per 15 minutes", "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=120), "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    }
    config.update(overrides)
    return config


@pytest.fixture
def mounts(tmp_path):
    """A mount table with a local disk at / and an NFS share at /mnt/share."""
    table = tmp_path / "mounts"
    table.write_text("/dev/vda1 / ext4 rw,relatime 0 0\n"
                     "nas:/export /mnt/share nfs4 rw,relatime,vers=4.2 0 0\n"
                     "//fs/data /srv/smb cifs rw 0 0\n"
                     "me@host:/x /home/me/remote fuse.sshfs rw 0 0\n")
    return str(table)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def test_a_clean_production_config_passes(mounts):
    assert check(good_config(), {"WEB_CONCURRENCY": "4"}, mounts_file=mounts) == []


@pytest.mark.parametrize(("overrides", "environ", "code"), [
    ({"SECRET_KEY": None}, {}, "secret-key-missing"),
    ({"SECRET_KEY": ""}, {}, "secret-key-missing"),
    ({"SECRET_KEY": "dev-only-insecure-key"}, {}, "secret-key-weak"),
    ({"SECRET_KEY": "short-but-random-9f2"}, {}, "secret-key-weak"),
    ({"SECRET_KEY": "a" * 64}, {}, "secret-key-weak"),
    ({"DEBUG": True}, {}, "debug"),
    ({}, {"FLASK_DEBUG": "1"}, "debug"),
    ({"TESTING": True}, {}, "testing"),
    ({"WTF_CSRF_ENABLED": False}, {}, "csrf-off"),
    ({"SESSION_COOKIE_SECURE": False}, {}, "cookie-insecure"),
    ({"REMEMBER_COOKIE_SECURE": False}, {}, "cookie-insecure"),
    ({"SESSION_COOKIE_HTTPONLY": False}, {}, "cookie-insecure"),
    ({"SESSION_COOKIE_SAMESITE": None}, {}, "cookie-insecure"),
    ({"PROXY_COUNT": 0}, {}, "proxy"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, {"WEB_CONCURRENCY": "4"}, "ratelimit-memory"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, {"GUNICORN_CMD_ARGS": "--bind 0.0.0.0:8000 -w 3"}, "ratelimit-memory"),
    ({"RATELIMIT_ENABLED": False}, {}, "ratelimit-off"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////mnt/share/sponsor.db"}, {}, "sqlite-network-share"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/smb/app/sponsor.db"}, {}, "sqlite-network-share"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////home/me/remote/sponsor.db"}, {}, "sqlite-network-share"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, {}, "sqlite-memory"),
    ({"MAIL_PASSWORD": "smtp-pass", "MAIL_USE_TLS": False}, {}, "mail-plaintext"),
    # unsafe by value, not by presence
    ({"PROXY_COUNT": 9}, {}, "proxy-count"),
    ({"PROXY_COUNT": -1}, {}, "proxy-count"),
    ({"LOGIN_RATE_LIMIT": "1000 per 15 minutes"}, {}, "login-limit"),
    ({"LOGIN_RATE_LIMIT": "51 per hour"}, {}, "login-limit"),
    ({"LOGIN_RATE_LIMIT": "10 per second"}, {}, "login-limit"),
    ({"LOGIN_ACCOUNT_RATE_LIMIT": "30 per hour; 100000 per day"}, {}, "login-limit"),
    ({"LOGIN_ADDRESS_RATE_LIMIT": "lots"}, {}, "login-limit"),
    ({"LOGIN_RATE_LIMIT": ""}, {}, "login-limit"),
    ({"PERMANENT_SESSION_LIFETIME": timedelta(days=3650)}, {}, "session-lifetime"),
    ({"SESSION_IDLE_TIMEOUT": timedelta(days=31)}, {}, "session-lifetime"),
    ({"REMEMBER_COOKIE_DURATION": timedelta(days=365)}, {}, "session-lifetime"),
    ({"PERMANENT_SESSION_LIFETIME": timedelta(0)}, {}, "session-lifetime"),
    ({"MAX_CONTENT_LENGTH": 100 * 1024**3}, {}, "upload-size"),
    ({"MAX_CONTENT_LENGTH": None}, {}, "upload-size"),
])
def test_each_unsafe_setting_is_reported(mounts, overrides, environ, code):
    assert code in codes(check(good_config(**overrides), environ, mounts_file=mounts))


def test_settings_that_are_fine_in_context(mounts, tmp_path):
    # one worker may count in memory; a local SQLite file is fine; gunicorn facing users needs no proxy setting
    assert check(good_config(RATELIMIT_STORAGE_URI="memory://"), {"WEB_CONCURRENCY": "1"}, mounts_file=mounts) == []
    local = good_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'sponsor.db'}")
    assert check(local, {}, mounts_file=mounts) == []
    assert check(good_config(PROXY_COUNT=0), {}, behind_proxy=False, mounts_file=mounts) == []
    assert "proxy-count" in codes(check(good_config(PROXY_COUNT=1), {}, behind_proxy=False, mounts_file=mounts))
    # the edges of the value checks: 3 proxies, 50 per window (per hour beyond an hour), 30 days, 50 MB
    edges = good_config(PROXY_COUNT=3, LOGIN_RATE_LIMIT="50 per hour; 1200 per day; 2 per minute",
                        PERMANENT_SESSION_LIFETIME=timedelta(days=30), MAX_CONTENT_LENGTH=50 * 1024 * 1024)
    assert check(edges, {}, mounts_file=mounts) == []
    # --workers wins over the environment
    assert "ratelimit-memory" in codes(check(good_config(RATELIMIT_STORAGE_URI="memory://"), {}, workers=2,
                                             mounts_file=mounts))


def test_workers_and_filesystems_are_read_right(mounts):
    assert workers_from_env({"GUNICORN_CMD_ARGS": "--workers=5"}) == 5
    assert workers_from_env({"GUNICORN_CMD_ARGS": "--workers 6", "WEB_CONCURRENCY": "2"}) == 6
    assert workers_from_env({"WEB_CONCURRENCY": "3"}) == 3
    assert workers_from_env({}) is None
    assert filesystem_of(Path("/mnt/share/a/b.db"), mounts) == "nfs4"
    assert filesystem_of(Path("/mnt/shared.db"), mounts) == "ext4"  # a prefix of the name is not the mount
    assert filesystem_of(Path("/srv/x.db"), "/nonexistent/mounts") is None
    real = filesystem_of(ROOT)  # this machine's own table, where there is one
    assert real is None or isinstance(real, str)


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FLASK_APP": "wsgi", "HOME": os.environ.get("HOME", "/")}
    return subprocess.run([sys.executable, "-m", "flask", "check-deploy", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


PRODUCTION = {"SPONSOR_ENV": "production", "SECRET_KEY": GOOD_KEY, "PUBLIC_URL": "https://dodau.truong.edu.vn",
              "PROXY_COUNT": "1", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "WEB_CONCURRENCY": "4",
              "DATABASE_URL": "postgresql+psycopg://sponsor@db.internal/sponsor"}


def test_the_command_with_good_and_bad_environments(tmp_path, mounts, db_url):
    clean = _run(PRODUCTION, "--mounts", mounts)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "No problem found" in clean.stdout

    bad = _run({**PRODUCTION, "SECRET_KEY": "changeme", "FLASK_DEBUG": "1", "SESSION_COOKIE_SECURE": "0",
                "PROXY_COUNT": "0", "RATELIMIT_STORAGE_URI": "memory://",
                "DATABASE_URL": "sqlite:////mnt/share/sponsor.db"}, "--mounts", mounts)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    reported = {line.split("]")[0].split("[")[1] for line in bad.stdout.splitlines() if line.startswith("✗ [")}
    assert reported == {"secret-key-weak", "debug", "cookie-insecure", "proxy", "ratelimit-memory",
                        "sqlite-network-share"}, bad.stdout

    no_key = _run({**PRODUCTION, "SECRET_KEY": ""})
    assert no_key.returncode == 1, no_key.stdout + no_key.stderr
    assert "[secret-key-missing]" in no_key.stdout and "refuses to start" in no_key.stdout

    absurd = _run({**PRODUCTION, "PROXY_COUNT": "9", "LOGIN_RATE_LIMIT": "1000 per minute",
                   "SESSION_LIFETIME_HOURS": str(24 * 365 * 5), "MAX_UPLOAD_BYTES": str(100 * 1024**3)},
                  "--mounts", mounts)
    assert absurd.returncode == 1, absurd.stdout + absurd.stderr
    values = {line.split("]")[0].split("[")[1] for line in absurd.stdout.splitlines() if line.startswith("✗ [")}
    assert values == {"proxy-count", "login-limit", "session-lifetime", "upload-size"}, absurd.stdout

    workers = _run({**PRODUCTION, "WEB_CONCURRENCY": "", "RATELIMIT_STORAGE_URI": "memory://"},
                   "--workers", "3", "--mounts", mounts)
    assert workers.returncode == 1 and "[ratelimit-memory]" in workers.stdout
    record(db_url, "check_deploy",
           f"flask check-deploy: clean production environment → exit 0; an environment with 6 kinds of problem → "
           f"exit 1 naming all 6 ({', '.join(sorted(reported))}); production without SECRET_KEY → exit 1",
           reported=sorted(reported))


def test_the_command_in_process_sees_the_running_apps_config(runner):
    result = runner.invoke(args=["check-deploy", "--no-proxy"])
    assert result.exit_code == 1  # the test config: testing on, CSRF off, secret key "test-key", ...
    assert "[testing]" in result.output and "[secret-key-weak]" in result.output


def test_a_missing_pdf_engine_is_reported(monkeypatch):
    """Without WeasyPrint's system libraries every PDF download would fail: check-deploy says so."""
    import builtins

    from sponsor_app import deploycheck

    assert deploycheck.pdf_engine_problem() is None  # this machine has them (.ci/run installs them)
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    message = deploycheck.pdf_engine_problem()
    assert message and "libpango-1.0-0" in message and "apt install" in message
