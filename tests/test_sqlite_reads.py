"""SQLite: a page view reads without SQLite's write lock, and takes it only for its audit row.

Write transactions begin with BEGIN IMMEDIATE (no lost updates, tests/test_concurrency.py). A GET
request begins a deferred transaction: the pages of a school keep serving while someone else writes
(WAL readers never wait), and an audited view ends its read snapshot before its audit row, so the
row is written even when others wrote meanwhile (upgrading the snapshot would fail at once).
PostgreSQL has no such lock: these tests are about SQLite only.
"""

import sqlite3
import threading
import time

import pytest
from flask import template_rendered
from sqlalchemy.engine import make_url

from sponsor_app.models import AuditLog, Holiday


@pytest.fixture
def sqlite_path(app):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL readers never take one")
    return url.database


def _writer(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def _add_holiday(conn: sqlite3.Connection, school_id: int, day: str) -> None:
    conn.execute("INSERT INTO holidays (school_id, day, name) VALUES (?, ?, 'Nghỉ bù')", (school_id, day))


def test_pages_are_served_while_someone_holds_the_write_lock(world, leader_client, sqlite_path, db):
    db.session.commit()
    writer = _writer(sqlite_path)
    writer.execute("BEGIN IMMEDIATE")  # a teacher's note being saved, say
    try:
        started = time.monotonic()
        # pages that name no student (an audited view waits for the lock for its row: the tests below)
        for path in ("/screening/summary", "/assignments/coverage", "/reports/", "/roster/classes"):
            response = leader_client.get(path)
            assert response.status_code == 200, path
        assert time.monotonic() - started < 5  # nobody waited for the 10 s busy timeout
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_an_audited_view_waits_for_the_lock_and_records_itself_once(world, leader_client, sqlite_path, db):
    school_id, student_id = world.school.id, world.own_student.id
    db.session.commit()  # the test's own session holds nothing while the writer works
    writer = _writer(sqlite_path)
    writer.execute("BEGIN IMMEDIATE")
    _add_holiday(writer, school_id, "2026-12-31")

    def commit_later():
        time.sleep(0.5)
        writer.execute("COMMIT")

    thread = threading.Thread(target=commit_later)
    thread.start()
    response = leader_client.get(f"/roster/students/{student_id}")
    thread.join()
    writer.close()
    assert response.status_code == 200
    assert db.session.query(AuditLog).filter_by(action="view_student", object_id=student_id).count() == 1
    assert db.session.query(Holiday).filter_by(school_id=school_id).count() == 1


def test_an_audited_view_records_itself_after_others_wrote_during_it(world, leader_client, app, sqlite_path, db):
    """Another connection commits between the page's reads and its audit row (when the template has
    been rendered): with the snapshot upgraded in place this was "database is locked" at once."""
    school_id, student_id = world.school.id, world.own_student.id
    writer = _writer(sqlite_path)
    written = []

    def write_meanwhile(_sender, **_extra):
        if not written:
            _add_holiday(writer, school_id, "2027-01-02")
            written.append(True)

    template_rendered.connect(write_meanwhile, app)
    try:
        response = leader_client.get(f"/roster/students/{student_id}")
    finally:
        template_rendered.disconnect(write_meanwhile, app)
        writer.close()
    assert written and response.status_code == 200
    assert db.session.query(AuditLog).filter_by(action="view_student", object_id=student_id).count() == 1
