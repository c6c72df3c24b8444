"""Audit (ASVS 16.2.1, 16.2.5): each sensitive view, export and change writes exactly one audit row,
and no password or student narrative reaches the application logs.

Which pages are sensitive is found, not listed: marker texts are stored in every narrative the
README calls sensitive (a student's health (disability) field, a screening's circumstances and conduct, a monthly note's text, a serious
concern's description), then every page of the permission matrix is opened by every role allowed
to open it; a page showing a marker, and every export (a path ending in .xlsx or /print), must
write exactly one audit row naming its user. Changes likewise: every state-changing request of the
matrix that changed a table other than the audit log wrote exactly one audit row, and one that
changed nothing wrote none (but a failed login, or one view row when a refused form shows the record
again). Routes added later are covered the same way.
"""

import io
import logging
import uuid

import pytest
import sqlalchemy as sa

from sponsor_app import create_app
from sponsor_app.extensions import db as _db
from sponsor_app.models import AuditLog, User
from tests import xlsx_builders as xb
from tests.conftest import IsolatedClient, login
from tests.factories import PASSWORD
from tests.figures import record
from tests.test_permissions import MATRIX, ROLES
from tests.test_security_csrf import table_digest

pytestmark = pytest.mark.reliability

MARK = "DAUVET"  # + a number: one marker per narrative
USERNAMES = {"leader": "leader", "depthead": "depthead", "union": "union", "teacher": "teacher",
             "homeroom": "homeroom", "admin": "admin"}
# Changes deliberately not audited, each with its reason.
NOT_AUDITED = {"auth.set_language": "the user's own interface language"}
# Requests that are audited without changing anything else.
# A failed login is recorded; an admin's unlock of a login changes the throttle's counters, which live
# outside the database (Redis, or the worker's memory).
AUDIT_ONLY = {"auth.login", "admin.user_unlock_login"}
LOGGERS = ("sponsor_app", "werkzeug", "flask_wtf", "flask_limiter", "flask_login")


def _mark_narratives(world) -> list[str]:
    marks = []

    def mark(obj, field):
        text = f"{MARK}{len(marks):03d}"
        setattr(obj, field, f"Nội dung riêng tư {text}")
        marks.append(text)

    for student in (world.own_student, world.other_student, world.mentee):
        mark(student, "disability")  # health data: sensitive (Decree 13/2023, art. 2)
    for screening in (world.own_screening, world.other_screening, world.mentee_screening):
        mark(screening, "circumstances_text")
        mark(screening, "conduct_text")
    for field in ("wellbeing", "concerns", "next_steps"):
        mark(world.note, field)
    mark(world.escalation, "description")
    _db.session.commit()
    return marks


def _audit_count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))


def _new_rows(since: int) -> list[AuditLog]:
    _db.session.expire_all()
    return list(_db.session.scalars(sa.select(AuditLog).where(AuditLog.id > since).order_by(AuditLog.id)))


def _last_id() -> int:
    return _db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditLog.id), 0)))


def _is_export(path: str) -> bool:
    return path.endswith(".xlsx") or path.endswith("/print")


def test_sensitive_views_and_exports_are_audited_exactly_once(app, mentoring, client_for, db_url):
    world = mentoring
    marks = _mark_narratives(world)
    adapter = app.url_map.bind("localhost")
    users = {role: _db.session.scalar(sa.select(User.id).where(User.username == name))
             for role, name in USERNAMES.items()}
    clients, sensitive, failures = {}, set(), []
    views = exports = 0
    for endpoint, method, url, expected, _data in MATRIX:
        if method != "GET":
            continue
        target = url(world)
        rule, _args = adapter.match(target.split("?")[0], method="GET", return_rule=True)
        for role in ROLES:
            if role == "anon" or expected[role] != 200:
                continue
            client = clients.get(role) or clients.setdefault(role, client_for(role))
            _db.session.commit()
            since = _last_id()
            response = client.get(target)
            rows = _new_rows(since)
            body = response.get_data(as_text=True) if "html" in response.content_type else ""
            shown = [m for m in marks if m in body]
            export = _is_export(target.split("?")[0])
            if not (shown or export):
                continue
            sensitive.add(rule.endpoint)
            views += not export
            exports += export
            ok = (len(rows) == 1 and rows[0].user_id == users[role] and rows[0].ip and rows[0].at
                  and rows[0].action)
            if not ok:
                failures.append(f"{role} GET {target} ({endpoint}; shows {len(shown)} narrative(s)): "
                                f"{len(rows)} audit rows {[r.action for r in rows]}")
    required = {"roster.student_detail", "screening.detail", "progress.note", "escalations.detail"}
    record(db_url, "audit_views",
           f"Audit: {views} sensitive page views (found by {len(marks)} narrative markers) and {exports} exports "
           f"over {len(sensitive)} routes, {views + exports - len(failures)} with exactly one audit row",
           views=views, exports=exports, routes=sorted(sensitive), failures=failures)
    assert not failures, "\n".join(failures)
    assert required <= sensitive, f"the markers did not show on {sorted(required - sensitive)}"


