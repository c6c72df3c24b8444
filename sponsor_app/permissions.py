"""The one place that decides who may see or change what.

Two layers: `role_required` gates routes by role; the `visible_*` query scopes and the
`can_*` predicates decide row by row (a hidden button is not authorisation). Templates get
the same predicates, so what a page offers matches what the route allows.

Scopes (DOMAIN.md): leadership and admin see the whole school; a homeroom teacher sees the
class; a mentor sees own mentees (added with assignments); the union sees totals, never
students' records. Every scope is limited to the user's own school.
"""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from .extensions import db
from .models import (
    Assignment,
    ClassGroup,
    Department,
    Enrollment,
    Escalation,
    EscalationStatus,
    Evaluation,
    EvaluationAdjustment,
    EvaluationContest,
    MentorRole,
    MonthlyNote,
    Role,
    SchoolYear,
    Screening,
    Student,
    SupportPlan,
    User,
)

ROSTER_READERS = (Role.ADMIN, Role.LEADER)


def role_required(*roles: Role):
    """Route decorator: logged in and holding one of `roles`, else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = tuple(roles)
        return wrapped

    return decorator


def get_in_school_or_404(model, obj_id: int):
    """Load a school-owned row by id; another school's row is indistinguishable from none."""
    if not isinstance(obj_id, int) or not 0 < obj_id < 2**31:  # ids typed into forms, too
        abort(404)
    obj = db.session.get(model, obj_id)
    if obj is None or obj.school_id != current_user.school_id:
        abort(404)
    return obj


def in_school(stmt, model, user: User | None = None):
    """Limit a select to the user's school."""
    user = user or current_user
    return stmt.where(model.school_id == user.school_id)


# --- roster ---------------------------------------------------------------------------

def can_manage_roster(user: User) -> bool:
    return user.has_role(Role.ADMIN)


def can_view_roster(user: User) -> bool:
    return user.has_role(*ROSTER_READERS)


def visible_classes(user: User, year: SchoolYear):
    """Select of the classes of `year` the user may open."""
    stmt = select(ClassGroup).where(
        ClassGroup.school_id == user.school_id, ClassGroup.school_year_id == year.id
    )
    if can_view_roster(user):
        return stmt
    return stmt.where(ClassGroup.homeroom_teacher_id == user.id)


def visible_students(user: User, year: SchoolYear):
    """Select of (Student, Enrollment) rows of `year` whose records the user may read."""
    stmt = (
        select(Student, Enrollment)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(Student.school_id == user.school_id, Enrollment.school_year_id == year.id)
    )
    if can_view_roster(user):
        return stmt
    # Relationship grants only; the union role itself grants no student records.
    grants = (ClassGroup.homeroom_teacher_id == user.id) | Student.id.in_(mentee_ids(user, year))
    if user.has_role(Role.DEPT_HEAD):
        grants = grants | Student.id.in_(department_mentee_ids(user, year))
    return stmt.where(grants)


def mentee_ids(user: User, year: SchoolYear):
    """Students the user mentors (or mentored) in `year`, main or supporting."""
    return select(Assignment.student_id).where(Assignment.mentor_id == user.id,
                                               Assignment.school_year_id == year.id)


def department_member_ids(user: User):
    """Members of the departments the user heads (the mentors a department head monitors)."""
    return select(User.id).join(Department, Department.id == User.department_id).where(
        Department.head_id == user.id)


def department_mentee_ids(user: User, year: SchoolYear):
    """Students mentored in `year` by members of the departments the user heads."""
    return select(Assignment.student_id).where(Assignment.mentor_id.in_(department_member_ids(user)),
                                               Assignment.school_year_id == year.id)


def can_view_class(user: User, class_group: ClassGroup) -> bool:
    if class_group.school_id != user.school_id:
        return False
    return can_view_roster(user) or class_group.homeroom_teacher_id == user.id


