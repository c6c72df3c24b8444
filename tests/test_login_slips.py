"""First logins for the whole staff (issue 21, item 1): one-time codes on printed slips, invitation e-mails.

The codes are stored only as hashes (nowhere in clear: not in any table, the audit or the logs), work
once, expire, and issuing again revokes the previous one; each issue is one audit row naming the
accounts. The slips page shows each person's name, username, code, expiry and a QR of the login URL,
once (no-store, and reloading it issues nothing). A code typed in the password field logs in and
leads to the password form, through the login's usual throttle. Invitation e-mails go through a real
local SMTP server; their link works once.
"""

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from sponsor_app import create_app
from sponsor_app.extensions import db as _db
from sponsor_app.logins import services as logins
from sponsor_app.models import AuditLog, LoginCode, LoginCodePurpose, Role, User
from sponsor_app.timeutil import format_date, utcnow
from tests import factories as f
from tests.conftest import IsolatedClient
from tests.test_reminders import Inbox, decoded, free_port

CODE = re.compile(r'<dd class="slip-code">([A-Z2-9]{4}-[A-Z2-9]{4})</dd>')
NEW_PASSWORD = "mat-khau-rieng-9"
LOGIN_ERROR = "Tên đăng nhập hoặc mật khẩu không đúng."


@pytest.fixture
def staff(world, db):
    """Three imported accounts without a password (one with an e-mail address) and a leaver."""
    world.school.address = "Số 1 đường Lê Lợi, xã Ea Lang"
    world.lan = f.make_user(world.school, Role.TEACHER, username="lanpt", full_name="Phạm Thị Lan")
    world.hung = f.make_user(world.school, Role.TEACHER, username="hungnv", full_name="Nguyễn Văn Hùng")
    world.mai = f.make_user(world.school, Role.TEACHER, username="maidk", full_name="Đỗ Kim Mai")
    world.gone = f.make_user(world.school, Role.TEACHER, username="gonetv", full_name="Trần Văn Đi", active=False)
    world.mai.email = "maidk@truong.test"
    for user in (world.lan, world.hung, world.mai, world.gone):
        user.password_hash = None
    db.session.commit()
    return world


def _batch(client) -> str:
    page = client.get("/admin/login-slips/").get_data(as_text=True)
    return re.search(r'name="batch" type="hidden" value="([^"]+)"', page).group(1)


def _issue(client, *users, delivery="slip", batch=None):
    ids = [str(getattr(u, "id", u)) for u in users]
    data = {"batch": batch or _batch(client), "user_ids": ids, "delivery": delivery}
    return client.post("/admin/login-slips/", data=data)


def _codes(response) -> list[str]:
    return CODE.findall(response.get_data(as_text=True))


def _login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def _everything_stored(db) -> str:
    """Every row of every table, as text: what a copy of the database would show."""
    return "\n".join(str(row) for table in db.metadata.sorted_tables
                     for row in db.session.execute(select(table)).all())


# --- the accounts page ----------------------------------------------------------------------------

def test_the_page_chooses_the_active_accounts_without_a_password(admin_client, staff):
    page = admin_client.get("/admin/login-slips/").get_data(as_text=True)
    for user in (staff.lan, staff.hung, staff.mai):
        assert re.search(rf'value="{user.id}" id="u{user.id}" checked', page)
    assert f'value="{staff.teacher.id}" id="u{staff.teacher.id}" >' in page  # has a password: listed, not chosen
    assert "Trần Văn Đi" not in page  # deactivated
    assert staff.other_school_user.username not in page
    assert "Gửi thư mời qua e-mail" not in page  # no e-mail configured
    everyone = admin_client.get("/admin/login-slips/?select=all").get_data(as_text=True)
    assert f'value="{staff.teacher.id}" id="u{staff.teacher.id}" checked' in everyone


def test_only_admins_issue(client_for, staff, app, db):
    for role in ("leader", "depthead", "union", "teacher", "homeroom"):
        client = client_for(role)
        assert client.get("/admin/login-slips/").status_code == 403
        assert client.post("/admin/login-slips/", data={"user_ids": [str(staff.lan.id)], "batch": "x"}).status_code == 403
    response = app.test_client().get("/admin/login-slips/")  # anonymous: sent to the login
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(select(LoginCode.id)) is None


