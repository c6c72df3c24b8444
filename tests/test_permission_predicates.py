"""Every predicate and scope of sponsor_app/permissions.py, called directly, as a truth table (issue 19).

The permission matrix (tests/test_permissions.py) checks routes through one department head, one
mentor, one homeroom teacher. Mutation testing (`make mutation`) showed what that leaves untested: a
department head signing off the note of ANOTHER department's mentor, the author of a plan who no
longer mentors the student, a school year that is closed, a mentoring that has ended or was last
year, another school's leader, a department headed by someone without the role. The `wide` world
adds each of them to the `mentoring` world, and every predicate is checked for every user of it:

- `other_head` heads the other department (VAN), whose member `homeroom` mentors `mentee2`
  (a note and a plan of theirs); `dept_head` heads TOAN (members: itself and `teacher`);
- `ended_mentee`: `teacher`'s mentoring has ended (a plan, a note and a concern of that time);
- `old_year` (2025-2026) is closed; `old_mentee` was in `homeroom`'s class then, mentored by
  `teacher`, and is in another class this year; `teacher` also mentored `mentee2` last year;
- `own_student2`, in `homeroom`'s class, proposed by the leader; `focal`: the focal point;
  `old_supporter` supported `old_mentee` last year;
- `outsider` (admin) and `outside_leader` of another school; one user per single role (`only`).
"""

from contextlib import contextmanager
from datetime import date

import pytest
from flask_login import AnonymousUserMixin, login_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from sponsor_app import permissions as p
from sponsor_app.extensions import db
from sponsor_app.models import (
    Assignment,
    ConcernKind,
    Enrollment,
    Escalation,
    EscalationStatus,
    EvaluationAdjustment,
    Holiday,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    Role,
    School,
    Student,
    SupportPlan,
    YearClosure,
)
from sponsor_app.timeutil import utcnow
from tests import factories as f

USERS = ("admin", "leader", "dept_head", "union", "teacher", "homeroom", "other_head", "focal", "outsider",
         "outside_leader")


def _assign(w, student, mentor, year, role=MentorRole.MAIN, ended_on=None):
    assignment = Assignment(school_id=w.school.id, school_year_id=year.id, student_id=student.id, mentor_id=mentor.id,
                            role=role, started_on=year.assignment_deadline, ended_on=ended_on)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def _plan(w, assignment, year, author):
    plan = SupportPlan(school_id=w.school.id, school_year_id=year.id, student_id=assignment.student_id,
                       assignment_id=assignment.id, author_id=author.id, due_on=year.assignment_deadline)
    db.session.add(plan)
    db.session.flush()
    return plan


def _note(w, assignment, year, author):
    note = MonthlyNote(school_id=w.school.id, school_year_id=year.id, student_id=assignment.student_id,
                       assignment_id=assignment.id, author_id=author.id, month=year.assignment_deadline.replace(day=1),
                       status=NoteStatus.SUBMITTED)
    db.session.add(note)
    db.session.flush()
    return note


def _concern(w, student, year, raised_by, status=EscalationStatus.OPEN):
    escalation = Escalation(school_id=w.school.id, school_year_id=year.id, student_id=student.id,
                            raised_by_id=raised_by.id, kind=ConcernKind.DROPOUT, response_hours=8,
                            description="Em nghỉ học nhiều", respond_by=utcnow(), status=status)
    db.session.add(escalation)
    db.session.flush()
    return escalation