def can_view_student(user: User, student: Student, year: SchoolYear) -> bool:
    """Whether the user may read this student's record in `year` (one query)."""
    if student.school_id != user.school_id:
        return False
    if can_view_roster(user):
        return True
    stmt = visible_students(user, year).where(Student.id == student.id).limit(1)
    return db.session.execute(stmt).first() is not None


def get_student_or_404(student_id: int, year: SchoolYear) -> Student:
    """Load a student and check the current user may read the record (404 / 403)."""
    student = get_in_school_or_404(Student, student_id)
    if not can_view_student(current_user, student, year):
        abort(403)
    return student


def get_class_or_404(class_id: int) -> ClassGroup:
    class_group = get_in_school_or_404(ClassGroup, class_id)
    if not can_view_class(current_user, class_group):
        abort(403)
    return class_group


# --- screening (sensitive) ----------------------------------------------------------------
# Narratives and circumstance flags: the student's homeroom teacher, the proposer, assigned
# mentors (with assignments) and leadership. Department heads and the union see counts only.

SCREENING_COUNT_READERS = (Role.LEADER, Role.DEPT_HEAD, Role.UNION)


def can_propose_screening(user: User) -> bool:
    """Any staff member may propose a student they know."""
    return user.has_role(Role.TEACHER, Role.LEADER)


def is_homeroom_of(user: User, student: Student, year: SchoolYear) -> bool:
    stmt = (select(ClassGroup.id).join(Enrollment, Enrollment.class_group_id == ClassGroup.id)
            .where(Enrollment.student_id == student.id, Enrollment.school_year_id == year.id,
                   ClassGroup.homeroom_teacher_id == user.id).limit(1))
    return db.session.execute(stmt).first() is not None


def visible_screenings(user: User, year: SchoolYear):
    """Select of the screenings of `year` whose contents the user may read."""
    stmt = select(Screening).where(Screening.school_id == user.school_id, Screening.school_year_id == year.id)
    if user.has_role(Role.LEADER):
        return stmt
    homeroom_students = (select(Enrollment.student_id)
                         .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
                         .where(Enrollment.school_year_id == year.id, ClassGroup.homeroom_teacher_id == user.id))
    return stmt.where((Screening.proposed_by_id == user.id) | Screening.student_id.in_(homeroom_students)
                      | Screening.student_id.in_(active_mentee_ids(user, year)))


def active_mentee_ids(user: User, year: SchoolYear):
    return mentee_ids(user, year).where(Assignment.ended_on.is_(None))


def is_mentor_of(user: User, student: Student, year: SchoolYear) -> bool:
    stmt = active_mentee_ids(user, year).where(Assignment.student_id == student.id).limit(1)
    return db.session.execute(stmt).first() is not None


def can_view_screening(user: User, screening: Screening) -> bool:
    """The homeroom teacher, the proposer, the assigned mentors (while assigned) and leadership."""
    if screening.school_id != user.school_id:
        return False
    if user.has_role(Role.LEADER) or screening.proposed_by_id == user.id:
        return True
    return (is_homeroom_of(user, screening.student, screening.school_year)
            or is_mentor_of(user, screening.student, screening.school_year))


def can_edit_screening(user: User, screening: Screening) -> bool:
    return can_view_screening(user, screening)


def can_verify_screening(user: User, screening: Screening) -> bool:
    """Verification is by the homeroom teacher or leadership."""
    if screening.school_id != user.school_id:
        return False
    return user.has_role(Role.LEADER) or is_homeroom_of(user, screening.student, screening.school_year)


def can_decide_screening(user: User, screening: Screening) -> bool:
    """Approving for sponsorship (or "not needed") is leadership's decision."""
    return screening.school_id == user.school_id and user.has_role(Role.LEADER)


def can_screen_class(user: User, class_group: ClassGroup) -> bool:
    """The class's screening board and sheet (download, upload): its homeroom teacher, and leadership
    for any class of the school."""
    if class_group.school_id != user.school_id:
        return False
    return user.has_role(Role.LEADER) or (class_group.homeroom_teacher_id == user.id
                                           and can_propose_screening(user))


