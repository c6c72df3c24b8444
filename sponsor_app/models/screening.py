"""Risk screening: the December survey record per student per year, its contacts, and the
school-editable criteria the risk score is computed from."""

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


class RiskLevel(enum.StrEnum):
    HIGH = "high"  # cao
    MEDIUM = "medium"  # trung bình
    LOW = "low"  # thấp


class ScreeningStatus(enum.StrEnum):
    """Derived from the record (never typed): see Screening.status."""

    PROPOSED = "proposed"  # đề xuất
    VERIFIED = "verified"  # đã xác minh
    APPROVED = "approved"  # được duyệt đỡ đầu
    NOT_NEEDED = "not_needed"  # không cần đỡ đầu


class Decision(enum.StrEnum):
    APPROVED = "approved"
    NOT_NEEDED = "not_needed"


class RatingScale(enum.StrEnum):
    TT22 = "tt22"  # Circular 22/2021: Tốt / Khá / Đạt / Chưa đạt (both conduct and learning)
    OLD = "old"  # hạnh kiểm Tốt/Khá/Trung bình/Yếu; học lực Giỏi/Khá/Trung bình/Yếu/Kém


# Circumstance flags, in the order of the screening form. Each is a Boolean column.
CIRCUMSTANCE_FLAGS = (
    "poor_household",  # hộ nghèo
    "near_poor_household",  # hộ cận nghèo
    "orphan",  # mồ côi
    "parents_ill",  # cha mẹ ốm đau, không có khả năng lao động
    "parents_away",  # cha mẹ đi làm ăn xa
    "family_breakdown",  # gia đình ly tán
    "disability",  # khuyết tật
    "ethnic_minority",  # dân tộc thiểu số
    "far_from_school",  # nhà xa trường / ở trọ, bán trú
    "works_for_school",  # phải đi làm thêm để có tiền đi học
    "other_circumstance",  # khác (explained in other_circumstance_text)
)


class Screening(TimestampMixin, db.Model):
    """One student's screening record in one school year."""

    __tablename__ = "screenings"
    __table_args__ = (UniqueConstraint("student_id", "school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    proposed_on: Mapped[date]  # Vietnam date of the proposal (late if outside the window)

    poor_household: Mapped[bool] = mapped_column(default=False)
    near_poor_household: Mapped[bool] = mapped_column(default=False)
    orphan: Mapped[bool] = mapped_column(default=False)
    parents_ill: Mapped[bool] = mapped_column(default=False)
    parents_away: Mapped[bool] = mapped_column(default=False)
    family_breakdown: Mapped[bool] = mapped_column(default=False)
    disability: Mapped[bool] = mapped_column(default=False)
    ethnic_minority: Mapped[bool] = mapped_column(default=False)
    far_from_school: Mapped[bool] = mapped_column(default=False)
    works_for_school: Mapped[bool] = mapped_column(default=False)
    other_circumstance: Mapped[bool] = mapped_column(default=False)
    other_circumstance_text: Mapped[str | None] = mapped_column(String(300))

    rating_scale: Mapped[RatingScale] = mapped_column(enum_type(RatingScale), default=RatingScale.TT22)
    conduct_rating: Mapped[str | None] = mapped_column(String(20))
    learning_rating: Mapped[str | None] = mapped_column(String(20))
    absences: Mapped[int] = mapped_column(default=0)  # sessions absent this year so far

    circumstances_text: Mapped[str] = mapped_column(Text, default="")  # Hoàn cảnh gia đình, bản thân
    conduct_text: Mapped[str] = mapped_column(Text, default="")  # Sự rèn luyện của bản thân

    # The computed risk, stored so lists can filter and sort; recomputed on every save and
    # whenever the school edits its criteria.
    risk_score: Mapped[int] = mapped_column(default=0, index=True)
    risk_level: Mapped[RiskLevel] = mapped_column(enum_type(RiskLevel), default=RiskLevel.LOW, index=True)
    risk_reasons: Mapped[list | None] = mapped_column(JSON)  # [{"key", "label", "weight"}]

    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[Decision | None] = mapped_column(enum_type(Decision), index=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    student: Mapped[Student] = relationship()
    school_year: Mapped[SchoolYear] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    contacts: Mapped[list["ScreeningContact"]] = relationship(
        back_populates="screening", order_by="ScreeningContact.contact_date", cascade="all"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def status(self) -> ScreeningStatus:
        if self.decision == Decision.APPROVED:
            return ScreeningStatus.APPROVED
        if self.decision == Decision.NOT_NEEDED:
            return ScreeningStatus.NOT_NEEDED
        if self.verified_at is not None:
            return ScreeningStatus.VERIFIED
        return ScreeningStatus.PROPOSED

    @property
    def is_late(self) -> bool:
        year = self.school_year
        return not (year.screening_start <= self.proposed_on <= year.screening_end)

    @property
    def flags(self) -> list[str]:
        return [name for name in CIRCUMSTANCE_FLAGS if getattr(self, name)]


class ContactChannel(enum.StrEnum):
    FAMILY = "family"  # gia đình
    STUDENT = "student"  # bản thân học sinh
    RELATIONSHIPS = "relationships"  # các mối quan hệ (bạn bè, hàng xóm, GV bộ môn, ...)


class ContactMethod(enum.StrEnum):
    HOME_VISIT = "home_visit"
    PHONE = "phone"
    MEETING = "meeting"
    MESSAGE = "message"


class ScreeningContact(TimestampMixin, db.Model):
    """One information channel used: who was asked, when and how (any contributor may add)."""

    __tablename__ = "screening_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[ContactChannel] = mapped_column(enum_type(ContactChannel))
    method: Mapped[ContactMethod] = mapped_column(enum_type(ContactMethod))
    person: Mapped[str] = mapped_column(String(200))  # who: "mẹ em", "bạn cùng lớp", ...
    contact_date: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")

    screening: Mapped[Screening] = relationship(back_populates="contacts")
    author: Mapped[User] = relationship()


class CriterionKind(enum.StrEnum):
    FLAG = "flag"  # a circumstance flag is set (param: flag name)
    ABSENCES = "absences"  # absences >= param (sessions)
    CONDUCT = "conduct"  # conduct rating in the listed values
    LEARNING = "learning"  # learning rating in the listed values


class RiskCriterion(TimestampMixin, db.Model):
    """A rule of the risk score, edited by the school per school year."""

    __tablename__ = "risk_criteria"
    __table_args__ = (UniqueConstraint("school_year_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CriterionKind] = mapped_column(enum_type(CriterionKind))
    # flag name, absence threshold as text, or rating values separated by "|"
    parameter: Mapped[str] = mapped_column(String(200))
    weight: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
