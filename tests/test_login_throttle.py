"""Failed-login throttling that stops guessing without locking the real user out (issue 19).

One login identity (sponsor_app/identity.py) keys the account lookup, the throttle and the audit,
so variants of a locked username are the locked account. Counters per address + account, per
account and per address (spraying); a browser the account logged in from is counted on its own;
an admin unlocks; the lock page says when it ends; the same password-hash work for known and
unknown usernames; an unreachable Redis neither breaks nor unthrottles the login; and every
redirect target taken from a request passes sponsor_app/urls.safe_next.
"""

import re
import uuid

import pytest
import werkzeug.security
from limits import parse

from sponsor_app import create_app
from sponsor_app.auth import services
from sponsor_app.extensions import db as _db
from sponsor_app.identity import login_name
from sponsor_app.models import AuditLog, User
from sponsor_app.urls import safe_next
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD
from tests.test_sessions import REDIS_URL, _redis_or_skip

WRONG = "wrong-pass-1"
SCHOOL = "203.0.113.7"  # the school's shared address
HOME = "198.51.100.20"
ELSEWHERE = "192.0.2.99"

VARIANTS = [
    "depthead\x00", " DEPTHEAD ", "DeptHead", "depthead\u200b", "dept\u00adhead", "\ufeffdepthead",
    "ｄｅｐｔｈｅａｄ",  # full width
    "depthead\u200d", "d\u200ce\u2060pthead", "depthead\u3000", "\u202edepthead", "depthead\ufe0f",
    "DEPTHEAD\x00\u200b ",
]


@pytest.fixture
def throttled(app, world):
    """make(**config): an app on the test's database with throttling on (memory storage unless told).
    Each app starts with empty counters: setting up the limiter makes a new storage."""
    made = []

    def make(**config):
        settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "RATELIMIT_ENABLED": True,
                    "RATELIMIT_STORAGE_URI": "memory://", **config}
        throttled_app = create_app("testing", settings)
        throttled_app.test_client_class = IsolatedClient
        made.append(throttled_app)
        return throttled_app

    yield make
    for throttled_app in made:
        with throttled_app.app_context():
            _db.engine.dispose()


def browser(app, address: str = SCHOOL):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, username: str, password: str = WRONG) -> int:
    return client.post("/login", data={"username": username, "password": password}).status_code


# --- one identity ----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", VARIANTS)
def test_every_variant_is_one_identity(typed):
    assert login_name(typed) == "depthead"
    assert login_name(login_name(typed)) == "depthead"


def test_login_name_keeps_what_tells_people_apart():
    assert login_name("Đỗ Mai") == login_name("Đỗ Mai") == "đỗ mai"  # NFD → NFC, case
    assert login_name("STRASSE") == login_name("straße") == "strasse"
    assert login_name("mai.dk-2") == "mai.dk-2"
    assert login_name("maidk") != login_name("maidk2")
    assert login_name("\u200b\x00 ") == "" and login_name(None) == ""


