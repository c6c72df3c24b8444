"""Login, logout, sessions that really end, password rules, throttling and security headers."""

import pytest

from sponsor_app import create_app
from sponsor_app.extensions import limiter
from sponsor_app.models import AuditLog, User
from tests.conftest import login
from tests.factories import PASSWORD


def test_login_page_is_vietnamese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in page and "Tên đăng nhập" in page and "Mật khẩu" in page


def test_wrong_password_is_refused_with_a_message_and_audited(client, world, db):
    response = client.post("/login", data={"username": "teacher", "password": "nope-nope"})
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.get_data(as_text=True)
    assert db.session.query(AuditLog).filter_by(action="login_failed").count() == 1


def test_unknown_user_gets_the_same_answer(client, world):
    response = client.post("/login", data={"username": "ghost", "password": "whatever1"})
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.get_data(as_text=True)


def test_username_is_case_insensitive_and_form_keeps_it(client, world):
    assert client.post("/login", data={"username": "Teacher ", "password": PASSWORD}).status_code == 302
    fresh = client.application.test_client()
    page = fresh.post("/login", data={"username": "teacher", "password": "bad-pass-1"}).get_data(as_text=True)
    assert 'value="teacher"' in page


def test_deactivated_user_cannot_log_in(client, world, db):
    world.teacher.active = False
    db.session.commit()
    assert client.post("/login", data={"username": "teacher", "password": PASSWORD}).status_code == 401


def test_replayed_cookie_after_logout_is_refused(app, world):
    client = login(app.test_client(), "homeroom")
    cookie = client.get_cookie("session").value
    assert client.get(f"/roster/students/{world.own_student.id}").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get(f"/roster/students/{world.own_student.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions_but_not_this_one(app, world, db):
    phone = login(app.test_client(), "teacher")
    laptop = login(app.test_client(), "teacher")
    response = laptop.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a-much-better-pass", "confirm": "a-much-better-pass"})
    assert response.status_code == 302
    assert laptop.get("/home/teacher").status_code == 200
    assert phone.get("/home/teacher").status_code == 302
    assert app.test_client().post("/login", data={"username": "teacher", "password": "a-much-better-pass"}
                                  ).status_code == 302


@pytest.mark.parametrize(("current", "new", "message"), [
    ("wrong-current", "a-much-better-pass", "Mật khẩu hiện tại không đúng"),
    (PASSWORD, "short", "ít nhất 8 ký tự"),
    (PASSWORD, "12345678", "quá dễ đoán"),
])
def test_password_change_rules(teacher_client, current, new, message):
    response = teacher_client.post("/account/password", data={
        "current_password": current, "new_password": new, "confirm": new})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_deactivation_ends_running_sessions(app, world, admin_client):
    teacher = login(app.test_client(), "teacher")
    assert admin_client.post(f"/admin/users/{world.teacher.id}/deactivate").status_code == 302
    assert teacher.get("/home/teacher").status_code == 302


def test_reset_password_gives_a_one_time_password_that_must_be_changed(app, world, admin_client):
    page = admin_client.post(f"/admin/users/{world.teacher.id}/reset-password").get_data(as_text=True)
    temp = page.split('id="temp-password">')[1].split("<")[0]
    assert len(temp) == 14
    client = app.test_client()
    response = client.post("/login", data={"username": "teacher", "password": temp})
    assert response.headers["Location"].endswith("/account/password")
    assert app.test_client().post("/login", data={"username": "teacher", "password": PASSWORD}).status_code == 401


def test_next_parameter_only_follows_local_paths(client, world):
    ok = client.post("/login", data={"username": "leader", "password": PASSWORD, "next": "/roster/classes"})
    assert ok.headers["Location"] == "/roster/classes"
    evil = client.application.test_client().post(
        "/login", data={"username": "leader", "password": PASSWORD, "next": "//evil.example/x"})
    assert "evil" not in evil.headers["Location"]


def test_logout_requires_post(teacher_client):
    assert teacher_client.get("/logout").status_code == 405


def test_failed_logins_are_throttled(db_url, world, tmp_path, app):
    throttled = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                       "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per 15 minutes"})
    try:
        limiter.reset()
        client = throttled.test_client()
        for _ in range(3):
            assert client.post("/login", data={"username": "teacher", "password": "bad-pass-1"}).status_code == 401
        blocked = client.post("/login", data={"username": "teacher", "password": PASSWORD})
        assert blocked.status_code == 429
        assert "Đăng nhập sai quá nhiều lần" in blocked.get_data(as_text=True)
        # Another account from the same machine is not locked out by someone else's mistakes.
        assert client.post("/login", data={"username": "leader", "password": PASSWORD}).status_code == 302
    finally:
        limiter.reset()
        with throttled.app_context():
            from sponsor_app.extensions import db as _db

            _db.engine.dispose()


def test_successful_logins_are_not_counted(db_url, world, app):
    throttled = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                       "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per 15 minutes"})
    try:
        limiter.reset()
        for _ in range(4):
            assert throttled.test_client().post(
                "/login", data={"username": "teacher", "password": PASSWORD}).status_code == 302
    finally:
        limiter.reset()
        with throttled.app_context():
            from sponsor_app.extensions import db as _db

            _db.engine.dispose()


def test_security_headers(teacher_client):
    response = teacher_client.get("/home/teacher")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in response.get_data(as_text=True)


def test_session_cookie_flags(app, world):
    client = app.test_client()
    client.post("/login", data={"username": "teacher", "password": PASSWORD})
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_sets_secure_cookies():
    app = create_app("production", {"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_csrf_is_enforced_when_enabled(app, world):
    guarded = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                     "WTF_CSRF_ENABLED": True})
    try:
        response = guarded.test_client().post("/login", data={"username": "teacher", "password": PASSWORD})
        assert response.status_code == 400
        assert "thiếu mã bảo vệ" in response.get_data(as_text=True)
    finally:
        with guarded.app_context():
            from sponsor_app.extensions import db as _db

            _db.engine.dispose()


def test_healthz_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_english_can_be_chosen(teacher_client, db, world):
    teacher_client.post("/lang/en", data={"next": "/home/teacher"})
    page = teacher_client.get("/home/teacher").get_data(as_text=True)
    assert 'lang="en"' in page
    assert db.session.get(User, world.teacher.id).locale == "en"


def test_a_login_does_not_take_part_in_the_accounts_edit_lock(client, world, db):
    """The login stamps its time without bumping the account's version: an admin editing the account
    meanwhile is not told someone else changed it, and two logins cannot conflict."""
    version = world.teacher.version
    assert client.post("/login", data={"username": "teacher", "password": PASSWORD}).status_code == 302
    db.session.refresh(world.teacher)
    assert world.teacher.version == version and world.teacher.last_login_at is not None


def test_simultaneous_logins_to_one_account_all_succeed(app, world, db):
    """A teacher on the phone and on the staff-room PC at the same moment (found by make bench on
    PostgreSQL: the second login was a server error on the account's version)."""
    import threading

    db.session.commit()
    barrier, answers = threading.Barrier(6), []

    def log_in():
        barrier.wait()
        answers.append(app.test_client().post("/login", data={"username": "teacher", "password": PASSWORD})
                       .status_code)

    threads = [threading.Thread(target=log_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302] * 6
    assert db.session.query(AuditLog).filter_by(action="login", user_id=world.teacher.id).count() == 6
