"""Fixtures: app, db, client, runner, a small school world and one logged-in client per role.

The suite runs on SQLite by default and on PostgreSQL with `pytest --db-url postgresql+psycopg://…`
(`make test` does both). With CI=true, an unreachable PostgreSQL or a missing Chromium fails
the run instead of skipping.
"""

import contextvars
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine, make_url

from sponsor_app import create_app
from sponsor_app.extensions import db as _db
from sponsor_app.models import Role
from tests import factories as f

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_addoption(parser):
    parser.addoption("--db-url", default=None, help="Run against this database (e.g. PostgreSQL) instead of SQLite")


@pytest.fixture(scope="session")
def db_url(request, tmp_path_factory):
    """The database URL of this run.

    On PostgreSQL each run gets its own database (the given name plus the process id), created
    here and dropped at the end, so two runs on one server (a developer and CI) never meet.
    """
    url = request.config.getoption("--db-url")
    if not url:
        template = tmp_path_factory.mktemp("db") / "template.sqlite"
        yield f"sqlite:///{template}"
        return
    parsed = make_url(url)
    parsed = parsed.set(database=f"{parsed.database}_{os.getpid()}")
    admin_engine = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    except sa.exc.OperationalError as err:
        admin_engine.dispose()
        message = f"PostgreSQL is not reachable at {parsed.render_as_string(hide_password=True)}: {err}"
        if IN_CI:
            pytest.exit(message, returncode=1)
        pytest.exit(message + "\n(not CI: the PostgreSQL run is skipped)", returncode=0)
    yield parsed.render_as_string(hide_password=False)
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    admin_engine.dispose()


@dataclass
class StatementCount:
    n: int = 0


@contextmanager
def count_statements():
    """The statements sent to the database meanwhile, from any context: a request of the isolated
    client runs in its own app context, where Flask-SQLAlchemy's recorded queries are not the test's."""
    counted = StatementCount()

    def count(*_args):
        counted.n += 1

    sa.event.listen(Engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        sa.event.remove(Engine, "before_cursor_execute", count)


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context and database session, as in production.

    The test's own session is committed first: what the test set up is visible to the
    request, and no open SQLite transaction of the test blocks the request's writes.
    Afterwards the test's objects are expired, so it reads what the request wrote.
    """

    def open(self, *args, **kwargs):
        if has_app_context():  # not when following a redirect inside the isolated request
            _db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


_schema_ready: set[str] = set()


def _prepare_schema(app, url: str) -> None:
    """Create the schema once per run (SQLite: a template file copied per test)."""
    if url in _schema_ready:
        return
    with app.app_context():
        if url.startswith("postgresql"):
            _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    _schema_ready.add(url)


@pytest.fixture
def app(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        template = Path(make_url(db_url).database)
        setup_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": db_url})
        _prepare_schema(setup_app, db_url)
        test_db = tmp_path / "test.sqlite"
        shutil.copyfile(template, test_db)
        url = f"sqlite:///{test_db}"
    else:
        url = db_url
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    if not url.startswith("sqlite"):
        _prepare_schema(app, url)
    with app.app_context():
        yield app
        _db.session.remove()
        if not url.startswith("sqlite"):
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        _db.engine.dispose()


@pytest.fixture
def guarded(app):
    """The app on the test's database with CSRF checked, as in production."""
    protected = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                       "WTF_CSRF_ENABLED": True})
    protected.test_client_class = IsolatedClient
    protected.instance_path = app.instance_path
    yield protected
    with protected.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class World:
    """A small school: one year, two departments, staff in every role, two classes of students."""

    school: object
    year: object
    dept: object
    other_dept: object
    admin: object
    leader: object
    dept_head: object
    union: object
    teacher: object
    homeroom: object
    own_class: object
    other_class: object
    own_student: object
    other_student: object
    other_school_student: object
    other_school_year: object
    other_school_class: object
    other_school_user: object
    own_screening: object
    other_screening: object
    other_school_screening: object
    unscreened_student: object


