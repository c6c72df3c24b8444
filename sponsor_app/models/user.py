"""Staff accounts and their roles. Homeroom (GVCN) is a relation to a class, not a role."""

import enum
import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..text import fold, name_sort_key, nfc, split_full_name
from .mixins import TimestampMixin
from .school import Department, School
from .types import UTCDateTime


class Role(enum.StrEnum):
    ADMIN = "admin"
    LEADER = "leader"  # Ban giám hiệu
    DEPT_HEAD = "dept_head"  # tổ trưởng
    UNION = "union"  # BCH Công đoàn
    TEACHER = "teacher"  # any staff member


# Home-page precedence when a person holds several roles.
ROLE_ORDER = (Role.LEADER, Role.ADMIN, Role.DEPT_HEAD, Role.UNION, Role.TEACHER)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, TimestampMixin, db.Model):
    """A staff member (CB, GV, NV); the account they log in with."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    # Unique across the deployment, so one login form serves every school of a district.
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(120))
    sort_key: Mapped[str] = mapped_column(String(400), default="", index=True)
    search_text: Mapped[str] = mapped_column(String(300), default="")
    gender: Mapped[str | None] = mapped_column(String(10))
    date_of_birth: Mapped[date | None]
    position: Mapped[str | None] = mapped_column(String(80))  # chức vụ as written
    subject: Mapped[str | None] = mapped_column(String(80))  # môn dạy
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Part of the login cookie; replaced on logout, password change and deactivation,
    # which ends every session of the user (a replayed cookie is refused).
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    school: Mapped[School] = relationship(foreign_keys=[school_id])
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    # Flask-Login: the id in the session carries the session token.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role | str) -> bool:
        mine = self.roles
        return any(Role(r) in mine for r in roles)

    @property
    def home_roles(self) -> list[Role]:
        """The roles with a home page, in precedence order (teacher for anyone on staff)."""
        mine = self.roles
        return [r for r in ROLE_ORDER if r in mine]

    @property
    def primary_role(self) -> Role:
        roles = self.home_roles
        return roles[0] if roles else Role.TEACHER

    def set_roles(self, roles) -> None:
        wanted = {Role(r) for r in roles}
        self.role_rows = [row for row in self.role_rows if row.role in wanted]
        have = {row.role for row in self.role_rows}
        for role in sorted(wanted - have):
            self.role_rows.append(UserRole(role=role))

    def set_full_name(self, full_name: str) -> None:
        """Set the name and the derived sort (given name first) and search keys."""
        self.full_name = nfc(full_name)
        self.sort_key = name_sort_key(*split_full_name(self.full_name))
        self.search_text = f"{fold(self.full_name)} {fold(self.username)}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20,
                                            values_callable=lambda e: [m.value for m in e]))

    user: Mapped[User] = relationship(back_populates="role_rows")
