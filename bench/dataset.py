"""The benchmark's databases seen from inside the app (run in a fresh process by bench/run.py):

    python -m bench.dataset describe            what the database holds (schools, bench accounts, rows)
    python -m bench.dataset upgrade             apply the app's migrations (a reused database)
    python -m bench.dataset generate SIZE       migrate an empty database and fill it (bench/seed_scale.py)
    python -m bench.dataset picks               the users and records the measurements use
    python -m bench.dataset snapshot            the highest row ids of the tables a run writes to
    python -m bench.dataset restore FILE        delete what was written after that snapshot
    python -m bench.dataset verify-notes FILE   are these submitted notes stored as sent?

The database is DATABASE_URL (bench/common.production_env sets it). Users and records are chosen
by querying the data through the app's models, never by name.
"""

import argparse
import contextlib
import io
import json
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from sqlalchemy import delete, exists, func, inspect, select

from .common import emit, make_app

# What every size holds, to recognise a database generated earlier (bench/seed_scale.py's sizes).
SIZE_SCHOOLS = {"tiny": 2, "school": 1, "district": 60}
BENCH_ACCOUNT_PREFIX = "s01_"  # the generator's usernames are prefixed per school


def database_url() -> str:
    import os

    return os.environ["DATABASE_URL"]


def describe() -> dict:
    """Whether the database is migrated, and the counts that identify a generated size."""
    from sponsor_app.extensions import db
    from sponsor_app.models import MonthlyNote, School, Student, User

    if not inspect(db.session.connection()).has_table("schools"):  # the session's connection: one lock holder
        return {"migrated": False}
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    bench_accounts = db.session.scalar(select(func.count(User.id)).where(
        User.username.like(BENCH_ACCOUNT_PREFIX.replace("_", "\\_") + "%", escape="\\")))
    return {"migrated": True, "schools": count(School), "students": count(Student), "users": count(User),
            "monthly_notes": count(MonthlyNote), "bench_accounts": bench_accounts}


def upgrade() -> dict:
    """Apply the app's migrations; Alembic's log of each one is kept out of the run's output."""
    from flask_migrate import upgrade as migrate_upgrade

    started = time.perf_counter()
    log = io.StringIO()
    try:
        with contextlib.redirect_stderr(log):  # env.py's logging config binds its handler to this stream
            migrate_upgrade()
    except BaseException:
        sys.stderr.write(log.getvalue())
        raise
    return {"seconds": round(time.perf_counter() - started, 1)}


def generate(size: str, seed: int) -> dict:
    """Migrate the (empty) database and generate `size` into it."""
    from bench import seed_scale
    from sponsor_app.extensions import db

    upgrade()
    started = time.perf_counter()
    counts = seed_scale.generate(size, seed=seed, progress=lambda line: print("    " + line, file=sys.stderr,
                                                                               flush=True))
    counts.setdefault("seconds", round(time.perf_counter() - started, 1))
    db.session.commit()
    return {"size": size, "seed": seed, "counts": counts, **describe()}


# --- picks ---------------------------------------------------------------------------------------

def _users_with(role, school_id: int):
    from sponsor_app.models import User, UserRole

    return (select(User).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.school_id == school_id, User.active.is_(True),
                   User.password_hash.is_not(None), User.must_change_password.is_(False))
            .order_by(User.id))


def _only_teacher():
    """Accounts whose only role is teacher (their home page is the teacher's)."""
    from sqlalchemy.orm import aliased

    from sponsor_app.models import Role, User, UserRole

    other = aliased(UserRole)
    return ~exists().where(other.user_id == User.id, other.role != Role.TEACHER).correlate(User)


