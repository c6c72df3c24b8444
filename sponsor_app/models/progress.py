"""Support plans (kế hoạch giúp đỡ): semester goals → monthly targets → weekly actions."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .assignment import Assignment
from .mixins import TimestampMixin
from .school import SchoolYear
from .student import Student
from .types import UTCDateTime, enum_type
from .user import User


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
    status: Mapped[PlanStatus] = mapped_column(enum_type(PlanStatus), default=PlanStatus.DRAFT, index=True)
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
    horizon: Mapped[Horizon] = mapped_column(enum_type(Horizon))
    domain: Mapped[Domain] = mapped_column(enum_type(Domain))
    strategy: Mapped[str | None] = mapped_column(String(40))  # a key of the strategy menu
    text: Mapped[str] = mapped_column(String(500))
    period_start: Mapped[date]  # semester start, first of the month, or the Monday of the week
    position: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[SupportPlan] = relationship(back_populates="goals")
    parent: Mapped["PlanGoal | None"] = relationship(remote_side=[id])


# --- monthly notes (nhận xét, theo dõi hằng tháng) ------------------------------------------

class NoteStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Trend(enum.StrEnum):
    BETTER = "better"  # tiến bộ hơn
    SAME = "same"  # như cũ
    WORSE = "worse"  # kém đi


class Rating(enum.StrEnum):
    """The overall rating of the month."""

    PROGRESS = "progress"  # tiến bộ
    STEADY = "steady"  # giữ vững
    DECLINE = "decline"  # sa sút


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the department head
    SEEN = "seen"  # đã xem
    NEEDS_MORE = "needs_more"  # cần bổ sung (with a comment the mentor sees)


class ContactWith(enum.StrEnum):
    STUDENT = "student"
    FAMILY = "family"
    SUBJECT_TEACHER = "subject_teacher"
    HOMEROOM = "homeroom"


class NoteContactMethod(enum.StrEnum):
    MEETING = "meeting"
    HOME_VISIT = "home_visit"
    PHONE = "phone"
    MESSAGE = "message"


class TargetProgress(enum.StrEnum):
    ACHIEVED = "achieved"  # đạt
    PARTLY = "partly"  # đạt một phần
    NOT_YET = "not_yet"  # chưa đạt


class MonthlyNote(TimestampMixin, db.Model):
    """One note per mentee per month, written by the main mentor.

    `month` is the month's first day. On-time or late is stored at submission, never recomputed.
    Once submitted the note is never overwritten silently: every later change is a NoteRevision
    (a correction before the month locks, an amendment with a reason after), old values kept.
    """

    __tablename__ = "monthly_notes"
    __table_args__ = (UniqueConstraint("student_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)  # the main mentoring
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    month: Mapped[date] = mapped_column(index=True)
    status: Mapped[NoteStatus] = mapped_column(enum_type(NoteStatus), default=NoteStatus.DRAFT, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_on_time: Mapped[bool | None]  # stored at submission
    absences: Mapped[int | None]  # sessions absent this month
    learning_trend: Mapped[Trend | None] = mapped_column(enum_type(Trend))
    conduct_trend: Mapped[Trend | None] = mapped_column(enum_type(Trend))
    wellbeing: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[Rating | None] = mapped_column(enum_type(Rating), index=True)
    concerns: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    review_status: Mapped[ReviewStatus | None] = mapped_column(enum_type(ReviewStatus), index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    student: Mapped[Student] = relationship()
    school_year: Mapped[SchoolYear] = relationship()
    assignment: Mapped[Assignment] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    contacts: Mapped[list["NoteContact"]] = relationship(back_populates="note", order_by="NoteContact.position",
                                                        cascade="all, delete-orphan")
    progress: Mapped[list["NoteTarget"]] = relationship(back_populates="note", order_by="NoteTarget.id",
                                                       cascade="all, delete-orphan")
    supports: Mapped[list["NoteSupport"]] = relationship(back_populates="note", order_by="NoteSupport.position",
                                                        cascade="all, delete-orphan")
    revisions: Mapped[list["NoteRevision"]] = relationship(back_populates="note", order_by="NoteRevision.id")
    reviews: Mapped[list["NoteReview"]] = relationship(back_populates="note", order_by="NoteReview.id")

    __mapper_args__ = {"version_id_col": version}


class NoteContact(db.Model):
    """A contact of the month: with whom, how, when."""

    __tablename__ = "note_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("monthly_notes.id"), index=True)
    contact_on: Mapped[date]
    with_whom: Mapped[ContactWith] = mapped_column(enum_type(ContactWith))
    method: Mapped[NoteContactMethod] = mapped_column(enum_type(NoteContactMethod))
    summary: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)

    note: Mapped[MonthlyNote] = relationship(back_populates="contacts")


class NoteTarget(db.Model):
    """Progress of the month on one goal of the plan."""

    __tablename__ = "note_targets"
    __table_args__ = (UniqueConstraint("note_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("monthly_notes.id"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("plan_goals.id"), index=True)
    progress: Mapped[TargetProgress] = mapped_column(enum_type(TargetProgress))
    comment: Mapped[str | None] = mapped_column(String(300))

    note: Mapped[MonthlyNote] = relationship(back_populates="progress")
    goal: Mapped[PlanGoal] = relationship()


class NoteSupport(db.Model):
    """Support given this month: what, its value in VND, who gave it."""

    __tablename__ = "note_supports"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("monthly_notes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a key of SUPPORT_KIND_LABELS
    value_vnd: Mapped[int] = mapped_column(default=0)
    donor: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    note: Mapped[MonthlyNote] = relationship(back_populates="supports")


class NoteRevision(db.Model):
    """A change to a submitted note: before the lock a correction, after it an amendment (with a
    reason). `changes` keeps every changed field's old and new value, so the original stays."""

    __tablename__ = "note_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("monthly_notes.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    after_lock: Mapped[bool] = mapped_column(default=False)  # an amendment of a locked month
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSON)  # {field: [old, new]}

    note: Mapped[MonthlyNote] = relationship(back_populates="revisions")
    author: Mapped[User] = relationship()


class NoteReview(db.Model):
    """The department head's sign-off history of a note ("đã xem" / "cần bổ sung")."""

    __tablename__ = "note_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("monthly_notes.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[ReviewStatus] = mapped_column(enum_type(ReviewStatus))
    comment: Mapped[str | None] = mapped_column(Text)

    note: Mapped[MonthlyNote] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()


class NoteContribution(TimestampMixin, db.Model):
    """A supporting mentor's contribution to a mentee's month (kept even before the note exists)."""

    __tablename__ = "note_contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    month: Mapped[date] = mapped_column(index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)

    author: Mapped[User] = relationship()
