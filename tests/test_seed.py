"""`flask seed-demo`: the invented demo school, its two school years and the demo logins."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from sponsor_app import create_app
from sponsor_app.extensions import db as _db
from sponsor_app.models import (
    AuditLog,
    ClassGroup,
    Decision,
    Department,
    Enrollment,
    Role,
    School,
    SchoolYear,
    Screening,
    Student,
    StudentStatus,
    User,
)
from sponsor_app.screening.services import CATEGORIES, year_counts
from sponsor_app.seed import DEMO_ACCOUNTS, HOMEROOM_CLASS, build_demo_school, school_year_firsts
from tests.conftest import IsolatedClient

TODAY = date(2026, 11, 23)
CLASS_NAMES = {f"{g}A{n}" for g in (10, 11, 12) for n in range(1, 6)}
HOME_PAGES = {"admin": "/home/admin", "leader": "/home/leader", "depthead": "/home/dept_head",
              "union": "/home/union", "teacher": "/home/teacher", "homeroom": "/home/teacher"}


@pytest.fixture(scope="module")
def demo_app(db_url, tmp_path_factory):
    """One demo school for the read-only tests, loaded by the command into its own database.

    (Each load takes about a second; the tests that change the database use the `app` fixture.)
    """
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    else:
        url = _own_postgres_database(db_url, "_demo")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    with app.app_context():
        if not url.startswith("sqlite"):
            _db.drop_all()
        _db.create_all()
        result = app.test_cli_runner().invoke(args=["seed-demo", "--today", "23/11/2026"])
        assert result.exit_code == 0, result.output
        app.config["SEED_OUTPUT"] = result.output
        _db.session.remove()
    yield app
    with app.app_context():
        _db.engine.dispose()
    if not url.startswith("sqlite"):
        _drop_postgres_database(url)


def _own_postgres_database(db_url: str, suffix: str) -> str:
    url = make_url(db_url)
    name = url.database + suffix
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    parsed = make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def seeded(demo_app):
    """The demo app's context, for queries; yields the command's output."""
    with demo_app.app_context():
        yield demo_app.config["SEED_OUTPUT"]
        _db.session.remove()


def _years():
    previous, current = _db.session.scalars(select(SchoolYear).order_by(SchoolYear.start_date)).all()
    return previous, current


def _enrollment_rows(year):
    """(student, class) of every enrollment of `year`."""
    return _db.session.execute(
        select(Student, ClassGroup)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(Enrollment.school_year_id == year.id)
    ).all()


def test_command_prints_the_demo_logins(seeded):
    lines = seeded.splitlines()
    for username in DEMO_ACCOUNTS:
        row = next((line.split() for line in lines if line.split()[:1] == [username]), None)
        assert row is not None, f"{username} missing from:\n{seeded}"
        assert "demo" in row
    assert "2025-2026 (complete)" in seeded
    assert "2026-2027 (current" in seeded
    assert "Monthly notes: " in seeded and "escalations: " in seeded


def test_school_years_are_the_last_complete_one_and_the_current_one(seeded):
    previous, current = _years()
    assert (previous.name, current.name) == ("2025-2026", "2026-2027")
    assert previous.end_date < TODAY
    assert current.start_date <= TODAY <= current.end_date
    assert current.is_current and not previous.is_current


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 11, 23), (2025, 2026)),
    (date(2026, 8, 1), (2025, 2026)),  # August already counts as the new year
    (date(2026, 7, 31), (2024, 2025)),
    (date(2027, 1, 1), (2025, 2026)),
])
def test_years_are_derived_from_today(today, expected):
    assert school_year_firsts(today) == expected


def test_school_departments_staff_and_classes(seeded):
    school = _db.session.scalar(select(School))
    assert school.name and school.governing_body and school.place_name and school.principal_name
    assert _db.session.scalar(select(User.full_name).where(User.username == "leader")) == school.principal_name

    departments = _db.session.scalars(select(Department)).all()
    assert {d.code for d in departments} == {"TOAN", "VAN", "NN", "KHTN"}
    for dept in departments:
        assert dept.head is not None, dept.code
        assert dept.head.has_role(Role.DEPT_HEAD)
        assert dept.head.department_id == dept.id
    assert _db.session.scalar(select(Department.code).join(User, User.id == Department.head_id)
                              .where(User.username == "depthead")) == "TOAN"

    staff = _db.session.scalars(select(User)).all()
    assert len(staff) >= 40
    assert len({u.username for u in staff}) == len(staff)
    assert all(u.has_role(Role.TEACHER) for u in staff)
    assert sum(u.has_role(Role.LEADER) for u in staff) == 2  # principal and vice principal

    for year in _years():
        classes = _db.session.scalars(select(ClassGroup).where(ClassGroup.school_year_id == year.id)).all()
        assert {c.name for c in classes} == CLASS_NAMES
        homerooms = [c.homeroom_teacher_id for c in classes]
        assert None not in homerooms and len(set(homerooms)) == 15, year.name


def test_about_600_students_a_year_with_plausible_records(seeded):
    for year in _years():
        rows = _enrollment_rows(year)
        assert 540 <= len(rows) <= 660, (year.name, len(rows))
        per_class = {}
        for student, class_group in rows:
            per_class[class_group.name] = per_class.get(class_group.name, 0) + 1
            # Born in the year matching the grade (grade 10 in 2026-2027: born 2011), or up to 2 years earlier.
            age_gap = year.first_year - class_group.grade - student.date_of_birth.year
            assert 5 <= age_gap <= 7, (student.code, class_group.name, year.name)
        assert all(30 <= n <= 50 for n in per_class.values()), per_class

    students = _db.session.scalars(select(Student)).all()
    assert all(s.code.startswith("HS") and len(s.code) == 10 for s in students)
    assert len({s.code for s in students}) == len(students)
    ethnicities = {s.ethnicity for s in students}
    assert {"Kinh", "Ê Đê", "M'Nông", "Tày", "Nùng", "Gia Rai"} <= ethnicities
    policies = {s.policy for s in students}
    assert {"Hộ nghèo", "Hộ cận nghèo", "Con thương binh"} <= policies
    assert any(s.boarding for s in students)
    assert all(s.commune and s.address and s.gender in ("Nam", "Nữ") for s in students)
    assert all(s.given_name and s.sort_key for s in students)


def test_the_same_students_move_up_and_grade_12_graduates(seeded):
    previous, current = _years()
    before = {s.id: (s, c) for s, c in _enrollment_rows(previous)}
    now = {s.id: (s, c) for s, c in _enrollment_rows(current)}

    graduated = [sid for sid, (_, c) in before.items() if c.grade == 12]
    assert graduated and not any(sid in now for sid in graduated)
    finished = [s for sid, (s, _) in before.items() if sid in graduated and s.status == StudentStatus.GRADUATED]
    assert len(finished) >= 0.9 * len(graduated)
    assert all(s.status_date == previous.end_date for s in finished)

    moved_up = 0
    for sid, (student, old) in before.items():
        if old.grade == 12:
            continue
        if student.status == StudentStatus.ENROLLED or sid in now:
            new = now[sid][1]
            assert new.grade in (old.grade, old.grade + 1)  # a few repeat their grade
            moved_up += new.grade == old.grade + 1 and new.name[2:] == old.name[2:]
    assert moved_up >= 0.95 * sum(1 for _, c in before.values() if c.grade < 12)

    intake = [s for s, c in now.values() if c.grade == 10 and s.id not in before]
    assert len(intake) >= 180
    assert all(s.code.startswith(f"HS{current.first_year}") for s in intake)


def test_leavers_are_dated_in_their_year_and_nothing_after_today(seeded):
    previous, current = _years()
    now = {s.id for s, _ in _enrollment_rows(current)}
    leavers = _db.session.scalars(select(Student).where(
        Student.status.in_([StudentStatus.DROPPED_OUT, StudentStatus.TRANSFERRED]))).all()
    assert {s.status for s in leavers} == {StudentStatus.DROPPED_OUT, StudentStatus.TRANSFERRED}
    last_year = [s for s in leavers if s.status_date <= previous.end_date]
    this_year = [s for s in leavers if s.status_date >= current.start_date]
    assert last_year and this_year and len(last_year) + len(this_year) == len(leavers)
    assert all(previous.start_date <= s.status_date and s.id not in now for s in last_year)
    assert all(s.status_date <= TODAY and s.id in now for s in this_year)  # still on this year's class list
    assert all(s.status_note for s in leavers)

    assert _db.session.scalar(select(func.max(Student.date_of_birth))) <= TODAY
    assert _db.session.scalar(select(func.max(Student.status_date))) <= TODAY
    assert _db.session.scalar(select(func.max(User.date_of_birth))) <= TODAY


@pytest.mark.parametrize("today", [date(2026, 9, 12), date(2027, 5, 31)])
def test_nothing_is_dated_after_today_at_any_point_of_the_year(db, today):
    demo = build_demo_school(today, password_hash="unused")
    assert demo.current.start_date <= today <= demo.current.end_date or today.month in (6, 7, 8)
    assert demo.previous.end_date < today
    dates = [s.date_of_birth for s in demo.students] + [s.status_date for s in demo.students if s.status_date]
    dates += [u.date_of_birth for u in demo.staff]
    screenings = db.session.scalars(select(Screening)).all()
    dates += [s.proposed_on for s in screenings] + [c.contact_date for s in screenings for c in s.contacts]
    dates += [s.decided_at.date() for s in screenings if s.decided_at]
    assert max(dates) <= today
    assert any(s.school_year_id == demo.previous.id for s in screenings)
    this_year = [s for s in demo.students if s.status_date and s.status_date >= demo.current.start_date]
    if today < date(2026, 10, 5):  # the year has barely started: nobody has left yet
        assert this_year == []
    else:
        assert this_year
    db.session.rollback()


def test_demo_accounts_have_their_roles_and_password_demo(seeded, demo_app):
    users = {u.username: u for u in _db.session.scalars(select(User).where(User.username.in_(DEMO_ACCOUNTS)))}
    assert set(users) == set(DEMO_ACCOUNTS)
    for username, (roles, _who) in DEMO_ACCOUNTS.items():
        assert users[username].roles == set(roles), username
        assert not users[username].must_change_password
    _previous, current = _years()
    homeroom_classes = _db.session.scalars(select(ClassGroup.name).where(
        ClassGroup.homeroom_teacher_id == users["homeroom"].id, ClassGroup.school_year_id == current.id)).all()
    assert homeroom_classes == [HOMEROOM_CLASS]
    assert _db.session.scalar(select(func.count()).select_from(ClassGroup).where(
        ClassGroup.homeroom_teacher_id == users["teacher"].id)) == 0

    for username in [*DEMO_ACCOUNTS, "nobody"]:
        response = demo_app.test_client().post("/login", data={"username": username, "password": "demo"})
        assert response.status_code == (401 if username == "nobody" else 302), username
    # Every other staff account shares the demo password too.
    other = _db.session.scalar(select(User.username).where(User.username.not_in(DEMO_ACCOUNTS)).limit(1))
    assert demo_app.test_client().post("/login", data={"username": other, "password": "demo"}).status_code == 302


def test_each_demo_user_lands_on_their_home_page(seeded, demo_app):
    _previous, current = _years()
    own_class = _db.session.scalar(select(ClassGroup).where(
        ClassGroup.school_year_id == current.id, ClassGroup.name == HOMEROOM_CLASS))
    class_url = f"/roster/classes/{own_class.id}"
    for username, home in HOME_PAGES.items():
        client = demo_app.test_client()
        assert client.post("/login", data={"username": username, "password": "demo"}).status_code == 302
        response = client.get("/", follow_redirects=True)
        assert response.status_code == 200, username
        assert response.request.path == home, username
        page = response.get_data(as_text=True)
        assert (class_url in page) == (username == "homeroom"), username
    client = demo_app.test_client()
    client.post("/login", data={"username": "homeroom", "password": "demo"})
    response = client.get(class_url)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("/roster/students/") >= 35


def test_if_empty_loads_once_then_does_nothing(runner, db):
    first = runner.invoke(args=["seed-demo", "--if-empty", "--today", "23/11/2026"])
    assert first.exit_code == 0, first.output
    counts = (db.session.scalar(select(func.count(Student.id))), db.session.scalar(select(func.count(User.id))))

    again = runner.invoke(args=["seed-demo", "--if-empty", "--today", "23/11/2026"])
    assert again.exit_code == 0, again.output
    assert "not loaded" in again.output
    assert "Demo logins" in again.output and "homeroom" in again.output  # `make run` reminds of them
    assert (db.session.scalar(select(func.count(Student.id))), db.session.scalar(select(func.count(User.id)))) == counts
    assert db.session.scalar(select(func.count(School.id))) == 1

    refused = runner.invoke(args=["seed-demo", "--today", "23/11/2026"])
    assert refused.exit_code == 1
    assert "already has a school" in refused.output
    assert db.session.scalar(select(func.count(School.id))) == 1
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "demo_seeded")) == 1


def test_a_bad_today_is_refused(runner, db):
    result = runner.invoke(args=["seed-demo", "--today", "31/02/2026"])
    assert result.exit_code == 2
    assert "dd/mm/yyyy" in result.output
    assert db.session.scalar(select(func.count(School.id))) == 0


def _snapshot(seed: int) -> list[tuple]:
    demo = build_demo_school(TODAY, seed, password_hash="unused")
    people = [(s.code, s.full_name, s.date_of_birth, s.status.value, s.father_name) for s in demo.students]
    people += [(u.username, u.full_name, u.position) for u in demo.staff]
    codes = {s.id: s.code for s in demo.students}
    names = {u.id: u.username for u in demo.staff}
    for notes in demo.notes.values():
        people += [(codes[n.student_id], names[n.author_id], n.month, n.status.value, n.submitted_at,
                    n.submitted_on_time, n.absences, n.rating, n.review_status, n.wellbeing,
                    [(c.contact_on, c.with_whom.value, c.method.value) for c in n.contacts],
                    [(t.goal.text, t.goal.period_start, t.progress.value) for t in n.progress],
                    [(x.kind, x.value_vnd, x.donor) for x in n.supports],
                    [(r.at, r.after_lock, r.changes) for r in n.revisions]) for n in notes]
    people += [(codes[e.student_id], e.kind.value, e.raised_at, e.respond_by, e.status.value, e.responded_at)
               for e in demo.escalations]
    people.append((demo.note_journey_mentor, codes.get(demo.note_journey_student)))
    _db.session.rollback()
    return people


def test_the_same_seed_gives_the_same_school(db):
    first = _snapshot(2026)
    assert _snapshot(2026) == first
    assert _snapshot(7) != first


def test_december_survey_of_last_year_and_early_proposals_this_year(seeded):
    previous, current = _years()
    last = year_counts(previous.school_id, previous)
    students = len(_enrollment_rows(previous))
    assert 0.06 * students <= last.by_status["approved"] <= 0.10 * students  # about 8% at risk
    assert last.by_status["not_needed"] > 0 and last.late == 0
    assert all(last.by_category[c] > 0 for c in CATEGORIES)  # every category present
    assert set(last.by_level) == {"high", "medium", "low"}
    screenings = _db.session.scalars(select(Screening).where(Screening.school_year_id == previous.id)).all()
    assert all(previous.screening_start <= s.proposed_on <= previous.screening_end for s in screenings)
    assert all(s.contacts and s.circumstances_text and s.risk_reasons is not None for s in screenings)
    approved = [s for s in screenings if s.decision == Decision.APPROVED]
    assert all(s.verified_at and s.decided_by_id for s in approved)
    # 23/11: this year's window has not opened; only a few early proposals, marked outside the window
    now = year_counts(current.school_id, current)
    assert 0 < now.total <= 10 and now.late == now.total
    assert _db.session.scalar(select(func.max(Screening.proposed_on))) <= TODAY


def test_production_refuses_the_demo_unless_asked(db_url, tmp_path):
    app = create_app("production", {"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    with app.app_context():
        _db.create_all()
        result = app.test_cli_runner().invoke(args=["seed-demo", "--today", "23/11/2026"])
        assert result.exit_code != 0 and "production" in result.output
        assert _db.session.scalar(select(func.count()).select_from(School)) == 0
        allowed = app.test_cli_runner().invoke(args=["seed-demo", "--today", "23/11/2026", "--allow-production"])
        assert allowed.exit_code == 0, allowed.output
        _db.engine.dispose()


def test_pledges_and_assignments(seeded):
    from sponsor_app.assignments.services import coverage
    from sponsor_app.models import Assignment, ClassTeacher, MentorRole, Pledge

    previous, current = _years()
    last = coverage(previous.school_id, previous)
    assert last.approved and 0.8 * last.approved <= last.with_main < last.approved  # most, not all
    assert last.pledged < last.staff  # some staff have not pledged
    supports = _db.session.scalar(select(func.count(Assignment.id)).where(
        Assignment.school_year_id == previous.id, Assignment.role == MentorRole.SUPPORT))
    assert supports > 0
    now = coverage(current.school_id, current)
    assert 0 < now.with_main < now.approved  # some of this year's early approvals wait for the board
    teacher = _db.session.scalar(select(User).where(User.username == "teacher"))
    assert _db.session.scalar(select(Pledge).where(Pledge.user_id == teacher.id,
                                                   Pledge.school_year_id == current.id)) is None
    dates = [_db.session.scalar(select(func.max(column)))
             for column in (Assignment.started_on, Assignment.ended_on, Pledge.pledged_on)]
    assert all(d is None or d <= TODAY for d in dates)
    assert _db.session.scalar(select(func.count(ClassTeacher.id))) >= 15 * 2 * 5


def test_support_plans(seeded):
    from sponsor_app.models import Assignment as A
    from sponsor_app.models import Horizon, MentorRole, PlanGoal, PlanStatus, SupportPlan

    previous, _current = _years()
    mains = _db.session.scalar(select(func.count(A.id)).where(A.school_year_id == previous.id,
                                                              A.role == MentorRole.MAIN))
    plans = _db.session.scalars(select(SupportPlan).where(SupportPlan.school_year_id == previous.id)).all()
    assert len(plans) == mains
    assert all(p.status == PlanStatus.APPROVED for p in plans)
    late = [p for p in plans if p.submitted_on_time is False]
    assert 0 < len(late) < len(plans) / 2
    horizons = set(_db.session.scalars(select(PlanGoal.horizon).distinct()))
    assert horizons == {Horizon.SEMESTER, Horizon.MONTH, Horizon.WEEK}
    assert _db.session.scalar(select(func.max(PlanGoal.period_start))) <= TODAY


def test_on_the_first_day_of_the_window_the_board_has_work(db):
    """1/12: the survey has just opened, but the early proposals are decided, some already assigned."""
    from sponsor_app.assignments.services import coverage

    demo = build_demo_school(date(2026, 12, 1), password_hash="unused")
    current = demo.current
    counts = year_counts(current.school_id, current)
    assert counts.by_status["approved"] > 0
    assert 0 < counts.late < counts.total  # the early ones (outside the window) and the survey's first day
    now = coverage(current.school_id, current)
    assert 0 < now.with_main < now.approved
    assert _db.session.scalar(select(func.max(Screening.proposed_on))) <= date(2026, 12, 1)
    _db.session.rollback()


def _mains(year):
    from sponsor_app.models import Assignment, MentorRole

    return _db.session.scalars(select(Assignment).where(
        Assignment.school_year_id == year.id, Assignment.role == MentorRole.MAIN)).all()


def test_monthly_notes(seeded):
    from sponsor_app.labels import SUPPORT_KIND_LABELS
    from sponsor_app.models import (
        Assignment,
        Horizon,
        MentorRole,
        MonthlyNote,
        NoteContact,
        NoteContribution,
        NoteReview,
        NoteRevision,
        NoteStatus,
        NoteSupport,
        Rating,
        ReviewStatus,
    )
    from sponsor_app.progress.calendar import campaign_months, is_on_time, note_due
    from sponsor_app.timeutil import SCHOOL_TZ

    previous, current = _years()
    for year in (previous, current):
        mains = {a.id: a for a in _mains(year)}
        notes = _db.session.scalars(select(MonthlyNote).where(MonthlyNote.school_year_id == year.id)).all()
        assert notes, year.name
        months = 0
        for assignment in mains.values():
            last = min(TODAY, year.end_date, assignment.ended_on or year.end_date)
            months += len(campaign_months(assignment.started_on, last)) if assignment.started_on <= last else 0
        for note in notes:  # written by the main mentor, for a month of the mentoring
            assignment = mains[note.assignment_id]
            assert (note.student_id, note.author_id) == (assignment.student_id, assignment.mentor_id)
            assert assignment.started_on.replace(day=1) <= note.month <= TODAY
            assert note.absences is None or 0 <= note.absences <= 6
            submitted = note.status == NoteStatus.SUBMITTED
            assert (note.submitted_at is not None) == submitted == (note.submitted_on_time is not None)
            if submitted:  # the stored flag agrees with the rule, and nothing is sent after today
                day = note.submitted_at.astimezone(SCHOOL_TZ).date()
                assert day <= TODAY
                assert note.submitted_on_time == is_on_time(day, note.month, year.note_day)
                assert assignment.started_on <= day
                assert all(c.contact_on <= day for c in note.contacts)
                assert note.created_at <= note.submitted_at
                assert note.rating is not None and note.review_status is not None
            else:
                assert note.review_status is None
            assert 1 <= len(note.contacts) <= 3
            assert all(c.contact_on.replace(day=1) == note.month and c.contact_on <= TODAY for c in note.contacts)
            for target in note.progress:  # the note's own plan: its semester goals, the month's targets
                plan = target.goal.plan
                assert (plan.student_id, plan.school_year_id) == (note.student_id, year.id)
                assert target.goal.horizon == Horizon.SEMESTER or target.goal.period_start == note.month
        assert len(notes) < months  # some months are missing
        if year is previous:
            sent = [n for n in notes if n.status == NoteStatus.SUBMITTED]
            assert len(sent) == len(notes)  # a complete year has no drafts left
            late = [n for n in sent if not n.submitted_on_time]
            assert 0.05 <= len(late) / len(sent) <= 0.30
            assert all(n.submitted_at.astimezone(SCHOOL_TZ).date() >= note_due(n.month, year.note_day) for n in late)
            assert 0.80 * months <= len(notes)
            assert any(n.progress for n in notes)
            # a couple of students have two months of decline in a row
            by_student: dict[int, list] = {}
            for note in sorted(sent, key=lambda n: n.month):
                by_student.setdefault(note.student_id, []).append(note.rating)
            assert any(any(a == b == Rating.DECLINE for a, b in zip(r, r[1:], strict=False))
                       for r in by_student.values())
    # this month is still being written: drafts, sent ones, and mentees without a note yet
    this_month = _db.session.scalars(select(MonthlyNote).where(MonthlyNote.month == TODAY.replace(day=1))).all()
    assert {n.status for n in this_month} == {NoteStatus.DRAFT, NoteStatus.SUBMITTED} or len(this_month) < 3

    reviews = _db.session.scalars(select(MonthlyNote.review_status).where(
        MonthlyNote.status == NoteStatus.SUBMITTED)).all()
    assert reviews.count(ReviewStatus.SEEN) > len(reviews) / 2
    assert ReviewStatus.PENDING in reviews
    asked = _db.session.scalars(select(NoteReview).where(NoteReview.decision == ReviewStatus.NEEDS_MORE)).all()
    assert asked and all(r.comment for r in asked)
    heads = {d.id: d.head_id for d in _db.session.scalars(select(Department))}
    leader = _db.session.scalar(select(User.id).where(User.username == "leader"))
    for review in _db.session.scalars(select(NoteReview)):  # the head of the mentor's department signs off
        author = review.note.author
        assert review.reviewer_id in (heads.get(author.department_id), leader)
        assert review.at.astimezone(SCHOOL_TZ).date() <= TODAY
    revisions = _db.session.scalars(select(NoteRevision)).all()
    assert any(not r.after_lock for r in revisions)
    amendments = [r for r in revisions if r.after_lock]
    assert 1 <= len(amendments) <= 2 and all(r.reason for r in amendments)
    assert all(r.changes and all(len(v) == 2 and v[0] != v[1] for v in r.changes.values()) for r in revisions)
    for revision in revisions:  # the note holds the latest value of what was changed
        for name, (_old, new) in revision.changes.items():
            if revision.id == max(r.id for r in revision.note.revisions if name in r.changes):
                assert getattr(revision.note, name) == new
    assert max(r.at.astimezone(SCHOOL_TZ).date() for r in revisions) <= TODAY
    supports = _db.session.scalars(select(NoteSupport)).all()
    assert supports and all(s.kind in SUPPORT_KIND_LABELS and 0 <= s.value_vnd <= 1_000_000 for s in supports)
    assert _db.session.scalar(select(func.max(NoteContact.contact_on))) <= TODAY
    contributions = _db.session.scalars(select(NoteContribution)).all()
    assert contributions
    for contribution in contributions:  # by a supporting mentor of the student
        assert _db.session.scalar(select(Assignment.id).where(
            Assignment.student_id == contribution.student_id, Assignment.mentor_id == contribution.author_id,
            Assignment.role == MentorRole.SUPPORT)) is not None
        assert contribution.month <= TODAY and contribution.created_at.astimezone(SCHOOL_TZ).date() <= TODAY


def test_escalations_holidays_and_services(seeded):
    from sponsor_app.models import (
        Assignment,
        Escalation,
        EscalationStatus,
        Holiday,
        MentorRole,
        MonthlyNote,
        ReferralService,
        ServiceKind,
    )
    from sponsor_app.progress.calendar import add_working_hours
    from sponsor_app.timeutil import SCHOOL_TZ

    previous, current = _years()
    holidays = {h.day: h.name for h in _db.session.scalars(select(Holiday))}
    for day in (date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 1), date(2025, 9, 2), date(2026, 2, 17),
                date(2027, 2, 6), date(2027, 1, 1)):
        assert day in holidays, day
    services = _db.session.scalars(select(ReferralService)).all()
    assert {s.kind for s in services} >= {ServiceKind.HOTLINE, ServiceKind.COMMUNE, ServiceKind.WOMENS_UNION,
                                          ServiceKind.HEALTH}
    assert any(s.phone == "111" and "111" in s.name for s in services)
    school = _db.session.scalar(select(School))
    assert school.social_work_focal is not None and school.social_work_focal.username == "leader"
    leaders = {u.id for u in _db.session.scalars(select(User)) if u.has_role(Role.LEADER)}

    escalations = _db.session.scalars(select(Escalation)).all()
    assert 3 <= len(escalations) <= 6
    for e in escalations:
        assert e.respond_by == add_working_hours(e.raised_at, e.response_hours, holidays)
        year = previous if e.school_year_id == previous.id else current
        assert e.response_hours == year.escalation_response_hours
        assert e.raised_at.astimezone(SCHOOL_TZ).date() <= TODAY
        main = _db.session.scalar(select(Assignment).where(
            Assignment.student_id == e.student_id, Assignment.school_year_id == year.id,
            Assignment.role == MentorRole.MAIN))
        assert e.raised_by_id == main.mentor_id
        if e.note_id is not None:  # raised from the student's note, once it was written
            note = _db.session.get(MonthlyNote, e.note_id)
            assert note.student_id == e.student_id
            assert e.raised_at > (note.submitted_at or note.updated_at)
        assert all(u.author_id in leaders | {school.social_work_focal_id} for u in e.updates)
        for moment in [e.responded_at, e.closed_at, *(u.at for u in e.updates)]:
            assert moment is None or moment.astimezone(SCHOOL_TZ).date() <= TODAY
        assert all(r.referred_on <= TODAY and (r.outcome_on is None or r.outcome_on <= TODAY) for r in e.referrals)
        assert (e.responded_at is None) == (e.status == EscalationStatus.OPEN)
        assert (e.status == EscalationStatus.CLOSED) == (e.outcome is not None)
    assert sum(e.note_id is not None for e in escalations) >= 3
    assert any(e.responded_at > e.respond_by for e in escalations if e.responded_at)  # one answered late
    assert any(r.outcome and r.outcome_on for e in escalations for r in e.referrals)
    assert all(e.status == EscalationStatus.CLOSED for e in escalations if e.school_year_id == previous.id)
    assert any(e.status == EscalationStatus.OPEN for e in escalations if e.school_year_id == current.id)


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2026, 12, 1), date(2027, 3, 15)])
def test_a_mentor_of_the_depthead_department_has_a_note_to_write(db, today):
    """The journeys log in as a member of the depthead's department (not depthead, admin or teacher)
    who mentors a current-year student assigned before today, with this month's note not yet sent."""
    from sponsor_app.models import Assignment, MentorRole, MonthlyNote, NoteStatus

    demo = build_demo_school(today, password_hash="unused")
    mentor = _db.session.scalar(select(User).where(User.username == demo.note_journey_mentor))
    assert mentor is not None and mentor.username not in ("depthead", "admin", "teacher")
    assert mentor.department_id == demo.accounts["depthead"].department_id == demo.departments["TOAN"].id
    assignment = _db.session.scalar(select(Assignment).where(
        Assignment.student_id == demo.note_journey_student, Assignment.school_year_id == demo.current.id,
        Assignment.role == MentorRole.MAIN, Assignment.ended_on.is_(None)))
    assert assignment.mentor_id == mentor.id and assignment.started_on < today
    student = _db.session.get(Student, demo.note_journey_student)
    assert student.status == StudentStatus.ENROLLED
    note = _db.session.scalar(select(MonthlyNote).where(MonthlyNote.student_id == student.id,
                                                        MonthlyNote.month == today.replace(day=1)))
    assert note is None or note.status == NoteStatus.DRAFT
    # the load rule still holds: nobody mentors more students than they pledged
    from sponsor_app.models import Pledge

    pledge = _db.session.scalar(select(Pledge).where(Pledge.user_id == mentor.id,
                                                     Pledge.school_year_id == demo.current.id))
    load = _db.session.scalar(select(func.count(Assignment.id)).where(
        Assignment.mentor_id == mentor.id, Assignment.school_year_id == demo.current.id,
        Assignment.role == MentorRole.MAIN, Assignment.ended_on.is_(None)))
    assert pledge.willing and load <= pledge.capacity
    _db.session.rollback()


