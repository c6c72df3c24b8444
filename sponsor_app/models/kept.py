"""Results computed from a school's data, kept while that data is unchanged (sponsor_app/kept.py)."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow
from .types import UTCDateTime


class KeptResult(db.Model):
    """One computed result per school and kind ("report:12:1"), valid while the school's
    data_version is `data_version` and the inputs besides the data are `params`. A copy: deleting
    it loses nothing, the next reader computes it again."""

    __tablename__ = "kept_results"
    __table_args__ = (UniqueConstraint("school_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[str] = mapped_column(String(80))
    params: Mapped[str] = mapped_column(Text)  # canonical JSON of what the result depends on besides the data
    data_version: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
