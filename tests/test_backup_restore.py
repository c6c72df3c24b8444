"""Backups (ASVS 14 / Django's "set up backups right now"): a backup taken while notes are being
written, restored into a fresh database, is the source as it was at the backup point.

A writer thread adds supporting mentors' contributions to the month (the app's own service: the
row and its audit row in one transaction) without pause, before, during and after the backup.
The restored database must pass the integrity and foreign-key checks and hold, table by table,
the same rows (count and SHA-256 of every row) as the source at the backup point: the rows the
writer had committed by then (a prefix of its ids) and every other table unchanged — and no
half of a transaction (each contribution has its audit row). Then the app runs on the restored
copy. SQLite: `flask backup` and `flask restore`; PostgreSQL: pg_dump and pg_restore, as the
README documents (run this file with --db-url).
"""

import hashlib
import shutil
import subprocess
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.engine import make_url

from sponsor_app import create_app
from sponsor_app.extensions import db as _db
from sponsor_app.models import AuditLog, NoteContribution, Student, User
from sponsor_app.progress import notes
from tests.conftest import IN_CI, login
from tests.figures import record

pytestmark = pytest.mark.reliability

WRITTEN = {"note_contributions", "audit_log"}  # the tables the writer appends to
BULK_AUDIT_ROWS = 20_000  # about 10 MB: the backup takes long enough for writes to land during it


def table_sums(engine, upto: dict[str, int] | None = None) -> dict[str, tuple[int, str]]:
    """Per table: (row count, SHA-256 of its rows in primary-key order); rows of `upto`'s tables
    only up to that id (the source as it was at the backup point). A school's data version is left
    out: every write after the backup point increments it (by design, sponsor_app/pagecache.py)."""
    sums = {}
    with engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) != ("schools", "data_version")]
            stmt = sa.select(*columns).order_by(*table.primary_key.columns)
            if upto and table.name in upto:
                stmt = stmt.where(table.c.id <= upto[table.name])
            digest, count = hashlib.sha256(), 0
            for row in conn.execute(stmt):
                digest.update(repr(tuple(row)).encode())
                count += 1
            sums[table.name] = (count, digest.hexdigest())
    return sums


class Writer(threading.Thread):
    """Adds a contribution (and its audit row) per transaction until stopped; notes commit times."""

    def __init__(self, app, student_id: int, author_id: int, month):
        super().__init__(daemon=True)
        self.app, self.student_id, self.author_id, self.month = app, student_id, author_id, month
        self.stop, self.commits, self.error = threading.Event(), [], None

    def run(self):
        try:
            with self.app.app_context(), force_locale("vi"):
                student = _db.session.get(Student, self.student_id)
                author = _db.session.get(User, self.author_id)
                i = 0
                while not self.stop.is_set():
                    i += 1
                    notes.add_contribution(student, self.month, f"Ghi chép số {i}", by=author)
                    _db.session.commit()
                    self.commits.append(time.monotonic())
                    time.sleep(0.001)
                _db.session.remove()
        except Exception as err:  # the test fails with it
            self.error = err


def _bulk_history(world) -> None:
    """A realistic amount of history, so the copy takes a while."""
    _db.session.execute(sa.insert(AuditLog), [
        {"school_id": world.school.id, "user_id": world.leader.id, "action": "student_viewed",
         "object_type": "Student", "object_id": world.own_student.id, "ip": "10.0.0.1",
         "details": {"padding": "x" * 400, "n": n}} for n in range(BULK_AUDIT_ROWS)])
    _db.session.commit()


def _max_ids(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar()  # noqa: S608
                for t in sorted(WRITTEN)}


def _writes_pair_up(engine) -> bool:
    """Every contribution has its audit row and the other way round: no half transaction."""
    with engine.connect() as conn:
        contributions = conn.execute(sa.select(sa.func.count()).select_from(NoteContribution.__table__)).scalar()
        audited = conn.execute(sa.select(sa.func.count()).select_from(AuditLog.__table__).where(
            AuditLog.action == "note_contribution_added")).scalar()
    return contributions == audited


def _during(writer: Writer, started: float, ended: float) -> int:
    return sum(started <= t <= ended for t in writer.commits)


def _write_while(writer: Writer, take_backup):
    writer.start()
    while len(writer.commits) < 20 and writer.is_alive():
        time.sleep(0.01)
    started = time.monotonic()
    result = take_backup()
    ended = time.monotonic()
    time.sleep(0.1)
    writer.stop.set()
    writer.join(timeout=30)
    assert writer.error is None, writer.error
    return result, started, ended


