"""The twice-yearly reports (30/12 and 25/5), the year-end review and the rollover of open cases."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .mixins import TimestampMixin
from .school import SchoolYear
from .student import Student
from .types import UTCDateTime, enum_type
from .user import User


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"  # đang soạn: figures generated from the data as of `as_of`
    SUBMITTED = "submitted"  # đã gửi: `snapshot` holds the figures and rows, never recomputed


class SemesterReport(TimestampMixin, db.Model):
    """Report 1 (term 1, due 30/12) or report 2 (term 2, due 25/5) of a school year.

    While a draft, the document is generated from the data as of `as_of`; submitting stores the
    generated parts and the narratives in `snapshot` (JSON) and locks the row. `version` detects
    two people editing the narratives at once.
    """

    __tablename__ = "semester_reports"
    __table_args__ = (UniqueConstraint("school_year_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    term: Mapped[int]  # 1 or 2
    number: Mapped[str | None] = mapped_column(String(60))  # "Số: 12/BC-THPTHB"
    as_of: Mapped[date]  # the figures are the data as of this day
    report_date: Mapped[date]  # "…, ngày … tháng … năm …"
    results: Mapped[str | None] = mapped_column(Text)  # kết quả đạt được
    difficulties: Mapped[str | None] = mapped_column(Text)  # khó khăn, hạn chế
    proposals: Mapped[str | None] = mapped_column(Text)  # đề xuất, kiến nghị
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus), default=ReportStatus.DRAFT, index=True)
    snapshot: Mapped[dict | None] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    school_year: Mapped[SchoolYear] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    edited_by: Mapped[User | None] = relationship(foreign_keys=[edited_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def locked(self) -> bool:
        return self.status == ReportStatus.SUBMITTED


class YearClosure(TimestampMixin, db.Model):
    """A school year closed after its year-end review: no campaign writes any more."""

    __tablename__ = "year_closures"
    __table_args__ = (UniqueConstraint("school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    next_year_id: Mapped[int | None] = mapped_column(ForeignKey("school_years.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    school_year: Mapped[SchoolYear] = relationship(foreign_keys=[school_year_id])
    next_year: Mapped[SchoolYear | None] = relationship(foreign_keys=[next_year_id])
    closed_by: Mapped[User] = relationship()


class CaseDecision(enum.StrEnum):
    CARRY = "carry"  # tiếp tục đỡ đầu (same main mentor)
    HANDOVER = "handover"  # bàn giao cho GV khác (with a handover note)
    CLOSE = "close"  # kết thúc đỡ đầu (with a reason)


class CloseReason(enum.StrEnum):
    NOT_AT_RISK = "not_at_risk"  # không còn nguy cơ
    GRADUATED = "graduated"  # đã ra trường
    MOVED = "moved"  # chuyển trường, chuyển đi nơi khác
    DROPPED_OUT = "dropped_out"  # đã bỏ học


class RolloverCase(TimestampMixin, db.Model):
    """Leadership's decision, at the year's end, on one open case of the closing year.

    Nothing of the closing year is changed: a carried or handed-over case gets a new mentoring
    (and a new support plan referencing the old one) in the next year.
    """

    __tablename__ = "rollover_cases"
    __table_args__ = (UniqueConstraint("from_year_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    from_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    to_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    decision: Mapped[CaseDecision] = mapped_column(enum_type(CaseDecision))
    close_reason: Mapped[CloseReason | None] = mapped_column(enum_type(CloseReason))
    note: Mapped[str | None] = mapped_column(Text)  # the handover note, or why the case closed
    previous_mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    new_mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    new_assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    previous_plan_id: Mapped[int | None] = mapped_column(ForeignKey("support_plans.id"))
    new_plan_id: Mapped[int | None] = mapped_column(ForeignKey("support_plans.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)

    student: Mapped[Student] = relationship()
    previous_mentor: Mapped[User | None] = relationship(foreign_keys=[previous_mentor_id])
    new_mentor: Mapped[User | None] = relationship(foreign_keys=[new_mentor_id])
    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])
