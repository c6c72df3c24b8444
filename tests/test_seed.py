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