@pytest.fixture
def w(mentoring):
    w = mentoring
    school, year = w.school, w.year
    w.other_school = db.session.get(School, w.other_school_year.school_id)
    w.outsider = w.other_school_user
    w.outside_leader = f.make_user(w.other_school, Role.LEADER, username="otherleader")
    w.other_head = f.make_user(school, Role.DEPT_HEAD, Role.TEACHER, username="otherhead", department=w.other_dept)
    w.other_dept.head_id = w.other_head.id
    w.focal = f.make_user(school, Role.TEACHER, username="focal")
    school.social_work_focal_id = w.focal.id
    # a department headed by someone without the department-head role, named like TOAN (ties in name order)
    w.third_dept = f.make_department(school, "TOAN2", "Toán", head=w.teacher)
    w.only = {role: f.make_user(school, role, username=f"only_{role.value}") for role in Role}
    # the other department's mentor and their mentee, with a note and a plan
    w.mentee2 = f.make_student(w.other_class, "Trần Văn Hai")
    w.mentee2_assignment = _assign(w, w.mentee2, w.homeroom, year)
    w.note2 = _note(w, w.mentee2_assignment, year, w.homeroom)
    w.plan2 = _plan(w, w.mentee2_assignment, year, w.homeroom)
    w.mentee2_screening = f.make_screening(w.mentee2, year, w.leader)
    w.escalation2 = _concern(w, w.mentee2, year, w.leader)  # followed by its main mentor only
    w.closed_escalation = _concern(w, w.mentee2, year, w.homeroom, EscalationStatus.CLOSED)
    # a student of homeroom's class proposed by someone else, and a concern homeroom raised about them
    w.own_student2 = f.make_student(w.own_class, "Phạm Thị Ba")
    w.own2_screening = f.make_screening(w.own_student2, year, w.leader)
    w.raised_escalation = _concern(w, w.own_student2, year, w.homeroom)
    # an ended mentoring, with what its mentor wrote then
    w.ended_mentee = f.make_student(w.other_class, "Lê Văn Bốn")
    w.ended_assignment = _assign(w, w.ended_mentee, w.teacher, year, ended_on=year.assignment_deadline)
    w.ended_plan = _plan(w, w.ended_assignment, year, w.teacher)
    w.ended_note = _note(w, w.ended_assignment, year, w.teacher)
    w.ended_screening = f.make_screening(w.ended_mentee, year, w.leader)
    w.ended_escalation = _concern(w, w.ended_mentee, year, w.leader)
    # last year, closed: homeroom's class then, teacher's mentee then (old_mentee, and mentee2)
    w.old_year = f.make_year(school, 2025, current=False)
    w.old_class = f.make_class(w.old_year, "9A", homeroom=w.homeroom)
    w.old_mentee = f.make_student(w.old_class, "Võ Thị Năm")
    db.session.add(Enrollment(student_id=w.old_mentee.id, school_year_id=year.id, class_group_id=w.other_class.id))
    w.old_assignment = _assign(w, w.old_mentee, w.teacher, w.old_year)
    _assign(w, w.mentee2, w.teacher, w.old_year)
    w.old_supporter = f.make_user(school, Role.TEACHER, username="oldsupport")  # not in USERS: one check only
    _assign(w, w.old_mentee, w.old_supporter, w.old_year, MentorRole.SUPPORT)
    w.old_plan = _plan(w, w.old_assignment, w.old_year, w.teacher)
    w.old_screening = f.make_screening(w.old_mentee, w.old_year, w.leader)
    w.old_mentee_screening_now = f.make_screening(w.old_mentee, year, w.leader)
    w.old_escalation = _concern(w, w.old_mentee, w.old_year, w.leader)
    db.session.add(YearClosure(school_id=school.id, school_year_id=w.old_year.id, next_year_id=year.id,
                               closed_at=utcnow(), closed_by_id=w.leader.id))
    db.session.commit()
    return w


def check_table(w, predicate, cases):
    """cases: {label: (args builder taking the world, users for whom the predicate is True)}."""
    wrong = []
    for label, (args, allowed) in cases.items():
        for name in USERS:
            got = predicate(getattr(w, name), *args(w))
            if got is not (name in allowed):
                wrong.append(f"{predicate.__name__}({name}, {label}) is {got!r}")
    assert not wrong, "\n".join(wrong)


def record_gets(monkeypatch) -> list:
    """(model, id) of every db.session.get from now on."""
    asked, real_get = [], db.session.get

    def get(model, ident, **kw):
        asked.append((model, ident))
        return real_get(model, ident, **kw)

    monkeypatch.setattr(db.session, "get", get)
    return asked


@contextmanager
def acting_as(app, user):
    """A request of `user` (the get_*_or_404 helpers read current_user)."""
    with app.test_request_context("/"):
        login_user(user)
        yield


# --- predicates that depend on the roles only: one user per single role --------------------------

ROLE_ONLY = {
    p.can_manage_roster: {Role.ADMIN},
    p.can_view_roster: {Role.ADMIN, Role.LEADER},
    p.can_propose_screening: {Role.TEACHER, Role.LEADER},
    p.can_review_notes: {Role.LEADER, Role.DEPT_HEAD},
    p.can_view_attention: {Role.LEADER, Role.DEPT_HEAD},
    p.can_manage_directory: {Role.ADMIN, Role.LEADER},
    p.can_manage_holidays: {Role.ADMIN},
    p.can_assign_mentors: {Role.LEADER},
    p.can_view_pledges: {Role.LEADER, Role.DEPT_HEAD},
    p.can_view_coverage: {Role.LEADER, Role.DEPT_HEAD, Role.UNION},
    p.can_manage_criteria: {Role.ADMIN, Role.LEADER},
    p.can_monitor_departments: {Role.LEADER, Role.DEPT_HEAD},
    p.can_view_dashboard: {Role.LEADER, Role.UNION},
    p.can_see_names_on_dashboard: {Role.LEADER},
    p.can_prepare_reports: {Role.LEADER},
    p.can_view_report_figures: {Role.LEADER, Role.UNION},
    p.can_close_year: {Role.LEADER},
    p.can_view_emulation: {Role.UNION, Role.LEADER},
    p.can_edit_rubric: {Role.UNION},
    p.can_score_emulation: {Role.UNION, Role.LEADER},
    p.can_answer_contests: {Role.UNION},
    p.can_lock_emulation: {Role.LEADER},
}