@pytest.fixture
def world(db):
    school = f.make_school()
    year = f.make_year(school)
    admin = f.make_user(school, Role.ADMIN, Role.TEACHER, username="admin", full_name="Lê Quản Trị")
    leader = f.make_user(school, Role.LEADER, Role.TEACHER, username="leader", full_name="Đỗ Kim Mai")
    dept_head = f.make_user(school, Role.DEPT_HEAD, Role.TEACHER, username="depthead", full_name="Đỗ Thu Lan")
    dept = f.make_department(school, "TOAN", "Toán", head=dept_head)
    other_dept = f.make_department(school, "VAN", "Ngữ văn")
    dept_head.department_id = dept.id
    union = f.make_user(school, Role.UNION, Role.TEACHER, username="union", full_name="Hồ Văn Long")
    teacher = f.make_user(school, Role.TEACHER, username="teacher", full_name="Y Khang", department=dept)
    homeroom = f.make_user(school, Role.TEACHER, username="homeroom", full_name="Vũ Ngọc Quỳnh", department=other_dept)
    own_class = f.make_class(year, "10A1", homeroom=homeroom)
    other_class = f.make_class(year, "11B2")
    own_student = f.make_student(own_class, "Hoàng Bảo Thảo", code="0604123456")
    other_student = f.make_student(other_class, "Dương Anh Quân", code="HS20260001")
    other_school = f.make_school("Trường THCS Khác")
    other_year = f.make_year(other_school)
    other_school_class = f.make_class(other_year, "6/1")
    other_school_student = f.make_student(other_school_class, "Ngô Quang Thắng")
    other_school_user = f.make_user(other_school, Role.ADMIN, Role.TEACHER, username="otheradmin")
    own_screening = f.make_screening(own_student, year, homeroom, poor_household=True, absences=32)
    other_screening = f.make_screening(other_student, year, teacher, orphan=True)
    other_school_screening = f.make_screening(other_school_student, other_year, other_school_user)
    unscreened_student = f.make_student(other_class, "Lý Bảo Ánh")
    _db.session.commit()
    return World(school, year, dept, other_dept, admin, leader, dept_head, union, teacher, homeroom, own_class,
                 other_class, own_student, other_student, other_school_student, other_year, other_school_class,
                 other_school_user, own_screening, other_screening, other_school_screening, unscreened_student)