def get_screening_class_or_404(class_id: int) -> ClassGroup:
    """A class whose screening the current user may do (404 another school's, 403 another class)."""
    class_group = get_in_school_or_404(ClassGroup, class_id)
    if not can_screen_class(current_user, class_group):
        abort(403)
    return class_group


# --- support plans ------------------------------------------------------------------------

def heads_department_of(user: User, mentor_id: int) -> bool:
    """Whether `user` heads the department the mentor belongs to."""
    stmt = (select(User.id).join(Department, Department.id == User.department_id)
            .where(User.id == mentor_id, Department.head_id == user.id).limit(1))
    return db.session.execute(stmt).first() is not None


def can_view_plan(user: User, plan: SupportPlan) -> bool:
    """Leadership, the student's mentors and homeroom teacher, the author's department head."""
    if plan.school_id != user.school_id:
        return False
    if user.has_role(Role.LEADER) or plan.author_id == user.id:
        return True
    return (is_mentor_of(user, plan.student, plan.school_year)
            or is_homeroom_of(user, plan.student, plan.school_year)
            or heads_department_of(user, plan.assignment.mentor_id))


def can_edit_plan(user: User, plan: SupportPlan) -> bool:
    """The student's current main mentor (not in a closed year)."""
    if plan.school_id != user.school_id or is_year_closed(plan.school_year_id):
        return False
    stmt = (select(Assignment.id).where(Assignment.student_id == plan.student_id,
                                        Assignment.school_year_id == plan.school_year_id,
                                        Assignment.mentor_id == user.id, Assignment.role == MentorRole.MAIN,
                                        Assignment.ended_on.is_(None)).limit(1))
    return db.session.execute(stmt).first() is not None


def can_review_plan(user: User, plan: SupportPlan) -> bool:
    """The head of the main mentor's department (or leadership)."""
    if plan.school_id != user.school_id:
        return False
    return user.has_role(Role.LEADER) or (user.has_role(Role.DEPT_HEAD)
                                          and heads_department_of(user, plan.assignment.mentor_id))


def get_plan_or_404(plan_id: int, check=can_view_plan) -> SupportPlan:
    plan = get_in_school_or_404(SupportPlan, plan_id)
    if not check(current_user, plan):
        abort(403)
    return plan


# --- monthly notes ------------------------------------------------------------------------
# Read: leadership, the student's mentors and homeroom teacher of that year, the head of the
# author's department (who signs notes off). The union sees totals only (issue 6 onward).

def is_active_mentor(user: User, student_id: int, year_id: int, role: MentorRole | None = None) -> bool:
    stmt = select(Assignment.id).where(Assignment.student_id == student_id, Assignment.school_year_id == year_id,
                                       Assignment.mentor_id == user.id, Assignment.ended_on.is_(None))
    if role is not None:
        stmt = stmt.where(Assignment.role == role)
    return db.session.execute(stmt.limit(1)).first() is not None


def can_view_notes(user: User, student: Student, year: SchoolYear) -> bool:
    """Whether the user may read the student's monthly notes of `year`."""
    if student.school_id != user.school_id:
        return False
    if user.has_role(Role.LEADER):
        return True
    if is_active_mentor(user, student.id, year.id) or is_homeroom_of(user, student, year):
        return True
    if user.has_role(Role.DEPT_HEAD):
        stmt = department_mentee_ids(user, year).where(Assignment.student_id == student.id).limit(1)
        return db.session.execute(stmt).first() is not None
    return False


def can_write_note(user: User, student: Student, year: SchoolYear) -> bool:
    """The student's current main mentor writes the monthly note (not in a closed year)."""
    return (student.school_id == user.school_id and is_active_mentor(user, student.id, year.id, MentorRole.MAIN)
            and not is_year_closed(year.id))


def can_contribute_note(user: User, student: Student, year: SchoolYear) -> bool:
    """Supporting mentors add their own contributions to a month (not in a closed year)."""
    return (student.school_id == user.school_id and is_active_mentor(user, student.id, year.id, MentorRole.SUPPORT)
            and not is_year_closed(year.id))