@pytest.mark.parametrize("predicate", list(ROLE_ONLY), ids=lambda fn: fn.__name__)
def test_role_predicates(w, predicate):
    got = {role for role, user in w.only.items() if predicate(user)}
    assert got == ROLE_ONLY[predicate]


def test_role_required(app, world, client_for):
    """The decorator itself: 403 for a role not listed, the login page for nobody, the view otherwise."""
    view = p.role_required(Role.LEADER, Role.UNION)(lambda: "ok")
    assert view.required_roles == (Role.LEADER, Role.UNION)
    app.add_url_rule("/_test/role-required", "role_required_probe", view)
    anonymous = app.test_client().get("/_test/role-required")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    got = {name: client_for(name).get("/_test/role-required").status_code
           for name in ("leader", "union", "depthead", "teacher", "admin")}
    assert got == {"leader": 200, "union": 200, "depthead": 403, "teacher": 403, "admin": 403}


# --- loading a school's row by id --------------------------------------------------------------

def test_get_in_school_or_404_bounds_and_school(app, w, monkeypatch):
    """Ids outside 1..2**31-1 (or not integers) never reach the database (PostgreSQL's INTEGER would
    fail on them); in range, another school's row is not found like a missing one."""
    other = Holiday(school_id=w.other_school.id, day=date(2027, 1, 1), name="Trường khác")
    db.session.add(other)
    db.session.flush()  # before the top id: an id given after it would be 2**31
    top = Holiday(id=2**31 - 1, school_id=w.school.id, day=date(2027, 4, 30), name="Ngày Giải phóng")
    first = db.session.get(Holiday, 1) or Holiday(id=1, school_id=w.school.id, day=date(2027, 5, 1), name="1/5")
    db.session.add_all([top, first])
    db.session.commit()
    assert first.school_id == w.school.id
    asked = record_gets(monkeypatch)
    with acting_as(app, w.leader):
        assert p.get_in_school_or_404(Holiday, 2**31 - 1) is top
        assert p.get_in_school_or_404(Holiday, 1) is first
        for bad in (0, -1, 2**31, 2**70, "1", 1.0, None, other.id, 2**31 - 2):
            with pytest.raises(NotFound):
                p.get_in_school_or_404(Holiday, bad)
    assert [i for _model, i in asked] == [2**31 - 1, 1, other.id, 2**31 - 2]


def test_in_school(app, w):
    def names(stmt):
        return {s.id for s in db.session.scalars(stmt)}

    ours = names(select(Student).where(Student.school_id == w.school.id))
    theirs = names(select(Student).where(Student.school_id == w.other_school.id))
    assert ours and theirs
    with acting_as(app, w.leader):
        assert names(p.in_school(select(Student), Student)) == ours
        assert names(p.in_school(select(Student), Student, w.outsider)) == theirs


# --- roster -----------------------------------------------------------------------------------

def test_can_view_class(w):
    check_table(w, p.can_view_class, {
        "own class": (lambda w: (w.own_class,), {"admin", "leader", "homeroom"}),
        "other class": (lambda w: (w.other_class,), {"admin", "leader"}),
        "last year's class": (lambda w: (w.old_class,), {"admin", "leader", "homeroom"}),
        "another school's class": (lambda w: (w.other_school_class,), {"outsider", "outside_leader"}),
    })


def test_can_screen_class(w):
    """The class's screening board and sheet: its homeroom teacher and the school's leadership; never a
    class of another school, whoever its homeroom teacher or however high the role (make mutation
    found this branch untested: the routes load the class in the user's school first)."""
    w.other_school_class.homeroom_teacher_id = w.homeroom.id  # a stray id must not open another school
    check_table(w, p.can_screen_class, {
        "own class": (lambda w: (w.own_class,), {"leader", "homeroom"}),
        "other class": (lambda w: (w.other_class,), {"leader"}),
        "another school's class": (lambda w: (w.other_school_class,), {"outside_leader"}),
    })