def _check_restored(source_engine, restored_engine, db_url, tool: str, seconds: float, during: int,
                    checks: str = "integrity and foreign keys ok"):
    backup_point = _max_ids(restored_engine)
    expected = table_sums(source_engine, upto=backup_point)
    actual = table_sums(restored_engine)
    after = _max_ids(source_engine)
    assert _writes_pair_up(restored_engine)
    mismatched = sorted(t for t in expected if expected[t] != actual[t])
    assert not mismatched, mismatched
    assert after["note_contributions"] > backup_point["note_contributions"]  # writes went on after the backup
    rows = sum(c for c, _h in actual.values())
    record(db_url, "backup",
           f"Backup ({tool}) during writes: {during} transactions committed while it ran; restored "
           f"{len(actual)} tables, {rows} rows: {checks}, {len(actual) - len(mismatched)}/"
           f"{len(actual)} tables with the same row count and SHA-256 as the source at the backup point; "
           f"backup {seconds:.2f} s",
           tool=tool, tables=len(actual), rows=rows, mismatched=mismatched, writes_during=during,
           backup_seconds=round(seconds, 2))


def _smoke(url: str, student_id: int) -> None:
    """The app runs on the restored database: log in and read a student's record."""
    restored_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    try:
        client = login(restored_app.test_client(), "leader")
        assert client.get(f"/roster/students/{student_id}").status_code == 200
    finally:
        with restored_app.app_context():
            _db.engine.dispose()


def test_backup_during_writes_restores_the_backup_point(app, mentoring, runner, db_url, tmp_path):
    w = mentoring
    _bulk_history(w)
    writer = Writer(app, w.mentee.id, w.union.id, w.note_month)
    student_id = w.own_student.id
    if not db_url.startswith("sqlite"):
        _postgresql_round_trip(app, student_id, writer, db_url, tmp_path)
        return
    backup_file, restored = tmp_path / "backup.sqlite", tmp_path / "restored.sqlite"
    _db.session.close()
    result, started, ended = _write_while(writer, lambda: runner.invoke(args=["backup", str(backup_file)]))
    assert result.exit_code == 0, result.output
    assert "integrity and foreign-key checks: ok" in result.output
    during = _during(writer, started, ended)
    restored_out = runner.invoke(args=["restore", str(backup_file), "--to", str(restored)])
    assert restored_out.exit_code == 0, restored_out.output
    restored_engine = sa.create_engine(f"sqlite:///{restored}")
    try:
        with restored_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        _check_restored(_db.engine, restored_engine, db_url, "flask backup / flask restore", ended - started, during)
    finally:
        restored_engine.dispose()
    _smoke(f"sqlite:///{restored}", student_id)


def _postgresql_round_trip(app, student_id, writer, db_url, tmp_path):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        message = "pg_dump/pg_restore are not installed"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    source = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    libpq = source.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = tmp_path / "sponsor.dump"
    _db.session.close()

    def pg_dump():
        return subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq],
                              capture_output=True, text=True, timeout=300)

    result, started, ended = _write_while(writer, pg_dump)
    assert result.returncode == 0, result.stderr
    during = _during(writer, started, ended)
    name = f"sponsor_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    target = source.set(database=name)
    restored_engine = sa.create_engine(target)
    try:
        restored = subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname",
             target.set(drivername="postgresql").render_as_string(hide_password=False), str(dump)],
            capture_output=True, text=True, timeout=300)
        assert restored.returncode == 0, restored.stderr
        _check_restored(_db.engine, restored_engine, db_url, "pg_dump / pg_restore", ended - started, during,
                        "every constraint and foreign key re-validated by pg_restore --exit-on-error")
        _smoke(target.render_as_string(hide_password=False), student_id)
    finally:
        restored_engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_flask_backup_on_postgresql_points_to_pg_dump(app, runner, tmp_path, db_url):
    if db_url.startswith("sqlite"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://u:secret@db.internal/sponsor"
    result = runner.invoke(args=["backup", str(tmp_path / "x.dump")])
    assert result.exit_code != 0 and "pg_dump --format=custom" in result.output
    assert "secret" not in result.output


def test_restore_refuses_a_damaged_backup_and_an_existing_target(runner, tmp_path):
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    result = runner.invoke(args=["restore", str(damaged), "--to", str(tmp_path / "new.sqlite")])
    assert result.exit_code != 0 and not (tmp_path / "new.sqlite").exists()
    existing = tmp_path / "existing.sqlite"
    existing.write_bytes(b"")
    result = runner.invoke(args=["restore", str(damaged), "--to", str(existing)])
    assert result.exit_code != 0 and "exists" in result.output