def test_another_schools_account_cannot_be_chosen(admin_client, staff, db):
    response = _issue(admin_client, staff.lan, staff.other_school_user)
    assert response.status_code == 400
    assert "Có tài khoản không còn trong danh sách" in response.get_data(as_text=True)
    assert db.session.scalar(select(LoginCode.id)) is None


def test_nobody_chosen_is_a_clear_message_and_nothing_issued(admin_client, staff, db):
    response = _issue(admin_client)
    assert response.status_code == 400
    assert "Hãy chọn ít nhất một tài khoản." in response.get_data(as_text=True)
    assert db.session.scalar(select(LoginCode.id)) is None


# --- the slips --------------------------------------------------------------------------------------

def test_the_slips_show_each_person_once_with_a_qr_code(admin_client, staff, app):
    app.config["PUBLIC_URL"] = "https://dodau.truong.test/"
    response = _issue(admin_client, staff.lan, staff.hung, staff.mai)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    codes = _codes(response)
    assert len(codes) == 3 and len(set(codes)) == 3
    assert all(set(c.replace("-", "")) <= set(logins.CODE_ALPHABET) for c in codes)
    for user in (staff.lan, staff.hung, staff.mai):
        assert user.full_name in page and f'<dd class="slip-username">{user.username}</dd>' in page
    assert page.count(staff.school.name) >= 3 and page.count("Số 1 đường Lê Lợi, xã Ea Lang") == 3
    expires = format_date(utcnow() + timedelta(days=14))
    assert page.count(f"đến hết {expires}") == 3
    assert page.count('<svg viewBox=') == 3 and page.count('class="slip-qr"') == 3
    assert page.count("https://dodau.truong.test/login</div>") == 3  # the login URL (the QR's title too)
    assert page.count("<title>https://dodau.truong.test/login</title>") == 3
    assert 'class="slip-page"' in page and "css/slips.css" in page
    assert " style=" not in page and "<style" not in page  # the CSP allows no inline style
    assert "<script>" not in page


def test_the_login_url_is_the_schools_address_when_public_url_is_left_at_this_machine(staff, app):
    assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5000"  # the default
    lan, here = "http://192.168.1.10:5000", "http://127.0.0.1:5000"
    for base in (lan, here):
        admin = app.test_client()
        assert admin.post("/login", data={"username": "admin", "password": f.PASSWORD}, base_url=base).status_code == 302
        page = admin.get("/admin/login-slips/", base_url=base).get_data(as_text=True)
        warned = "Địa chỉ in trên phiếu là http://127.0.0.1:5000/login: máy khác không mở được" in page
        assert warned == (base == here)
        batch = re.search(r'name="batch" type="hidden" value="([^"]+)"', page)[1]
        response = admin.post("/admin/login-slips/", data={"batch": batch, "user_ids": [str(staff.lan.id)]},
                              base_url=base)
        assert f"{base}/login</div>" in response.get_data(as_text=True)


def test_the_qr_code_is_the_login_url():
    svg = logins.qr_svg("https://dodau.truong.test/login")
    assert svg.startswith("<svg ") and 'class="slip-qr"' in svg and "style" not in svg
    assert "<title>https://dodau.truong.test/login</title>" in svg


def test_reloading_the_slips_issues_nothing_and_says_they_were_shown_once(admin_client, staff, app, db):
    batch = _batch(admin_client)
    first = _issue(admin_client, staff.lan, batch=batch)
    [code] = _codes(first)
    again = _issue(admin_client, staff.lan, batch=batch)  # the browser sends the form again
    assert again.status_code == 302
    page = admin_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Phiếu đăng nhập chỉ hiện một lần" in page
    assert db.session.scalar(select(LoginCode.id).where(LoginCode.revoked_at.is_not(None))) is None
    assert len(db.session.scalars(select(LoginCode)).all()) == 1
    assert _login(app.test_client(), "lanpt", code).status_code == 302  # the printed code still works


def test_codes_are_stored_only_as_hashes(admin_client, staff, db, caplog):
    caplog.set_level(logging.DEBUG)
    response = _issue(admin_client, staff.lan, staff.hung)
    codes = _codes(response)
    rows = db.session.scalars(select(LoginCode).order_by(LoginCode.id)).all()
    assert sorted(r.user_id for r in rows) == sorted([staff.lan.id, staff.hung.id])
    assert all(r.code_hash.startswith("pbkdf2:sha256:") for r in rows)
    stored = _everything_stored(db)
    for code in codes:
        for form in (code, code.replace("-", ""), code.lower()):
            assert form not in stored
            assert form not in caplog.text