def test_can_view_student(w):
    check_table(w, p.can_view_student, {
        "own student": (lambda w: (w.own_student, w.year), {"admin", "leader", "homeroom"}),
        "mentee": (lambda w: (w.mentee, w.year), {"admin", "leader", "teacher", "union", "dept_head"}),
        "other department's mentee": (lambda w: (w.mentee2, w.year), {"admin", "leader", "homeroom", "other_head"}),
        "ended mentee": (lambda w: (w.ended_mentee, w.year), {"admin", "leader", "teacher", "dept_head"}),
        "last year's mentee, this year": (lambda w: (w.old_mentee, w.year), {"admin", "leader"}),
        "last year's mentee, last year": (lambda w: (w.old_mentee, w.old_year),
                                          {"admin", "leader", "teacher", "dept_head", "homeroom"}),
        "other student": (lambda w: (w.other_student, w.year), {"admin", "leader"}),
        "another school's student": (lambda w: (w.other_school_student, w.other_school_year),
                                     {"outsider", "outside_leader"}),
    })


def _students(w, user, year):
    rows = db.session.execute(p.visible_students(getattr(w, user), getattr(w, year))).all()
    return sorted((student.id, enrollment.class_group_id, enrollment.school_year_id) for student, enrollment in rows)


def test_visible_students(w):
    def rows(*pairs):
        return sorted((s.id, c.id, c.school_year_id) for s, c in pairs)

    whole_year = rows((w.own_student, w.own_class), (w.own_student2, w.own_class), (w.other_student, w.other_class),
                      (w.unscreened_student, w.other_class), (w.mentee, w.other_class),
                      (w.mentee2, w.other_class), (w.ended_mentee, w.other_class), (w.old_mentee, w.other_class))
    expected = {
        ("admin", "year"): whole_year,
        ("leader", "year"): whole_year,
        ("admin", "old_year"): rows((w.old_mentee, w.old_class)),
        ("homeroom", "year"): rows((w.own_student, w.own_class), (w.own_student2, w.own_class),
                                   (w.mentee2, w.other_class)),
        ("homeroom", "old_year"): rows((w.old_mentee, w.old_class)),
        ("teacher", "year"): rows((w.mentee, w.other_class), (w.ended_mentee, w.other_class)),
        ("teacher", "old_year"): rows((w.old_mentee, w.old_class)),
        ("dept_head", "year"): rows((w.mentee, w.other_class), (w.ended_mentee, w.other_class)),
        ("dept_head", "old_year"): rows((w.old_mentee, w.old_class)),
        ("other_head", "year"): rows((w.mentee2, w.other_class)),
        ("union", "year"): rows((w.mentee, w.other_class)),
        ("focal", "year"): [],
        ("outsider", "year"): [],
        ("outsider", "other_school_year"): rows((w.other_school_student, w.other_school_class)),
    }
    got = {key: _students(w, *key) for key in expected}
    assert got == expected


def test_visible_classes(w):
    expected = {
        ("admin", "year"): {w.own_class.id, w.other_class.id},
        ("leader", "year"): {w.own_class.id, w.other_class.id},
        ("leader", "old_year"): {w.old_class.id},
        ("homeroom", "year"): {w.own_class.id},
        ("homeroom", "old_year"): {w.old_class.id},
        ("teacher", "year"): set(),
        ("outsider", "year"): set(),
        ("outsider", "other_school_year"): {w.other_school_class.id},
    }
    got = {(user, year): {c.id for c in db.session.scalars(p.visible_classes(getattr(w, user), getattr(w, year)))}
           for user, year in expected}
    assert got == expected


def test_get_student_and_class_or_404(app, w):
    with acting_as(app, w.homeroom):
        assert p.get_student_or_404(w.own_student.id, w.year) is w.own_student
        assert p.get_class_or_404(w.own_class.id) is w.own_class
        with pytest.raises(Forbidden):
            p.get_student_or_404(w.mentee.id, w.year)
        with pytest.raises(Forbidden):
            p.get_class_or_404(w.other_class.id)
        with pytest.raises(NotFound):
            p.get_student_or_404(w.other_school_student.id, w.year)
        with pytest.raises(NotFound):
            p.get_class_or_404(w.other_school_class.id)


# --- screening --------------------------------------------------------------------------------

def test_is_homeroom_of(w):
    check_table(w, p.is_homeroom_of, {
        "own student": (lambda w: (w.own_student, w.year), {"homeroom"}),
        "other student": (lambda w: (w.other_student, w.year), set()),
        "last year's student, last year": (lambda w: (w.old_mentee, w.old_year), {"homeroom"}),
        "last year's student, this year": (lambda w: (w.old_mentee, w.year), set()),
    })


