"""One-time login codes: the printed slip's code and the invitation e-mail's link (issue 21).

Only a hash of the code is stored (werkzeug, like the passwords); the code itself is shown once,
on the printed slips or in the e-mail. A code is live until it expires, is used or is revoked
(issuing again for the account, or the person setting a password of their own).
"""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .types import UTCDateTime, enum_type


class LoginCodePurpose(enum.StrEnum):
    SLIP = "slip"  # typed into the login form's password field
    EMAIL = "email"  # the link of an invitation e-mail


class LoginCode(db.Model):
    __tablename__ = "login_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    purpose: Mapped[LoginCodePurpose] = mapped_column(enum_type(LoginCodePurpose, 10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821

    def is_live(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at