def test_each_change_writes_exactly_one_audit_row(app, mentoring, client_for, db_url):
    world = mentoring
    adapter = app.url_map.bind("localhost")
    changes = unchanged = 0
    failures = []
    clients = {}
    for endpoint, method, url, expected, data in MATRIX:
        if method == "GET" or endpoint in {"auth.logout"}:  # logout is checked below, last
            continue
        target = url(world)
        rule, _args = adapter.match(target.split("?")[0], method=method, return_rule=True)
        for role in ROLES:
            if expected[role] in (403, 404):
                continue
            if role == "anon":
                client = app.test_client()
            else:
                client = clients.get(role) or clients.setdefault(role, client_for(role))
            payload = data(world) if data else None
            _db.session.commit()
            before, since = table_digest(_db.engine), _last_id()
            client.open(target, method=method, data=payload)
            after, rows = table_digest(_db.engine), _new_rows(since)
            changed = sorted(t for t in before if before[t] != after[t] and t != "audit_log")
            if changed:
                changes += 1
                if rule.endpoint not in NOT_AUDITED and len(rows) != 1:
                    failures.append(f"{role} {method} {target}: changed {changed}, {len(rows)} audit rows "
                                    f"{[r.action for r in rows]}")
            else:
                unchanged += 1
                # a refused form shown again with the record on it is a view of it: one view row at most
                view = len(rows) == 1 and "view" in rows[0].action
                if rows and not view and rule.endpoint not in AUDIT_ONLY:
                    failures.append(f"{role} {method} {target}: changed nothing, {len(rows)} audit rows "
                                    f"{[r.action for r in rows]}")
    client = client_for("leader")
    since = _last_id()
    client.post("/logout")
    assert [r.action for r in _new_rows(since)] == ["logout"]
    record(db_url, "audit_changes",
           f"Audit: {changes} state-changing requests that changed data, "
           f"{changes - len(failures)} with exactly one audit row; {unchanged} that changed nothing wrote none "
           f"(but a failed login, or the view of a record shown again with a refused form); {len(NOT_AUDITED)} change deliberately not audited (interface language)",
           changes=changes, unchanged=unchanged, failures=failures, not_audited=sorted(NOT_AUDITED))
    assert changes >= 10  # the matrix does change things: the check was not vacuous
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("echo", [False, True], ids=["debug", "debug+SQLALCHEMY_ECHO"])
def test_no_password_or_narrative_in_the_logs(app, mentoring, caplog, echo):
    """A journey with every logger at DEBUG (the root, the app, Werkzeug, Flask-WTF, Flask-Limiter;
    SQLAlchemy as the app leaves it, or with SQL echo turned on): log in (a wrong password first),
    change the password, write a note with a marker narrative, meet a conflict, upload a damaged
    file (the app logs that), log out; neither a password nor the marker appears in any record."""
    from tests.test_notes import _form

    world = mentoring
    if echo:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                     "SQLALCHEMY_ECHO": True})
        app.test_client_class = IsolatedClient
        with app.app_context():
            _db.engine  # noqa: B018 — created now: echo adds a stdout handler, which is not the app's log
        _drop_echo_handlers()
    marker = f"Bí mật {uuid.uuid4().hex}"
    new_password = f"Mk-{uuid.uuid4().hex[:12]}"
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        world.main_assignment.started_on = world.year.start_date
        _db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": "teacher", "password": "sai-" + new_password})
        login(client, "teacher")
        client.post("/account/password", data={"current_password": PASSWORD, "new_password": new_password,
                                                "confirm": new_password})
        from sponsor_app.progress.calendar import month_start
        from sponsor_app.timeutil import local_today

        month = month_start(local_today()).strftime("%Y-%m")
        url = f"/progress/students/{world.mentee.id}/notes/{month}"
        response = client.post(url, data=_form(concerns=marker, wellbeing=marker, next_steps=marker,
                                               version=str(world.note.version)))
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
        assert marker in client.get(url).get_data(as_text=True)
        client.post(url, data=_form(concerns=marker, version="999"))  # a conflict
        client.post("/logout")
        admin = login(app.test_client(), "admin")
        damaged = xb.damaged_workbook()
        admin.post("/admin/import/?kind=students", data={
            "kind": "students", "year_id": world.year.id, "file": (io.BytesIO(damaged), marker + ".xlsx")},
            content_type="multipart/form-data")
    finally:
        for name in LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
        if echo:
            _drop_echo_handlers(reset_level=True)
            with app.app_context():
                _db.engine.dispose()
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    leaks = {name: value in text for name, value in
             {"password": new_password, "old password": PASSWORD, "narrative": marker}.items()}
    sql = sum(r.name.startswith("sqlalchemy") for r in caplog.records)
    record(app.config["SQLALCHEMY_DATABASE_URI"], "logs_echo" if echo else "logs",
           f"Logs at DEBUG{' with SQL echo' if echo else ''} during login, password change and a note: "
           f"{len(caplog.records)} records ({sql} of SQL), {sum(leaks.values())} containing a password or the "
           "narrative", records=len(caplog.records), sql_records=sql, leaks=leaks)
    assert any(r.name.startswith("sponsor_app") for r in caplog.records)  # the capture does see the app
    assert (sql > 50) if echo else (sql == 0)
    assert not any(leaks.values()), leaks


def _drop_echo_handlers(reset_level: bool = False) -> None:
    """SQL echo adds stdout handlers to SQLAlchemy's loggers: not the app's log, and noise after the test."""
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("sqlalchemy")]:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        if reset_level and name.startswith("sqlalchemy.engine.Engine"):
            logger.setLevel(logging.NOTSET)


def test_database_errors_do_not_carry_the_values(app, mentoring):
    """hide_parameters: an error's text (what a traceback in the error log shows) has no values."""
    marker = f"Bí mật {uuid.uuid4().hex}"
    with pytest.raises(sa.exc.IntegrityError) as err:
        with _db.engine.begin() as conn:
            conn.execute(sa.insert(AuditLog.__table__).values(action=None, details={"x": marker}))
    assert marker not in str(err.value) and "hidden" in str(err.value)