def test_visible_screenings(w):
    s = w
    expected = {
        ("leader", "year"): {s.own_screening, s.other_screening, s.mentee_screening, s.mentee2_screening,
                             s.ended_screening, s.own2_screening, s.old_mentee_screening_now},
        ("leader", "old_year"): {s.old_screening},
        ("homeroom", "year"): {s.own_screening, s.own2_screening, s.mentee2_screening},
        ("homeroom", "old_year"): {s.old_screening},
        ("teacher", "year"): {s.other_screening, s.mentee_screening},
        ("teacher", "old_year"): {s.old_screening},
        ("union", "year"): {s.mentee_screening},
        ("dept_head", "year"): set(),
        ("admin", "year"): set(),
        ("outside_leader", "year"): set(),
        ("outside_leader", "other_school_year"): {s.other_school_screening},
        ("outsider", "other_school_year"): {s.other_school_screening},
    }
    got = {(user, year): set(db.session.scalars(p.visible_screenings(getattr(w, user), getattr(w, year))))
           for user, year in expected}
    assert got == expected


SCREENING_READERS = {
    "proposed by homeroom": (lambda w: (w.own_screening,), {"leader", "homeroom"}),
    "of homeroom's class": (lambda w: (w.own2_screening,), {"leader", "homeroom"}),
    "proposed by teacher": (lambda w: (w.other_screening,), {"leader", "teacher"}),
    "of a mentee": (lambda w: (w.mentee_screening,), {"leader", "teacher", "union"}),
    "of the other department's mentee": (lambda w: (w.mentee2_screening,), {"leader", "homeroom"}),
    "of an ended mentee": (lambda w: (w.ended_screening,), {"leader"}),
    "last year's": (lambda w: (w.old_screening,), {"leader", "homeroom", "teacher"}),
    "this year's of last year's mentee": (lambda w: (w.old_mentee_screening_now,), {"leader"}),
    "another school's": (lambda w: (w.other_school_screening,), {"outsider", "outside_leader"}),
}


def test_can_view_screening(w):
    check_table(w, p.can_view_screening, SCREENING_READERS)


def test_can_edit_screening(w):
    check_table(w, p.can_edit_screening, SCREENING_READERS)


def test_can_verify_and_decide_screening(w):
    check_table(w, p.can_verify_screening, {
        "proposed by homeroom": (lambda w: (w.own_screening,), {"leader", "homeroom"}),
        "of homeroom's class": (lambda w: (w.own2_screening,), {"leader", "homeroom"}),
        "proposed by teacher": (lambda w: (w.other_screening,), {"leader"}),
        "of a mentee": (lambda w: (w.mentee_screening,), {"leader"}),
        "last year's": (lambda w: (w.old_screening,), {"leader", "homeroom"}),
        "another school's": (lambda w: (w.other_school_screening,), {"outside_leader"}),
    })
    check_table(w, p.can_decide_screening, {
        "ours": (lambda w: (w.own_screening,), {"leader"}),
        "another school's": (lambda w: (w.other_school_screening,), {"outside_leader"}),
    })


def test_is_mentor_of(w):
    check_table(w, p.is_mentor_of, {
        "mentee": (lambda w: (w.mentee, w.year), {"teacher", "union"}),
        "ended mentee": (lambda w: (w.ended_mentee, w.year), set()),
        "other department's mentee": (lambda w: (w.mentee2, w.year), {"homeroom"}),
        "other department's mentee, last year": (lambda w: (w.mentee2, w.old_year), {"teacher"}),
    })


def test_get_screening_or_404(app, w):
    with acting_as(app, w.teacher):
        assert p.get_screening_or_404(w.other_screening.id) is w.other_screening
        with pytest.raises(Forbidden):
            p.get_screening_or_404(w.own_screening.id)
        with pytest.raises(Forbidden):
            p.get_screening_or_404(w.other_screening.id, p.can_verify_screening)
        with pytest.raises(NotFound):
            p.get_screening_or_404(w.other_school_screening.id)


# --- support plans --------------------------------------------------------------------------

def test_heads_department_of(w):
    check_table(w, lambda user, mentor: p.heads_department_of(user, getattr(w, mentor).id), {
        "teacher (TOAN)": (lambda w: ("teacher",), {"dept_head"}),
        "the head of TOAN itself": (lambda w: ("dept_head",), {"dept_head"}),
        "homeroom (VAN)": (lambda w: ("homeroom",), {"other_head"}),
        "union (no department)": (lambda w: ("union",), set()),
    })


def test_can_view_plan(w):
    check_table(w, p.can_view_plan, {
        "mentee's": (lambda w: (w.plan,), {"leader", "teacher", "union", "dept_head"}),
        "other department's": (lambda w: (w.plan2,), {"leader", "homeroom", "other_head"}),
        "ended mentee's (its author)": (lambda w: (w.ended_plan,), {"leader", "teacher", "dept_head"}),
        "last year's": (lambda w: (w.old_plan,), {"leader", "teacher", "homeroom", "dept_head"}),
    })


