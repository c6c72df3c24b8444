"""Pledges (đăng ký nhận đỡ đầu), mentor assignments (phân công) and who teaches which class."""

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .mixins import TimestampMixin
from .school import ClassGroup, SchoolYear
from .student import Student
from .types import UTCDateTime
from .user import User


class Pledge(TimestampMixin, db.Model):
    """A staff member's registration to sponsor in one school year (willing or not)."""

    __tablename__ = "pledges"
    __table_args__ = (UniqueConstraint("user_id", "school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    willing: Mapped[bool] = mapped_column(default=True)
    capacity: Mapped[int] = mapped_column(default=1)  # how many mentees
    preferred_grade: Mapped[int | None]
    preferred_class_id: Mapped[int | None] = mapped_column(ForeignKey("class_groups.id"))
    preferred_commune: Mapped[str | None] = mapped_column(String(120))
    help_subject: Mapped[str | None] = mapped_column(String(80))  # tutoring in a subject
    help_home_visits: Mapped[bool] = mapped_column(default=False)
    help_material: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    pledged_on: Mapped[date]
    version: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship()
    preferred_class: Mapped[ClassGroup | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def effective_capacity(self) -> int:
        return self.capacity if self.willing else 0


class MentorRole(enum.StrEnum):
    MAIN = "main"  # GV đỡ đầu chính
    SUPPORT = "support"  # hỗ trợ


class Assignment(TimestampMixin, db.Model):
    """A mentor assigned to a student for a school year. Ended, never deleted (history)."""

    __tablename__ = "assignments"
    __table_args__ = (
        # At most one active main mentor per student and year.
        Index("uq_assignments_one_active_main", "student_id", "school_year_id", unique=True,
              sqlite_where=text("role = 'main' AND ended_on IS NULL"),
              postgresql_where=text("role = 'main' AND ended_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[MentorRole] = mapped_column(Enum(MentorRole, native_enum=False, length=10,
                                                  values_callable=lambda e: [m.value for m in e]))
    started_on: Mapped[date]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_on: Mapped[date | None] = mapped_column(index=True)
    end_reason: Mapped[str | None] = mapped_column(String(300))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    seen_by_mentor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the new-mentee notice

    student: Mapped[Student] = relationship()
    school_year: Mapped[SchoolYear] = relationship()
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])

    @property
    def active(self) -> bool:
        return self.ended_on is None


class ClassTeacher(db.Model):
    """Who teaches which class (and what), for mentor suggestions."""

    __tablename__ = "class_teachers"
    __table_args__ = (UniqueConstraint("class_group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_group_id: Mapped[int] = mapped_column(ForeignKey("class_groups.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(80))

    class_group: Mapped[ClassGroup] = relationship()
    user: Mapped[User] = relationship()