def test_each_issue_is_one_audit_row_naming_the_accounts(admin_client, staff, db):
    codes = _codes(_issue(admin_client, staff.lan, staff.hung))
    _issue(admin_client, staff.hung)
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "login_slips_issued")
                              .order_by(AuditLog.id)).all()
    assert [r.details["accounts"] for r in rows] == [["hungnv", "lanpt"], ["hungnv"]]
    assert all(r.user_id == staff.admin.id and r.school_id == staff.school.id for r in rows)
    assert rows[0].details["expires"] == format_date(utcnow() + timedelta(days=14))
    assert not any(c.replace("-", "") in str(r.details) or c in str(r.details) for c in codes for r in rows)


def test_issuing_again_revokes_the_previous_code(admin_client, staff, client):
    [old] = _codes(_issue(admin_client, staff.lan))
    [new] = _codes(_issue(admin_client, staff.lan))
    assert old != new
    response = _login(client, "lanpt", old)
    assert response.status_code == 401 and LOGIN_ERROR in response.get_data(as_text=True)
    assert _login(client, "lanpt", new).status_code == 302


# --- logging in with a code -----------------------------------------------------------------------

def test_a_code_logs_in_once_and_leads_to_setting_a_password(admin_client, staff, app, db):
    [code] = _codes(_issue(admin_client, staff.lan))
    person = app.test_client()
    response = _login(person, "LanPT ", code.lower().replace("-", " "))  # typed loosely
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    form = person.get("/account/password").get_data(as_text=True)
    assert 'name="current_password"' not in form and 'name="new_password"' in form
    assert person.post("/account/password", data={"new_password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD}).status_code == 302
    lan = db.session.get(User, staff.lan.id)
    assert lan.check_password(NEW_PASSWORD) and not lan.must_change_password
    used = db.session.scalar(select(LoginCode).where(LoginCode.user_id == lan.id))
    assert used.used_at is not None
    login_row = db.session.scalars(select(AuditLog).where(AuditLog.action == "login", AuditLog.user_id == lan.id)).one()
    assert login_row.details == {"via": "slip_code"}
    # the code worked once; the new password works; the password form asks for it again
    second = app.test_client()
    assert _login(second, "lanpt", code).status_code == 401
    assert _login(second, "lanpt", NEW_PASSWORD).status_code == 302
    assert 'name="current_password"' in second.get("/account/password").get_data(as_text=True)


def test_a_code_is_refused_once_expired(admin_client, staff, client, monkeypatch):
    [code] = _codes(_issue(admin_client, staff.lan))
    later = utcnow()
    monkeypatch.setattr(logins, "utcnow", lambda: later + timedelta(days=14, minutes=1))
    response = _login(client, "lanpt", code)
    assert response.status_code == 401 and LOGIN_ERROR in response.get_data(as_text=True)
    monkeypatch.setattr(logins, "utcnow", lambda: later + timedelta(days=13, hours=23))
    assert _login(client, "lanpt", code).status_code == 302


def test_the_expiry_is_configurable(admin_client, staff, app, client, monkeypatch):
    app.config["LOGIN_CODE_DAYS"] = 3
    response = _issue(admin_client, staff.lan)
    assert f"đến hết {format_date(utcnow() + timedelta(days=3))}" in response.get_data(as_text=True)
    [code] = _codes(response)
    later = utcnow()
    monkeypatch.setattr(logins, "utcnow", lambda: later + timedelta(days=3, minutes=1))
    assert _login(client, "lanpt", code).status_code == 401


def test_a_deactivated_accounts_code_is_refused(admin_client, staff, client, db):
    [code] = _codes(_issue(admin_client, staff.lan))
    db.session.get(User, staff.lan.id).active = False
    db.session.commit()
    assert _login(client, "lanpt", code).status_code == 401


def test_a_code_is_not_another_accounts_password(admin_client, staff, client):
    [code] = _codes(_issue(admin_client, staff.lan))
    assert _login(client, "hungnv", code).status_code == 401
    assert _login(client, "teacher", code).status_code == 401


def test_an_account_with_a_password_still_logs_in_with_it_and_with_the_code(admin_client, staff, app):
    [code] = _codes(_issue(admin_client, staff.teacher))
    assert _login(app.test_client(), "teacher", f.PASSWORD).status_code == 302
    response = _login(app.test_client(), "teacher", code)
    assert response.headers["Location"].endswith("/account/password")


def test_the_throttle_counts_wrong_codes(app, staff, db):
    lan_id = staff.lan.id
    db.session.commit()
    throttled = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                       "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                                       "LOGIN_RATE_LIMIT": "3 per 15 minutes"})
    throttled.test_client_class = IsolatedClient
    try:
        with throttled.app_context():
            admin = throttled.test_client()
            assert _login(admin, "admin", f.PASSWORD).status_code == 302
            [code] = _codes(_issue(admin, lan_id))
            person = throttled.test_client()
            # a right code does not count (given back like a right password)
            assert _login(person, "lanpt", code).status_code == 302
            [code] = _codes(_issue(admin, lan_id))
            guesser = throttled.test_client()
            for _ in range(3):
                assert _login(guesser, "lanpt", "ABCD-EFGH").status_code == 401
            assert _login(guesser, "lanpt", code).status_code == 429  # locked: even the right code waits
            assert db.session.scalar(select(LoginCode.used_at).where(LoginCode.user_id == lan_id)
                                     .order_by(LoginCode.id.desc()).limit(1)) is None
            assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "login_failed")).all()) == 3
    finally:
        with throttled.app_context():
            _db.engine.dispose()


