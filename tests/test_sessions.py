"""Sessions (ASVS 7.2-7.4, 3.3): what tests/test_auth.py does not already prove.

test_auth.py covers a copied cookie replayed after logout, other sessions after a password
change, running sessions after deactivation and the cookie flags in the test config. Here: the
remember-me cookie and the session's own earlier cookie replayed, a reactivated account's old
cookie, a new session id at login, the idle and absolute lifetimes with a moved clock, the
production cookies, and login throttling across real gunicorn workers sharing Redis.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from sponsor_app import create_app
from sponsor_app.auth import lifetime
from sponsor_app.extensions import db as _db
from tests.conftest import IN_CI, login
from tests.factories import PASSWORD
from tests.figures import record

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parent.parent
STUDENT_PAGE = "/roster/students/{id}"


def _replay(app, cookies: dict, url: str):
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get(url)


def _refused(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


# --- replayed cookies ------------------------------------------------------------------------

def test_remember_cookie_replayed_after_logout_is_refused(app, world):
    client = app.test_client()
    assert client.post("/login", data={"username": "homeroom", "password": PASSWORD,
                                       "remember": "y"}).status_code == 302
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.http_only
    url = STUDENT_PAGE.format(id=world.own_student.id)
    # The remember cookie alone (no session) logs in while the account's sessions are valid ...
    assert _replay(app, {"remember_token": remember.value}, url).status_code == 200
    client.post("/logout")
    # ... and not after logout, with or without the old session cookie.
    assert _refused(_replay(app, {"remember_token": remember.value}, url))


def test_this_sessions_own_cookie_from_before_a_password_change_is_refused(app, world):
    client = login(app.test_client(), "teacher")
    before = client.get_cookie("session").value
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "another-good-pass", "confirm": "another-good-pass"})
    assert response.status_code == 302
    assert client.get("/home/teacher").status_code == 200  # the session that changed it goes on
    assert _refused(_replay(app, {"session": before}, "/home/teacher"))


def test_a_reactivated_accounts_old_cookie_stays_dead(app, world, admin_client):
    teacher = login(app.test_client(), "teacher")
    cookie = teacher.get_cookie("session").value
    assert admin_client.post(f"/admin/users/{world.teacher.id}/deactivate").status_code == 302
    assert admin_client.post(f"/admin/users/{world.teacher.id}/reactivate").status_code == 302
    assert _refused(_replay(app, {"session": cookie}, "/home/teacher"))
    assert login(app.test_client(), "teacher").get("/home/teacher").status_code == 200


def test_login_issues_a_new_session(app, world):
    """Session fixation: what was in the cookie before the login does not survive it."""
    client = app.test_client()
    client.post("/lang/en", data={"next": "/login"})
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
    before = client.get_cookie("session").value
    login(client, "teacher")
    assert client.get_cookie("session").value != before
    with client.session_transaction() as sess:
        assert "planted" not in sess


# --- lifetimes ---------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta).total_seconds()


@pytest.fixture
def clock(monkeypatch):
    moved = Clock()
    monkeypatch.setattr(lifetime, "clock", moved)
    return moved


def test_an_idle_session_expires(app, world, clock):
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    assert timedelta(minutes=15) <= idle <= timedelta(hours=4)
    client = login(app.test_client(), "teacher")
    clock.advance(seconds=idle.total_seconds() - 60)
    assert client.get("/home/teacher").status_code == 200  # active again: the idle clock restarts
    clock.advance(seconds=idle.total_seconds() - 60)
    assert client.get("/home/teacher").status_code == 200
    clock.advance(seconds=idle.total_seconds() + 1)
    response = client.get("/home/teacher")
    assert _refused(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Phiên đăng nhập đã hết hạn" in page
    assert _refused(client.get("/home/teacher"))  # stays logged out


def test_an_active_session_still_ends_at_its_absolute_lifetime(app, world, clock):
    lifetime_ = app.config["PERMANENT_SESSION_LIFETIME"]
    assert timedelta(hours=1) <= lifetime_ <= timedelta(hours=24)
    client = login(app.test_client(), "teacher")
    step = app.config["SESSION_IDLE_TIMEOUT"] / 2
    elapsed = timedelta(0)
    while elapsed + step < lifetime_:
        clock.advance(seconds=step.total_seconds())
        elapsed += step
        assert client.get("/home/teacher").status_code == 200, elapsed
    clock.advance(seconds=(lifetime_ - elapsed).total_seconds() + 1)
    assert _refused(client.get("/home/teacher"))


def test_an_expired_session_with_remember_me_starts_a_new_one(app, world, clock):
    """Remember me (opt-in, on a personal device) outlives the session, not a logout."""
    client = app.test_client()
    client.post("/login", data={"username": "teacher", "password": PASSWORD, "remember": "y"})
    clock.advance(seconds=app.config["SESSION_IDLE_TIMEOUT"].total_seconds() + 1)
    assert client.get("/home/teacher").status_code == 200
    client.post("/logout")
    assert _refused(client.get("/home/teacher"))


def test_lifetimes_come_from_the_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("SESSION_LIFETIME_HOURS", "8")
    try:
        reloaded = importlib.reload(config)
        assert reloaded.Config.SESSION_IDLE_TIMEOUT == timedelta(minutes=30)
        assert reloaded.Config.PERMANENT_SESSION_LIFETIME == timedelta(hours=8)
    finally:
        monkeypatch.undo()
        importlib.reload(config)


# --- production cookies ------------------------------------------------------------------------

def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_production_cookies_are_secure_httponly_samesite(app, world):
    prod = create_app("production", {"SECRET_KEY": "p" * 64,
                                     "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                     "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
    try:
        client = prod.test_client()
        token = _csrf(client.get("/login", base_url="https://localhost").get_data(as_text=True))
        _db.session.commit()
        # HTTPS: Flask-WTF also checks the Referer (same-origin; our Referrer-Policy sends it)
        response = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                               data={
            "username": "teacher", "password": PASSWORD, "remember": "y", "csrf_token": token})
        assert response.status_code == 302
        cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
        # login_device: this browser is known for the account (auth/throttle.py), sent to /login only
        assert {"session", "remember_token", "login_device"} <= set(cookies)
        assert "path=/login" in cookies["login_device"].lower()
        for header in cookies.values():
            attrs = {a.strip().split("=")[0].lower(): a for a in header.split(";")[1:]}
            assert "secure" in attrs and "httponly" in attrs, header
            assert attrs["samesite"].split("=")[1].strip().lower() in {"lax", "strict"}, header
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        record(app.config["SQLALCHEMY_DATABASE_URI"], "cookies",
               f"Cookies in production: {len(cookies)} set at login ({', '.join(sorted(cookies))}), "
               "all Secure, HttpOnly, SameSite=Lax", cookies=sorted(cookies))
    finally:
        with prod.app_context():
            _db.engine.dispose()


# --- throttling across gunicorn workers ----------------------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
LIMIT = 5
ATTEMPTS = 30
WORKERS = 3


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        message = f"Redis is not reachable at {REDIS_URL}: {err}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message + " (not CI: the multi-worker throttling test is skipped)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """A real gunicorn with several workers on a loopback port, serving the test database."""

    def __init__(self, db_url: str, tmp_path: Path, storage: str, prefix: str, workers: int = WORKERS):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = tmp_path / f"access-{prefix}.log"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SPONSOR_ENV": "production",
            "SECRET_KEY": uuid.uuid4().hex * 2, "SESSION_COOKIE_SECURE": "0", "DATABASE_URL": db_url,
            "SPONSOR_INSTANCE_PATH": str(tmp_path / "instance"), "RATELIMIT_STORAGE_URI": storage,
            "RATELIMIT_KEY_PREFIX": prefix, "LOGIN_RATE_LIMIT": f"{LIMIT} per 15 minutes",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--access-logfile", str(self.access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
             "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.proc.stderr.read().decode()[-2000:])
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    @staticmethod
    def opener():
        """A browser-like client: its own cookies, redirects not followed."""
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def login(self, username: str, password: str, opener=None) -> int:
        """GET the form (CSRF token, own cookies, new connections) then POST it; the status."""
        opener = opener or self.opener()
        with opener.open(self.base + "/login", timeout=20) as r:
            token = _csrf(r.read().decode())
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token}).encode()
        try:
            with opener.open(self.base + "/login", data=body, timeout=20) as r:
                return r.status
        except urllib.error.HTTPError as err:
            return err.code

    def login_pids(self) -> set[str]:
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return {line.split()[0] for line in lines if " POST /login " in line}

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _hammer(server: Gunicorn) -> dict[int, int]:
    statuses: list[int] = []
    lock = threading.Lock()
    queue = list(range(ATTEMPTS))

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                queue.pop()
            status = server.login("teacher", "wrong-password-1")
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return {code: statuses.count(code) for code in sorted(set(statuses))}


def test_login_throttling_holds_across_gunicorn_workers_with_redis(app, world, db_url, tmp_path):
    _redis_or_skip()
    import redis

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    _db.session.commit()
    _db.engine.dispose()  # SQLite: no connection of the test holds the file
    prefix = f"sponsor-test-{uuid.uuid4().hex[:12]}"
    server = Gunicorn(url, tmp_path, REDIS_URL, prefix)
    try:
        counts = _hammer(server)
        leader = server.login("leader", PASSWORD)
        pids = server.login_pids()
    finally:
        server.stop()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
    baseline = _memory_baseline(url, tmp_path)
    assert counts.get(401, 0) == LIMIT, counts
    assert counts.get(429, 0) == ATTEMPTS - LIMIT, counts
    assert leader == 302  # another account from the same address is not locked out
    assert len(pids) >= 2, f"the logins were served by {len(pids)} worker(s) only"
    record(db_url, "throttling",
           f"Login throttling, gunicorn {WORKERS} workers + Redis: {ATTEMPTS} wrong passwords → "
           f"{counts.get(401, 0)} accepted (limit {LIMIT}), {counts.get(429, 0)} refused with 429, "
           f"served by {len(pids)} workers; with memory:// storage {baseline} got through",
           workers=WORKERS, attempts=ATTEMPTS, limit=LIMIT, accepted=counts.get(401, 0),
           refused=counts.get(429, 0), worker_pids=len(pids), memory_storage_accepted=baseline)


def _memory_baseline(url: str, tmp_path: Path) -> int:
    """The same hammering with per-process counters: how many wrong passwords get through."""
    server = Gunicorn(url, tmp_path, "memory://", "baseline")
    try:
        return _hammer(server).get(401, 0)
    finally:
        server.stop()
