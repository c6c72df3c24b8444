"""The department head's dashboard: each member with their mentees, this month's note state,
plan status, the ratings of the period and the on-time rate; the late and missing list of the
month; the sign-off queue's pending count.

Set-based: a constant number of queries whatever the number of mentors and mentees.
Functions read, or add and flush; the request commits.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import (
    Assignment,
    ClassGroup,
    Department,
    Enrollment,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    ReviewStatus,
    SchoolYear,
    Student,
    SupportPlan,
    User,
)
from ..periods import Period, current_month, parse_period
from ..progress.notes import MonthCell, month_cells, notes_by_student
from ..progress.plans import plans_by_student
from ..progress.reminders import Outstanding, outstanding_notes

DUE_STATES = ("done", "late_done", "overdue", "locked_missing")  # the due day has come (or it was sent)


def dashboard_period(args, year: SchoolYear, today: date) -> Period:
    """The period asked for; with no filter at all, the current month."""
    if "month" not in args and "semester" not in args:
        return Period(year, month=current_month(year, today))
    return parse_period(args, year)


def member_ids(department: Department):
    """Select of the department's members' ids (the mentors its head monitors)."""
    return select(User.id).where(User.department_id == department.id)


@dataclass
class MenteeRow:
    assignment: Assignment
    student: Student
    class_group: ClassGroup | None
    plan: SupportPlan | None
    cells: list[MonthCell]  # the period's months of the mentoring
    current: MonthCell | None  # the chosen month
    mentor: User | None = None

    @property
    def ratings(self) -> list[tuple[date, str | None]]:
        """(month, rating value or None) for each month of the period: the strip of the trend."""
        return [(c.month, c.note.rating.value if c.note and c.note.status == NoteStatus.SUBMITTED
                 and c.note.rating else None) for c in self.cells]


@dataclass
class MentorRow:
    mentor: User
    mentees: list[MenteeRow] = field(default_factory=list)

    @property
    def due(self) -> int:
        """Notes of the period whose due day has come (or that were sent)."""
        return sum(1 for m in self.mentees for c in m.cells if c.state.state in DUE_STATES)

    @property
    def on_time(self) -> int:
        return sum(1 for m in self.mentees for c in m.cells if c.state.state == "done")

    @property
    def on_time_rate(self) -> float | None:
        """Percent of the period's due notes sent on time (None when none was due yet)."""
        return round(100 * self.on_time / self.due) if self.due else None


@dataclass
class Dashboard:
    department: Department
    period: Period
    month: date
    mentors: list[MentorRow]
    missing: list[Outstanding]
    late: list[MenteeRow]
    pending: int

    @property
    def mentee_count(self) -> int:
        return sum(len(m.mentees) for m in self.mentors)


def department_members(department: Department) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.department_id == department.id, User.active.is_(True))
        .options(lazyload(User.role_rows)).order_by(User.sort_key, User.id)))


def pending_reviews(department: Department, year: SchoolYear) -> int:
    """Submitted notes of the department's mentors waiting for the head's sign-off."""
    return db.session.scalar(
        select(func.count(MonthlyNote.id)).join(User, User.id == MonthlyNote.author_id)
        .where(User.department_id == department.id, MonthlyNote.school_year_id == year.id,
               MonthlyNote.status == NoteStatus.SUBMITTED, MonthlyNote.review_status == ReviewStatus.PENDING)) or 0


def dashboard(department: Department, year: SchoolYear, period: Period, today: date) -> Dashboard:
    """Everything the dashboard shows, in seven queries whatever the size of the department."""
    month = period.month or current_month(year, today)
    members = department_members(department)
    rows = db.session.execute(
        select(Assignment, Student, ClassGroup)
        .join(Student, Student.id == Assignment.student_id)
        .join(User, User.id == Assignment.mentor_id)
        .outerjoin(Enrollment, and_(Enrollment.student_id == Assignment.student_id,
                                    Enrollment.school_year_id == Assignment.school_year_id))
        .outerjoin(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(User.department_id == department.id, User.active.is_(True),
               Assignment.school_year_id == year.id, Assignment.role == MentorRole.MAIN,
               Assignment.ended_on.is_(None))
        .order_by(Student.sort_key, Student.id)).all()
    ids = [a.student_id for a, _s, _c in rows]
    notes = notes_by_student(year, ids)
    plans = plans_by_student(year, ids) if ids else {}
    period_months = set(period.months())
    by_mentor = {m.id: MentorRow(m) for m in members}
    late = []
    for assignment, student, class_group in rows:
        cells = month_cells(year, assignment.started_on, today, notes.get(student.id, {}))
        current = next((c for c in cells if c.month == month), None)
        owner = by_mentor.get(assignment.mentor_id)
        mentee = MenteeRow(assignment, student, class_group, plans.get(student.id),
                           [c for c in cells if c.month in period_months], current,
                           owner.mentor if owner else None)
        if owner is None:  # an inactive member's mentee: not on the dashboard
            continue
        owner.mentees.append(mentee)
        if current and current.state.state == "late_done":
            late.append(mentee)
    late.sort(key=lambda m: (m.mentor.sort_key, m.mentor.id, m.student.sort_key, m.student.id))
    missing = outstanding_notes(department.school_id, year, month, mentor_ids=member_ids(department))
    return Dashboard(department=department, period=period, month=month, mentors=list(by_mentor.values()),
                     missing=missing, late=late, pending=pending_reviews(department, year))
