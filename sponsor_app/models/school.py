"""The school, its school years with the campaign calendar, departments and classes."""

from datetime import date

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .mixins import TimestampMixin


class School(TimestampMixin, db.Model):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    # The governing body printed above the school name on official documents.
    governing_body: Mapped[str | None] = mapped_column(String(200))
    place_name: Mapped[str | None] = mapped_column(String(100))  # "…, ngày … tháng … năm …"
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    principal_name: Mapped[str | None] = mapped_column(String(120))
    # The social-work focal point (đầu mối công tác xã hội): receives escalations with leadership.
    social_work_focal_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    # Replaced by a new random number in every transaction that changes the school's data
    # (sponsor_app/pagecache.py): pages kept in memory are valid while it stays the same.
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    social_work_focal: Mapped["User | None"] = relationship(foreign_keys=[social_work_focal_id])  # noqa: F821

    def __repr__(self) -> str:
        return f"<School {self.name}>"


class SchoolYear(TimestampMixin, db.Model):
    """A school year with its semesters and the campaign calendar (all editable dates)."""

    __tablename__ = "school_years"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))  # "2026-2027"
    start_date: Mapped[date]
    semester1_end: Mapped[date]
    semester2_start: Mapped[date]
    end_date: Mapped[date]
    pledge_deadline: Mapped[date]
    screening_start: Mapped[date]
    screening_end: Mapped[date]
    assignment_deadline: Mapped[date]
    note_day: Mapped[int] = mapped_column(default=25)  # monthly notes due by this day
    # Risk-score thresholds of the screening (edited with the criteria).
    risk_medium_min: Mapped[int] = mapped_column(default=3, server_default="3")
    risk_high_min: Mapped[int] = mapped_column(default=6, server_default="6")
    # "(Kèm theo kế hoạch số: …)" on the official assignment list; editable by leadership.
    plan_number: Mapped[str | None] = mapped_column(String(60))
    # Support plans are due this many days after the main mentor is assigned.
    plan_due_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # Monthly notes: days after the due day before the month locks (later changes are amendments).
    note_grace_days: Mapped[int] = mapped_column(default=3, server_default="3")
    # Reminder e-mails to mentors on these days of the month (before note_day), comma-separated.
    reminder_days: Mapped[str] = mapped_column(String(40), default="20,24", server_default="20,24")
    # Escalations must get a response within this many working hours.
    escalation_response_hours: Mapped[int] = mapped_column(default=8, server_default="8")
    report1_deadline: Mapped[date]
    report2_deadline: Mapped[date]
    is_current: Mapped[bool] = mapped_column(default=False)

    school: Mapped[School] = relationship()

    @property
    def first_year(self) -> int:
        return int(self.name[:4])

    def calendar(self) -> list[tuple[str, date, date | None]]:
        """The campaign milestones as (key, start, end-or-None), in date order."""
        items = [
            ("pledge", self.pledge_deadline, None),
            ("screening", self.screening_start, self.screening_end),
            ("assignment", self.assignment_deadline, None),
            ("report1", self.report1_deadline, None),
            ("semester1_end", self.semester1_end, None),
            ("report2", self.report2_deadline, None),
        ]
        return sorted(items, key=lambda item: item[1])

    def __repr__(self) -> str:
        return f"<SchoolYear {self.name}>"


class Department(TimestampMixin, db.Model):
    """A tổ chuyên môn (or the office), with its short code and head (tổ trưởng)."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    head_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))

    head: Mapped["User | None"] = relationship(foreign_keys=[head_id])  # noqa: F821

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class ClassGroup(TimestampMixin, db.Model):
    """A class in one school year: name as written (10A4, 6/1, 12.6), grade, homeroom teacher."""

    __tablename__ = "class_groups"
    __table_args__ = (UniqueConstraint("school_year_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    grade: Mapped[int]
    homeroom_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    school_year: Mapped[SchoolYear] = relationship()
    homeroom_teacher: Mapped["User | None"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<ClassGroup {self.name}>"