def test_can_edit_plan(w):
    check_table(w, p.can_edit_plan, {
        "mentee's": (lambda w: (w.plan,), {"teacher"}),
        "other department's (teacher mentored last year)": (lambda w: (w.plan2,), {"homeroom"}),
        "ended mentee's": (lambda w: (w.ended_plan,), set()),
        "last year's (closed)": (lambda w: (w.old_plan,), set()),
    })


def test_can_review_plan(w):
    check_table(w, p.can_review_plan, {
        "mentee's": (lambda w: (w.plan,), {"leader", "dept_head"}),
        "other department's": (lambda w: (w.plan2,), {"leader", "other_head"}),
    })


def test_get_plan_or_404(app, w):
    with acting_as(app, w.dept_head):
        assert p.get_plan_or_404(w.plan.id) is w.plan
        assert p.get_plan_or_404(w.plan.id, p.can_review_plan) is w.plan
        with pytest.raises(Forbidden):
            p.get_plan_or_404(w.plan2.id)
        with pytest.raises(Forbidden):
            p.get_plan_or_404(w.plan2.id, p.can_review_plan)
        with pytest.raises(Forbidden):
            p.get_plan_or_404(w.plan.id, p.can_edit_plan)
    with acting_as(app, w.outsider), pytest.raises(NotFound):
        p.get_plan_or_404(w.plan.id)


# --- monthly notes ------------------------------------------------------------------------

def test_is_active_mentor(w):
    def active(role):
        return lambda user, student, year: p.is_active_mentor(user, student.id, year.id, role)

    cases = {
        "mentee": (lambda w: (w.mentee, w.year), {"teacher", "union"}),
        "ended mentee": (lambda w: (w.ended_mentee, w.year), set()),
        "other department's mentee": (lambda w: (w.mentee2, w.year), {"homeroom"}),
        "other department's mentee, last year": (lambda w: (w.mentee2, w.old_year), {"teacher"}),
    }
    check_table(w, active(None), cases)
    check_table(w, active(MentorRole.MAIN), {**cases, "mentee": (lambda w: (w.mentee, w.year), {"teacher"})})
    check_table(w, active(MentorRole.SUPPORT), {"mentee": (lambda w: (w.mentee, w.year), {"union"}),
                                                 "other department's mentee": (lambda w: (w.mentee2, w.year), set())})


def test_can_view_notes(w):
    check_table(w, p.can_view_notes, {
        "mentee": (lambda w: (w.mentee, w.year), {"leader", "teacher", "union", "dept_head"}),
        "other department's mentee": (lambda w: (w.mentee2, w.year), {"leader", "homeroom", "other_head"}),
        "own student (homeroom)": (lambda w: (w.own_student, w.year), {"leader", "homeroom"}),
        "ended mentee": (lambda w: (w.ended_mentee, w.year), {"leader", "dept_head"}),
        "last year's mentee, last year": (lambda w: (w.old_mentee, w.old_year),
                                          {"leader", "teacher", "homeroom", "dept_head"}),
        "another school's student": (lambda w: (w.other_school_student, w.other_school_year), {"outside_leader"}),
    })


def test_can_write_and_contribute_note(w):
    cases = {
        "mentee": (lambda w: (w.mentee, w.year), {"teacher"}),
        "other department's mentee": (lambda w: (w.mentee2, w.year), {"homeroom"}),
        "ended mentee": (lambda w: (w.ended_mentee, w.year), set()),
        "last year's mentee, last year (closed)": (lambda w: (w.old_mentee, w.old_year), set()),
        "another school's student": (lambda w: (w.other_school_student, w.other_school_year), set()),
    }
    check_table(w, p.can_write_note, cases)
    check_table(w, p.can_contribute_note, {**cases, "mentee": (lambda w: (w.mentee, w.year), {"union"}),
                                           "other department's mentee": (lambda w: (w.mentee2, w.year), set())})
    # a supporting mentor of last year, which is closed, adds nothing any more
    assert p.is_active_mentor(w.old_supporter, w.old_mentee.id, w.old_year.id, MentorRole.SUPPORT)
    assert p.can_contribute_note(w.old_supporter, w.old_mentee, w.old_year) is False


def test_can_review_note_only_by_the_authors_department_head(w):
    """The head of ANOTHER department may not sign off a note (nor may a mentor of the department)."""
    check_table(w, p.can_review_note, {
        "TOAN mentor's note": (lambda w: (w.note,), {"leader", "dept_head"}),
        "VAN mentor's note": (lambda w: (w.note2,), {"leader", "other_head"}),
    })


