"""Escalations of serious concerns, referrals to outside services, the school's holidays and
the log of reminders sent."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .mixins import TimestampMixin
from .school import SchoolYear
from .student import Student
from .types import UTCDateTime, enum_type
from .user import User


class ConcernKind(enum.StrEnum):
    ABUSE = "abuse"  # bị xâm hại, bạo hành
    VIOLENCE = "violence"  # bạo lực (học đường, gia đình)
    CRISIS = "crisis"  # khủng hoảng tâm lý, nguy cơ tự hại
    DROPOUT = "dropout"  # sắp bỏ học
    OTHER = "other"


class EscalationStatus(enum.StrEnum):
    OPEN = "open"  # raised, nobody has responded yet
    RESPONDING = "responding"  # leadership or the focal point has responded
    CLOSED = "closed"  # with an outcome


class Escalation(TimestampMixin, db.Model):
    """A serious concern raised by a mentor; leadership and the social-work focal point respond
    within `response_hours` working hours (the deadline is stored when raised)."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("monthly_notes.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[ConcernKind] = mapped_column(enum_type(ConcernKind))
    description: Mapped[str] = mapped_column(Text)
    response_hours: Mapped[int]  # the school year's setting when raised
    respond_by: Mapped[datetime] = mapped_column(UTCDateTime)  # raised_at + response_hours working hours
    status: Mapped[EscalationStatus] = mapped_column(enum_type(EscalationStatus), default=EscalationStatus.OPEN,
                                                     index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    student: Mapped[Student] = relationship()
    school_year: Mapped[SchoolYear] = relationship()
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    updates: Mapped[list["EscalationUpdate"]] = relationship(back_populates="escalation",
                                                             order_by="EscalationUpdate.id")
    referrals: Mapped[list["Referral"]] = relationship(back_populates="escalation", order_by="Referral.id")

    __mapper_args__ = {"version_id_col": version}


class EscalationUpdate(db.Model):
    """What was done about an escalation, in order (the first one by a responder stops the clock)."""

    __tablename__ = "escalation_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)

    escalation: Mapped[Escalation] = relationship(back_populates="updates")
    author: Mapped[User] = relationship()


class ServiceKind(enum.StrEnum):
    COMMUNE = "commune"  # UBND xã, phường
    HOTLINE = "hotline"  # Tổng đài 111
    WOMENS_UNION = "womens_union"  # Hội Liên hiệp Phụ nữ
    HEALTH = "health"  # trạm y tế
    POLICE = "police"  # công an
    OTHER = "other"


class ReferralService(TimestampMixin, db.Model):
    """An outside service the school refers to (a directory the school edits; deactivated, not deleted)."""

    __tablename__ = "referral_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    kind: Mapped[ServiceKind] = mapped_column(enum_type(ServiceKind))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    contact_person: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)


class ReferralStatus(enum.StrEnum):
    SENT = "sent"  # đã chuyển gửi
    ACCEPTED = "accepted"  # đơn vị đã tiếp nhận
    COMPLETED = "completed"  # đã có kết quả
    DECLINED = "declined"  # không tiếp nhận


class Referral(TimestampMixin, db.Model):
    """An escalation referred to an outside service, and what came of it."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("referral_services.id"), index=True)
    referred_on: Mapped[date]
    referred_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ReferralStatus] = mapped_column(enum_type(ReferralStatus), default=ReferralStatus.SENT)
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_on: Mapped[date | None]

    escalation: Mapped[Escalation] = relationship(back_populates="referrals")
    service: Mapped[ReferralService] = relationship()
    referred_by: Mapped[User] = relationship()


class Holiday(db.Model):
    """A day off of the school (Tết, national holidays): the working-hours clock skips it."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("school_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    day: Mapped[date]
    name: Mapped[str] = mapped_column(String(120))


class ReminderLog(db.Model):
    """A reminder sent (by e-mail), so a daily cron run sends each one once."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("kind", "user_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # "mentor_20", "mentor_24", "dept_head_missing"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    month: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notes_count: Mapped[int] = mapped_column(default=0)