def can_review_note(user: User, note: MonthlyNote) -> bool:
    """The head of the author's department (or leadership) signs notes off."""
    if note.school_id != user.school_id:
        return False
    return user.has_role(Role.LEADER) or (user.has_role(Role.DEPT_HEAD) and heads_department_of(user, note.author_id))


def can_review_notes(user: User) -> bool:
    return user.has_role(Role.LEADER, Role.DEPT_HEAD)


def can_view_attention(user: User) -> bool:
    """Students needing attention: leadership (the school), department heads (their mentors' mentees)."""
    return user.has_role(Role.LEADER, Role.DEPT_HEAD)


def get_note_or_404(note_id: int, check=None) -> MonthlyNote:
    note = get_in_school_or_404(MonthlyNote, note_id)
    if check is not None:
        allowed = check(current_user, note)
    else:  # the author keeps reading what they wrote after the mentoring ended
        allowed = note.author_id == current_user.id or can_view_notes(current_user, note.student, note.school_year)
    if not allowed:
        abort(403)
    return note
# --- escalations --------------------------------------------------------------------------
# A serious concern (abuse, violence, crisis, imminent dropout) is a narrative about a minor:
# leadership and the school's social-work focal point see and answer every one; the person who
# raised it and the student's active main mentor follow it. Nobody else reads it (department
# heads and the union included, unless they raised it).

def is_focal_point(user: User) -> bool:
    """The school's social-work focal point (đầu mối CTXH), set in the school's settings."""
    return user.is_authenticated and user.school.social_work_focal_id == user.id


def is_escalation_responder(user: User) -> bool:
    """Leadership and the focal point: they receive, answer, refer and close escalations."""
    return user.has_role(Role.LEADER) or is_focal_point(user)


def active_main_mentee_ids(user: User, year_id: int):
    return select(Assignment.student_id).where(
        Assignment.mentor_id == user.id, Assignment.school_year_id == year_id,
        Assignment.role == MentorRole.MAIN, Assignment.ended_on.is_(None))


def is_main_mentor_of(user: User, student_id: int, year_id: int) -> bool:
    stmt = active_main_mentee_ids(user, year_id).where(Assignment.student_id == student_id).limit(1)
    return db.session.execute(stmt).first() is not None


def can_raise_escalation(user: User, student: Student, year: SchoolYear) -> bool:
    """The student's active mentors (main or supporting), homeroom teacher, and leadership."""
    if student.school_id != user.school_id or year.school_id != user.school_id:
        return False
    return (user.has_role(Role.LEADER) or is_mentor_of(user, student, year)
            or is_homeroom_of(user, student, year))


def visible_escalations(user: User, year: SchoolYear):
    """Select of the escalations of `year` the user may see (list pages)."""
    stmt = select(Escalation).where(Escalation.school_id == user.school_id,
                                    Escalation.school_year_id == year.id)
    if is_escalation_responder(user):
        return stmt
    return stmt.where((Escalation.raised_by_id == user.id)
                      | Escalation.student_id.in_(active_main_mentee_ids(user, year.id)))


def can_view_escalation(user: User, escalation: Escalation) -> bool:
    """Leadership, the focal point, the raiser and the student's active main mentor."""
    if escalation.school_id != user.school_id:
        return False
    if is_escalation_responder(user) or escalation.raised_by_id == user.id:
        return True
    return is_main_mentor_of(user, escalation.student_id, escalation.school_year_id)


def can_update_escalation(user: User, escalation: Escalation) -> bool:
    """Whoever may follow it may add what was done (only a responder's update stops the clock)."""
    return escalation.status != EscalationStatus.CLOSED and can_view_escalation(user, escalation)


def can_respond_escalation(user: User, escalation: Escalation) -> bool:
    """Refer, record referral outcomes and close: leadership and the focal point."""
    return escalation.school_id == user.school_id and is_escalation_responder(user)


