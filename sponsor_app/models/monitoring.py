"""Department monitoring: the campaign section of the department's monthly report."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .mixins import TimestampMixin
from .school import Department
from .types import UTCDateTime
from .user import User


class DepartmentReport(TimestampMixin, db.Model):
    """The head's edited summary of a department's month (the generated one is never stored).

    `summary` is None when there is no edit (the page shows the summary generated from the
    data). `version` detects two people editing at once: a stale edit is a conflict.
    """

    __tablename__ = "department_reports"
    __table_args__ = (UniqueConstraint("department_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    month: Mapped[date]  # the month's first day
    summary: Mapped[str | None] = mapped_column(Text)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    department: Mapped[Department] = relationship()
    edited_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