def test_emulation_scoring(seeded):
    """Evaluated months of both years, the previous year's semester I locked with its commendations,
    semester II published with its last month left as a draft for the journey; nothing after today."""
    from sponsor_app.emulation import results
    from sponsor_app.models import Evaluation, EvaluationContest, EvaluationScore, EvaluationStatus
    from sponsor_app.timeutil import SCHOOL_TZ

    previous, current = _years()
    stored = {(e.school_year_id, e.key): e for e in _db.session.scalars(select(Evaluation))}
    assert stored[(previous.id, "s1")].status == EvaluationStatus.LOCKED
    assert stored[(previous.id, "s2")].status == EvaluationStatus.PUBLISHED
    assert (previous.id, "2026-05") not in stored or stored[(previous.id, "2026-05")].status == EvaluationStatus.DRAFT
    assert stored[(previous.id, "2026-04")].status == EvaluationStatus.PUBLISHED
    months = [k for (y, k), e in stored.items() if y == previous.id and len(k) == 7]
    assert len(months) >= 5
    for e in stored.values():
        assert e.published_at is None or e.published_at.astimezone(SCHOOL_TZ).date() <= TODAY
        assert e.locked_at is None or e.locked_at.astimezone(SCHOOL_TZ).date() <= TODAY
    locked = stored[(previous.id, "s1")].snapshot
    assert locked["rows"] and all(c["approved"] for c in locked["commendations"])
    assert results.approved_commendations(previous, "s1") == locked["commendations"]
    assert _db.session.scalar(select(func.count(EvaluationScore.id))) > 100
    contests = _db.session.scalars(select(EvaluationContest)).all()
    assert contests and all(c.status.value != "open" for c in contests)
    may = results.month_sheet(previous, date(2026, 5, 1), TODAY)
    assert may["rows"] and may["evaluation"]["status"] == "draft"
    for (year_id, _key), e in stored.items():  # a month is scored only once its notes have fallen due
        if year_id == current.id and e.month is not None:
            assert e.month.replace(day=current.note_day) <= TODAY


def test_nothing_is_stamped_after_the_moment_the_demo_is_built(db):
    """Built for today, at whatever hour (the browser journeys build it at 02:00 as at 14:00), the
    demo has no note, report or decision stamped later that day: every recorded moment is at most
    the moment the build ended. Deadlines (an escalation's respond_by) may lie ahead."""
    from sponsor_app.models.types import UTCDateTime
    from sponsor_app.timeutil import SCHOOL_TZ, local_today, utcnow

    build_demo_school(local_today(), password_hash="unused")
    db.session.flush()
    now = utcnow()
    deadlines = {("escalations", "respond_by")}
    later = {}
    for table in _db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, UTCDateTime) and (table.name, column.name) not in deadlines:
                latest = db.session.scalar(select(func.max(column)))
                if latest is not None and latest > now:
                    later[f"{table.name}.{column.name}"] = latest.astimezone(SCHOOL_TZ).isoformat()
    assert later == {}
    db.session.rollback()