def test_the_login_finds_the_account_by_its_identity(app, world):
    client = app.test_client()
    for typed in ("depthead\x00", "ＤＥＰＴＨＥＡＤ", "dept\u00adhead\u200b"):
        assert app.test_client().post("/login", data={"username": typed, "password": PASSWORD}).status_code == 302
    # Nothing but invisible characters is a blank username: the form comes back, nothing checked.
    assert client.post("/login", data={"username": "\u200b\u00ad", "password": PASSWORD}).status_code == 400


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    if request.param == "memory":
        yield {"RATELIMIT_STORAGE_URI": "memory://"}
        return
    _redis_or_skip()
    import redis

    prefix = f"sponsor-test-{uuid.uuid4().hex[:12]}"
    yield {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_variants_of_a_locked_username_are_refused_too(throttled, storage, db):
    app = throttled(LOGIN_RATE_LIMIT="3 per 15 minutes", **storage)
    attacker = browser(app)
    for _ in range(3):
        assert attempt(attacker, "depthead") == 401
    refused = {typed: attempt(attacker, typed) for typed in VARIANTS}
    refused["correct password"] = attempt(attacker, "depthead", PASSWORD)
    refused.update({f"{typed!r} + correct password": attempt(attacker, typed, PASSWORD) for typed in VARIANTS[:4]})
    assert set(refused.values()) == {429}, refused
    failures = db.session.query(AuditLog).filter_by(action="login_failed").all()
    assert [f.details["username"] for f in failures] == ["depthead"] * 3


def test_variants_share_one_counter(throttled):
    """Wrong passwords typed as three different variants lock the one account."""
    app = throttled(LOGIN_RATE_LIMIT="3 per 15 minutes")
    attacker = browser(app)
    for typed in ("DEPTHEAD", "depthead\u200b", "ｄｅｐｔｈｅａｄ"):
        assert attempt(attacker, typed) == 401
    assert attempt(attacker, "depthead", PASSWORD) == 429


# --- who is locked out, and who is not -----------------------------------------------------------

def test_spraying_many_usernames_from_one_address_is_stopped(throttled):
    app = throttled()  # the default limits
    cap = parse(app.config["LOGIN_ADDRESS_RATE_LIMIT"]).amount
    assert parse(app.config["LOGIN_RATE_LIMIT"]).amount < cap
    teacher = browser(app)
    assert attempt(teacher, "teacher", PASSWORD) == 302  # this browser is now known for "teacher"
    teacher.post("/logout")
    sprayer = browser(app)
    statuses = [attempt(sprayer, f"staff{n}", "Matkhau@2026") for n in range(cap + 10)]
    assert statuses == [401] * cap + [429] * 10
    assert attempt(sprayer, "leader", PASSWORD) == 429  # even a right guess, from this address
    assert attempt(browser(app, ELSEWHERE), "staff99", "Matkhau@2026") == 401  # another address is not
    assert attempt(teacher, "teacher", PASSWORD) == 302  # nor the browser the teacher always uses


def test_wrong_passwords_from_the_shared_address_do_not_lock_out_the_owner(throttled):
    app = throttled()
    per_address = parse(app.config["LOGIN_RATE_LIMIT"]).amount
    assert per_address < parse(app.config["LOGIN_ACCOUNT_RATE_LIMIT"]).amount
    own_pc = browser(app)
    assert attempt(own_pc, "depthead", PASSWORD) == 302
    own_pc.post("/logout")
    pupil = browser(app)  # same address, another browser
    for _ in range(per_address):
        assert attempt(pupil, "depthead") == 401
    assert attempt(pupil, "depthead") == 429
    assert attempt(pupil, "depthead", PASSWORD) == 429
    assert attempt(browser(app), "depthead", PASSWORD) == 429  # any new browser at the school, as designed
    assert attempt(own_pc, "depthead", PASSWORD) == 302  # the owner's own browser is not locked
    assert attempt(browser(app, HOME), "depthead", PASSWORD) == 302  # nor another address


def test_the_account_cap_holds_across_addresses_and_an_admin_unlocks_it(throttled, db, world):
    app = throttled(LOGIN_RATE_LIMIT="3 per 15 minutes", LOGIN_ACCOUNT_RATE_LIMIT="5 per hour")
    own_phone = browser(app, HOME)
    assert attempt(own_phone, "depthead", PASSWORD) == 302
    own_phone.post("/logout")
    first = browser(app, "10.0.0.1")
    for _ in range(3):
        assert attempt(first, "depthead") == 401
    for _ in range(20):  # refused attempts use up nothing else: not the account's budget
        assert attempt(first, "depthead") == 429
    second = browser(app, "10.0.0.2")
    assert attempt(second, "depthead") == 401
    assert attempt(second, "depthead") == 401
    assert attempt(second, "depthead") == 429  # the account's 5 are used up, from any address ...
    assert attempt(browser(app, ELSEWHERE), "depthead", PASSWORD) == 429
    assert attempt(own_phone, "depthead", PASSWORD) == 429  # ... and any browser
    assert attempt(browser(app, ELSEWHERE), "leader", PASSWORD) == 302  # other accounts are not

    admin = browser(app, ELSEWHERE)
    assert attempt(admin, "admin", PASSWORD) == 302
    response = admin.post(f"/admin/users/{world.dept_head.id}/unlock-login")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/users/{world.dept_head.id}/edit")
    assert db.session.query(AuditLog).filter_by(action="login_unlocked", object_id=world.dept_head.id).count() == 1
    assert attempt(first, "depthead", PASSWORD) == 302  # the per-address lock is gone too
    assert attempt(browser(app, ELSEWHERE), "depthead", PASSWORD) == 302


def test_attempts_refused_for_spraying_use_up_no_accounts_budget(throttled):
    """An address stopped for spraying keeps knocking on one account: the account's own budget stays."""
    app = throttled(LOGIN_ADDRESS_RATE_LIMIT="3 per 15 minutes", LOGIN_ACCOUNT_RATE_LIMIT="5 per hour")
    sprayer = browser(app)
    for n in range(3):
        assert attempt(sprayer, f"staff{n}") == 401
    for _ in range(10):
        assert attempt(sprayer, "depthead") == 429
    for n in range(4):
        assert attempt(browser(app, f"10.0.1.{n}"), "depthead") == 401  # the account's 5 are all still there ...
    assert attempt(browser(app, ELSEWHERE), "depthead", PASSWORD) == 302  # ... and the 5th attempt is the owner's


def test_the_unlock_button_is_for_this_schools_admins_only(app, world, admin_client, client_for, db):
    page = admin_client.get(f"/admin/users/{world.teacher.id}/edit").get_data(as_text=True)
    assert f"/admin/users/{world.teacher.id}/unlock-login" in page and "Mở khóa đăng nhập" in page
    assert client_for("leader").post(f"/admin/users/{world.teacher.id}/unlock-login").status_code == 403
    assert admin_client.post(f"/admin/users/{world.other_school_user.id}/unlock-login").status_code == 404
    assert app.test_client().post(f"/admin/users/{world.teacher.id}/unlock-login").status_code == 302  # to login
    assert db.session.query(AuditLog).filter_by(action="login_unlocked").count() == 0


def test_the_unlock_needs_the_csrf_token(guarded, world, db):
    admin = guarded.test_client()
    page = admin.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert admin.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert admin.post(f"/admin/users/{world.teacher.id}/unlock-login").status_code == 400
    assert db.session.query(AuditLog).filter_by(action="login_unlocked").count() == 0


def test_the_lock_page_says_when_it_ends(throttled):
    app = throttled(LOGIN_RATE_LIMIT="2 per 15 minutes")
    client = browser(app)
    for _ in range(2):
        attempt(client, "teacher")
    response = client.post("/login", data={"username": "teacher", "password": PASSWORD})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    found = re.search(r"Hãy thử lại sau (\d\d:\d\d) \(khoảng (\d+) phút nữa\)", page)
    assert found, page
    assert 14 <= int(found.group(2)) <= 15
    assert 800 <= int(response.headers["Retry-After"]) <= 900
    assert "quản trị viên" in page
    client.post("/lang/en", data={"next": "/login"})
    english = client.post("/login", data={"username": "teacher", "password": PASSWORD}).get_data(as_text=True)
    assert re.search(r"Try again after \d\d:\d\d \(in about \d+ minutes\)", english), english


def test_addresses_inside_one_ipv6_network_are_one_address(throttled):
    app = throttled(LOGIN_ADDRESS_RATE_LIMIT="3 per 15 minutes")
    for n in range(3):
        assert attempt(browser(app, f"2001:db8:1:2::{n + 1:x}"), f"staff{n}") == 401
    assert attempt(browser(app, "2001:db8:1:2:ffff::9"), "staff9") == 429
    assert attempt(browser(app, "2001:db8:1:3::1"), "staff9") == 401  # another /64


def test_the_limits_come_from_the_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("LOGIN_RATE_LIMIT", "5 per 10 minutes")
    monkeypatch.setenv("LOGIN_ACCOUNT_RATE_LIMIT", "20 per hour; 50 per day")
    monkeypatch.setenv("LOGIN_ADDRESS_RATE_LIMIT", "40 per 15 minutes")
    try:
        reloaded = importlib.reload(config).Config
        assert (reloaded.LOGIN_RATE_LIMIT, reloaded.LOGIN_ACCOUNT_RATE_LIMIT, reloaded.LOGIN_ADDRESS_RATE_LIMIT) == (
            "5 per 10 minutes", "20 per hour; 50 per day", "40 per 15 minutes")
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_a_setting_may_hold_several_limits(throttled):
    app = throttled(LOGIN_RATE_LIMIT="10 per minute; 2 per hour")
    client = browser(app)
    assert [attempt(client, "teacher") for _ in range(3)] == [401, 401, 429]


def test_the_lock_page_names_the_latest_end_of_the_full_counters(throttled):
    app = throttled(LOGIN_RATE_LIMIT="2 per 15 minutes", LOGIN_ACCOUNT_RATE_LIMIT="2 per hour")
    client = browser(app)
    for _ in range(2):
        attempt(client, "teacher")  # both counters are full now; the account's opens last
    response = client.post("/login", data={"username": "teacher", "password": PASSWORD})
    assert response.status_code == 429
    assert 3500 <= int(response.headers["Retry-After"]) <= 3600


# --- the same work for every username ---------------------------------------------------------------

def test_known_and_unknown_usernames_cost_one_password_hash_each(app, world, db, monkeypatch):
    world.teacher.set_password(PASSWORD)  # the app's own algorithm and cost (the factories use a cheap one)
    ghost_hashless = User(school_id=world.school.id, username="nohash", full_name="Không Mật Khẩu")
    db.session.add(ghost_hashless)
    world.union.set_password(PASSWORD)
    world.union.active = False
    db.session.commit()
    services._unknown_account_hash()  # made once per process, before the count
    calls = []
    real = werkzeug.security._hash_internal

    def counting(method, salt, password):
        calls.append(method)
        return real(method, salt, password)

    monkeypatch.setattr(werkzeug.security, "_hash_internal", counting)
    cases = {"known, wrong password": ("teacher", WRONG), "known, right password": ("teacher", PASSWORD),
             "unknown": ("ghost", WRONG), "deactivated": ("union", PASSWORD), "no password set": ("nohash", WRONG)}
    counted = {}
    for case, (username, password) in cases.items():
        calls.clear()
        app.test_client().post("/login", data={"username": username, "password": password})
        counted[case] = list(calls)
    # One check each, of the same algorithm and cost: the dummy hash is made like an account's.
    assert counted == dict.fromkeys(cases, [world.teacher.password_hash.split("$")[0]])


# --- the limiter's storage unreachable ----------------------------------------------------------------

def test_with_redis_down_the_login_is_still_throttled_not_broken(throttled, caplog):
    app = throttled(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6390", LOGIN_RATE_LIMIT="3 per 15 minutes")
    client = browser(app)
    assert attempt(client, "leader", PASSWORD) == 302  # a login works
    for _ in range(3):
        assert attempt(browser(app), "teacher") == 401
    assert attempt(browser(app), "teacher") == 429  # and is still throttled (in this process's memory)
    assert attempt(browser(app), "teacher", PASSWORD) == 429
    assert attempt(browser(app, HOME), "teacher", PASSWORD) == 302
    assert "storage is unreachable" in caplog.text


# --- redirect targets ---------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/roster/classes", "/roster/classes?q=%C4%90%E1%BB%97&page=2", "/roster/students/3#notes", "/login?",
    "/roster?q=Đỗ",
])
def test_same_site_paths_are_followed(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example/", "//evil.example/x", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "/x\r\nSet-Cookie: a=b", "/x\nLocation: //evil", "/x\x00", "/x\u2028y", "/x\u200by",
    "javascript:alert(1)", "evil.example/x", "roster", "/" + "a" * 3000, "/x\x7f",
])
def test_other_targets_are_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/home\r\nSet-Cookie: a=b", "/x\n", "//evil.example", "/\\evil.example"])
def test_hostile_next_after_login_goes_home(app, world, target):
    response = app.test_client().post("/login", data={"username": "leader", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/home\r\nSet-Cookie: a=b", "/x\r", "//evil.example", "/\\evil.example"])
def test_hostile_next_of_the_language_switch_goes_home(client, target):
    response = client.post("/lang/en", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def _login_form_next(page: str) -> str:
    return re.search(r'<input id="next" name="next" type="hidden" value="([^"]*)"', page).group(1)


def test_the_login_form_carries_no_hostile_next(client):
    assert _login_form_next(client.get("/login?next=//evil.example/x").get_data(as_text=True)) == ""
    assert _login_form_next(client.get("/login?next=/x%0D%0ASet-Cookie:a").get_data(as_text=True)) == ""
    assert _login_form_next(client.get("/login?next=/roster/classes").get_data(as_text=True)) == "/roster/classes"


@pytest.mark.parametrize(("referrer", "expected"), [
    ("http://localhost/roster/classes?q=a", "/roster/classes?q=a"),
    ("http://evil.example/roster/classes", "/"),
    ("http://localhost//evil.example/x", "/"),
    ("http://localhost/x\\y", "/"),
    (None, "/"),
])
def test_the_year_switcher_goes_back_only_to_a_page_of_this_site(leader_client, world, referrer, expected):
    headers = {"Referer": referrer} if referrer else {}
    response = leader_client.post("/year", data={"year_id": world.year.id}, headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


# --- the throttle's parts, one by one (issue 19: each mutant of auth/throttle.py has a test that sees it) ---

def test_with_throttling_off_nothing_is_counted_or_remembered(app, world):
    """RATELIMIT_ENABLED off (the test configuration): no attempt is refused, no browser remembered."""
    assert app.config["RATELIMIT_ENABLED"] is False
    client = browser(app)
    assert [attempt(client, "teacher") for _ in range(12)] == [401] * 12
    response = client.post("/login", data={"username": "teacher", "password": PASSWORD})
    assert response.status_code == 302
    assert "login_device" not in response.headers.get("Set-Cookie", "")


def _device_cookie_of(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("login_device="))


def test_the_device_cookie_names_no_account_and_is_kept_to_the_login_page(throttled):
    """The cookie a login leaves: signed, for /login only, HttpOnly, SameSite=Lax, Secure when sessions are,
    kept LOGIN_DEVICE_DAYS; it holds a random device id (128 bits or more) and, per account, an HMAC of
    device and account under the app's secret key (24 hex digits), never the username."""
    import hashlib
    import hmac

    from itsdangerous import URLSafeTimedSerializer

    app = throttled(SESSION_COOKIE_SECURE=True)
    response = browser(app).post("/login", data={"username": "teacher", "password": PASSWORD})
    assert response.status_code == 302
    header = _device_cookie_of(response)
    attributes = {part.split("=")[0].strip().lower(): part.partition("=")[2] for part in header.split(";")[1:]}
    assert attributes == {"expires": attributes["expires"], "max-age": str(app.config["LOGIN_DEVICE_DAYS"] * 86400),
                          "secure": "", "httponly": "", "path": "/login", "samesite": "Lax"}
    value = header.split(";")[0].partition("=")[2]
    assert "teacher" not in value
    data = URLSafeTimedSerializer(app.secret_key, salt="login-device").loads(value)
    tag = hmac.new(app.secret_key.encode(), f"{data['d']}:teacher".encode(), hashlib.sha256).hexdigest()[:24]
    assert data == {"d": data["d"], "a": [tag]} and re.fullmatch(r"[0-9a-f]{32,}", data["d"])
    plain = throttled(SESSION_COOKIE_SECURE=False)
    assert "Secure" not in _device_cookie_of(
        browser(plain).post("/login", data={"username": "teacher", "password": PASSWORD}))


def _signed(app, data, age: int = 0) -> str:
    """A device cookie as the app signs it, `age` seconds old."""
    import time

    from itsdangerous import URLSafeTimedSerializer
    from itsdangerous.timed import TimestampSigner

    serializer = URLSafeTimedSerializer(app.secret_key, salt="login-device")
    real = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(time.time()) - age
    try:
        return serializer.dumps(data)
    finally:
        TimestampSigner.get_timestamp = real


def _known(app, cookie: str | None, identity: str = "teacher"):
    from sponsor_app.auth import throttle

    headers = {"Cookie": f"login_device={cookie}"} if cookie is not None else {}
    with app.test_request_context("/login", method="POST", headers=headers):
        return throttle._known_device(identity)


def _tagged(app, device: str, *identities: str) -> dict:
    from sponsor_app.auth import throttle

    with app.test_request_context("/login"):
        return {"d": device, "a": [throttle._tag(device, identity) for identity in identities]}


def test_a_device_cookie_is_read_only_when_signed_fresh_well_formed_and_short(throttled):
    app = throttled()
    days = app.config["LOGIN_DEVICE_DAYS"] * 86400
    good = _tagged(app, "dev-1", "leader", "teacher")
    assert _known(app, _signed(app, good)) == "dev-1"
    assert _known(app, _signed(app, good), "leader") == "dev-1"
    assert _known(app, _signed(app, good), "depthead") is None  # known for other accounts only
    assert _known(app, None) is None and _known(app, "") is None
    assert _known(app, _signed(app, good, age=days - 60)) == "dev-1"  # kept LOGIN_DEVICE_DAYS ...
    assert _known(app, _signed(app, good, age=days + 60)) is None  # ... and no longer
    assert _known(app, _signed(app, good)[:-2] + "xx") is None  # the signature
    other_key = throttled(SECRET_KEY="another-key-of-another-deployment")
    assert _known(app, _signed(other_key, _tagged(app, "dev-1", "teacher"))) is None
    for malformed in (["dev-1"], {"d": 5, "a": good["a"]}, {"d": "dev-1", "a": "".join(good["a"])},
                      {"a": good["a"]}, {"d": "dev-1"}):
        assert _known(app, _signed(app, malformed)) is None, malformed
    # at most 1000 characters are read (a long cookie is not even checked)
    import hashlib

    def padded(target: int) -> str:
        for n in range(3000):
            for extra in ("", "x", "xx", "xxx"):
                noise = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(n // 64 + 1))[:n]
                cookie = _signed(app, {**good, "p": noise, "q": extra})
                if len(cookie) == target:
                    return cookie
        raise AssertionError(f"no signed cookie of {target} characters")

    assert _known(app, padded(1000)) == "dev-1"
    assert _known(app, padded(1002)) is None


def test_one_browser_is_remembered_for_several_accounts(throttled):
    """A shared staff-room PC: logging in to a second account keeps the first one known."""
    app = throttled(LOGIN_RATE_LIMIT="2 per 15 minutes")
    pc = browser(app)
    for username in ("teacher", "leader"):
        assert attempt(pc, username, PASSWORD) == 302
        pc.post("/logout")
    pupil = browser(app)
    assert [attempt(pupil, "teacher") for _ in range(3)] == [401, 401, 429]
    assert attempt(pc, "teacher", PASSWORD) == 302  # still known for the first account


@pytest.mark.parametrize(("remote", "counted"), [
    ("203.0.113.7", "203.0.113.7"),
    ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 address seen through an IPv6 socket is that address
    ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
    ("unix:" + "x" * 95 + "y" * 50, "unix:" + "x" * 95),  # not an address: its first 100 characters
    ("", ""),
])
def test_the_address_counted(throttled, remote, counted):
    from sponsor_app.auth import throttle

    app = throttled()
    with app.test_request_context("/login", environ_base={"REMOTE_ADDR": remote}):
        assert throttle._address() == counted


def test_an_ipv4_address_and_its_ipv6_mapped_form_share_a_counter(throttled):
    app = throttled(LOGIN_ADDRESS_RATE_LIMIT="2 per 15 minutes")
    assert attempt(browser(app, "::ffff:203.0.113.7"), "staff1") == 401
    assert attempt(browser(app, "203.0.113.7"), "staff2") == 401
    assert attempt(browser(app, "::ffff:203.0.113.7"), "staff3") == 429
    assert attempt(browser(app, "::ffff:198.51.100.20"), "staff3") == 401


def test_a_successful_login_uncounts_only_itself_and_a_refused_one_nothing(throttled):
    app = throttled(LOGIN_RATE_LIMIT="3 per 15 minutes")
    first = browser(app)
    assert [attempt(first, "teacher") for _ in range(2)] == [401, 401]
    assert attempt(first, "teacher", PASSWORD) == 302  # counted, then given back: 2 failures remain
    later = browser(app)  # another browser at the same address (the first one is now a known device)
    assert [attempt(later, "teacher") for _ in range(4)] == [401, 429, 429, 429]


def test_the_unlock_opens_the_device_counter_too(throttled):
    from sponsor_app.auth import throttle

    app = throttled(LOGIN_RATE_LIMIT="2 per 15 minutes")
    own = browser(app)
    assert attempt(own, "teacher", PASSWORD) == 302
    own.post("/logout")
    assert [attempt(own, "teacher") for _ in range(3)] == [401, 401, 429]  # a known browser has its own limit
    with app.test_request_context("/"):
        throttle.unlock("teacher")
    assert attempt(own, "teacher", PASSWORD) == 302


@pytest.mark.parametrize(("limits", "days"), [
    ({}, 30),  # the short default windows: the minimum
    ({"LOGIN_RATE_LIMIT": "5 per 90 days", "LOGIN_ACCOUNT_RATE_LIMIT": "100 per 60 days"}, 180),
    ({"LOGIN_RATE_LIMIT": "5 per 20 days", "LOGIN_ACCOUNT_RATE_LIMIT": "100 per 40 days"}, 80),
])
def test_an_unlock_is_remembered_twice_as_long_as_the_longest_window(throttled, limits, days):
    """The unlock moves the account's counters to a new epoch: the epoch must outlive every counter, or
    the old, full counters would come back when it expires."""
    import time

    from sponsor_app.auth import throttle
    from sponsor_app.extensions import limiter

    app = throttled(**limits)
    with app.test_request_context("/"):
        throttle.unlock("teacher")
        expiry = limiter.storage.get_expiry(throttle._epoch_key("teacher"))
    assert abs(expiry - time.time() - days * 86400) < 60


def test_deployments_sharing_one_redis_keep_their_counters_apart(throttled):
    """RATELIMIT_KEY_PREFIX: another deployment (or school) on the same Redis has counters of its own."""
    _redis_or_skip()
    import redis

    prefixes = [f"sponsor-test-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    try:
        one, two = (throttled(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix,
                              LOGIN_RATE_LIMIT="2 per 15 minutes") for prefix in prefixes)
        assert [attempt(browser(one), "teacher") for _ in range(3)] == [401, 401, 429]
        assert attempt(browser(two), "teacher", PASSWORD) == 302
        keys = [key.decode() for prefix in prefixes for key in redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*")]
        assert keys and not any("teacher" in key for key in keys)  # usernames are digested
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for prefix in prefixes:
            for key in client.scan_iter(f"*{prefix}*"):
                client.delete(key)


def test_an_outage_is_logged_once_with_its_cause(throttled, caplog):
    """Redis unreachable: one error line for the operator, then memory for STORE_RETRY_SECONDS (not a
    new connection attempt, and a new line, on every login)."""
    import logging

    from sponsor_app.auth import throttle

    app = throttled(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6390")
    with caplog.at_level(logging.ERROR, logger=throttle.log.name):
        assert [attempt(browser(app), "teacher") for _ in range(3)] == [401, 401, 401]
    lines = [r.getMessage() for r in caplog.records if r.name == throttle.log.name]
    assert len(lines) == 1, lines
    # the cause: the error's class and its message, which names the address that could not be reached
    assert re.fullmatch(r"Login throttling: the limiter's storage is unreachable \(\w+Error: .*6390.*\); counting "
                        r"failed logins in this process's memory for 30 s", lines[0], re.DOTALL), lines[0]


def test_an_attempt_that_cannot_be_given_back_is_logged_not_raised(throttled, caplog):
    import logging

    from limits import parse as parse_limit
    from limits.errors import StorageError

    from sponsor_app.auth import throttle

    class Down:
        def hit(self, *args, **kwargs):
            raise StorageError(ConnectionError("down"))

    app = throttled()
    taken = [(parse_limit("1 per minute"), ("x",))]
    with app.test_request_context("/"), caplog.at_level(logging.ERROR, logger=throttle.log.name):
        throttle.give_back(throttle.Reservation(allowed=True, taken=list(taken), counter=Down()))
        throttle.give_back(throttle.Reservation(allowed=True, taken=list(taken), counter=None))  # nothing to do
    lines = [r.getMessage() for r in caplog.records if r.name == throttle.log.name]
    assert lines == ["Login throttling: could not give back an attempt (StorageError: down)"], lines


def test_a_counter_not_yet_full_does_not_delay_the_end(throttled):
    """Only the full counters say when the lock ends: the account's (3 per hour, 2 used) does not."""
    app = throttled(LOGIN_RATE_LIMIT="2 per 15 minutes", LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")
    client = browser(app)
    assert [attempt(client, "teacher") for _ in range(2)] == [401, 401]
    response = client.post("/login", data={"username": "teacher", "password": PASSWORD})
    assert response.status_code == 429
    assert 800 <= int(response.headers["Retry-After"]) <= 900


def test_a_refusal_whose_counters_emptied_meanwhile_still_answers(throttled, monkeypatch):
    """Between the refusal and the reading of its counters, another worker may give attempts back: with
    no counter full any more, the lock ends now (a 429 saying so), not a server error."""
    from limits.strategies import FixedWindowRateLimiter
    from limits.util import WindowStats

    app = throttled(LOGIN_RATE_LIMIT="2 per 15 minutes")
    client = browser(app)
    assert [attempt(client, "teacher") for _ in range(2)] == [401, 401]
    monkeypatch.setattr(FixedWindowRateLimiter, "get_window_stats",
                        lambda self, item, *key: WindowStats(reset_time=0.0, remaining=1))
    response = client.post("/login", data={"username": "teacher", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) <= 1