def can_manage_directory(user: User) -> bool:
    """The directory of referral services: admin and leadership."""
    return user.has_role(Role.ADMIN, Role.LEADER)


def can_manage_holidays(user: User) -> bool:
    return user.has_role(Role.ADMIN)


def get_escalation_or_404(escalation_id: int, check=can_view_escalation) -> Escalation:
    """Load an escalation of the user's school and check the user may see (or act on) it."""
    escalation = get_in_school_or_404(Escalation, escalation_id)
    if not check(current_user, escalation):
        abort(403)
    return escalation


def can_assign_mentors(user: User) -> bool:
    """Assignment is decided by leadership (at the assignment meeting)."""
    return user.has_role(Role.LEADER)


def can_view_pledges(user: User) -> bool:
    return user.has_role(Role.LEADER, Role.DEPT_HEAD)


def can_view_coverage(user: User) -> bool:
    return user.has_role(Role.LEADER, Role.DEPT_HEAD, Role.UNION)


def can_manage_criteria(user: User) -> bool:
    return user.has_role(Role.ADMIN, Role.LEADER)


def get_screening_or_404(screening_id: int, check=can_view_screening) -> Screening:
    """Load a screening and check the current user may read (or, with `check`, act on) it."""
    screening = get_in_school_or_404(Screening, screening_id)
    if not check(current_user, screening):
        abort(403)
    return screening


# --- department monitoring ---
# The head of a department follows its mentors (dashboard, monthly report with student names);
# leadership sees every department. Nobody else, the union included (it sees totals elsewhere).

def can_monitor_department(user: User, department: Department) -> bool:
    if department.school_id != user.school_id:
        return False
    return user.has_role(Role.LEADER) or (user.has_role(Role.DEPT_HEAD) and department.head_id == user.id)


def can_monitor_departments(user: User) -> bool:
    """Whether the user may open the department dashboard at all (leadership, department heads)."""
    return user.has_role(Role.LEADER, Role.DEPT_HEAD)


def monitored_departments(user: User):
    """Select of the departments the user monitors: leadership all of the school's, a head theirs."""
    stmt = select(Department).where(Department.school_id == user.school_id).order_by(Department.name, Department.id)
    if user.has_role(Role.LEADER):
        return stmt
    if user.has_role(Role.DEPT_HEAD):
        return stmt.where(Department.head_id == user.id)
    return stmt.where(False)


def get_department_or_404(department_id: int, check=can_monitor_department) -> Department:
    """Load a department of the user's school (404 otherwise) the user may monitor (403 otherwise)."""
    department = get_in_school_or_404(Department, department_id)
    if not check(current_user, department):
        abort(403)
    return department


# --- school dashboard -----------------------------------------------------------------------
# Leadership and the union see how the whole school is doing; only leadership sees students'
# names there (the union gets the same totals, never a name, a note or a concern's text).

def can_view_dashboard(user: User) -> bool:
    return user.has_role(Role.LEADER, Role.UNION)


def can_see_names_on_dashboard(user: User) -> bool:
    return user.has_role(Role.LEADER)


# --- twice-yearly reports, year-end review, rollover ---------------------------------------
# The reports name students and quote their circumstances: leadership prepares, reads, exports and
# submits them. The union co-evaluates the campaign each semester: it sees a report's summary
# figures (no narrative, no student table). Department heads see neither (they have their own
# monthly report). The year-end review and the rollover of open cases are leadership's.

def can_prepare_reports(user: User) -> bool:
    return user.has_role(Role.LEADER)


def can_view_report_figures(user: User) -> bool:
    return user.has_role(Role.LEADER, Role.UNION)


def can_close_year(user: User) -> bool:
    return user.has_role(Role.LEADER)


def is_year_closed(year_id: int) -> bool:
    """A school year closed after its year-end review takes no more campaign writes."""
    from .models import YearClosure

    stmt = select(YearClosure.id).where(YearClosure.school_year_id == year_id).limit(1)
    return db.session.execute(stmt).first() is not None


