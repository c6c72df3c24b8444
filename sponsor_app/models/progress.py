"""Support plans (kế hoạch giúp đỡ): semester goals → monthly targets → weekly actions."""

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .assignment import Assignment
from .mixins import TimestampMixin
from .school import SchoolYear
from .student import Student
from .types import UTCDateTime
from .user import User


def _enum(cls, length=20):
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"  # the mentor is writing it
    SUBMITTED = "submitted"  # waiting for the department head
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"  # back to the mentor with a comment


class Horizon(enum.StrEnum):
    SEMESTER = "semester"
    MONTH = "month"
    WEEK = "week"


class Domain(enum.StrEnum):
    LEARNING = "learning"  # học tập
    CONDUCT = "conduct"  # rèn luyện


class SupportPlan(TimestampMixin, db.Model):
    """One plan per student per school year; the main mentor writes it (a new main mentor continues it)."""

    __tablename__ = "support_plans"
    __table_args__ = (UniqueConstraint("student_id", "school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))  # the main mentoring it serves
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus), default=PlanStatus.DRAFT, index=True)
    due_on: Mapped[date]  # assignment start + the year's plan_due_days
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_on_time: Mapped[bool | None]  # stored at submission, never recomputed
    student_agreed: Mapped[bool] = mapped_column(default=False)
    family_agreed: Mapped[bool] = mapped_column(default=False)
    agreed_on: Mapped[date | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    student: Mapped[Student] = relationship()
    school_year: Mapped[SchoolYear] = relationship()
    assignment: Mapped[Assignment] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    goals: Mapped[list["PlanGoal"]] = relationship(back_populates="plan", order_by="PlanGoal.position")

    __mapper_args__ = {"version_id_col": version}


class PlanGoal(TimestampMixin, db.Model):
    """A semester goal, a monthly target under it, or a weekly action under a target.

    Archived instead of deleted: monthly notes record progress against targets.
    """

    __tablename__ = "plan_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plans.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plan_goals.id"), index=True)
    horizon: Mapped[Horizon] = mapped_column(_enum(Horizon))
    domain: Mapped[Domain] = mapped_column(_enum(Domain))
    strategy: Mapped[str | None] = mapped_column(String(40))  # a key of the strategy menu
    text: Mapped[str] = mapped_column(String(500))
    period_start: Mapped[date]  # semester start, first of the month, or the Monday of the week
    position: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[SupportPlan] = relationship(back_populates="goals")
    parent: Mapped["PlanGoal | None"] = relationship(remote_side=[id])