def test_a_head_of_another_department_cannot_sign_off_a_note(w, client_for):
    """Through the route too: the TOAN head gets 403 on the VAN mentor's note, the VAN head signs it off."""
    assert client_for("depthead").post(f"/progress/notes/{w.note2.id}/review",
                                       data={"decision": "seen"}).status_code == 403
    assert client_for("otherhead").post(f"/progress/notes/{w.note.id}/review",
                                        data={"decision": "seen"}).status_code == 403
    assert client_for("otherhead").post(f"/progress/notes/{w.note2.id}/review",
                                        data={"decision": "seen"}).status_code in (200, 302)


def test_get_note_or_404(app, w):
    with acting_as(app, w.teacher):  # the author keeps reading what they wrote after the mentoring ended
        assert p.get_note_or_404(w.ended_note.id) is w.ended_note
        assert p.get_note_or_404(w.note.id) is w.note
        with pytest.raises(Forbidden):
            p.get_note_or_404(w.note2.id)
    with acting_as(app, w.dept_head):
        assert p.get_note_or_404(w.note.id) is w.note
        assert p.get_note_or_404(w.note.id, p.can_review_note) is w.note
        with pytest.raises(Forbidden):
            p.get_note_or_404(w.note2.id, p.can_review_note)
    with acting_as(app, w.homeroom), pytest.raises(Forbidden):  # the author, but the check is the sign-off
        p.get_note_or_404(w.note2.id, p.can_review_note)
    with acting_as(app, w.outsider), pytest.raises(NotFound):
        p.get_note_or_404(w.note.id)


# --- escalations ------------------------------------------------------------------------

def test_focal_point_and_responders(w):
    check_table(w, lambda user: p.is_focal_point(user), {"": (lambda w: (), {"focal"})})
    check_table(w, lambda user: p.is_escalation_responder(user), {"": (lambda w: (), {"focal", "leader", "outside_leader"})})
    assert p.is_focal_point(AnonymousUserMixin()) is False


def test_can_raise_escalation(w):
    check_table(w, p.can_raise_escalation, {
        "mentee": (lambda w: (w.mentee, w.year), {"leader", "teacher", "union"}),
        "own student": (lambda w: (w.own_student, w.year), {"leader", "homeroom"}),
        "ended mentee": (lambda w: (w.ended_mentee, w.year), {"leader"}),
        "last year's mentee, last year": (lambda w: (w.old_mentee, w.old_year), {"leader", "teacher", "homeroom"}),
        "our student, another school's year": (lambda w: (w.mentee, w.other_school_year), set()),
        "another school's student, our year": (lambda w: (w.other_school_student, w.year), set()),
        "another school's student": (lambda w: (w.other_school_student, w.other_school_year), {"outside_leader"}),
    })


def test_visible_escalations(w):
    every = {w.escalation, w.escalation2, w.closed_escalation, w.raised_escalation, w.ended_escalation}
    expected = {
        ("leader", "year"): every,
        ("focal", "year"): every,
        ("leader", "old_year"): {w.old_escalation},
        ("teacher", "year"): {w.escalation},
        ("teacher", "old_year"): {w.old_escalation},
        ("homeroom", "year"): {w.escalation2, w.closed_escalation, w.raised_escalation},
        ("union", "year"): set(),
        ("dept_head", "year"): set(),
        ("outside_leader", "year"): set(),
        ("outsider", "other_school_year"): {w.other_school_escalation},
    }
    got = {(user, year): set(db.session.scalars(p.visible_escalations(getattr(w, user), getattr(w, year))))
           for user, year in expected}
    assert got == expected


ESCALATION_FOLLOWERS = {
    "raised by the main mentor": (lambda w: (w.escalation,), {"leader", "focal", "teacher"}),
    "followed by its main mentor": (lambda w: (w.escalation2,), {"leader", "focal", "homeroom"}),
    "raised by homeroom": (lambda w: (w.raised_escalation,), {"leader", "focal", "homeroom"}),
    "of an ended mentee": (lambda w: (w.ended_escalation,), {"leader", "focal"}),
    "last year's": (lambda w: (w.old_escalation,), {"leader", "focal", "teacher"}),
    "another school's": (lambda w: (w.other_school_escalation,), {"outsider", "outside_leader"}),
}


def test_can_view_escalation(w):
    check_table(w, p.can_view_escalation, ESCALATION_FOLLOWERS)


def test_is_main_mentor_of(w):
    check_table(w, lambda user, student, year: p.is_main_mentor_of(user, student.id, year.id), {
        "mentee": (lambda w: (w.mentee, w.year), {"teacher"}),
        "ended mentee": (lambda w: (w.ended_mentee, w.year), set()),
        "other department's mentee": (lambda w: (w.mentee2, w.year), {"homeroom"}),
        "other department's mentee, last year": (lambda w: (w.mentee2, w.old_year), {"teacher"}),
    })