def test_setting_a_password_revokes_a_code_not_used(admin_client, staff, app, db):
    [code] = _codes(_issue(admin_client, staff.teacher))
    teacher = app.test_client()
    assert _login(teacher, "teacher", f.PASSWORD).status_code == 302
    assert teacher.post("/account/password", data={"current_password": f.PASSWORD, "new_password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD}).status_code == 302
    assert _login(app.test_client(), "teacher", code).status_code == 401


# --- invitation e-mails -----------------------------------------------------------------------------

@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1 the app sends through (as the reminder tests)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="dodau@truong.test",
                      PUBLIC_URL="https://dodau.truong.test/")
    yield inbox
    controller.stop()


def _invite_link(inbox) -> str:
    [(recipients, content)] = inbox.messages
    text = decoded(content)
    return re.search(r"https://dodau\.truong\.test(/login/invite/\S+)", text).group(1)


def test_an_invitation_link_logs_in_once(admin_client, staff, smtp, app, db, caplog):
    caplog.set_level(logging.DEBUG)
    page = admin_client.get("/admin/login-slips/").get_data(as_text=True)
    assert "Gửi thư mời qua e-mail" in page
    response = _issue(admin_client, staff.mai, staff.lan, delivery="email")
    assert response.status_code == 302
    after = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã gửi thư mời cho 1 người." in after
    assert "Chưa có địa chỉ e-mail, hãy in phiếu cho: Phạm Thị Lan (lanpt)" in after
    [(recipients, content)] = smtp.messages
    assert recipients == ["maidk@truong.test"]
    text = decoded(content)
    assert "Đỗ Kim Mai" in text and "maidk" in text and format_date(utcnow() + timedelta(days=14)) in text
    link = _invite_link(smtp)
    token = link.rsplit("/", 1)[1]
    # stored as a hash only, audited by username
    [row] = db.session.scalars(select(LoginCode)).all()
    assert row.purpose == LoginCodePurpose.EMAIL and row.user_id == staff.mai.id
    secret = token.partition(".")[2]
    assert secret not in _everything_stored(db) and secret not in caplog.text
    [audit] = db.session.scalars(select(AuditLog).where(AuditLog.action == "login_invitations_sent")).all()
    assert audit.details["sent"] == ["maidk"] and audit.details["no_email"] == ["lanpt"]
    # the link: a page first (a mail scanner's GET uses nothing), then the button logs in
    person = app.test_client()
    shown = person.get(link)
    assert shown.status_code == 200 and "Đỗ Kim Mai" in shown.get_data(as_text=True)
    assert person.get(link).status_code == 200
    response = person.post(link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    assert person.post("/account/password", data={"new_password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD}).status_code == 302
    assert db.session.get(User, staff.mai.id).check_password(NEW_PASSWORD)
    # once only
    other = app.test_client()
    again = other.get(link)
    assert again.status_code == 410 and "đã được dùng" in again.get_data(as_text=True)
    assert other.post(link).status_code == 410
    assert other.get("/account/password").status_code == 302  # not logged in
    # the link is not a slip code
    assert _login(app.test_client(), "maidk", token).status_code == 401


def test_an_invitation_link_expires_and_a_new_one_replaces_it(admin_client, staff, smtp, app, monkeypatch):
    _issue(admin_client, staff.mai, delivery="email")
    link = _invite_link(smtp)
    later = utcnow()
    monkeypatch.setattr(logins, "utcnow", lambda: later + timedelta(days=15))
    expired = app.test_client().get(link)
    assert expired.status_code == 410 and "đã hết hạn ngày" in expired.get_data(as_text=True)
    monkeypatch.undo()
    smtp.messages.clear()
    _issue(admin_client, staff.mai, delivery="email")
    replaced = app.test_client().get(link)
    assert replaced.status_code == 410 and "mới hơn" in replaced.get_data(as_text=True)
    assert app.test_client().post(_invite_link(smtp)).status_code == 302


def test_a_forged_invitation_link_is_refused(staff, smtp, admin_client, app):
    _issue(admin_client, staff.mai, delivery="email")
    number = _invite_link(smtp).rsplit("/", 1)[1].partition(".")[0]
    for token in (f"{number}.forged", "1", "x.y", f"{number}."):
        response = app.test_client().get(f"/login/invite/{token}")
        assert response.status_code == 404 and "Liên kết mời không đúng" in response.get_data(as_text=True)


def test_an_invitation_that_could_not_be_sent_keeps_the_previous_code(admin_client, staff, smtp, app, db):
    [code] = _codes(_issue(admin_client, staff.mai))
    smtp.refuse.add("maidk@truong.test")
    response = _issue(admin_client, staff.mai, delivery="email")
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Máy chủ thư không gửi được cho: Đỗ Kim Mai (maidk)" in page
    assert db.session.scalars(select(LoginCode)).all()[-1].purpose == LoginCodePurpose.SLIP
    assert _login(app.test_client(), "maidk", code).status_code == 302


def test_the_setup_checklist_leads_to_the_slips_and_counts_a_slip_as_a_way_in(admin_client, staff):
    def staff_step():
        page = admin_client.get("/home/admin").get_data(as_text=True)
        return next(item for item in page.split("<li") if "Tài khoản cán bộ, giáo viên" in item)

    step = staff_step()
    assert 'href="/admin/login-slips/"' in step and "cần làm" in step
    assert "Phạm Thị Lan" in step and "Đỗ Kim Mai" in step
    _issue(admin_client, staff.lan, staff.hung)
    step = staff_step()
    assert "Phạm Thị Lan" not in step and "Nguyễn Văn Hùng" not in step and "Đỗ Kim Mai" in step
    _issue(admin_client, staff.mai)
    step = staff_step()
    assert "xong" in step and 'href="/admin/users"' in step


def test_an_invitation_is_not_used_by_a_forged_post(admin_client, staff, smtp, guarded, db):
    _issue(admin_client, staff.mai, delivery="email")
    link = _invite_link(smtp)
    with guarded.app_context():
        response = guarded.test_client().post(link)  # no CSRF token: another site's form
    assert response.status_code == 400  # refused by the app's CSRF protection before the route
    assert db.session.scalar(select(LoginCode.used_at)) is None


def test_a_reset_password_or_a_deactivation_revokes_a_waiting_code(admin_client, staff, client, db):
    """A slip must not outlive what the admin did since: a new temporary password replaces the code, and
    an account deactivated then reactivated before the expiry does not open with the old slip."""
    [lan_code, hung_code] = _codes(_issue(admin_client, staff.lan, staff.hung))
    assert admin_client.post(f"/admin/users/{staff.lan.id}/reset-password").status_code in (200, 302)
    assert admin_client.post(f"/admin/users/{staff.hung.id}/deactivate").status_code == 302
    assert admin_client.post(f"/admin/users/{staff.hung.id}/reactivate").status_code == 302
    for username, code in (("lanpt", lan_code), ("hungnv", hung_code)):
        response = _login(client, username, code)
        assert response.status_code == 401 and LOGIN_ERROR in response.get_data(as_text=True), username
    assert db.session.scalar(select(LoginCode).where(LoginCode.user_id == staff.hung.id)).revoked_at is not None
