"""Concurrency (ASVS 2.3.3/2.3.4): 8 processes × 200 concurrent changes of one shared record lose
nothing, on SQLite and on PostgreSQL (run this file with --db-url for the latter).

The shared records are what the app really lets several people change at once: submitted monthly
notes (a mentor on the phone and the PC, the department head asking for more), changed through
the app's own service (progress.notes.save_note: the version-checked row, a revision keeping the
old and new value of each field, an audit row), each change a read-modify-write increment of the
month's absences of one of NOTES notes picked at random. Real processes (multiprocessing, spawn),
each with its own app and engine, start together at a barrier. A change that meets a newer
version is reported as a conflict (StaleDataError) and retried, as a user re-saves after the
conflict message. Nothing may be lost silently: the 1,600 increments all land, each revision
starts from a different old value (no two changes read the same state), and there is one
revision and one audit row per landed change. On SQLite a writer that waits longer than the busy
timeout (10 s) for the lock gets "database is locked": an error the user sees (the request's error
page, nothing saved), never a silent loss; it is counted, retried and must stay rare (≤ 1 %) — on
this loaded 2-core machine it happens a few times in 1,600 under 8-way contention, usually never.

Two people editing one note through the pages get a conflict, not an overwrite: that is
tests/test_notes.py::test_concurrent_edits_one_wins_the_other_is_told (and
test_stale_session_cannot_overwrite for the version column itself).
"""

import multiprocessing
import os
import random
import time

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from sponsor_app import create_app
from sponsor_app.extensions import db as _db
from sponsor_app.models import AuditLog, MonthlyNote, NoteRevision, NoteStatus, Rating, User
from sponsor_app.progress import notes
from sponsor_app.timeutil import local_today, utcnow
from tests.figures import backend, record

pytestmark = pytest.mark.reliability

PROCESSES = int(os.environ.get("CONCURRENCY_PROCESSES", "8"))
CHANGES = int(os.environ.get("CONCURRENCY_CHANGES", "200"))
# Shared records: every process changes all of them. One single note on PostgreSQL makes 7 of 8
# attempts conflict (measured: 8,879 conflicts, 330 s on this 2-core machine), which proves nothing
# more than 4 notes do; SQLite serialises writers whatever the number.
NOTES = int(os.environ.get("CONCURRENCY_NOTES", "4"))


def _worker(url: str, note_ids: list[int], user_id: int, changes: int, barrier, results) -> None:
    """One process: its own app and engine; `changes` increments, each retried after a conflict."""
    outcome = {"landed": 0, "conflicts": 0, "errors": 0, "seconds": 0.0, "failure": None}
    try:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_RECORD_QUERIES": False})
        with app.app_context(), force_locale("vi"):
            barrier.wait(timeout=120)
            started = time.perf_counter()
            _change(note_ids, user_id, changes, outcome)
            outcome["seconds"] = time.perf_counter() - started
            _db.engine.dispose()
    except Exception as err:  # reported to the test, which fails with it
        outcome["failure"] = repr(err)
    results.put(outcome)


def _change(note_ids: list[int], user_id: int, changes: int, outcome: dict) -> None:
    today = local_today()
    in_a_row = 0
    pick = random.Random(os.getpid())  # noqa: S311
    while outcome["landed"] < changes:
        try:
            note = _db.session.get(MonthlyNote, pick.choice(note_ids))
            notes.save_note(note, {"absences": (note.absences or 0) + 1}, by=_db.session.get(User, user_id),
                            today=today, allowed_goals=set(), reason="Sửa đồng thời")
            _db.session.commit()
            outcome["landed"] += 1
            in_a_row = 0
        except StaleDataError:  # someone saved first: the user is told and saves again (a moment later)
            _db.session.rollback()
            outcome["conflicts"] += 1
            in_a_row += 1
            time.sleep(random.uniform(0, min(0.002 * 2 ** in_a_row, 0.05)))  # noqa: S311
        except OperationalError:  # "database is locked" would land here: counted, and a failure
            _db.session.rollback()
            outcome["errors"] += 1
            if outcome["errors"] > changes:
                return


def test_concurrent_changes_of_one_note_lose_nothing(app, mentoring, db_url):
    w = mentoring
    shared = [w.note] + [_another_note(w, i) for i in range(NOTES - 1)]
    for note in shared:
        note.status, note.rating, note.absences = NoteStatus.SUBMITTED, Rating.STEADY, 0
        note.submitted_at, note.submitted_on_time = utcnow(), True
    _db.session.flush()
    note_ids, user_id = [n.id for n in shared], w.teacher.id
    _db.session.commit()
    _db.session.close()  # SQLite: no transaction of the test may hold the write lock
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    ctx = multiprocessing.get_context("spawn")  # no connection crosses a fork
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, note_ids, user_id, CHANGES, barrier, results))
             for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    assert not [o["failure"] for o in outcomes if o["failure"]]

    _db.session.expire_all()
    per_note = {i: _db.session.get(MonthlyNote, i).absences for i in note_ids}
    final = sum(per_note.values())
    revisions = list(_db.session.scalars(select(NoteRevision).where(NoteRevision.note_id.in_(note_ids))))
    audited = _db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.object_type == "MonthlyNote", AuditLog.object_id.in_(note_ids),
        AuditLog.action.in_(["note_corrected", "note_amended"])))
    landed = sum(o["landed"] for o in outcomes)
    conflicts = sum(o["conflicts"] for o in outcomes)
    errors = sum(o["errors"] for o in outcomes)
    seconds = max(o["seconds"] for o in outcomes)
    total = PROCESSES * CHANGES
    record(db_url, "concurrency",
           f"Concurrency ({backend(db_url)}): {PROCESSES} processes × {CHANGES} changes of {NOTES} shared notes → "
           f"{final}/{total} landed, {conflicts} conflicts reported and retried, {errors} lock timeouts reported and "
           f"retried, "
           f"{total - final} lost; {len(revisions)} revisions, {audited} audit rows; {seconds:.1f} s",
           processes=PROCESSES, changes=CHANGES, notes=NOTES, landed=final, conflicts=conflicts, errors=errors,
           lost=total - final, revisions=len(revisions), audit_rows=audited, seconds=round(seconds, 1))
    assert errors <= total // 100, f"{errors} 'database is locked' errors"
    assert landed == total
    assert final == total  # every increment is in the stored value
    for note_id, value in per_note.items():  # each change started from a different state: none overwritten
        olds = sorted(r.changes["absences"][0] for r in revisions if r.note_id == note_id)
        assert olds == list(range(value)), note_id
    assert len(revisions) == audited == total


def _another_note(world, i: int) -> MonthlyNote:
    """A submitted note of another mentee of the same mentor, this month."""
    from sponsor_app.models import Assignment, MentorRole
    from tests.factories import make_student

    student = make_student(world.other_class, f"Học Sinh Chung{i}")
    main = Assignment(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                      mentor_id=world.teacher.id, role=MentorRole.MAIN, started_on=world.year.assignment_deadline)
    _db.session.add(main)
    _db.session.flush()
    note = MonthlyNote(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                       assignment_id=main.id, author_id=world.teacher.id, month=world.note_month)
    _db.session.add(note)
    return note
