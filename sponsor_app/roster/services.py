"""Roster reads: classes with counts, class lists in Vietnamese order, student search."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import ClassGroup, Enrollment, SchoolYear, Student, StudentStatus, User
from ..permissions import visible_classes, visible_students
from ..text import fold


def classes_with_counts(user: User, year: SchoolYear) -> list[tuple[ClassGroup, int]]:
    """The classes of `year` the user may open, by grade and name, with student counts."""
    classes = visible_classes(user, year).subquery()
    size = (select(func.count(Enrollment.id)).where(Enrollment.class_group_id == ClassGroup.id)
            .correlate(ClassGroup).scalar_subquery())
    rows = db.session.execute(
        select(ClassGroup, size)
        .join(classes, classes.c.id == ClassGroup.id)
        .options(joinedload(ClassGroup.homeroom_teacher).lazyload(User.role_rows))
        .order_by(ClassGroup.grade, ClassGroup.name)
    ).all()
    return [(c, n) for c, n in rows]


def class_students(class_group: ClassGroup) -> list[Student]:
    """The class list: given name first, Vietnamese collation."""
    return list(db.session.scalars(
        select(Student)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .where(Enrollment.class_group_id == class_group.id)
        .order_by(Student.sort_key, Student.code)
    ))


def search_students(user: User, year: SchoolYear, query: str = "", class_id: int | None = None,
                    status: StudentStatus | None = None):
    """A select of visible (Student, Enrollment) rows matching a diacritic-insensitive query."""
    stmt = visible_students(user, year).options(selectinload(Enrollment.class_group))
    needle = fold(query).strip()
    if needle:
        like = f"%{needle}%"
        stmt = stmt.where(or_(Student.search_text.like(like), Student.code.like(f"%{query.strip()}%")))
    if class_id:
        stmt = stmt.where(Enrollment.class_group_id == class_id)
    if status:
        stmt = stmt.where(Student.status == status)
    return stmt.order_by(ClassGroup.grade, ClassGroup.name, Student.sort_key)


def enrollment_in(student: Student, year: SchoolYear) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment)
        .where(Enrollment.student_id == student.id, Enrollment.school_year_id == year.id)
        .options(joinedload(Enrollment.class_group).joinedload(ClassGroup.homeroom_teacher)
                 .lazyload(User.role_rows))
    )


def student_history(student: Student) -> list[Enrollment]:
    """The student's classes across school years, newest first."""
    return list(db.session.scalars(
        select(Enrollment)
        .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id)
        .where(Enrollment.student_id == student.id)
        .options(joinedload(Enrollment.class_group), joinedload(Enrollment.school_year))
        .order_by(SchoolYear.start_date.desc())
    ))