def login(client, username: str, password: str = f.PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.data[:500]
    return client


ROLE_USERS = ("admin", "leader", "depthead", "union", "teacher", "homeroom")


@pytest.fixture
def client_for(app, world):
    """client_for("leader") → a test client logged in as that world user."""

    def make(username: str):
        return login(app.test_client(), username)

    return make


@pytest.fixture
def admin_client(client_for):
    return client_for("admin")


@pytest.fixture
def leader_client(client_for):
    return client_for("leader")


@pytest.fixture
def dept_head_client(client_for):
    return client_for("depthead")


@pytest.fixture
def union_client(client_for):
    return client_for("union")


@pytest.fixture
def teacher_client(client_for):
    return client_for("teacher")


@pytest.fixture
def homeroom_client(client_for):
    return client_for("homeroom")


@pytest.fixture
def mentoring(world):
    """The world plus an approved student mentored by `teacher` (main) and `union` (support)."""
    from sponsor_app.models import (
        Assignment,
        Decision,
        Domain,
        Horizon,
        MentorRole,
        MonthlyNote,
        PlanGoal,
        PlanStatus,
        SupportPlan,
    )

    world.mentee = f.make_student(world.other_class, "Ksor Hen", commune="Xã Ea Lang")
    world.mentee_screening = f.make_screening(world.mentee, world.year, world.leader, poor_household=True)
    world.mentee_screening.decision = Decision.APPROVED
    world.main_assignment = Assignment(school_id=world.school.id, school_year_id=world.year.id,
                                       student_id=world.mentee.id, mentor_id=world.teacher.id,
                                       role=MentorRole.MAIN, started_on=world.year.assignment_deadline)
    world.support_assignment = Assignment(school_id=world.school.id, school_year_id=world.year.id,
                                          student_id=world.mentee.id, mentor_id=world.union.id,
                                          role=MentorRole.SUPPORT, started_on=world.year.assignment_deadline)
    _db.session.add_all([world.main_assignment, world.support_assignment])
    _db.session.flush()
    world.plan = SupportPlan(school_id=world.school.id, school_year_id=world.year.id, student_id=world.mentee.id,
                             assignment_id=world.main_assignment.id, author_id=world.teacher.id,
                             due_on=world.year.assignment_deadline, status=PlanStatus.SUBMITTED)
    _db.session.add(world.plan)
    _db.session.flush()
    world.goal = PlanGoal(plan_id=world.plan.id, horizon=Horizon.SEMESTER, domain=Domain.LEARNING,
                          text="Không còn môn Chưa đạt cuối học kỳ I", period_start=world.year.start_date)
    _db.session.add(world.goal)
    world.note_month = world.year.assignment_deadline.replace(day=1)
    world.note = MonthlyNote(school_id=world.school.id, school_year_id=world.year.id, student_id=world.mentee.id,
                             assignment_id=world.main_assignment.id, author_id=world.teacher.id,
                             month=world.note_month)  # a draft
    _db.session.add(world.note)
    # escalations: one raised by the main mentor, the 111 hotline in the directory, a referral, a holiday
    from datetime import date

    from sponsor_app.models import ConcernKind, Escalation, Holiday, Referral, ReferralService, ServiceKind
    from sponsor_app.timeutil import utcnow

    world.service = ReferralService(school_id=world.school.id, kind=ServiceKind.HOTLINE,
                                    name="Tổng đài quốc gia bảo vệ trẻ em 111", phone="111")
    world.holiday = Holiday(school_id=world.school.id, day=date(2027, 1, 1), name="Tết Dương lịch")
    world.escalation = Escalation(school_id=world.school.id, school_year_id=world.year.id, student_id=world.mentee.id,
                                  raised_by_id=world.teacher.id, kind=ConcernKind.DROPOUT, response_hours=8,
                                  description="Em nói tuần sau nghỉ học đi làm thuê", respond_by=utcnow())
    world.other_school_escalation = Escalation(
        school_id=world.other_school_student.school_id, school_year_id=world.other_school_year.id,
        student_id=world.other_school_student.id, raised_by_id=world.other_school_user.id, kind=ConcernKind.OTHER,
        response_hours=8, description="Trường khác", respond_by=utcnow())
    world.other_school_dept = f.make_department(_db.session.get(type(world.school), world.other_school_year.school_id),
                                                "TOAN", "Toán")
    _db.session.add_all([world.service, world.holiday, world.escalation, world.other_school_escalation])
    _db.session.flush()
    world.referral = Referral(escalation_id=world.escalation.id, service_id=world.service.id,
                              referred_on=world.year.assignment_deadline, referred_by_id=world.leader.id)
    _db.session.add(world.referral)
    # emulation: the year's default rubric, a published November sheet with a bonus and a contest
    from sponsor_app.emulation.rubric import criteria_of, ensure_rubric
    from sponsor_app.models import (
        CriterionSource,
        Evaluation,
        EvaluationAdjustment,
        EvaluationContest,
        EvaluationKind,
        EvaluationStatus,
    )

    for year in (world.year, world.other_school_year):
        ensure_rubric(year)
    bonus = next(c for c in criteria_of(world.year) if c.source == CriterionSource.BONUS)
    world.evaluation = Evaluation(school_id=world.school.id, school_year_id=world.year.id, key="2026-11",
                                  kind=EvaluationKind.MONTH, month=date(2026, 11, 1),
                                  status=EvaluationStatus.PUBLISHED, contest_until=date(2026, 12, 6))
    world.other_school_evaluation = Evaluation(
        school_id=world.other_school_year.school_id, school_year_id=world.other_school_year.id, key="2026-11",
        kind=EvaluationKind.MONTH, month=date(2026, 11, 1), status=EvaluationStatus.PUBLISHED)
    _db.session.add_all([world.evaluation, world.other_school_evaluation])
    _db.session.flush()
    world.adjustment = EvaluationAdjustment(evaluation_id=world.evaluation.id, user_id=world.teacher.id,
                                            criterion_id=bonus.id, points=1, evidence="Biên bản trao xe đạp",
                                            created_by_id=world.union.id)
    world.other_school_adjustment = EvaluationAdjustment(
        evaluation_id=world.other_school_evaluation.id, user_id=world.other_school_user.id, criterion_id=bonus.id,
        points=1, evidence="Trường khác", created_by_id=world.other_school_user.id)
    world.contest = EvaluationContest(school_id=world.school.id, evaluation_id=world.evaluation.id,
                                      user_id=world.teacher.id, reason="Em đã gửi đúng hạn")
    world.other_school_contest = EvaluationContest(
        school_id=world.other_school_year.school_id, evaluation_id=world.other_school_evaluation.id,
        user_id=world.other_school_user.id, reason="Trường khác")
    _db.session.add_all([world.adjustment, world.other_school_adjustment, world.contest, world.other_school_contest])
    _db.session.commit()
    return world


# --- the access-control figure: the permission matrix's rows, checks and mismatches --------------
_MATRIX_RUN = {"rows": 0, "mismatched": 0}


def pytest_runtest_logreport(report):
    if report.when == "call" and "::test_permission_matrix[" in report.nodeid:
        _MATRIX_RUN["rows"] += 1
        _MATRIX_RUN["mismatched"] += int(report.failed)


def pytest_terminal_summary(terminalreporter):
    """Print the figure (kept in test-artifacts/security-figures.json for the README, see tests/figures.py)."""
    if not _MATRIX_RUN["rows"]:
        return
    from tests.figures import record
    from tests.test_permissions import MATRIX, ROLES

    rows = _MATRIX_RUN["rows"]
    endpoints = len({row[0] for row in MATRIX})
    line = (f"Access control: {rows} permission-matrix rows ({endpoints} endpoints) × {len(ROLES)} roles = "
            f"{rows * len(ROLES)} checks, {_MATRIX_RUN['mismatched']} rows with a mismatch")
    db_url = terminalreporter.config.getoption("--db-url") or "sqlite://"
    record(db_url, "access_control", line, rows=rows, endpoints=endpoints, roles=len(ROLES),
           checks=rows * len(ROLES), mismatched_rows=_MATRIX_RUN["mismatched"])
