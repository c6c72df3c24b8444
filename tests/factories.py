"""Small factory functions for tests: they add and flush, the test commits when it needs to."""

from datetime import date
from itertools import count

from werkzeug.security import generate_password_hash

from sponsor_app.admin.services import default_calendar
from sponsor_app.extensions import db
from sponsor_app.models import (
    ClassGroup,
    Department,
    Enrollment,
    Role,
    School,
    SchoolYear,
    Screening,
    Student,
    User,
)
from sponsor_app.text import grade_from_class_name, split_full_name

PASSWORD = "test-pass-123"
# Hashing with scrypt costs ~70 ms; tests log in hundreds of times, so test users get a cheap
# hash of the same password (check_password_hash reads the method from the hash itself).
_CHEAP_HASHES: dict[str, str] = {}
_seq = count(1)


def cheap_hash(password: str) -> str:
    if password not in _CHEAP_HASHES:
        _CHEAP_HASHES[password] = generate_password_hash(password, method="pbkdf2:sha256:1")
    return _CHEAP_HASHES[password]


def make_school(name: str = "Trường THPT Thử Nghiệm", **kw) -> School:
    school = School(name=name, **kw)
    db.session.add(school)
    db.session.flush()
    return school


def make_year(school: School, first_year: int = 2026, current: bool = True, **overrides) -> SchoolYear:
    data = default_calendar(first_year) | overrides
    year = SchoolYear(school_id=school.id, is_current=current, **data)
    db.session.add(year)
    db.session.flush()
    return year


def make_user(school: School, *roles: Role | str, username: str | None = None, full_name: str | None = None,
              department: Department | None = None, password: str = PASSWORD, active: bool = True) -> User:
    n = next(_seq)
    user = User(school_id=school.id, username=username or f"user{n}", active=active,
                department_id=department.id if department else None)
    user.set_full_name(full_name or f"Nguyễn Văn Người{n}")
    user.set_roles(roles or [Role.TEACHER])
    user.password_hash = cheap_hash(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_department(school: School, code: str = "TOAN", name: str = "Toán", head: User | None = None) -> Department:
    dept = Department(school_id=school.id, code=code, name=name, head_id=head.id if head else None)
    db.session.add(dept)
    db.session.flush()
    return dept


def make_class(year: SchoolYear, name: str = "10A1", homeroom: User | None = None) -> ClassGroup:
    group = ClassGroup(school_id=year.school_id, school_year_id=year.id, name=name,
                       grade=grade_from_class_name(name), homeroom_teacher_id=homeroom.id if homeroom else None)
    db.session.add(group)
    db.session.flush()
    return group


def make_student(class_group: ClassGroup, full_name: str | None = None, code: str | None = None,
                 dob: date | None = None, **kw) -> Student:
    n = next(_seq)
    student = Student(school_id=class_group.school_id, code=code or f"HS{n:06d}", date_of_birth=dob, **kw)
    student.set_name(*split_full_name(full_name or f"Trần Thị Học{n}"))
    db.session.add(student)
    db.session.flush()
    db.session.add(Enrollment(student_id=student.id, school_year_id=class_group.school_year_id,
                              class_group_id=class_group.id))
    db.session.flush()
    return student


def make_screening(student: Student, year: SchoolYear, by: User, *, proposed_on: date | None = None,
                   circumstances_text: str = "Gia đình khó khăn", **values) -> Screening:
    """A screening scored with the year's criteria (the defaults unless edited)."""
    from sponsor_app.screening.services import rescore

    screening = Screening(school_id=student.school_id, school_year_id=year.id, student_id=student.id,
                          proposed_by_id=by.id, proposed_on=proposed_on or year.screening_start,
                          circumstances_text=circumstances_text, **values)
    screening.student, screening.school_year = student, year
    db.session.add(screening)
    rescore(screening)
    db.session.flush()
    return screening
