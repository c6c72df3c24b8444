"""Admin operations on the roster. Functions add and flush; the request commits."""

import secrets
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from .. import audit
from ..assignments.services import REASON_STUDENT_LEFT, end_student_assignments
from ..exceptions import RuleError
from ..extensions import db
from ..logins.services import revoke_codes
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
)
from ..text import fold, grade_from_class_name, split_full_name
from ..timeutil import local_today

TEMP_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 — an alphabet; no look-alikes l/1, o/0


def temporary_password() -> str:
    """A random one-time password, easy to read aloud in the staff room."""
    return "-".join("".join(secrets.choice(TEMP_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))


def suggest_username(full_name: str, taken: set[str] | None = None) -> str:
    """given name + initials of family and middle names: "Đỗ Kim Mai" → "maidk" (then maidk2, ...)."""
    family, middle, given = split_full_name(full_name)
    initials = "".join(fold(w)[:1] for w in f"{family} {middle}".split())
    base = "".join(ch for ch in fold(given) + initials if ch.isalnum()) or "user"
    taken = taken if taken is not None else set()
    existing = set(db.session.scalars(select(User.username).where(User.username.like(f"{base}%"))))
    candidate, n = base, 1
    while candidate in existing or candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _username_taken(username: str, except_id: int | None = None) -> bool:
    stmt = select(User.id).where(User.username == username)
    if except_id:
        stmt = stmt.where(User.id != except_id)
    return db.session.scalar(stmt) is not None


def save_user(user: User | None, school: School, data: dict, *, roles) -> tuple[User, str | None]:
    """Create or update a staff account. A new account gets a temporary password (returned once).

    :raises RuleError: the username is taken.
    """
    if _username_taken(data["username"], user.id if user else None):
        raise RuleError(_("Tên đăng nhập %(u)s đã có người dùng.", u=data["username"]))
    password = None
    if user is None:
        user = User(school_id=school.id, username=data["username"], full_name="")
        password = temporary_password()
        user.set_password(password)
        user.must_change_password = True
        db.session.add(user)
    for key in ("username", "position", "subject", "gender", "date_of_birth", "phone", "email", "department_id"):
        setattr(user, key, data.get(key) or None)
    user.set_full_name(data["full_name"])
    user.set_roles(roles)
    db.session.flush()
    audit.record("user_saved", user, roles=sorted(r for r in roles))
    return user, password


def deactivate_user(user: User, *, by: User) -> None:
    """Deactivate an account: it can no longer log in and every session ends. Nothing is deleted.

    :raises RuleError: deactivating oneself.
    """
    if user.id == by.id:
        raise RuleError(_("Bạn không thể tự khóa tài khoản của mình."))
    user.active = False
    user.end_sessions()
    revoke_codes([user.id])  # a printed slip or an invitation must not outlive the account's closing
    audit.record("user_deactivated", user)


def reactivate_user(user: User) -> None:
    user.active = True
    audit.record("user_reactivated", user)


def reset_password(user: User) -> str:
    """Give the user a new temporary password (to change at next login); ends their sessions."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.end_sessions()
    revoke_codes([user.id])  # the new temporary password replaces a slip's code
    audit.record("password_reset", user)
    return password


def save_department(dept: Department | None, school: School, data: dict) -> Department:
    """Create or update a department; its head gets the dept_head role.

    :raises RuleError: the code is taken.
    """
    clash = db.session.scalar(select(Department.id).where(
        Department.school_id == school.id, Department.code == data["code"],
        Department.id != (dept.id if dept else -1)))
    if clash:
        raise RuleError(_("Mã tổ %(c)s đã có.", c=data["code"]))
    if dept is None:
        dept = Department(school_id=school.id)
        db.session.add(dept)
    old_head = dept.head
    dept.code, dept.name = data["code"], data["name"]
    dept.head = db.session.get(User, data["head_id"]) if data.get("head_id") else None
    db.session.flush()
    if dept.head is not None:
        dept.head.set_roles(dept.head.roles | {Role.DEPT_HEAD})
        if dept.head.department_id is None:
            dept.head.department_id = dept.id
    if old_head is not None and old_head is not dept.head:
        still_heads = db.session.scalar(select(func.count()).select_from(Department).where(Department.head_id == old_head.id))
        if not still_heads:
            old_head.set_roles(old_head.roles - {Role.DEPT_HEAD})
    audit.record("department_saved", dept, code=dept.code)
    return dept


def save_class(class_group: ClassGroup | None, year: SchoolYear, data: dict) -> ClassGroup:
    """Create or update a class of `year`; the grade is the leading number of its name.

    :raises RuleError: the name is taken in that year or has no grade.
    """
    grade = grade_from_class_name(data["name"])
    if grade is None:
        raise RuleError(_("Tên lớp phải bắt đầu bằng khối, ví dụ 10A4."))
    clash = db.session.scalar(select(ClassGroup.id).where(
        ClassGroup.school_year_id == year.id, ClassGroup.name == data["name"],
        ClassGroup.id != (class_group.id if class_group else -1)))
    if clash:
        raise RuleError(_("Lớp %(n)s đã có trong năm học %(y)s.", n=data["name"], y=year.name))
    if class_group is None:
        class_group = ClassGroup(school_id=year.school_id, school_year_id=year.id)
        db.session.add(class_group)
    class_group.name = data["name"]
    class_group.grade = grade
    class_group.homeroom_teacher_id = data.get("homeroom_teacher_id")
    db.session.flush()
    audit.record("class_saved", class_group, name=class_group.name)
    return class_group


def default_calendar(first_year: int) -> dict[str, date | int | str]:
    """The seed plan's calendar for the year starting in September of `first_year` (with the
    reminder days and the escalation response hours)."""
    y1, y2 = first_year, first_year + 1
    return {
        "name": f"{y1}-{y2}",
        "start_date": date(y1, 9, 5),
        "semester1_end": date(y2, 1, 15),
        "semester2_start": date(y2, 1, 19),
        "end_date": date(y2, 5, 31),
        "pledge_deadline": date(y1, 11, 20),
        "screening_start": date(y1, 12, 1),
        "screening_end": date(y1, 12, 30),
        "assignment_deadline": date(y1, 12, 30),
        "note_day": 25,
        "note_grace_days": 3,
        "plan_due_days": 14,
        "report1_deadline": date(y1, 12, 30),
        "report2_deadline": date(y2, 5, 25),
        "reminder_days": "20,24",
        "escalation_response_hours": 8,
    }


YEAR_FIELDS = ("name", "start_date", "semester1_end", "semester2_start", "end_date", "pledge_deadline",
               "screening_start", "screening_end", "assignment_deadline", "note_day",
               "note_grace_days", "plan_due_days", "report1_deadline", "report2_deadline", "reminder_days", "escalation_response_hours")


def save_year(year: SchoolYear | None, school: School, data: dict, *, make_current: bool = False) -> SchoolYear:
    """Create or update a school year with its calendar.

    :raises RuleError: the name is taken.
    """
    clash = db.session.scalar(select(SchoolYear.id).where(
        SchoolYear.school_id == school.id, SchoolYear.name == data["name"],
        SchoolYear.id != (year.id if year else -1)))
    if clash:
        raise RuleError(_("Năm học %(y)s đã có.", y=data["name"]))
    if year is None:
        year = SchoolYear(school_id=school.id)
        db.session.add(year)
    for key in YEAR_FIELDS:
        setattr(year, key, data[key])
    db.session.flush()
    if make_current or not has_current_year(school.id, besides=year):  # the first year is current by default
        set_current_year(year)
    audit.record("year_saved", year, name=year.name)
    return year


def has_current_year(school_id: int, besides: SchoolYear | None = None) -> bool:
    """Whether another year of the school is marked current."""
    return db.session.scalar(select(SchoolYear.id).where(
        SchoolYear.school_id == school_id, SchoolYear.is_current.is_(True),
        SchoolYear.id != (besides.id if besides is not None else -1)).limit(1)) is not None


def set_current_year(year: SchoolYear) -> None:
    for other in db.session.scalars(select(SchoolYear).where(SchoolYear.school_id == year.school_id)):
        other.is_current = other.id == year.id


STUDENT_FIELDS = ("date_of_birth", "gender", "ethnicity", "commune", "address", "father_name", "mother_name",
                  "guardian_name", "guardian_phone", "policy", "disability", "boarding", "status_note")


def save_student(student: Student | None, year: SchoolYear, class_group: ClassGroup, data: dict) -> Student:
    """Create or update a student and their class in `year`.

    :raises RuleError: the code is taken by another student.
    """
    clash = db.session.scalar(select(Student.id).where(
        Student.school_id == year.school_id, Student.code == data["code"],
        Student.id != (student.id if student else -1)))
    if clash:
        raise RuleError(_("Mã học sinh %(c)s đã có.", c=data["code"]))
    if student is None:
        student = Student(school_id=year.school_id)
        db.session.add(student)
    student.code = data["code"]
    for key in STUDENT_FIELDS:
        setattr(student, key, data.get(key) or None)
    student.set_name(data.get("family_name") or "", data.get("middle_name") or "", data["given_name"])
    status = StudentStatus(data.get("status") or StudentStatus.ENROLLED)
    change_status(student, status, data.get("status_date"))
    db.session.flush()
    enroll(student, year, class_group)
    audit.record("student_saved", student, code=student.code, status=status.value)
    return student


def change_status(student: Student, status: StudentStatus, on: date | None, *, by: User | None = None) -> None:
    """Set the student's status; a student who drops out or transfers ends every active mentoring.

    Graduation ends nothing: it comes at a year's end, and that year's list keeps its mentors.
    """
    if status == StudentStatus.ENROLLED:
        student.status, student.status_date = status, None
        return
    changed = student.status != status
    student.status, student.status_date = status, on or student.status_date or local_today()
    if changed and student.id is not None and status in (StudentStatus.DROPPED_OUT, StudentStatus.TRANSFERRED):
        end_student_assignments(student, REASON_STUDENT_LEFT, by=by)


def enroll(student: Student, year: SchoolYear, class_group: ClassGroup) -> None:
    """Put the student in `class_group` for `year` (moving them if already in another class)."""
    enroll_all([(student.id, class_group.id)], year)


def enroll_all(placements: list[tuple[int, int]], year: SchoolYear) -> None:
    """`enroll` for many (student id, class id) at once (a class list): the students' enrollments of
    `year` are looked up in a few queries and the new ones inserted together, not one by one."""
    found: dict[int, Enrollment] = {}
    ids = [student_id for student_id, _class_id in placements]
    for start in range(0, len(ids), 500):
        found.update((e.student_id, e) for e in db.session.scalars(select(Enrollment).where(
            Enrollment.school_year_id == year.id, Enrollment.student_id.in_(ids[start:start + 500]))))
    new = {}
    for student_id, class_id in placements:
        if student_id in found:
            found[student_id].class_group_id = class_id
        else:
            new[student_id] = {"student_id": student_id, "school_year_id": year.id, "class_group_id": class_id}
    if new:
        db.session.execute(insert(Enrollment), list(new.values()))

