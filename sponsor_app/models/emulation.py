"""Emulation scoring (thi đua) of the campaign: the union's rubric per school year, the monthly
and semester evaluation sheets with their manual points, bonuses and penalties, the staff's
contests, and the locks that freeze a result.

The points of the automatic criteria are computed from the casework when a sheet is shown
(emulation/scoring.py); only what people decide is stored here. Locking a semester or a year
stores the whole computed result as a snapshot, so later changes to the data do not alter it.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .mixins import TimestampMixin
from .school import SchoolYear
from .types import UTCDateTime, enum_type
from .user import User


class CriterionSource(enum.StrEnum):
    AUTO = "auto"  # computed from the data
    MANUAL = "manual"  # scored on the evaluation sheet
    BONUS = "bonus"  # điểm cộng, with evidence
    PENALTY = "penalty"  # điểm trừ, with evidence


class SheetScope(enum.StrEnum):
    """Which sheet scores a criterion: every month's, or the semester's."""

    MONTH = "month"
    SEMESTER = "semester"


class Metric(enum.StrEnum):
    """The automatic criteria (what each computes: emulation/scoring.py)."""

    NOTES_ON_TIME = "notes_on_time"
    SIGNOFFS = "signoffs"
    FAMILY_CONTACT = "family_contact"
    RATING_TREND = "rating_trend"
    PLEDGED = "pledged"
    PLAN_ON_TIME = "plan_on_time"
    RETAINED = "retained"


class SemesterMethod(enum.StrEnum):
    MEAN = "mean"  # the semester's month part is the mean of its evaluated months
    SUM = "sum"  # … or their sum (cumulative points)


class Commendation(enum.StrEnum):
    PRAISE = "praise"  # biểu dương
    REWARD = "reward"  # khen thưởng (giấy khen)


class EvaluationKind(enum.StrEnum):
    MONTH = "month"
    SEMESTER = "semester"
    YEAR = "year"


class EvaluationStatus(enum.StrEnum):
    DRAFT = "draft"  # being scored; the staff do not see it yet
    PUBLISHED = "published"  # the staff see their breakdown and may contest within the window
    LOCKED = "locked"  # approved by leadership: the snapshot is the result


class ContestStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # chấp nhận: the union corrected the score
    REJECTED = "rejected"  # không chấp nhận, with the reason


class EmulationSettings(TimestampMixin, db.Model):
    """How a school year's months combine, and the contest window (one row per school year)."""

    __tablename__ = "emulation_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), unique=True)
    semester_method: Mapped[SemesterMethod] = mapped_column(enum_type(SemesterMethod), default=SemesterMethod.MEAN)
    # Year = (w1 × semester I + w2 × semester II) / (w1 + w2); the common rule is 1 and 2.
    year_weight1: Mapped[int] = mapped_column(default=1)
    year_weight2: Mapped[int] = mapped_column(default=2)
    contest_days: Mapped[int] = mapped_column(default=7)  # days after publication to contest a score
    version: Mapped[int] = mapped_column(default=1)

    school_year: Mapped[SchoolYear] = relationship()

    __mapper_args__ = {"version_id_col": version}


class EmulationCriterion(TimestampMixin, db.Model):
    """A criterion of the rubric with its maximum points (for a bonus or penalty item: the most
    one entry may give or take). Archived instead of deleted: scores refer to it."""

    __tablename__ = "emulation_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    source: Mapped[CriterionSource] = mapped_column(enum_type(CriterionSource))
    metric: Mapped[Metric | None] = mapped_column(enum_type(Metric))  # automatic criteria only
    scope: Mapped[SheetScope] = mapped_column(enum_type(SheetScope))
    max_points: Mapped[float]
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class EmulationBand(db.Model):
    """A classification band: from `min_percent` of the maximum points; it may propose a commendation."""

    __tablename__ = "emulation_bands"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    min_percent: Mapped[float]
    commendation: Mapped[Commendation | None] = mapped_column(enum_type(Commendation))


class Evaluation(TimestampMixin, db.Model):
    """One evaluation sheet of a school year: a month (key "2026-11"), a semester ("s1", "s2") or
    the year ("year"). Created when first scored or published."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("school_year_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    key: Mapped[str] = mapped_column(String(10))
    kind: Mapped[EvaluationKind] = mapped_column(enum_type(EvaluationKind))
    month: Mapped[date | None]  # a month sheet's month (first day)
    term: Mapped[int | None]  # a semester sheet's semester (1 or 2)
    status: Mapped[EvaluationStatus] = mapped_column(enum_type(EvaluationStatus), default=EvaluationStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contest_until: Mapped[date | None]  # the last day a contest may be filed
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    snapshot: Mapped[dict | None] = mapped_column(JSON)  # the locked result
    version: Mapped[int] = mapped_column(default=1)

    school_year: Mapped[SchoolYear] = relationship()
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    locked_by: Mapped[User | None] = relationship(foreign_keys=[locked_by_id])

    __mapper_args__ = {"version_id_col": version}


class EvaluationScore(db.Model):
    """The points of a manual criterion given to a staff member on a sheet, with a comment."""

    __tablename__ = "evaluation_scores"
    __table_args__ = (UniqueConstraint("evaluation_id", "user_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("emulation_criteria.id"))
    points: Mapped[float]
    comment: Mapped[str | None] = mapped_column(String(500))
    scored_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvaluationAdjustment(db.Model):
    """A bonus or a penalty on a sheet, with its evidence. Withdrawn, never deleted."""

    __tablename__ = "evaluation_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("emulation_criteria.id"))
    points: Mapped[float]  # positive; the criterion says whether it adds or takes away
    evidence: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[str | None] = mapped_column(String(500))

    criterion: Mapped[EmulationCriterion] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class EvaluationContest(db.Model):
    """A staff member's contest of their score on a published sheet, and the union's answer."""

    __tablename__ = "evaluation_contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("emulation_criteria.id"))  # None: the total
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[ContestStatus] = mapped_column(enum_type(ContestStatus), default=ContestStatus.OPEN, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    evaluation: Mapped[Evaluation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    criterion: Mapped[EmulationCriterion | None] = relationship()
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    __mapper_args__ = {"version_id_col": version}


class EvaluationLock(db.Model):
    """The history of locking and unlocking a result (a lock keeps the snapshot it approved)."""

    __tablename__ = "evaluation_locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # "lock" | "unlock"
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict | None] = mapped_column(JSON)

    evaluation: Mapped[Evaluation] = relationship()
    by: Mapped[User] = relationship()
