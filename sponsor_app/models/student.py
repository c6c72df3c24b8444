"""Students and their class in each school year."""

import enum
from datetime import date

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..text import fold, join_name, name_sort_key
from .mixins import TimestampMixin
from .school import ClassGroup, SchoolYear


class StudentStatus(enum.StrEnum):
    ENROLLED = "enrolled"  # đang học
    TRANSFERRED = "transferred"  # chuyển trường
    DROPPED_OUT = "dropped_out"  # bỏ học
    GRADUATED = "graduated"  # đã ra trường (finished the last grade)


class Student(TimestampMixin, db.Model):
    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # mã học sinh / mã định danh: text, zeros kept
    moet_id: Mapped[str | None] = mapped_column(String(40))
    family_name: Mapped[str] = mapped_column(String(60), default="")
    middle_name: Mapped[str] = mapped_column(String(60), default="")
    given_name: Mapped[str] = mapped_column(String(60))
    sort_key: Mapped[str] = mapped_column(String(400), default="", index=True)
    search_text: Mapped[str] = mapped_column(String(300), default="")
    date_of_birth: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(10))
    ethnicity: Mapped[str | None] = mapped_column(String(40))
    commune: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(300))
    guardian_name: Mapped[str | None] = mapped_column(String(120))  # "Người đỡ đầu" in vnEdu
    guardian_phone: Mapped[str | None] = mapped_column(String(40))
    father_name: Mapped[str | None] = mapped_column(String(120))
    mother_name: Mapped[str | None] = mapped_column(String(120))
    policy: Mapped[str | None] = mapped_column(String(200))  # diện chính sách
    disability: Mapped[str | None] = mapped_column(String(200))
    boarding: Mapped[str | None] = mapped_column(String(40))  # nội trú / bán trú
    status: Mapped[StudentStatus] = mapped_column(
        Enum(StudentStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=StudentStatus.ENROLLED,
    )
    status_date: Mapped[date | None]
    status_note: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(default=1)

    enrollments: Mapped[list["Enrollment"]] = relationship(back_populates="student")

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return join_name(self.family_name, self.middle_name, self.given_name)

    @staticmethod
    def name_columns(family: str | None, middle: str | None, given: str, code: str | None) -> dict:
        """The name parts with their derived sort and search keys, as column values (`set_name`, and
        the inserts of a whole class list)."""
        family, middle = family or "", middle or ""
        return {"family_name": family, "middle_name": middle, "given_name": given,
                "sort_key": name_sort_key(family, middle, given),
                "search_text": f"{fold(join_name(family, middle, given))} {fold(code)}"}

    def set_name(self, family: str, middle: str, given: str) -> None:
        """Set the name parts and the derived sort and search keys."""
        for column, value in self.name_columns(family, middle, given, self.code).items():
            setattr(self, column, value)

    def __repr__(self) -> str:
        return f"<Student {self.code}>"


class Enrollment(db.Model):
    """A student's class in a school year (one class per student per year)."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("student_id", "school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    class_group_id: Mapped[int] = mapped_column(ForeignKey("class_groups.id"), index=True)

    student: Mapped[Student] = relationship(back_populates="enrollments")
    school_year: Mapped[SchoolYear] = relationship()
    class_group: Mapped[ClassGroup] = relationship()