def picks(teachers: int) -> dict:
    """For the largest school: a user of each role the key pages need and the records they open;
    for the deadline day: up to `teachers` mentees (over all schools) whose note of the current
    month is not written yet, each with the account of their main mentor."""
    from sponsor_app.context import current_year
    from sponsor_app.extensions import db
    from sponsor_app.models import (
        Assignment,
        Decision,
        Department,
        Evaluation,
        EvaluationKind,
        EvaluationStatus,
        MentorRole,
        Role,
        School,
        Screening,
        Student,
        User,
    )
    from sponsor_app.progress.calendar import add_months, month_start
    from sponsor_app.timeutil import local_today

    school_id, students = db.session.execute(
        select(Student.school_id, func.count(Student.id)).group_by(Student.school_id)
        .order_by(func.count(Student.id).desc(), Student.school_id).limit(1)).one()
    school = db.session.get(School, school_id)
    year = current_year(school_id)
    today = local_today()

    def first(stmt, what: str):
        found = db.session.scalars(stmt.limit(1)).first()
        if found is None:
            raise SystemExit(f"No {what} in {school.name}: the data cannot serve this benchmark.")
        return found

    active_main = (Assignment.school_year_id == year.id, Assignment.role == MentorRole.MAIN,
                   Assignment.ended_on.is_(None))
    leader = first(_users_with(Role.LEADER, school_id), "leader")
    head = first(_users_with(Role.DEPT_HEAD, school_id).where(
        exists().where(Department.head_id == User.id)), "department head")
    union = first(_users_with(Role.UNION, school_id), "union account")
    # The teacher with the most active main mentees: the heaviest teacher home page.
    mentee_count = (select(func.count(Assignment.id)).where(Assignment.mentor_id == User.id, *active_main)
                    .scalar_subquery())
    teacher = first(_users_with(Role.TEACHER, school_id).where(_only_teacher(), mentee_count > 0)
                    .order_by(None).order_by(mentee_count.desc(), User.id), "teacher with a main mentee")
    student = first(select(Student).join(Screening, Screening.student_id == Student.id)
                    .join(Assignment, Assignment.student_id == Student.id)
                    .where(Screening.school_year_id == year.id, Screening.decision == Decision.APPROVED,
                           *active_main).order_by(Student.id), "approved student with a main mentor")
    sheet = db.session.scalars(select(Evaluation).where(
        Evaluation.school_year_id == year.id, Evaluation.kind == EvaluationKind.MONTH,
        Evaluation.status.in_([EvaluationStatus.PUBLISHED, EvaluationStatus.LOCKED]))
        .order_by(Evaluation.month.desc()).limit(1)).first()
    # Without a published sheet (the demo school), last month's sheet as computed today.
    sheet_key = sheet.key if sheet else add_months(month_start(today), -1).strftime("%Y-%m")

    users = {"leader": leader, "dept_head": head, "union": union, "teacher": teacher}
    pages = [
        ("teacher_home", "/home/teacher", "teacher"),
        ("department_dashboard", "/departments/", "dept_head"),
        ("school_dashboard", "/dashboard/", "leader"),
        ("at_risk_list", "/screening/list", "leader"),
        ("student_profile", f"/roster/students/{student.id}", "leader"),
        ("assignment_board", "/assignments/board", "leader"),
        ("emulation_sheet", f"/emulation/sheet/{sheet_key}", "union"),
    ]
    month = month_start(today)
    try:
        from bench.seed_scale import BENCH_PASSWORD
    except ImportError:  # the generator is not there: --password says it
        BENCH_PASSWORD = None  # noqa: N806
    return {
        "bench_password": BENCH_PASSWORD,
        "school": {"id": school.id, "name": school.name, "students": students},
        "year": {"id": year.id, "name": year.name},
        "emulation_sheet": {"key": sheet_key, "status": sheet.status.value if sheet else "not published"},
        "users": {role: user.username for role, user in users.items()},
        "teacher_mentees": db.session.scalar(
            select(func.count(Assignment.id)).where(Assignment.mentor_id == teacher.id, *active_main)),
        "pages": [{"name": name, "path": path, "role": role, "username": users[role].username}
                  for name, path, role in pages],
        "deadline": {"today": today.isoformat(), "month": month.strftime("%Y-%m"),
                     **_deadline_mentees(month, today, teachers)},
    }


def _deadline_mentees(month: date, today: date, wanted: int) -> dict:
    """Mentees without a note of `month`, spread over as many mentors (and schools) as possible:
    the first mentee of each mentor (mentors of all schools interleaved), then the second, ..."""
    from sponsor_app.extensions import db
    from sponsor_app.models import (
        Assignment,
        MentorRole,
        MonthlyNote,
        Role,
        SchoolYear,
        Student,
        StudentStatus,
        User,
        UserRole,
    )

    rows = db.session.execute(
        select(Assignment.school_id, User.username, Assignment.student_id)
        .join(User, User.id == Assignment.mentor_id)
        .join(SchoolYear, SchoolYear.id == Assignment.school_year_id)
        .join(Student, Student.id == Assignment.student_id)
        .where(SchoolYear.is_current.is_(True), SchoolYear.start_date <= month, SchoolYear.end_date >= month,
               Assignment.role == MentorRole.MAIN, Assignment.ended_on.is_(None), Assignment.started_on <= today,
               Student.status == StudentStatus.ENROLLED, User.active.is_(True), User.password_hash.is_not(None),
               User.must_change_password.is_(False),
               exists().where(UserRole.user_id == User.id, UserRole.role == Role.TEACHER),  # /home/teacher
               ~exists().where(MonthlyNote.student_id == Assignment.student_id, MonthlyNote.month == month))
        .order_by(Assignment.school_id, User.id, Assignment.student_id)).all()
    by_mentor: dict[tuple[int, str], list[int]] = defaultdict(list)
    for school_id, username, student_id in rows:
        by_mentor[(school_id, username)].append(student_id)
    per_school: dict[int, list[tuple[str, list[int]]]] = defaultdict(list)
    for (school_id, username), students in by_mentor.items():
        per_school[school_id].append((username, students))
    # Mentors in the order: 1st of each school, 2nd of each school, ...
    mentors = [m for rank in range(max((len(v) for v in per_school.values()), default=0))
               for school_id in sorted(per_school) for m in per_school[school_id][rank:rank + 1]]
    chosen = []
    for rank in range(max((len(s) for _, s in mentors), default=0)):
        for username, students in mentors:
            if rank < len(students) and len(chosen) < wanted:
                chosen.append({"username": username, "student_id": students[rank]})
    return {"available": len(rows), "mentors": len(by_mentor), "teachers": chosen}


