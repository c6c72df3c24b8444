"""Home-page figures for each role: counts come from one grouped query each."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, literal, select

from ..documents.model import missing_header_fields
from ..extensions import db
from ..logins.services import code_holders
from ..models import (
    ClassGroup,
    Department,
    Enrollment,
    Role,
    School,
    SchoolYear,
    Student,
    StudentStatus,
    User,
    UserRole,
)


@dataclass
class SchoolCounts:
    students: int = 0
    enrolled: int = 0
    dropped_out: int = 0
    transferred: int = 0
    classes: int = 0
    staff: int = 0
    departments: int = 0


def school_counts(school_id: int, year: SchoolYear | None) -> SchoolCounts:
    """Totals for the school in `year` (students by status, classes, active staff, departments)."""
    counts = SchoolCounts()
    if year is not None:
        # The status as it was in that year: who left after the year ended was still enrolled then.
        status_then = case(
            (and_(Student.status != StudentStatus.ENROLLED, Student.status_date > year.end_date),
             literal(StudentStatus.ENROLLED.value)),
            else_=Student.status,
        )
        rows = db.session.execute(
            select(status_then, func.count())
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(Student.school_id == school_id, Enrollment.school_year_id == year.id)
            .group_by(status_then)
        ).all()
        by_status = {StudentStatus(status): n for status, n in rows}
        counts.enrolled = by_status.get(StudentStatus.ENROLLED, 0)
        counts.dropped_out = by_status.get(StudentStatus.DROPPED_OUT, 0)
        counts.transferred = by_status.get(StudentStatus.TRANSFERRED, 0)
        counts.students = sum(by_status.values())
        counts.classes = db.session.scalar(
            select(func.count()).select_from(ClassGroup).where(ClassGroup.school_year_id == year.id)
        )
    counts.staff = db.session.scalar(
        select(func.count()).select_from(User).where(User.school_id == school_id, User.active.is_(True))
    )
    counts.departments = db.session.scalar(
        select(func.count()).select_from(Department).where(Department.school_id == school_id)
    )
    return counts


SHOWN = 6  # names listed in a checklist step before "…"


def _names(rows) -> list[str]:
    names = [name for (name,) in rows]
    return names[:SHOWN] + (["…"] if len(names) > SHOWN else [])


def setup_checklist(school_id: int, year: SchoolYear | None, counts: SchoolCounts) -> list[tuple[str, bool, str, list]]:
    """What an admin still has to set up: (label key, done, endpoint, what is missing).

    A step is done only when it really is, and says what is missing: the school's header fields, the
    departments without a head, the active accounts nobody can log in to yet (no password and no
    login slip or invitation waiting: the step then leads to issuing them), the
    classes of the year without a homeroom teacher."""
    school = db.session.get(School, school_id)
    header_missing = missing_header_fields(school)
    headless = _names(db.session.execute(
        select(Department.name).where(Department.school_id == school_id, Department.head_id.is_(None))
        .order_by(Department.name)))
    no_login = _names(db.session.execute(
        select(User.full_name).where(User.school_id == school_id, User.active.is_(True),
                                     User.password_hash.is_(None), User.id.not_in(code_holders(school_id)))
        .order_by(User.full_name)))
    no_homeroom = _names(db.session.execute(
        select(ClassGroup.name).where(ClassGroup.school_year_id == year.id, ClassGroup.homeroom_teacher_id.is_(None))
        .order_by(ClassGroup.grade, ClassGroup.name))) if year is not None else []
    return [
        # the header of every official document (Decree 30/2020): printed incomplete without it
        ("school", not header_missing, "admin.school", header_missing),
        ("year", year is not None, "admin.years", []),
        ("departments", counts.departments > 0 and not headless, "admin.departments", headless),
        ("staff", counts.staff > 1 and not no_login, "logins.accounts" if no_login else "admin.users", no_login),
        ("classes", counts.classes > 0 and not no_homeroom, "admin.classes", no_homeroom),
        ("students", counts.enrolled > 0, "imports.upload", []),
    ]


def upcoming_milestones(year: SchoolYear | None, today: date) -> list[dict]:
    """The campaign calendar of `year`, each with its state relative to today."""
    if year is None:
        return []
    items = []
    for key, start, end in year.calendar():
        last = end or start
        if last < today:
            state = "past"
        elif start <= today <= last:
            state = "now"
        else:
            state = "upcoming"
        items.append({"key": key, "start": start, "end": end, "state": state, "days": (start - today).days})
    return items


def homeroom_classes(user: User, year: SchoolYear | None) -> list[tuple[ClassGroup, int]]:
    """The classes the user is homeroom teacher of in `year`, with their student counts."""
    if year is None:
        return []
    rows = db.session.execute(
        select(ClassGroup, func.count(Enrollment.id))
        .outerjoin(Enrollment, Enrollment.class_group_id == ClassGroup.id)
        .where(ClassGroup.school_year_id == year.id, ClassGroup.homeroom_teacher_id == user.id)
        .group_by(ClassGroup.id)
        .order_by(ClassGroup.grade, ClassGroup.name)
    ).all()
    return [(c, n) for c, n in rows]


def department_members(user: User) -> list[tuple[Department, list[User]]]:
    """The departments the user heads, each with its active members in name order."""
    departments = db.session.scalars(
        select(Department).where(Department.head_id == user.id).order_by(Department.code)
    ).all()
    if not departments:
        return []
    members = db.session.scalars(
        select(User)
        .where(User.department_id.in_([d.id for d in departments]), User.active.is_(True))
        .order_by(User.sort_key)
    ).all()
    return [(d, [m for m in members if m.department_id == d.id]) for d in departments]


def staff_by_department(school_id: int) -> list[tuple[str, int]]:
    """Active staff counted by department (for leadership and the union)."""
    rows = db.session.execute(
        select(Department.name, func.count(User.id))
        .select_from(User)
        .outerjoin(Department, Department.id == User.department_id)
        .where(User.school_id == school_id, User.active.is_(True))
        .group_by(Department.name)
        .order_by(Department.name)
    ).all()
    return [(name or "—", n) for name, n in rows]


def role_counts(school_id: int) -> dict[Role, int]:
    rows = db.session.execute(
        select(UserRole.role, func.count())
        .join(User, User.id == UserRole.user_id)
        .where(User.school_id == school_id, User.active.is_(True))
        .group_by(UserRole.role)
    ).all()
    return {role: n for role, n in rows}