def test_can_update_and_respond_escalation(w):
    check_table(w, p.can_update_escalation, {
        **ESCALATION_FOLLOWERS, "closed": (lambda w: (w.closed_escalation,), set())})
    check_table(w, p.can_respond_escalation, {
        "ours": (lambda w: (w.escalation,), {"leader", "focal"}),
        "another school's": (lambda w: (w.other_school_escalation,), {"outside_leader"}),
    })


def test_get_escalation_or_404(app, w):
    with acting_as(app, w.teacher):
        assert p.get_escalation_or_404(w.escalation.id) is w.escalation
        with pytest.raises(Forbidden):
            p.get_escalation_or_404(w.escalation2.id)
        with pytest.raises(Forbidden):
            p.get_escalation_or_404(w.escalation.id, p.can_respond_escalation)
        with pytest.raises(NotFound):
            p.get_escalation_or_404(w.other_school_escalation.id)


# --- departments, years, emulation -------------------------------------------------------

def test_can_monitor_department(w):
    check_table(w, p.can_monitor_department, {
        "TOAN": (lambda w: (w.dept,), {"leader", "dept_head"}),
        "VAN": (lambda w: (w.other_dept,), {"leader", "other_head"}),
        "headed by a teacher without the role": (lambda w: (w.third_dept,), {"leader"}),
        "another school's": (lambda w: (w.other_school_dept,), {"outside_leader"}),
    })


def test_monitored_departments(w):
    def ids(user):
        return [d.id for d in db.session.scalars(p.monitored_departments(getattr(w, user)))]

    got = {user: ids(user) for user in USERS}
    assert got == {
        "leader": [w.other_dept.id, w.dept.id, w.third_dept.id],  # by name (Ngữ văn, Toán, Toán), then id
        "dept_head": [w.dept.id], "other_head": [w.other_dept.id], "outside_leader": [w.other_school_dept.id],
        "admin": [], "union": [], "teacher": [], "homeroom": [], "focal": [], "outsider": [],
    }


def test_get_department_or_404(app, w):
    with acting_as(app, w.dept_head):
        assert p.get_department_or_404(w.dept.id) is w.dept
        with pytest.raises(Forbidden):
            p.get_department_or_404(w.other_dept.id)
        with pytest.raises(NotFound):
            p.get_department_or_404(w.other_school_dept.id)
    with acting_as(app, w.only[Role.DEPT_HEAD]), pytest.raises(Forbidden):
        p.get_department_or_404(w.dept.id, lambda user, department: False)


def test_years(app, w):
    assert p.is_year_closed(w.old_year.id) is True
    assert p.is_year_closed(w.year.id) is False
    with acting_as(app, w.leader):
        assert p.get_year_or_404(w.year.id) is w.year
        assert p.get_year_or_404(w.old_year.id) is w.old_year
        with pytest.raises(NotFound):
            p.get_year_or_404(w.other_school_year.id)


def test_get_contest_or_404(app, w):
    expected = {"teacher": "ok", "union": "ok", "leader": "ok", "homeroom": Forbidden, "dept_head": Forbidden,
                "outsider": NotFound}
    got = {}
    for name in expected:
        with acting_as(app, getattr(w, name)):
            try:
                got[name] = "ok" if p.get_contest_or_404(w.contest.id) is w.contest else "other"
            except (Forbidden, NotFound) as err:
                got[name] = type(err)
    assert got == expected


def test_get_adjustment_or_404(app, w, monkeypatch):
    """A bonus or penalty: scorers of its school only; ids out of range never reach the database."""
    top = EvaluationAdjustment(id=2**31 - 1, evaluation_id=w.evaluation.id, user_id=w.homeroom.id,
                               criterion_id=w.adjustment.criterion_id, points=1, evidence="x",
                               created_by_id=w.union.id)
    db.session.add(top)
    db.session.commit()
    assert w.adjustment.id == 1, "the world's bonus is the first adjustment (the lowest id in range)"
    asked = record_gets(monkeypatch)
    with acting_as(app, w.union):
        assert p.get_adjustment_or_404(1) is w.adjustment
        assert p.get_adjustment_or_404(2**31 - 1) is top
        for bad in (0, -1, 2**31, 2**70, "1", None, 2**31 - 2, w.other_school_adjustment.id):
            with pytest.raises(NotFound):
                p.get_adjustment_or_404(bad)
    assert [i for model, i in asked if model is EvaluationAdjustment] == [1, 2**31 - 1, 2**31 - 2,
                                                                           w.other_school_adjustment.id]
    for name in ("teacher", "dept_head"):
        with acting_as(app, getattr(w, name)), pytest.raises(Forbidden):
            p.get_adjustment_or_404(w.adjustment.id)