# --- what a run writes, and putting it back -----------------------------------------------------

def _written_tables():
    from sponsor_app.models import AuditLog, MonthlyNote, NoteContribution, NoteReview, NoteRevision

    return {"audit_log": AuditLog, "monthly_notes": MonthlyNote, "note_revisions": NoteRevision,
            "note_reviews": NoteReview, "note_contributions": NoteContribution}


def snapshot() -> dict:
    from sponsor_app.extensions import db

    return {name: db.session.scalar(select(func.coalesce(func.max(model.id), 0)))
            for name, model in _written_tables().items()}


def restore(before: dict) -> dict:
    """Delete the rows written after the snapshot `before`: the notes (with their contacts,
    targets, supports, revisions and reviews) and the audit rows of the run."""
    from sponsor_app.extensions import db
    from sponsor_app.models import NoteContact, NoteSupport, NoteTarget

    tables = _written_tables()
    notes = tables["monthly_notes"]
    new_notes = select(notes.id).where(notes.id > before["monthly_notes"])
    deleted = {}
    for child in (NoteContact, NoteTarget, NoteSupport, tables["note_revisions"], tables["note_reviews"]):
        deleted[child.__tablename__] = db.session.execute(delete(child).where(child.note_id.in_(new_notes))).rowcount
    for name in ("note_revisions", "note_reviews", "note_contributions", "monthly_notes", "audit_log"):
        model = tables[name]
        done = db.session.execute(delete(model).where(model.id > before[name])).rowcount
        deleted[name] = deleted.get(name, 0) + done
    db.session.commit()
    return {"deleted": deleted}


def verify_notes(expected: list[dict]) -> dict:
    """Each note the run saw accepted as submitted: stored, submitted, with the text it sent?"""
    from sponsor_app.extensions import db
    from sponsor_app.models import MonthlyNote, NoteStatus

    stored = missing = not_submitted = differs = 0
    problems = []
    for item in expected:
        month = date.fromisoformat(item["month"] + "-01")
        note = db.session.scalar(select(MonthlyNote).where(MonthlyNote.student_id == item["student_id"],
                                                           MonthlyNote.month == month))
        if note is None:
            missing += 1
        elif note.status != NoteStatus.SUBMITTED:
            not_submitted += 1
        elif note.wellbeing != item["wellbeing"]:
            differs += 1
        else:
            stored += 1
            continue
        if len(problems) < 5:
            problems.append(item["student_id"])
    return {"checked": len(expected), "stored": stored, "missing": missing, "not_submitted": not_submitted,
            "text_differs": differs, "problem_students": problems}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dataset", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("describe")
    sub.add_parser("upgrade")
    gen = sub.add_parser("generate")
    gen.add_argument("size", choices=sorted(SIZE_SCHOOLS))
    gen.add_argument("--seed", type=int, default=1)
    pick = sub.add_parser("picks")
    pick.add_argument("--teachers", type=int, default=200)
    sub.add_parser("snapshot")
    for name in ("restore", "verify-notes"):
        sub.add_parser(name).add_argument("file", type=Path)
    args = parser.parse_args(argv)

    app = make_app(database_url())
    with app.app_context():
        if args.command == "describe":
            result = describe()
        elif args.command == "upgrade":
            result = upgrade()
        elif args.command == "generate":
            result = generate(args.size, args.seed)
        elif args.command == "picks":
            result = picks(args.teachers)
        elif args.command == "snapshot":
            result = snapshot()
        elif args.command == "restore":
            result = restore(json.loads(args.file.read_text()))
        else:
            result = verify_notes(json.loads(args.file.read_text()))
    emit(result)


if __name__ == "__main__":
    sys.exit(main())