def get_year_or_404(year_id: int) -> SchoolYear:
    """A school year of the user's school (another school's is not found)."""
    return get_in_school_or_404(SchoolYear, year_id)
# --- emulation scoring (thi đua) ------------------------------------------------------------
# The union defines the rubric and scores the sheets with leadership; leadership approves and
# locks results. Sheets carry scores and indicators only (no student's name or narrative).
# Every staff member sees their own breakdown once a sheet is published, and may contest it.

def can_view_emulation(user: User) -> bool:
    """The evaluation sheets, rankings and commendation proposals: the union and leadership."""
    return user.has_role(Role.UNION, Role.LEADER)


def can_edit_rubric(user: User) -> bool:
    return user.has_role(Role.UNION)


def can_score_emulation(user: User) -> bool:
    """Manual points, bonuses and penalties, publishing a sheet."""
    return user.has_role(Role.UNION, Role.LEADER)


def can_answer_contests(user: User) -> bool:
    return user.has_role(Role.UNION)


def can_lock_emulation(user: User) -> bool:
    """Approving and locking (or unlocking) a semester or year result is leadership's."""
    return user.has_role(Role.LEADER)


def get_contest_or_404(contest_id: int):
    contest = get_in_school_or_404(EvaluationContest, contest_id)
    if not (can_view_emulation(current_user) or contest.user_id == current_user.id):
        abort(403)
    return contest


def get_adjustment_or_404(adjustment_id: int):
    """A bonus or penalty of the user's school (their evaluations belong to it), for scorers only."""
    if not isinstance(adjustment_id, int) or not 0 < adjustment_id < 2**31:
        abort(404)
    adjustment = db.session.get(EvaluationAdjustment, adjustment_id)
    evaluation = db.session.get(Evaluation, adjustment.evaluation_id) if adjustment else None
    if evaluation is None or evaluation.school_id != current_user.school_id:
        abort(404)
    if not can_score_emulation(current_user):
        abort(403)
    return adjustment


TEMPLATE_PREDICATES = {
    "can_manage_roster": can_manage_roster,
    "can_view_roster": can_view_roster,
    "can_view_class": can_view_class,
    "can_propose_screening": can_propose_screening,
    "can_view_screening": can_view_screening,
    "can_edit_screening": can_edit_screening,
    "can_verify_screening": can_verify_screening,
    "can_decide_screening": can_decide_screening,
    "can_screen_class": can_screen_class,
    "can_manage_criteria": can_manage_criteria,
    "can_assign_mentors": can_assign_mentors,
    "can_view_pledges": can_view_pledges,
    "can_view_coverage": can_view_coverage,
    "can_edit_plan": can_edit_plan,
    "can_review_plan": can_review_plan,
    "can_view_notes": can_view_notes,
    "can_write_note": can_write_note,
    "can_contribute_note": can_contribute_note,
    "can_review_note": can_review_note,
    "can_review_notes": can_review_notes,
    "can_view_attention": can_view_attention,
    "is_focal_point": is_focal_point,
    "is_escalation_responder": is_escalation_responder,
    "can_raise_escalation": can_raise_escalation,
    "can_view_escalation": can_view_escalation,
    "can_update_escalation": can_update_escalation,
    "can_respond_escalation": can_respond_escalation,
    "can_manage_directory": can_manage_directory,
    "can_manage_holidays": can_manage_holidays,
    "can_monitor_department": can_monitor_department,
    "can_monitor_departments": can_monitor_departments,
    "can_view_dashboard": can_view_dashboard,
    "can_see_names_on_dashboard": can_see_names_on_dashboard,
    "can_prepare_reports": can_prepare_reports,
    "can_view_report_figures": can_view_report_figures,
    "can_close_year": can_close_year,
    "can_view_emulation": can_view_emulation,
    "can_edit_rubric": can_edit_rubric,
    "can_score_emulation": can_score_emulation,
    "can_answer_contests": can_answer_contests,
    "can_lock_emulation": can_lock_emulation,
}
